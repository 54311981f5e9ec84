"""The batch path: recorded samples through an `Engine` in whole-array steps, with exactly the
events and readings that feeding them one by one gives (`run_batch` is the entry point).

- the detection rate of every sample at once (`fast_rate_array`, exact);
- what is usable (skin contact, a plausible rate, no gap before it) as masks, and for each
  10-s baseline bucket its count, its rates' sum (added in order), lowest and highest rate;
- then one step per bucket (`Detector.quiet_bucket`: calm, or holding a flooded episode)
  wherever the state machine allows, with the pause protocol reading each sample of it
  during a pause; one step per sample only where it must: a rise, the start or end of an
  episode, lost contact, a gap, a control by hand.
The columns and rates do not depend on the settings: `prepare` once, replay many times (tune).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from flooding.core.beats.columns import SampleColumns
from flooding.core.beats.fast import fast_rate_array
from flooding.core.detector import BUCKET_S, MOVING_G
from flooding.core.engine import BatchResult, Control, Engine
from flooding.core.models import Event, PauseExtended, Reading, Sample, State, Waiting
from flooding.core.settings import detection_for

FloatArray = npt.NDArray[np.float64]

STATES = tuple(State)  # a reading's state, stored as its index here
_CODE = {state: code for code, state in enumerate(STATES)}
WAITS = tuple(Waiting)  # a reading's `waiting`, stored as its index here (NO_WAIT: None)
NO_WAIT = -1
_WAIT_CODE = {waiting: code for code, waiting in enumerate(WAITS)}


def _wait_code(waiting: Waiting | None) -> int:
    return NO_WAIT if waiting is None else _WAIT_CODE[waiting]


GRID_MAX_SAMPLES = 64  # buckets up to this many samples are summed in one array pass


@dataclass(frozen=True, eq=False)
class PreparedSamples:
    """A session's samples as columns, with each sample's detection rate: what every replay
    of it needs whatever the settings."""

    columns: SampleColumns
    rates: FloatArray

    def __len__(self) -> int:
        return int(self.rates.size)


def prepare(samples: Iterable[Sample]) -> PreparedSamples:
    """The columns and detection rates of recorded samples, for one replay or many."""
    columns = SampleColumns.of(samples if isinstance(samples, list) else list(samples))
    return PreparedSamples(columns, fast_rate_array(columns))


@dataclass(eq=False)
class ReadingTrace:
    """Every sample's reading as columns (None stored as NaN)."""

    t_s: FloatArray
    bpm: FloatArray
    state: npt.NDArray[np.int8]
    baseline_bpm: FloatArray
    threshold_bpm: FloatArray
    pausing: npt.NDArray[np.bool_]
    pause_until_s: FloatArray
    waiting: npt.NDArray[np.int8]
    events: dict[int, tuple[Event, ...]] = field(default_factory=dict)

    @classmethod
    def empty(cls, t_s: FloatArray, bpm: FloatArray) -> ReadingTrace:
        """Room for a reading per sample."""
        n = t_s.size
        return cls(
            t_s,
            bpm,
            np.zeros(n, np.int8),
            np.full(n, np.nan),
            np.zeros(n),
            np.zeros(n, np.bool_),
            np.full(n, np.nan),
            np.full(n, NO_WAIT, np.int8),
        )

    def readings(self) -> list[Reading]:
        """The readings themselves, equal to those `Engine.feed` gives."""
        events = self.events
        return [
            Reading(
                t_s=t,
                bpm=bpm,
                state=STATES[state],
                baseline_bpm=None if math.isnan(base) else base,
                threshold_bpm=threshold,
                pausing=pausing,
                pause_until_s=None if math.isnan(until) else until,
                events=events.get(index, ()),
                waiting=None if waiting < 0 else WAITS[waiting],
            )
            for index, (t, bpm, state, base, threshold, pausing, until, waiting) in enumerate(
                zip(
                    self.t_s.tolist(),
                    self.bpm.tolist(),
                    self.state.tolist(),
                    self.baseline_bpm.tolist(),
                    self.threshold_bpm.tolist(),
                    self.pausing.tolist(),
                    self.pause_until_s.tolist(),
                    self.waiting.tolist(),
                    strict=True,
                )
            )
        ]


def _bucket_sums(
    rates: FloatArray, starts: npt.NDArray[np.intp], counts: npt.NDArray[np.intp]
) -> list[float]:
    """Each bucket's rates added left to right, from the first (as `add_current` adds them)."""
    sums = np.zeros(starts.size)
    short = counts <= GRID_MAX_SAMPLES
    rows = np.flatnonzero(short)
    if rows.size:
        width = int(counts[rows].max())
        grid = np.zeros((rows.size, width))
        lengths = counts[rows]
        row = np.repeat(np.arange(rows.size), lengths)
        column = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        grid[row, column] = rates[np.repeat(starts[rows], lengths) + column]
        sums[rows] = np.cumsum(grid, axis=1)[np.arange(rows.size), lengths - 1]
    for i in np.flatnonzero(~short).tolist():
        sums[i] = sum(rates[starts[i] : starts[i] + counts[i]].tolist())
    result: list[float] = sums.tolist()
    return result


def _calm_mask(
    engine: Engine, columns: SampleColumns, rates: FloatArray, controls: Sequence[Control]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Usable samples (contact, a plausible rate, no movement, not the first with an activity
    level) and those after a gap, by the detection settings in force at each (a mode switch
    changes them)."""
    t = columns.t_s
    n = t.size
    ok = np.zeros(n, np.bool_)
    gap = np.zeros(n, np.bool_)
    steps = np.diff(t, prepend=t[0])
    contact = columns.has_contact
    mode = engine.mode
    edges = [0, *(min(max(c.before, 0), n) for c in controls), n]
    modes = [mode]
    for control in controls:
        mode = control.mode if control.mode is not None else mode
        modes.append(mode)
    for (lo, hi), in_force in zip(itertools.pairwise(edges), modes, strict=True):
        detection = detection_for(engine.settings, in_force)
        piece = slice(lo, hi)
        ok[piece] = (
            contact[piece]
            & (rates[piece] >= detection.min_plausible_bpm)
            & (rates[piece] <= detection.max_plausible_bpm)
        )
        gap[piece] = steps[piece] > detection.gap_s
    gap[0] = False  # nothing before the first sample
    activity = columns.activity_g
    if activity is not None:
        ok &= ~(activity >= MOVING_G)  # NaN (no accelerometer) compares False: not moving
        has_level = ~np.isnan(activity)
        if has_level.any():
            ok[int(np.argmax(has_level))] = False  # the detector learns it has an accelerometer
    return ok, gap


def replay(
    engine: Engine,
    prepared: PreparedSamples,
    *,
    keep_readings: bool,
    controls: Sequence[Control] = (),
) -> BatchResult:
    """Feed prepared samples to a fresh solo engine; its events (and readings, if kept)."""
    columns, rates = prepared.columns, prepared.rates
    n = rates.size
    trace = ReadingTrace.empty(columns.t_s, rates) if keep_readings else None
    result = BatchResult(trace=trace)
    t = columns.t_s
    controls = sorted(controls, key=lambda c: c.before)
    by_index: dict[int, list[Control]] = {}
    for control in controls:
        by_index.setdefault(min(max(control.before, 0), n), []).append(control)
    if n and bool(np.all(np.diff(t) >= 0)):  # buckets follow each other, one run each
        ok, gap = _calm_mask(engine, columns, rates, controls)
        bucket = np.floor(t / BUCKET_S)
        cut = bucket[1:] != bucket[:-1]
        if by_index:  # a control splits its bucket, whose samples then go one by one
            at = np.array([i for i in by_index if 0 < i < n], np.intp)
            cut[at - 1] = True
            ok[at] = False
        starts = np.concatenate(([0], np.flatnonzero(cut) + 1))
    else:  # time went back somewhere: sample by sample, as `feed` copes with it
        ok = np.zeros(n, np.bool_)
        gap = np.zeros(n, np.bool_)
        starts = np.zeros(1 if n else 0, np.intp)
    counts = np.diff(np.append(starts, n))
    calm = np.logical_and.reduceat(ok, starts).tolist() if n else []
    gaps_in: dict[int, list[int]] = {}  # bucket -> its samples that follow a gap
    if n:
        after_gap = np.flatnonzero(gap)
        for bucket_index, j in zip(
            (np.searchsorted(starts, after_gap, side="right") - 1).tolist(),
            after_gap.tolist(),
            strict=True,
        ):
            gaps_in.setdefault(bucket_index, []).append(j)
    highest = np.maximum.reduceat(rates, starts).tolist() if n else []
    lowest = np.minimum.reduceat(rates, starts).tolist() if n else []
    sums = _bucket_sums(rates, starts, counts) if any(calm) else [0.0] * starts.size
    t_list = t.tolist()
    rate_list = rates.tolist()
    contact = [None if c < 0 else bool(c) for c in columns.contact.tolist()]
    protocol = engine.protocol
    detector = engine.detector
    advance = engine._advance
    events = result.events
    activity: list[float | None] = (
        [None] * n
        if columns.activity_g is None
        else [None if math.isnan(a) else a for a in columns.activity_g.tolist()]
    )
    quiet: list[tuple[int, int, int, float, float, int]] = []  # buckets taken at once (trace)
    for i, (start, count) in enumerate(zip(starts.tolist(), counts.tolist(), strict=True)):
        stop = start + count
        gaps = gaps_in.get(i, ())
        step = (
            detector.quiet_bucket(t_list, rate_list, start, stop, lowest[i], highest[i], gaps)
            if calm[i]
            else None
        )
        if step is not None:
            # (sample, event): each gap's, then the pause protocol's, in the order of `feed`
            timeline: list[tuple[int, Event]] = list(zip(gaps, step.events, strict=True))
            if trace is not None:
                base = step.baseline_bpm
                quiet.append(
                    (
                        start,
                        stop,
                        _CODE[step.state],
                        math.nan if base is None else base,
                        step.threshold_bpm,
                        _wait_code(step.waiting),
                    )
                )
            learn = gaps[-1] if gaps else start  # the baseline learns from here, if not frozen
            if protocol.pausing:  # the pause protocol reads every sample
                until_s = protocol.until_s
                marked, ended = protocol.on_usable_readings(t_list, rate_list, start, stop)
                if marked:
                    engine._sync_freeze()
                    # a sample's gap comes before what the protocol makes of it (stable sort)
                    timeline = sorted(timeline + marked, key=lambda item: item[0])
                learn = stop if ended is None else max(learn, ended + 1)
                if trace is not None:
                    pause_stop = stop if ended is None else ended
                    trace.pausing[start:pause_stop] = True
                    trace.pause_until_s[start:pause_stop] = until_s
                    for index, event in marked:
                        if isinstance(event, PauseExtended):  # the new end, from here on
                            trace.pause_until_s[index:pause_stop] = event.until_s
            if timeline:
                events.extend(event for _, event in timeline)
                if trace is not None:
                    for index, event in timeline:
                        trace.events[index] = (*trace.events.get(index, ()), event)
            if detector.frozen or detector.flooded or learn == stop:
                detector.take_bucket(t_list[stop - 1], 0, 0.0)
            elif learn == start:
                detector.take_bucket(t_list[stop - 1], count, sums[i])
            else:
                detector.take_bucket(t_list[stop - 1], stop - learn, sum(rate_list[learn:stop]))
            continue
        for j in range(start, stop):
            if j in by_index:
                for control in by_index[j]:
                    events.extend(control.apply(engine))
            step, happened = advance(
                Sample(t_list[j], rate_list[j], (), contact[j], None, activity[j])
            )
            if happened:
                events.extend(happened)
            if trace is not None:
                trace.state[j] = _CODE[step.state]
                trace.baseline_bpm[j] = math.nan if step.baseline_bpm is None else step.baseline_bpm
                trace.threshold_bpm[j] = step.threshold_bpm
                trace.waiting[j] = _wait_code(step.waiting)
                if protocol.pausing:
                    trace.pausing[j] = True
                    trace.pause_until_s[j] = protocol.until_s
                if happened:
                    trace.events[j] = tuple(happened)
    for control in by_index.get(n, ()):
        events.extend(control.apply(engine))
    if trace is not None and quiet:
        firsts, lasts, codes, baselines, thresholds, waits = (
            np.array(column) for column in zip(*quiet, strict=True)
        )
        lengths = lasts - firsts
        where = np.arange(int(lengths.sum())) + np.repeat(
            firsts - np.cumsum(lengths) + lengths, lengths
        )
        trace.state[where] = np.repeat(codes, lengths)
        trace.baseline_bpm[where] = np.repeat(baselines, lengths)
        trace.threshold_bpm[where] = np.repeat(thresholds, lengths)
        trace.waiting[where] = np.repeat(waits, lengths)
    return result
