"""The batch path: recorded samples through an `Engine` in whole-array steps, with exactly the
events and readings that feeding them one by one gives (`run_batch` is the entry point).

- the detection rate of every sample at once (`fast_rate_array`, exact);
- what is usable (skin contact, a plausible rate, no gap before it) as masks, and for each
  10-s baseline bucket its count, its rates' sum (added in order), lowest and highest rate;
- then runs of such buckets at once (`Detector.quiet_stretch`: calm, or holding a flooded
  episode, gaps inside them or not; during a pause only before the pause protocol's next
  event: up to the pause's planned end without looking, after it as far as
  `PauseProtocol.quiet_until` finds, which notes what it read at each bucket end, so the
  protocol reads each sample once),
  else one step per bucket (`Detector.quiet_bucket`) wherever the state machine allows,
  with the pause protocol reading each sample of it during a pause; one step per sample
  only where it must: a rise, the start or end of an episode, lost contact, a control by
  hand; between such steps, the usable readings of the bucket that change nothing but its
  calm sum or a peak at once (`Detector.quiet_readings`).
The columns, rates and buckets do not depend on the settings: `prepare` once, replay many
times (tune); the usable and gap masks are made once for the settings they depend on (the
plausible rates and the gap: `PreparedSamples.usable`), and what a replay reads an item at a
time once for the replays of a comparison (`ReplayLists`, `PreparedSamples.held`).
"""

from __future__ import annotations

import bisect
import gc
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast, overload

import numpy as np
import numpy.typing as npt

from flooding.core.beats.columns import SampleColumns
from flooding.core.beats.fast import fast_rate_array
from flooding.core.detector import (
    BUCKET_S,
    MOVING_G,
    QUIET_STATES,
    STRAP_PACE_UP_TO_S,
    STRAP_STEP_S,
    BucketRuns,
)
from flooding.core.engine import BatchResult, Control, Engine
from flooding.core.models import (
    UNSEEN_S,
    Event,
    PauseExtended,
    Reading,
    Sample,
    State,
    Unusable,
    Waiting,
)

FloatArray = npt.NDArray[np.float64]

STATES = tuple(State)  # a reading's state, stored as its index here
_CODE = {state: code for code, state in enumerate(STATES)}
WAITS = tuple(Waiting)  # a reading's `waiting`, stored as its index here (NO_WAIT: None)
NO_WAIT = -1
# a reading's `waiting` -> its code (None: NO_WAIT), one lookup for each row of the trace
_WAIT_CODE: dict[Waiting | None, int] = {
    None: NO_WAIT,
    **{waiting: code for code, waiting in enumerate(WAITS)},
}
UNUSABLE = tuple(Unusable)  # a reading's `unusable`, stored as its index here (USED: None)
USED = -1
_UNUSABLE_CODE = {unusable: code for code, unusable in enumerate(UNUSABLE)}


CONTACTS = (False, True, None)  # a sample's contact by its code in `SampleColumns.contact`
CALM = (State.WARMING, State.CALM)  # calm readings, learned unless frozen
GRID_MAX_SAMPLES = 64  # buckets up to this many samples are summed in whole-array steps
COLUMN_BUCKETS_MIN = 1024  # from this many buckets on, their extremes too are read a column
#                            at a time (a reduceat costs some ns per bucket, a column a us)
PEEK_MIN_SAMPLES = 64  # readings of a pause looked at ahead of a stretch, at first: a minute
#                        of a strap, little to read again when the stretch stops early (16 read
#                        the Holter day's pauses in more, shorter calls; 128 and up read more
#                        of the Fitbit month's again)


def usual_step_s(t_s: FloatArray) -> float:
    """A recording's pace: the usual seconds between its readings (the median of its steps
    forward), as `Engine` takes it. Up to `STRAP_PACE_UP_TO_S` that is a strap's (a second):
    a strap's readings, or rates at each beat, keep the rules as they were made. A watch's
    export (a reading every 5-15 s) gets its own."""
    steps = np.diff(t_s)
    forward = steps > 0
    count = int(np.count_nonzero(forward))
    short = int(np.count_nonzero(forward & (steps <= STRAP_PACE_UP_TO_S)))
    if 2 * short > count or not count:  # most steps are short: so is the median (no sort)
        return STRAP_STEP_S
    step_s = float(np.median(steps[forward]))
    return STRAP_STEP_S if step_s <= STRAP_PACE_UP_TO_S else step_s


def samples_step_s(samples: Sequence[Sample]) -> float:
    """`usual_step_s` of samples (a track of a session of two)."""
    return usual_step_s(np.fromiter((s.t_s for s in samples), np.float64, len(samples)))


@dataclass(frozen=True, eq=False)
class Buckets:
    """Samples grouped into 10-s baseline buckets (each a run of consecutive samples): where
    each starts, how many it holds, their highest and lowest rate and, when asked for, their
    rates' sum (added in order)."""

    starts: npt.NDArray[np.intp]
    counts: npt.NDArray[np.intp]
    highest: FloatArray
    lowest: FloatArray
    rates: FloatArray
    # the sums, when made with the extremes from the same reads (`_bucket_columns`)
    made_sums: FloatArray | None = None

    @classmethod
    def of(
        cls, t_s: FloatArray, rates: FloatArray, cuts: npt.NDArray[np.intp] | None = None
    ) -> Buckets:
        """By the bucket of each sample's time (which only moves forward), split also before
        the samples `cuts` (each > 0)."""
        bucket = t_s / BUCKET_S
        np.floor(bucket, out=bucket)
        cut = bucket[1:] != bucket[:-1]
        if cuts is not None:
            cut[cuts - 1] = True
        return cls.at(rates, np.concatenate(([0], np.flatnonzero(cut) + 1)))

    @classmethod
    def at(cls, rates: FloatArray, starts: npt.NDArray[np.intp]) -> Buckets:
        """Buckets starting at `starts` (the first 0), the last running to the end."""
        n = rates.size
        if not n:
            empty = np.zeros(0)
            return cls(np.zeros(0, np.intp), np.zeros(0, np.intp), empty, empty, rates)
        counts = np.diff(np.append(starts, n))
        if starts.size >= COLUMN_BUCKETS_MIN and int(counts.max()) <= GRID_MAX_SAMPLES:
            sums, highest, lowest = _bucket_columns(rates, starts, counts)
            return cls(starts, counts, highest, lowest, rates, sums)
        highest = np.maximum.reduceat(rates, starts)
        lowest = np.minimum.reduceat(rates, starts)
        return cls(starts, counts, highest, lowest, rates)

    @cached_property
    def sums(self) -> FloatArray:
        """Each bucket's rates added left to right, from the first (as `add_current` adds)."""
        if self.made_sums is not None:
            return self.made_sums
        return _bucket_sums(self.rates, self.starts, self.counts)


@dataclass(frozen=True, eq=False)
class PreparedSamples:
    """A session's samples as columns, with each sample's detection rate: what every replay
    of it needs whatever the settings (and, made on first use, what every replay without a
    control derives from them alike: whether time only moves forward, the buckets)."""

    columns: SampleColumns
    rates: FloatArray
    # the lists of the replays under way in `held` (one, or none)
    _held: list[ReplayLists] = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.rates.size)

    @cached_property
    def forward(self) -> bool:
        """Whether there are samples and their time never goes back."""
        return bool(self.rates.size) and bool(np.all(np.diff(self.columns.t_s) >= 0))

    @cached_property
    def usual_step_s(self) -> float:
        """The recording's pace (`usual_step_s` of its times): what `run_batch` replays it at."""
        return usual_step_s(self.columns.t_s)

    @cached_property
    def buckets(self) -> Buckets:
        """The baseline buckets, when time only moves forward (`forward`)."""
        return Buckets.of(self.columns.t_s, self.rates)

    @cached_property
    def usable(self) -> dict[tuple[float, float, float], UsableBuckets]:
        """What replays without a control read of the usable samples by bucket, by the
        settings it depends on (the lowest and highest plausible rate, the gap), kept for
        every replay: a what-if moves other settings (a margin), and a replay made its
        masks anew (an eighth of a one-hour session's replay); a few bytes a sample."""
        return {}

    @cached_property
    def steady(self) -> bytes:
        """`same_steps` of the times, made at first need (a calm replay needs none): a byte
        per sample, kept for every replay."""
        return same_steps(self.columns.t_s)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Replays of these samples inside the block share what a replay reads whatever the
        settings (`ReplayLists`: made by the first, let go at the end), so a comparison of
        two settings makes it once; outside, each replay makes its own (its bucket lists
        cost an object per value: kept for a year of sessions, 44 MB, for 8 % of a
        what-if's instructions)."""
        if self._held:  # held already (nested): the outer block lets go
            yield
            return
        self._held.append(ReplayLists(self))
        try:
            yield
        finally:
            self._held.clear()

    def lists(self) -> ReplayLists:
        """The lists a replay reads: those held (`held`), else new ones."""
        return self._held[0] if self._held else ReplayLists(self)


class ReplayLists:
    """What a replay reads one item at a time, each made at first use, the same whatever the
    settings: a session's times and rates as read-only views of their arrays (`floats`), and
    its buckets' values as Python lists (faster to read an item from than an array)."""

    def __init__(self, prepared: PreparedSamples) -> None:
        self._prepared = prepared

    @cached_property
    def times_s(self) -> Sequence[float]:
        """Each sample's time."""
        return floats(self._prepared.columns.t_s)

    @cached_property
    def bpms(self) -> Sequence[float]:
        """Each sample's detection rate."""
        return floats(self._prepared.rates)

    @cached_property
    def bucket_runs(self) -> tuple[list[int], list[int], list[float], list[float]]:
        """The buckets (`PreparedSamples.buckets`): where each starts and stops (its last
        sample + 1), their highest and lowest rates."""
        buckets = self._prepared.buckets
        return (
            buckets.starts.tolist(),
            (buckets.starts + buckets.counts).tolist(),
            buckets.highest.tolist(),
            buckets.lowest.tolist(),
        )

    @cached_property
    def bucket_sums(self) -> list[float]:
        """The buckets' sums (`Buckets.sums`)."""
        return self._prepared.buckets.sums.tolist()  # type: ignore[no-any-return]

    @cached_property
    def bucket_times(self) -> tuple[list[float], list[float], Sequence[int]]:
        """Each bucket's first and last sample's time, and its index (`BucketRuns.indices`)."""
        buckets = self._prepared.buckets
        t_s = self._prepared.columns.t_s
        starts = buckets.starts
        first = t_s[starts]
        first_ts = first.tolist()
        return first_ts, t_s[starts + buckets.counts - 1].tolist(), bucket_indices(first, first_ts)


def floats(values: FloatArray) -> Sequence[float]:
    """The numbers of an array as a sequence of Python floats, without copying them: an
    item is a float made as it is read. A replay reads most samples through their buckets,
    so a list of them (a float object each, made and freed at every replay) cost more than
    the few it reads (9 % of the instructions of a calm one-hour session's replay)."""
    return cast("Sequence[float]", np.ascontiguousarray(values, np.float64).data.toreadonly())


def prepare(samples: Iterable[Sample] | SampleColumns) -> PreparedSamples:
    """The columns and detection rates of recorded samples (or of their columns, as a store
    reads them), for one replay or many."""
    if isinstance(samples, SampleColumns):
        columns = samples
    else:
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
    # why the detector could not use a sample's rate (USED: it did); only samples stepped
    # one by one can be unusable (those taken at once are usable by `_calm_mask`)
    unusable: npt.NDArray[np.int8]
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
            np.full(n, USED, np.int8),
        )

    def reading(self, index: int) -> Reading:
        """One sample's reading, equal to the one `Engine.feed` gives."""
        base = float(self.baseline_bpm[index])
        until = float(self.pause_until_s[index])
        waiting = int(self.waiting[index])
        unusable = int(self.unusable[index])
        return Reading(
            t_s=float(self.t_s[index]),
            bpm=float(self.bpm[index]),
            state=STATES[int(self.state[index])],
            baseline_bpm=None if math.isnan(base) else base,
            threshold_bpm=float(self.threshold_bpm[index]),
            pausing=bool(self.pausing[index]),
            pause_until_s=None if math.isnan(until) else until,
            events=self.events.get(index, ()),
            waiting=None if waiting < 0 else WAITS[waiting],
            unusable=None if unusable < 0 else UNUSABLE[unusable],
        )

    def iter_readings(self) -> Iterator[Reading]:
        """The readings one after another, each made when reached."""
        events = self.events
        for index, (t, bpm, state, base, threshold, pausing, until, waiting, unusable) in enumerate(
            zip(
                self.t_s.tolist(),
                self.bpm.tolist(),
                self.state.tolist(),
                self.baseline_bpm.tolist(),
                self.threshold_bpm.tolist(),
                self.pausing.tolist(),
                self.pause_until_s.tolist(),
                self.waiting.tolist(),
                self.unusable.tolist(),
                strict=True,
            )
        ):
            yield Reading(
                t_s=t,
                bpm=bpm,
                state=STATES[state],
                baseline_bpm=None if math.isnan(base) else base,
                threshold_bpm=threshold,
                pausing=pausing,
                pause_until_s=None if math.isnan(until) else until,
                events=events.get(index, ()),
                waiting=None if waiting < 0 else WAITS[waiting],
                unusable=None if unusable < 0 else UNUSABLE[unusable],
            )


class TraceReadings(Sequence[Reading]):
    """A replay's readings as a sequence whose items are made when asked for: the last
    reading or a few of them cost what they are, not a `Reading` for every sample."""

    def __init__(self, trace: ReadingTrace | None) -> None:
        self._trace = trace

    def __len__(self) -> int:
        return 0 if self._trace is None else int(self._trace.t_s.size)

    @overload
    def __getitem__(self, index: int) -> Reading: ...

    @overload
    def __getitem__(self, index: slice) -> list[Reading]: ...

    def __getitem__(self, index: int | slice) -> Reading | list[Reading]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        size = len(self)
        if not -size <= index < size:
            raise IndexError("reading index out of range")
        assert self._trace is not None
        return self._trace.reading(index % size)

    def __iter__(self) -> Iterator[Reading]:
        return iter(()) if self._trace is None else self._trace.iter_readings()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable-looking: equal to lists, unhashable

    def __repr__(self) -> str:
        return repr(list(self))


def _bucket_columns(
    rates: FloatArray, starts: npt.NDArray[np.intp], counts: npt.NDArray[np.intp]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each bucket's rates added left to right, from the first (as `add_current` adds them),
    its highest and its lowest rate (as `np.maximum.reduceat` and `np.minimum.reduceat`: one
    after the other), for buckets of up to GRID_MAX_SAMPLES samples. Read a column at a time,
    all the buckets that reach it at once: ordered longest first, those are the first ones
    (for many buckets, fewer steps than a reduceat per bucket and a search per size)."""
    # longest first (8-bit keys: a radix sort)
    order = np.argsort((GRID_MAX_SAMPLES - counts).astype(np.uint8), kind="stable")
    reach = np.bincount(counts, minlength=GRID_MAX_SAMPLES + 1)[::-1].cumsum()[::-1]
    first = starts[order]
    total = rates[first]
    high = total.copy()
    low = total.copy()
    for column in range(1, int(counts.max())):
        rows = int(reach[column + 1])  # the buckets holding more than `column` samples
        values = rates[column:][first[:rows]]  # rates[first + column], through a shifted view
        total[:rows] += values
        np.maximum(high[:rows], values, out=high[:rows])
        np.minimum(low[:rows], values, out=low[:rows])
    sums = np.empty(starts.size)
    highest = np.empty(starts.size)
    lowest = np.empty(starts.size)
    sums[order] = total
    highest[order] = high
    lowest[order] = low
    return sums, highest, lowest


def _bucket_sums(
    rates: FloatArray, starts: npt.NDArray[np.intp], counts: npt.NDArray[np.intp]
) -> FloatArray:
    """Each bucket's rates added left to right, from the first (as `add_current` adds them):
    the buckets of each size up to GRID_MAX_SAMPLES at once, a column at a time."""
    sums = np.zeros(starts.size)
    if not starts.size:
        return sums
    sizes = np.bincount(counts[counts <= GRID_MAX_SAMPLES], minlength=1)
    for width in np.flatnonzero(sizes[1:]).tolist():
        rows = np.flatnonzero(counts == width + 1)
        first = starts[rows]
        total = rates[first]
        for column in range(1, width + 1):  # rates[first + column], through a shifted view
            total += rates[column:][first]
        sums[rows] = total
    for i in np.flatnonzero(counts > GRID_MAX_SAMPLES).tolist():
        sums[i] = sum(rates[starts[i] : starts[i] + counts[i]].tolist())
    return sums


def _spans(
    firsts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The lengths of the index ranges `firsts[k]` .. `ends[k]` - 1, and all their indices."""
    lengths = ends - firsts
    return lengths, np.arange(int(lengths.sum())) + np.repeat(
        firsts - np.cumsum(lengths) + lengths, lengths
    )


BUCKET_INDEX_MAX = 2.0**62  # bucket indices under this are exact in int64 (and as floats)


def bucket_indices(first_t: FloatArray, first_ts: list[float]) -> Sequence[int]:
    """The baseline bucket of each time (`math.floor(t / BUCKET_S)`, as `_BaselineRing.tick`
    takes it): the same division and floor on the array, exact as integers when all are
    finite and small enough; else each made when asked for, as `tick` makes it (an infinite
    time raises there, not here)."""
    index = np.floor(first_t / BUCKET_S)
    if bool(np.all(np.abs(index) < BUCKET_INDEX_MAX)):  # NaN and inf compare False
        return index.astype(np.int64).tolist()  # type: ignore[no-any-return]
    return _FlooredTimes(first_ts)


class _FlooredTimes(Sequence[int]):
    """`math.floor(t / BUCKET_S)` of each of some times, made when asked for."""

    def __init__(self, times_s: list[float]) -> None:
        self._times_s = times_s

    def __len__(self) -> int:
        return len(self._times_s)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return [math.floor(t / BUCKET_S) for t in self._times_s[index]]
        return math.floor(self._times_s[index] / BUCKET_S)


def same_steps(t_s: FloatArray) -> bytes:
    """A byte per sample: 1 when its step from the sample before equals that sample's step
    from the one before it (time going on at one pace), else 0; what the pause protocol's
    batch reads take as `steady`."""
    steps = np.diff(t_s)
    same = np.zeros(t_s.size, np.bool_)
    same[2:] = steps[1:] == steps[:-1]
    return same.tobytes()


def _tiling(
    firsts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.intp] | None:
    """The order in which the index ranges `firsts[k]` .. `ends[k]` - 1 cover 0 .. `n` - 1
    each once, one after another (None: they do not)."""
    order = np.argsort(firsts, kind="stable")
    ordered_firsts = firsts[order]
    ordered_ends = ends[order]
    if (
        ordered_firsts[0] == 0
        and ordered_ends[-1] == n
        and np.array_equal(ordered_ends[:-1], ordered_firsts[1:])
        and bool(np.all(ordered_ends > ordered_firsts))
    ):
        return order
    return None


@dataclass(frozen=True, eq=False)
class UsableBuckets:
    """What a replay reads of the usable samples (`_calm_mask`) by bucket: the same for
    every replay whose plausible rates and gap agree (`PreparedSamples.usable`)."""

    calm: list[bool]  # each bucket: all its samples usable, none after a gap
    any_calm: bool
    gaps_in: dict[int, list[int]]  # bucket -> its samples that follow a gap
    # buckets of usable samples, taken in stretches (`Detector.quiet_stretch`) when no
    # control falls among them: for each, where its stretch ends (empty: none taken so); a
    # bucket with gaps inside learns (when calm) from its last gap on: its sum from there
    stretch_end: list[int]
    tail_sums: dict[int, float]
    # the samples that `Detector.quiet_readings` may not take (unusable, after a gap, where a
    # control falls): a byte per sample (1: may be taken), and their indices followed by n,
    # made at first need (a sparse month barely needs them)
    takeable: bytes
    barred: npt.NDArray[np.bool_]

    @classmethod
    def of(
        cls,
        ok: npt.NDArray[np.bool_],
        gap: npt.NDArray[np.bool_],
        buckets: Buckets,
        rates: FloatArray,
        stretches: bool,
    ) -> UsableBuckets:
        """From the usable (`ok`) and after-gap samples of `buckets`; `stretches`: whether
        buckets may be taken in stretches (no control falls among them)."""
        starts = buckets.starts
        n = ok.size
        calm_array = np.logical_and.reduceat(ok, starts) if n else np.zeros(0, np.bool_)
        any_calm = bool(calm_array.any())
        gaps_in: dict[int, list[int]] = {}
        after_gap = np.flatnonzero(gap)
        gap_buckets = np.searchsorted(starts, after_gap, side="right") - 1
        for bucket_index, j in zip(gap_buckets.tolist(), after_gap.tolist(), strict=True):
            gaps_in.setdefault(bucket_index, []).append(j)
        stretch_end: list[int] = []
        tail_sums: dict[int, float] = {}
        if stretches and any_calm:
            blocked = np.append(np.flatnonzero(~calm_array), calm_array.size)
            stretch_end = blocked[np.searchsorted(blocked, np.arange(calm_array.size))].tolist()
            if after_gap.size:
                last_gap = np.flatnonzero(np.diff(gap_buckets, append=-1) != 0)  # each bucket's
                with_gap = gap_buckets[last_gap]
                learned = after_gap[last_gap]
                stops = starts[with_gap] + buckets.counts[with_gap]
                tail = _bucket_sums(rates, learned, stops - learned)
                tail_sums = dict(zip(with_gap.tolist(), tail.tolist(), strict=True))
        barred = ~ok | gap
        return cls(
            calm_array.tolist(),
            any_calm,
            gaps_in,
            stretch_end,
            tail_sums,
            (~barred).tobytes(),
            barred,
        )

    @cached_property
    def unusable(self) -> list[int]:
        """The samples `quiet_readings` may not take, followed by their count."""
        return np.append(np.flatnonzero(self.barred), self.barred.size).tolist()


def _calm_mask(
    engine: Engine, columns: SampleColumns, rates: FloatArray, controls: Sequence[Control]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Usable samples (contact, a plausible rate, no movement, not the first with an activity
    level, not the first after the heart went unseen for `UNSEEN_S`) and those after a gap,
    by the detection settings in force at each (a mode switch changes them)."""
    t = columns.t_s
    n = t.size
    ok = np.zeros(n, np.bool_)
    gap = np.zeros(n, np.bool_)
    steps = np.empty(n)  # each sample's step from the one before (as `np.diff`, a step at a time)
    steps[:1] = 0.0  # the first's: no gap, whatever its time
    np.subtract(t[1:], t[:-1], out=steps[1:])
    contact = columns.has_contact
    mode = engine.mode
    edges = [0, *(min(max(c.before, 0), n) for c in controls), n]
    modes = [mode]
    for control in controls:
        mode = control.mode if control.mode is not None else mode
        modes.append(mode)
    for (lo, hi), in_force in zip(itertools.pairwise(edges), modes, strict=True):
        detection = engine.detection_in(in_force)
        piece = slice(lo, hi)
        ok[piece] = (
            contact[piece]
            & (rates[piece] >= detection.min_plausible_bpm)
            & (rates[piece] <= detection.max_plausible_bpm)
        )
        gap[piece] = steps[piece] > detection.gap_s
    gap[0] = False  # nothing before the first sample
    # a usable reading after more than UNSEEN_S without one starts the detector afresh
    # (`Detector.feed_values`: a strap put on again): it is stepped on its own
    seen = np.flatnonzero(ok)
    ok[seen[1:][np.diff(t[seen]) > UNSEEN_S]] = False
    activity = columns.activity_g
    if activity is not None:
        ok &= ~(activity >= MOVING_G)  # NaN (no accelerometer) compares False: not moving
        has_level = ~np.isnan(activity)
        if has_level.any():
            ok[int(np.argmax(has_level))] = False  # the detector learns it has an accelerometer
    return ok, gap


@contextmanager
def _collector_held() -> Iterator[None]:
    """The cyclic garbage collector held off (if it runs) until the block ends.

    A replay makes lists of a number per sample and a tuple per bucket, and frees them when
    done: no cycles among them, yet each collection on the way walks them (about a tenth of
    the day's replay). Held off, the collector runs as usual after; nothing is lost."""
    held = gc.isenabled()
    if held:
        gc.disable()
    try:
        yield
    finally:
        if held:
            gc.enable()


def replay(
    engine: Engine,
    prepared: PreparedSamples,
    *,
    keep_readings: bool,
    controls: Sequence[Control] = (),
) -> BatchResult:
    """Feed prepared samples to a fresh solo engine; its events (and readings, if kept)."""
    with _collector_held():
        return _replay(engine, prepared, keep_readings=keep_readings, controls=controls)


def _replay(
    engine: Engine,
    prepared: PreparedSamples,
    *,
    keep_readings: bool,
    controls: Sequence[Control],
) -> BatchResult:
    """`replay`, with the collector held off."""
    columns, rates = prepared.columns, prepared.rates
    n = rates.size
    trace = ReadingTrace.empty(columns.t_s, rates) if keep_readings else None
    result = BatchResult(trace=trace)
    t = columns.t_s
    controls = sorted(controls, key=lambda c: c.before)
    by_index: dict[int, list[Control]] = {}
    for control in controls:
        by_index.setdefault(min(max(control.before, 0), n), []).append(control)
    lists = prepared.lists()
    if n and prepared.forward and not by_index:  # buckets follow each other, one run each
        buckets = prepared.buckets
        detection = engine.detection  # in force throughout
        key = (detection.min_plausible_bpm, detection.max_plausible_bpm, detection.gap_s)
        usable = prepared.usable.get(key)
        if usable is None:
            ok, gap = _calm_mask(engine, columns, rates, controls)
            usable = prepared.usable[key] = UsableBuckets.of(ok, gap, buckets, rates, True)
        starts_list, stops_list, highest, lowest = lists.bucket_runs
        sums = lists.bucket_sums if usable.any_calm else [0.0] * len(starts_list)
        first_ts, last_ts, indices = lists.bucket_times if usable.stretch_end else ([], [], [])
    else:
        if n and prepared.forward:  # a control splits its bucket: its samples one by one
            ok, gap = _calm_mask(engine, columns, rates, controls)
            at = np.array([i for i in by_index if 0 < i < n], np.intp)
            ok[at] = False
            buckets = Buckets.of(t, rates, at)
        else:  # time went back somewhere: sample by sample, as `feed` copes with it
            ok = np.zeros(n, np.bool_)
            gap = np.zeros(n, np.bool_)
            buckets = Buckets.at(rates, np.zeros(1 if n else 0, np.intp))
        usable = UsableBuckets.of(ok, gap, buckets, rates, False)
        starts_list = buckets.starts.tolist()
        stops_list = (buckets.starts + buckets.counts).tolist()
        highest, lowest = buckets.highest.tolist(), buckets.lowest.tolist()
        sums = buckets.sums.tolist() if usable.any_calm else [0.0] * len(starts_list)
        first_ts, last_ts, indices = [], [], []
    calm = usable.calm
    gaps_in = usable.gaps_in
    stretch_end = usable.stretch_end
    t_list = lists.times_s
    rate_list = lists.bpms
    contact = columns.contact  # a sample's code indexes CONTACTS
    protocol = engine.protocol
    detector = engine.detector
    advance = engine._advance
    events = result.events
    activity: list[float | None] = (
        [None] * n
        if columns.activity_g is None
        else [None if math.isnan(a) else a for a in columns.activity_g.tolist()]
    )
    runs = BucketRuns(
        starts_list,
        stops_list,
        highest,
        lowest,
        sums,
        gaps_in,
        usable.tail_sums,
        first_ts,
        last_ts,
        indices,
    )
    takeable = usable.takeable
    unusable: list[int] = []
    quiet: list[tuple[int, int, int, float, float, int]] = []  # buckets taken at once (trace)
    not_used: list[tuple[int, int]] = []  # (sample, `UNUSABLE` code): the unusable (trace)
    stretched: list[tuple[int, int, State, float | None, float, Waiting | None]] = []
    # (first, end, until): samples read while pausing, and where an extension moved the end
    paused: list[tuple[int, int, float]] = []
    extended: list[tuple[int, int, float]] = []
    gap_events: list[tuple[int, Event]] = []  # the gaps of a stretch, by sample

    def read_in_pause(first: int, end: int) -> tuple[list[tuple[int, Event]], int | None]:
        """The pause protocol reads usable samples `first` .. `end` - 1 (`on_usable_readings`),
        marked in the trace; what it said, and where the pause ended."""
        until_s = protocol.until_s
        marked, ended = protocol.on_usable_readings(t_list, rate_list, prepared.steady, first, end)
        if marked:
            engine._sync_freeze()
        if trace is not None:
            pause_stop = end if ended is None else ended
            paused.append((first, pause_stop, until_s))
            for index, event in marked:
                if isinstance(event, PauseExtended):  # the new end, from here on
                    extended.append((index, pause_stop, event.until_s))
        return marked, ended

    peek_samples = PEEK_MIN_SAMPLES  # readings the pause protocol is asked about at once
    # the bucket where the last stretch stopped for the detector's own reason (not the window's
    # end, not a bucket it may not take): asked again at once it would stop there again (the
    # same checks see the same), so that bucket goes bucket by bucket without asking (exact
    # either way: a stretch that takes nothing leaves what `feed` does first too)
    stopped_at = -1
    i = -1
    buckets_n = len(starts_list)
    while i + 1 < buckets_n:
        i += 1
        if stretch_end and stretch_end[i] > i and i != stopped_at and detector.may_stretch():
            # while pausing, only stretches before the pause protocol's next event (it reads
            # the heart and says nothing there; no detector step depends on it: frozen),
            # looked for a window at a time, the window doubling while stretches fill it
            pausing = protocol.pausing
            before_t = math.inf
            peeked = False
            if pausing:
                ahead = starts_list[i]
                # the protocol says nothing before the pause's planned end: up to there the
                # stretch needs no look ahead (time only goes forward: a bucket that ends at
                # or after the planned end ends at or after the first reading there); after
                # it, whole buckets at a time, what reading each leaves noted for the protocol
                before_t = protocol.min_end_s
                if t_list[ahead] >= before_t:
                    peeked = True
                    window_end = 1 + bisect.bisect_left(
                        stops_list, ahead + peek_samples, i, stretch_end[i] - 1
                    )
                    ahead_end = stops_list[window_end - 1]
                    event_at = protocol.quiet_until(
                        t_list,
                        rate_list,
                        prepared.steady,
                        ahead,
                        ahead_end,
                        stops_list[i:window_end],
                    )
                    before_t = t_list[event_at] if event_at < n else math.inf
            taken = detector.quiet_stretch(
                t_list,
                rate_list,
                runs,
                i,
                stretch_end[i],
                before_t,
                stretched if trace is not None else None,
                gap_events,
            )
            if peeked:
                filled = taken > i and (taken == buckets_n or stops_list[taken] > event_at)
                peek_samples = 2 * peek_samples if filled else PEEK_MIN_SAMPLES
            if gap_events:
                events += [event for _, event in gap_events]
                if trace is not None:
                    for index, event in gap_events:
                        trace.events[index] = (event,)
                gap_events.clear()
            if taken > i:
                if taken < stretch_end[i] and runs.last_t[taken] < before_t:
                    stopped_at = taken
                if pausing:
                    first, end = starts_list[i], stops_list[taken - 1]
                    marked, ended = protocol.on_usable_readings(
                        t_list, rate_list, prepared.steady, first, end
                    )
                    # nothing happens before its next event
                    assert not marked
                    assert ended is None
                    paused.append((first, end, protocol.until_s))
                i = taken - 1
                continue
        start = starts_list[i]
        stop = stops_list[i]
        count = stop - start
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
                        _WAIT_CODE[step.waiting],
                    )
                )
            learn = gaps[-1] if gaps else start  # the baseline learns from here, if not frozen
            if protocol.pausing:  # the pause protocol reads every sample
                marked, ended = read_in_pause(start, stop)
                if marked:
                    # a sample's gap comes before what the protocol makes of it (stable sort)
                    timeline = sorted(timeline + marked, key=lambda item: item[0])
                learn = stop if ended is None else max(learn, ended + 1)
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
        j = start
        # the bucket's first reading too may be taken at once, when moving to the bucket
        # is all that it changes first (`Detector.enter_bucket`)
        entered = takeable[start] and start not in by_index and detector.enter_bucket(t_list[start])
        while j < stop:
            if entered:
                entered = False
            else:
                if j in by_index:
                    for control in by_index[j]:
                        events.extend(control.apply(engine))
                step, happened = advance(t_list[j], rate_list[j], CONTACTS[contact[j]], activity[j])
                if happened:
                    events.extend(happened)
                if trace is not None:
                    base = step.baseline_bpm
                    quiet.append(
                        (
                            j,
                            j + 1,
                            _CODE[step.state],
                            math.nan if base is None else base,
                            step.threshold_bpm,
                            _WAIT_CODE[step.waiting],
                        )
                    )
                    if protocol.pausing:
                        paused.append((j, j + 1, protocol.until_s))
                    if happened:
                        trace.events[j] = tuple(happened)
                    if step.unusable is not None:
                        not_used.append((j, _UNUSABLE_CODE[step.unusable]))
                j += 1
                if j == stop or not takeable[j] or step.state not in QUIET_STATES:
                    continue
            # the samples up to the next unusable one (or gap, or control) that change nothing
            # but the calm readings or a peak, at once (`Detector.quiet_readings`)
            if not unusable:
                unusable = usable.unusable
            usable_end = min(stop, unusable[bisect.bisect_left(unusable, j)])
            end, quiet_step = detector.quiet_readings(t_list, rate_list, j, usable_end)
            if quiet_step is None:
                continue
            if trace is not None:
                base = quiet_step.baseline_bpm
                quiet.append(
                    (
                        j,
                        end,
                        _CODE[quiet_step.state],
                        math.nan if base is None else base,
                        quiet_step.threshold_bpm,
                        _WAIT_CODE[quiet_step.waiting],
                    )
                )
            if protocol.pausing:
                marked, ended = read_in_pause(j, end)
                for index, event in marked:
                    events.append(event)
                    if trace is not None:
                        trace.events[index] = (*trace.events.get(index, ()), event)
                if ended is not None and not detector.frozen and quiet_step.state in CALM:
                    detector.learn_readings(rate_list, ended + 1, end)  # thawed
            j = end
    for control in by_index.get(n, ()):
        events.extend(control.apply(engine))
    quiet += [
        (start, stop, _CODE[state], math.nan if base is None else base, threshold, _WAIT_CODE[w])
        for start, stop, state, base, threshold, w in stretched
    ]
    if trace is not None and quiet:
        firsts, lasts, codes, baselines, thresholds, waits = (
            np.array(column) for column in zip(*quiet, strict=True)
        )
        order = _tiling(firsts, lasts, n)
        if order is not None:  # a range for every sample, one after another: in order
            lengths = (lasts - firsts)[order]
            trace.state[:] = np.repeat(codes[order], lengths)
            trace.baseline_bpm[:] = np.repeat(baselines[order], lengths)
            trace.threshold_bpm[:] = np.repeat(thresholds[order], lengths)
            trace.waiting[:] = np.repeat(waits[order], lengths)
        else:
            lengths, where = _spans(firsts, lasts)
            trace.state[where] = np.repeat(codes, lengths)
            trace.baseline_bpm[where] = np.repeat(baselines, lengths)
            trace.threshold_bpm[where] = np.repeat(thresholds, lengths)
            trace.waiting[where] = np.repeat(waits, lengths)
    if trace is not None and not_used:
        not_used_at, not_used_codes = zip(*not_used, strict=True)
        trace.unusable[list(not_used_at)] = not_used_codes
    if trace is not None and paused:
        firsts, lasts, untils = (np.array(column) for column in zip(*paused, strict=True))
        lengths, where = _spans(firsts, lasts)
        trace.pausing[where] = True
        trace.pause_until_s[where] = np.repeat(untils, lengths)
        for first, last, until in extended:  # in order: a later extension wins
            trace.pause_until_s[first:last] = until
    return result
