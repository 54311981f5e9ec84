"""What happened in a session, from the store: summaries, flooding episodes, calm baseline
and variability of one track; for a session of two, both tracks, who flooded first, how
soon each was back near calm after the pause for both, and linkage (`flooding.core.linkage`)."""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import statistics
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from flooding.core.catalogue import Catalogue, counted, percent
from flooding.core.detector import MOVING_G, at_pace
from flooding.core.models import SOLO, UNSEEN_S, Sample
from flooding.core.pause import Recovery, recovery_ceiling_bpm
from flooding.core.settings import DetectionSettings, PauseSettings
from flooding.io.locale_files import load_catalogue
from flooding.io.store import EventRow, Store

if TYPE_CHECKING:
    from flooding.core.beats.columns import SampleColumns
    from flooding.core.beats.hrv import Rmssd
    from flooding.core.linkage import Linkage

SAMPLE_CHUNK = 10_000  # samples made from columns at a time while reviewing
STRETCH_GAP_S = 3.0  # samples further apart than this belong to different stretches
MOVEMENT_LEAD_S = 60.0  # the heart follows movement within about a minute: a rise movement
#                        explains has it from a minute before the onset up to the alert
MOVING_SHARE = 0.25  # an episode came with movement when a quarter of those readings moved


@dataclass(frozen=True)
class EpisodeReview:
    """One flooding episode as the person reviews it (times are session-clock seconds)."""

    start_s: float  # when the heart went above the threshold (the confirmed onset)
    alert_s: float | None
    end_s: float | None  # when it came back below the release level (None: still open)
    peak_bpm: float | None
    bpm_at_alert: float
    baseline_bpm: float | None
    threshold_bpm: float
    rule: str
    pause_start_s: float | None
    pause_end_s: float | None  # ready to return, or ended by hand
    ready_s: float | None
    extensions: int
    false_alarm: bool
    moving: bool | None = None  # the body was moving as the heart rose (None: no accelerometer)
    # it ended because the heart went unseen (no usable reading for `UNSEEN_S`: the strap
    # taken off), at its last reading, not below the release level (`unseen_after`)
    unseen_end: bool = False

    @property
    def recovery_s(self) -> float | None:
        """From the alert to ready-to-return."""
        if self.ready_s is None or self.alert_s is None:
            return None
        return self.ready_s - self.alert_s

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with derived figures."""
        data = asdict(self)
        data["recovery_s"] = self.recovery_s
        data["duration_s"] = None if self.end_s is None else self.end_s - self.start_s
        if self.moving is None:  # only with an accelerometer: other output stays as it was
            del data["moving"]
        if not self.unseen_end:  # only where it happened, likewise
            del data["unseen_end"]
        return data


@dataclass(frozen=True)
class SessionSummary:
    """One line of `flooding sessions`."""

    id: int
    started_s: float
    ended_s: float | None
    source: str
    strap: str | None
    mode: str
    note: str
    samples: int
    episodes: int
    alerts: int
    pauses: int
    ready: int
    false_alarms: int
    peak_bpm: float | None
    recording: bool = False  # not ended, and a monitor is recording it now
    interrupted: bool = False  # not ended, and no monitor is recording it: the program stopped

    @property
    def duration_s(self) -> float | None:
        """How long the session lasted."""
        return None if self.ended_s is None else self.ended_s - self.started_s

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["duration_s"] = self.duration_s
        if not self.interrupted:  # only said when true: other output stays as it was
            del data["interrupted"]
        return data


def summarize_sessions(store: Store, session_id: int | None = None) -> list[SessionSummary]:
    """Every session (or only `session_id`) with its counts: one query per table, never one
    per session.

    Ended sessions carry their sample summary in the sessions table (schema 2), so this
    reads one row per session plus the grouped event counts.
    """
    counts = store.event_counts(session_id)
    stats = store.session_stats(session_id)
    if session_id is None:
        rows = store.sessions()
    else:
        row = store.session(session_id)
        rows = [] if row is None else [row]
    live_id = _live_session_id(store) if any(s.ended_s is None for s in rows) else None
    out = []
    for s in rows:
        st = stats.get(s.id)
        out.append(
            SessionSummary(
                id=s.id,
                started_s=s.started_s,
                ended_s=s.ended_s if s.ended_s is not None or st is None else st.last_sample_s,
                source=s.source,
                strap=s.strap_name,
                mode=s.mode,
                note=s.note,
                samples=st.samples if st else 0,
                episodes=counts.get((s.id, "episode-started"), 0),
                alerts=counts.get((s.id, "alert"), 0) + counts.get((s.id, "couple-alert"), 0),
                pauses=counts.get((s.id, "pause-started"), 0)
                + counts.get((s.id, "couple-pause-started"), 0),
                ready=counts.get((s.id, "ready-to-return"), 0)
                + counts.get((s.id, "couple-ready"), 0),
                false_alarms=counts.get((s.id, "false-alarm"), 0),
                peak_bpm=st.peak_bpm if st else None,
                recording=s.ended_s is None and s.id == live_id,
                interrupted=s.ended_s is None and s.id != live_id,
            )
        )
    return out


def _live_session_id(store: Store) -> int | None:
    """The session a monitor is recording now: the newest one not ended, while a monitor holds
    this data folder's lock (None: no monitor, so a session not ended was cut off)."""
    from flooding.io.control import monitor_holds_lock

    if not monitor_holds_lock(store.path.parent):
        return None
    return max((s.id for s in store.sessions() if s.ended_s is None), default=None)


def summarize_session(store: Store, session_id: int) -> SessionSummary | None:
    """One session's summary line (None if there is no such session)."""
    return next(iter(summarize_sessions(store, session_id)), None)


def _first_by(rows: Iterable[EventRow], kind: str, field: str) -> dict[Any, EventRow]:
    """The first event of `kind` (in the rows' order) for each value of its `field`."""
    found: dict[Any, EventRow] = {}
    for r in rows:
        if r.kind == kind:
            with contextlib.suppress(TypeError):  # a damaged record's value: matches nothing
                found.setdefault(r.data.get(field), r)
    return found


class _AtTimes:
    """Events of one kind by time: the first (in the rows' order) within a microsecond of a
    time, and how many fall in a span, each found by a binary search (a month's hundreds
    of episodes are matched without a pass over every event for each)."""

    def __init__(self, rows: Sequence[EventRow], kind: str) -> None:
        chosen = [(r.t_s, index, r) for index, r in enumerate(rows) if r.kind == kind]
        chosen.sort(key=lambda item: (item[0], item[1]))
        self._times = [t_s for t_s, _, _ in chosen]
        self._order = [(index, r) for _, index, r in chosen]

    def near(self, t_s: float) -> EventRow | None:
        """The first event within a microsecond of `t_s` (in the rows' order)."""
        lo = bisect.bisect_left(self._times, t_s - 2e-6)  # wide: the test below decides
        hi = bisect.bisect_right(self._times, t_s + 2e-6)
        close = [self._order[i] for i in range(lo, hi) if abs(self._times[i] - t_s) < 1e-6]
        return min(close, key=lambda item: item[0])[1] if close else None

    def count(self, first_s: float, last_s: float) -> int:
        """How many fall from `first_s` to `last_s`, both included."""
        return bisect.bisect_right(self._times, last_s) - bisect.bisect_left(self._times, first_s)


def episode_events(rows: Sequence[EventRow]) -> list[tuple[EventRow, EventRow | None]]:
    """Each confirmed episode's `episode-started` event with the `episode-ended` that names
    its onset (None: still open at the end)."""
    ends = _first_by(rows, "episode-ended", "start_s")
    return [
        (start, ends.get(start.data["onset_s"]))
        for start in rows
        if start.kind == "episode-started"
    ]


def episode_peaks(
    samples: Iterable[Sample], spans: Sequence[tuple[float, float | None]]
) -> list[float | None]:
    """The highest usable reading (skin contact, 30-230 bpm: what `sessions` counts as a
    session's peak) within each span from onset to end (None: open to the end of the
    recording), in one pass; None for a span without one. The one peak every view shows:
    review, replay, the couple review, the report and the app."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    starts = [spans[i][0] for i in order]
    ends: list[float] = []
    for i in order:
        end = spans[i][1]
        ends.append(math.inf if end is None else end)
    peaks: list[float | None] = [None] * len(spans)
    if not spans:
        return peaks
    for s in samples:
        k = bisect.bisect_right(starts, s.t_s) - 1
        # spans of one track do not overlap; the latest one begun is the only candidate
        if k < 0 or s.t_s > ends[k] or not s.usable:
            continue
        i = order[k]
        current = peaks[i]
        if current is None or s.bpm > current:
            peaks[i] = s.bpm
    return peaks


EPISODE_KINDS = frozenset(
    {"episode-started", "episode-ended", "alert", "pause-started", "pause-extended"}
    | {"ready-to-return", "pause-ended"}
)
REVIEW_KINDS = EPISODE_KINDS | {"false-alarm"}  # the events a review reads (no gaps: a
#                                                 watch's month holds tens of thousands)


def episodes(
    store: Store,
    session_id: int,
    events: Sequence[EventRow] | None = None,
    samples: Iterable[Sample] | SampleColumns | None = None,
) -> list[EpisodeReview]:
    """The flooding episodes of a session, each with its alert, pause and recovery, and its
    peak (`episode_peaks`, or the store's `peaks_within`; `events`, `samples`: the session's,
    when already read, the samples maybe as columns)."""
    every = store.events(session_id, REVIEW_KINDS) if events is None else events
    false_alarm_alerts = {r.data.get("alert_event_id") for r in every if r.kind == "false-alarm"}
    # only these kinds are matched below (a long recording can hold many thousand gap events)
    rows = [r for r in every if r.kind in EPISODE_KINDS]
    alerts = _AtTimes(rows, "alert")
    pauses = _AtTimes(rows, "pause-started")
    extended = _AtTimes(rows, "pause-extended")
    # what ends a pause names its start
    readies = _first_by(rows, "ready-to-return", "pause_start_s")
    by_hand = _first_by(rows, "pause-ended", "pause_start_s")
    out = []
    for start, ended in episode_events(rows):
        d = start.data
        alert = alerts.near(start.t_s)
        pause = pauses.near(start.t_s) if alert else None
        ready = readies.get(pause.t_s) if pause else None
        ended_by_hand = by_hand.get(pause.t_s) if pause else None
        pause_end = min((r.t_s for r in (ready, ended_by_hand) if r is not None), default=None)
        extensions = (
            extended.count(pause.t_s, pause_end or float("inf")) if pause is not None else 0
        )
        out.append(
            EpisodeReview(
                start_s=d["onset_s"],
                alert_s=alert.t_s if alert else None,
                end_s=ended.t_s if ended else None,
                peak_bpm=None,  # below: from the readings
                bpm_at_alert=d["bpm"],
                baseline_bpm=d["baseline_bpm"],
                threshold_bpm=d["threshold_bpm"],
                rule=d["rule"],
                pause_start_s=pause.t_s if pause else None,
                pause_end_s=pause_end,
                ready_s=ready.t_s if ready else None,
                extensions=extensions,
                false_alarm=alert is not None and alert.id in false_alarm_alerts,
            )
        )
    if not out:
        return out
    spans = [(e.start_s, e.end_s) for e in out]
    if samples is None:  # asked of the database: a long session is not read for a few peaks
        peaks = store.peaks_within(session_id, spans, SOLO)
    elif isinstance(samples, Iterable):
        peaks = episode_peaks(samples, spans)
    else:
        from flooding.app import review_columns  # numpy: `flooding sessions` needs none

        peaks = review_columns.episode_peaks(samples, spans)
    return [replace(e, peak_bpm=peak) for e, peak in zip(out, peaks, strict=True)]


@dataclass(frozen=True)
class RmssdSummary:
    """Beat-to-beat variability while calm (higher is more relaxed, for the same person)."""

    rmssd_ms: float | None  # of the corrected beats of every calm stretch together
    window_min_ms: float | None  # the lowest and highest 5-minute calm window
    window_max_ms: float | None
    windows: int
    differences_used: int  # successive pairs of corrected beats
    differences_dropped: int  # pairs across a beat outside the plausible range
    beats_corrected: int  # missed, extra or ectopic beats the correction repaired
    calm_s: float  # how much of the session counted as calm
    # the lowest and highest of the calm parts that make up `rmssd_ms` (the 5-minute windows
    # and the shorter rest of each calm stretch): the overall figure lies between them
    part_min_ms: float | None = None
    part_max_ms: float | None = None
    # the beats were too irregular for the figure to measure relaxation (`Rmssd.irregular`)
    irregular: bool = False
    jumping_pct: float = 0.0  # the share of beat pairs that jump by more than a fifth


@dataclass(frozen=True)
class SessionReview:
    """Everything `flooding review` shows for one session."""

    summary: SessionSummary
    episodes: list[EpisodeReview]
    calm_baseline_bpm: float | None
    rmssd: RmssdSummary
    set_aside_s: float = 0.0  # readings above `plausible_max_bpm`, not counted as heart rate
    plausible_max_bpm: float = DetectionSettings().max_plausible_bpm  # the session's limit

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = self.summary.as_dict()
        data["calm_baseline_bpm"] = self.calm_baseline_bpm
        data["rmssd"] = asdict(self.rmssd)
        data["episodes"] = [e.as_dict() for e in self.episodes]
        return data


def movement_window(e: EpisodeReview) -> tuple[float, float]:
    """Where an episode's heart rate rose: from `MOVEMENT_LEAD_S` before its onset up to its
    alert (or a lead's length after the onset), both ends included."""
    stop = e.alert_s if e.alert_s is not None else e.start_s + MOVEMENT_LEAD_S
    return e.start_s - MOVEMENT_LEAD_S, stop


def moved(measured: int, moving: int) -> bool | None:
    """Whether the body was moving, from how many readings carried an activity level and how
    many of them moved (`MOVING_G` or more); None when none carried one."""
    return moving >= MOVING_SHARE * measured if measured else None


def moving_as_it_rose(
    samples: Sequence[Sample], times: Sequence[float], e: EpisodeReview
) -> bool | None:
    """Whether the body was moving as an episode's heart rate rose (`movement_window`);
    None when no reading there has an activity level. `times`: the samples' times."""
    start, stop = movement_window(e)
    first = bisect.bisect_left(times, start)
    last = bisect.bisect_right(times, stop)
    levels = [s.activity_g for s in samples[first:last] if s.activity_g is not None]
    return moved(len(levels), sum(level >= MOVING_G for level in levels))


def with_movement(
    store: Store, session_id: int, found: Sequence[EpisodeReview]
) -> list[EpisodeReview]:
    """The episodes with whether the body moved as each rose, asked of the database (no
    sample read into memory)."""
    windows = [movement_window(e) for e in found]
    counts = store.activity_within(session_id, windows, MOVING_G, SOLO)
    return [replace(e, moving=moved(*c)) for e, c in zip(found, counts, strict=True)]


def with_unseen_ends(
    store: Store, session_id: int, found: Sequence[EpisodeReview]
) -> list[EpisodeReview]:
    """The episodes with whether each ended because the heart went unseen (`unseen_after`),
    asked of the database."""
    ends = [(i, e.end_s) for i, e in enumerate(found) if e.end_s is not None]
    out = list(found)
    if not ends:
        return out
    following = store.next_usable(session_id, [end_s for _, end_s in ends])
    for (i, end_s), next_s in zip(ends, following, strict=True):
        if unseen_after(end_s, next_s):
            out[i] = replace(out[i], unseen_end=True)
    return out


def unseen_after(end_s: float, next_s: float | None) -> bool:
    """Whether an episode that ended at `end_s` ended because the heart went unseen: the
    first usable reading after it (`next_s`) came more than `UNSEEN_S` later, which is when
    the detector ends an open episode at its last reading (the strap taken off). Only a
    release in the very second before such a stretch would look the same. No reading
    after it (the session ended there, or a live one goes on): not unseen."""
    return next_s is not None and next_s - end_s > UNSEEN_S


def busy_spans(found: Sequence[EpisodeReview], end_s: float) -> list[tuple[float, float]]:
    """The stretches that are not calm: each episode from its onset to its end, and pauses."""
    spans = []
    for e in found:
        last = max(
            t for t in (e.end_s, e.pause_end_s, e.ready_s, e.alert_s, e.start_s) if t is not None
        )
        open_ended = e.end_s is None or (e.pause_start_s is not None and e.pause_end_s is None)
        spans.append((e.start_s, end_s if open_ended else last))
    return spans


def iter_calm_runs(
    samples: Iterable[Sample], spans: Sequence[tuple[float, float]]
) -> Iterator[list[Sample]]:
    """Unbroken runs of calm samples (skin contact, no gap, outside every busy span), each
    given as soon as it ends: only one run is held at a time."""
    current: list[Sample] = []
    previous_t = -math.inf
    starts = sorted(a for a, _ in spans)
    ends_by_start = sorted(spans)
    # the latest end among spans starting at or before each start: one bisect per sample
    reach: list[float] = []
    for _, b in ends_by_start:
        reach.append(max(b, reach[-1]) if reach else b)
    for sample in samples:
        k = bisect.bisect_right(starts, sample.t_s)
        busy = k > 0 and sample.t_s <= reach[k - 1]
        calm = sample.has_contact and not busy
        if not calm or sample.t_s - previous_t > STRETCH_GAP_S:
            if current:
                yield current
            current = []
        if calm:
            current.append(sample)
        previous_t = sample.t_s
    if current:
        yield current


def calm_runs(
    samples: Sequence[Sample], spans: Sequence[tuple[float, float]]
) -> list[list[Sample]]:
    """Unbroken runs of calm samples: skin contact, no gap, outside every busy span."""
    return list(iter_calm_runs(samples, spans))


def rmssd_summary(runs: Sequence[Sequence[Sample]]) -> RmssdSummary:
    """RMSSD of the corrected beats of the calm runs, overall and in 5-minute windows
    (`flooding.core.beats.hrv`: the one heart-rate variability every view shows)."""
    from flooding.core.beats.hrv import corrected_rmssd  # numpy: `flooding sessions` needs none

    return _rmssd_of(corrected_rmssd(runs), sum(run[-1].t_s - run[0].t_s for run in runs))


def _rmssd_of(hrv: Rmssd, calm_s: float) -> RmssdSummary:
    return RmssdSummary(
        rmssd_ms=hrv.rmssd_ms,
        window_min_ms=min(hrv.window_ms) if hrv.window_ms else None,
        window_max_ms=max(hrv.window_ms) if hrv.window_ms else None,
        windows=len(hrv.window_ms),
        differences_used=hrv.pairs_used,
        differences_dropped=hrv.pairs_set_aside,
        beats_corrected=hrv.beats_corrected,
        calm_s=calm_s,
        part_min_ms=min(hrv.part_ms) if hrv.part_ms else None,
        part_max_ms=max(hrv.part_ms) if hrv.part_ms else None,
        irregular=hrv.irregular,
        jumping_pct=100.0 * hrv.pairs_jumping / hrv.pairs_used if hrv.pairs_used else 0.0,
    )


def _calm_in_one_pass(
    found: Sequence[EpisodeReview], samples: Iterable[Sample], spans: Sequence[tuple[float, float]]
) -> tuple[float | None, RmssdSummary]:
    """`calm_baseline` and `rmssd_summary` of the calm runs, in one pass over the samples,
    holding one run at a time (a session of millions of samples)."""
    from flooding.core.beats.hrv import corrected_rmssd

    calm_s: float = 0
    values = array("d")  # the calm readings, for the median (8 bytes each)

    def runs() -> Iterator[list[Sample]]:
        nonlocal calm_s
        for run in iter_calm_runs(samples, spans):
            calm_s += run[-1].t_s - run[0].t_s
            values.extend(s.bpm for s in run if s.usable)
            yield run

    hrv = corrected_rmssd(runs())
    baseline = _first_baseline(found)
    if baseline is None and values:
        baseline = float(statistics.median(values))
    return baseline, _rmssd_of(hrv, calm_s)


def _first_baseline(found: Sequence[EpisodeReview]) -> float | None:
    """The baseline the first episode that had one was measured against."""
    return next((e.baseline_bpm for e in found if e.baseline_bpm is not None), None)


def calm_baseline(
    found: Sequence[EpisodeReview | PersonEpisode], runs: Sequence[Sequence[Sample]]
) -> float | None:
    """A track's calm baseline: the one its first episode was measured against, else the
    median of the calm readings."""
    for e in found:
        if e.baseline_bpm is not None:
            return e.baseline_bpm
    values = [s.bpm for run in runs for s in run if s.usable]
    return float(statistics.median(values)) if values else None


def _has_activity(
    store: Store,
    session_id: int,
    samples: Sequence[Sample] | None,
    table: SampleColumns | None,
) -> bool:
    """Whether any sample of the session carries an activity level."""
    if samples is not None:
        return any(s.activity_g is not None for s in samples)
    if table is not None:
        return table.activity_g is not None
    return store.has_activity(session_id)


def review_session(
    store: Store,
    session_id: int,
    *,
    samples: Sequence[Sample] | None = None,
    events: Sequence[EventRow] | None = None,
    table: SampleColumns | None = None,
) -> SessionReview | None:
    """A session's summary, episodes, calm baseline and calm RMSSD (None: no such session).

    `samples` (or their columns, `table`) and `events`: the session's, when the caller has
    read them already.
    """
    summary = summarize_session(store, session_id)
    if summary is None:
        return None
    stream: Callable[[], Iterable[Sample]]
    if samples is not None:
        end_s = samples[-1].t_s if samples else summary.started_s
        given = samples

        def stream() -> Iterable[Sample]:
            return given

    elif table is not None:  # the passes below take the columns themselves
        end_s = float(table.t_s[-1]) if table.t_s.size else summary.started_s

    else:  # read as they are needed: a long session is never held as Sample values
        last = store.session_stats(session_id).get(session_id)
        known = last.last_sample_s if last is not None else None
        end_s = known if known is not None else summary.started_s

        def stream() -> Iterable[Sample]:
            return store.iter_samples(session_id)

    if table is not None:  # the passes in whole-array steps
        from flooding.app import review_columns

        found = episodes(store, session_id, events, table)
        calm = review_columns.calm_pass(table, busy_spans(found, end_s), STRETCH_GAP_S)
        baseline = _first_baseline(found)
        if baseline is None and calm.values:
            baseline = float(statistics.median(calm.values))
        rmssd = _rmssd_of(calm.hrv, calm.calm_s)
    else:
        found = episodes(store, session_id, events, stream())
        baseline, rmssd = _calm_in_one_pass(found, stream(), busy_spans(found, end_s))
    if found and _has_activity(store, session_id, samples, table):
        # movement as each episode rose: a strap with an accelerometer
        if samples is not None:
            times = [s.t_s for s in samples]
            found = [replace(e, moving=moving_as_it_rose(samples, times, e)) for e in found]
        elif table is not None:
            from flooding.app import review_columns

            windows = [movement_window(e) for e in found]
            counts = review_columns.activity_within(table, windows, MOVING_G)
            found = [replace(e, moving=moved(*c)) for e, c in zip(found, counts, strict=True)]
        else:
            found = with_movement(store, session_id, found)
    found = with_unseen_ends(store, session_id, found)
    # readings above the session's believable limit were set aside: say how long
    _, detection = _pause_settings(store.settings_json(session_id) or "{}")
    limit_bpm = detection.max_plausible_bpm
    return SessionReview(
        summary=summary,
        episodes=found,
        calm_baseline_bpm=baseline,
        rmssd=rmssd,
        set_aside_s=_set_aside_s(store, session_id, samples, table, limit_bpm, detection.gap_s),
        plausible_max_bpm=limit_bpm,
    )


def _set_aside_s(
    store: Store,
    session_id: int,
    samples: Sequence[Sample] | None,
    table: SampleColumns | None,
    limit_bpm: float,
    cap_s: float,
) -> float:
    """How long a session's readings lay above `limit_bpm`: from the samples or columns the
    caller read already, else asked of the database (no sample is read twice)."""
    import numpy as np  # here: `flooding sessions` and `delete` load no numpy

    from flooding.core.set_aside import seconds_above

    if table is not None:
        return seconds_above(table.t_s, table.bpm, limit_bpm, cap_s)
    if samples is not None:
        t_s = np.fromiter((s.t_s for s in samples), np.float64, len(samples))
        bpm = np.fromiter((s.bpm for s in samples), np.float64, len(samples))
        return seconds_above(t_s, bpm, limit_bpm, cap_s)
    return store.seconds_above(session_id, limit_bpm, cap_s)


# -- a session of two: both tracks ----------------------------------------------------------------
#
# - *Who flooded first*: the earliest confirmed-episode onset of either person; *by how long*:
#   until the other's first onset (None when the other did not flood).
# - *Back near calm*, per person and pause: from the pause start until their 10-s average has
#   stayed within `pause.recovery_margin_bpm` of the calm baseline they had when the pause
#   began, for `pause.recovery_hold_s` (the live check's rule, `Recovery`: a gap of more than
#   their `detection.gap_s` starts it over) - measured from the data, so it can be earlier
#   than the ready message (which waits for the planned pause length). *Both recovered*: the
#   later of the two; *ready*: when the message came.


@dataclass(frozen=True)
class PersonEpisode:
    """One person's confirmed flooded episode."""

    start_s: float  # onset of the confirmed run above threshold
    confirmed_s: float
    end_s: float | None
    peak_bpm: float
    baseline_bpm: float | None
    threshold_bpm: float
    rule: str
    unseen_end: bool = False  # as `EpisodeReview.unseen_end`

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; `unseen_end` only where it happened (other output stays as it was)."""
        data = asdict(self)
        if not self.unseen_end:
            del data["unseen_end"]
        return data


@dataclass(frozen=True)
class PersonReview:
    """One partner's track."""

    name: str
    strap: str | None
    mode: str
    samples: int
    calm_baseline_bpm: float | None
    peak_bpm: float | None
    episodes: list[PersonEpisode]
    back_near_calm_s: list[float | None]  # per pause: seconds from its start (None: never)


@dataclass(frozen=True)
class SharedPause:
    """One pause for both (a session of two)."""

    start_s: float
    alert_s: float | None  # None: started by hand
    flooded: str | None  # whose episode set it off
    end_s: float | None  # ready, or ended by hand (None: open at the end of the session)
    ready_s: float | None
    extensions: int
    manual: bool
    baselines: dict[str, float | None]

    @property
    def recovery_s(self) -> float | None:
        """From the alert to ready-to-return (None: started by hand, or no ready came)."""
        if self.ready_s is None or self.alert_s is None:
            return None
        return self.ready_s - self.alert_s


@dataclass(frozen=True)
class PeopleReview:
    """Everything `flooding review` shows for a session of two: both tracks."""

    summary: SessionSummary
    people: list[PersonReview]
    pauses: list[SharedPause]
    first_flooded: str | None
    lead_s: float | None  # how long before the other flooded (None: the other did not)
    both_back_near_calm_s: float | None  # first pause: the later person's, from its start
    ready_after_s: float | None  # first pause: from its start to the ready message
    linkage: Linkage
    tracks: dict[str, list[Sample]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the samples themselves are left out)."""
        data = self.summary.as_dict()
        data["couple"] = True
        data["people"] = [
            {**asdict(p), "episodes": [e.as_dict() for e in p.episodes]} for p in self.people
        ]
        data["pauses"] = [asdict(p) for p in self.pauses]
        data["first_flooded"] = self.first_flooded
        data["first_flooded_lead_s"] = self.lead_s
        data["both_back_near_calm_s"] = self.both_back_near_calm_s
        data["ready_after_s"] = self.ready_after_s
        data["linkage"] = self.linkage.as_dict()
        return data


def _pause_settings(settings_json: str) -> tuple[PauseSettings, DetectionSettings]:
    """A person's stored pause and detection settings (the defaults where not usable)."""
    try:
        stored = json.loads(settings_json)
    except ValueError:  # a damaged record: the defaults will do
        stored = None
    if not isinstance(stored, dict):
        stored = {}
    try:
        pause = PauseSettings.model_validate(stored.get("pause", {}))
    except Exception:  # an older or damaged record
        pause = PauseSettings()
    try:
        detection = DetectionSettings.model_validate(stored.get("detection", {}))
    except Exception:
        detection = DetectionSettings()
    return pause, detection


def _episodes(rows: Sequence[EventRow], samples: Sequence[Sample]) -> list[PersonEpisode]:
    pairs = episode_events(rows)
    spans = [(start.data["onset_s"], ended.t_s if ended else None) for start, ended in pairs]
    peaks = episode_peaks(samples, spans)
    times = [s.t_s for s in samples]
    return [
        PersonEpisode(
            start_s=start.data["onset_s"],
            confirmed_s=start.t_s,
            end_s=ended.t_s if ended else None,
            peak_bpm=start.data["bpm"] if peak is None else peak,
            baseline_bpm=start.data["baseline_bpm"],
            threshold_bpm=start.data["threshold_bpm"],
            rule=start.data["rule"],
            unseen_end=ended is not None
            and unseen_after(ended.t_s, _next_usable(samples, times, ended.t_s)),
        )
        for (start, ended), peak in zip(pairs, peaks, strict=True)
    ]


def _next_usable(samples: Sequence[Sample], times: Sequence[float], t_s: float) -> float | None:
    """`Store.next_usable` of samples in memory (`times`: theirs)."""
    for i in range(bisect.bisect_right(times, t_s), len(samples)):
        if samples[i].usable:
            return times[i]
    return None


def back_near_calm(
    samples: Sequence[Sample],
    start_s: float,
    ceiling_bpm: float,
    hold_s: float,
    gap_s: float,
    ready_s: float | None = None,
) -> float | None:
    """Seconds from `start_s` until the 10-s average stayed at or under `ceiling_bpm` for
    `hold_s`, or None: the live check's rule (`flooding.core.pause.Recovery`), a gap of more
    than `gap_s` or an unusable reading starting it over. With `ready_s` (the ready to
    return), the stretch held at it when there was one: the time from which the heart stayed
    near calm, as the ready to return counted it (it may have risen again after a first)."""
    recovery = Recovery(ceiling_bpm, gap_s, start_s)
    first: float | None = None
    for s in samples:
        if s.t_s < start_s:
            continue
        if ready_s is not None and s.t_s > ready_s:
            break
        recovery.feed(s.t_s, s.bpm if s.usable else None)
        if recovery.recovered_since is not None and recovery.held(s.t_s, hold_s):
            if ready_s is None:
                return recovery.recovered_since - start_s
            if first is None:
                first = recovery.recovered_since
    since = recovery.recovered_since
    if ready_s is not None and since is not None and recovery.held(ready_s, hold_s):
        return since - start_s
    return None if first is None else first - start_s


def shared_pauses(store: Store, session_id: int) -> list[SharedPause]:
    """A session of two's pauses for both, from its events alone (none for a session of one)."""
    return _pauses(store.events(session_id, person=""))


def _pauses(shared: Sequence[EventRow]) -> list[SharedPause]:
    """The session's pauses, each with what came from its start to the next one's."""
    out = []
    starts = [r for r in shared if r.kind == "couple-pause-started"]
    alerts = _AtTimes(shared, "couple-alert")
    by_time = sorted(range(len(shared)), key=lambda index: shared[index].t_s)
    times = [shared[index].t_s for index in by_time]
    for i, start in enumerate(starts):
        following = starts[i + 1].t_s if i + 1 < len(starts) else math.inf
        span = by_time[bisect.bisect_left(times, start.t_s) : bisect.bisect_left(times, following)]
        within = [shared[index] for index in sorted(span)]  # in the rows' order
        alert = alerts.near(start.t_s)
        ready = next((r for r in within if r.kind == "couple-ready"), None)
        ended = next((r for r in within if r.kind == "couple-pause-ended"), None)
        end = min((r.t_s for r in (ready, ended) if r is not None), default=None)
        out.append(
            SharedPause(
                start_s=start.t_s,
                alert_s=alert.t_s if alert else None,
                flooded=alert.data["person"] if alert else None,
                end_s=end,
                ready_s=ready.t_s if ready else None,
                extensions=sum(1 for r in within if r.kind == "couple-pause-extended"),
                manual=bool(start.data.get("manual")),
                baselines={name: value for name, value in start.data.get("baselines", [])},
            )
        )
    return out


def _recovery_ceiling(
    pause: SharedPause,
    person: str,
    baseline: float | None,
    pause_settings: PauseSettings,
    detection: DetectionSettings,
) -> float | None:
    """The heart rate at or under which `person` was back near calm in `pause`: the live
    check's (`recovery_ceiling_bpm`, from the calm the pause stored for them, known or not);
    for a pause stored without them, their calm found afterwards (`baseline`)."""
    if person in pause.baselines:
        return recovery_ceiling_bpm(pause.baselines[person], pause_settings, detection)
    return None if baseline is None else baseline + pause_settings.recovery_margin_bpm


def _person_calm_baseline(
    samples: Sequence[Sample], episodes: Sequence[PersonEpisode], pauses: Sequence[SharedPause]
) -> float | None:
    """One track's calm baseline (`calm_baseline`): busy are its episodes and the pauses."""
    end = samples[-1].t_s if samples else 0.0
    busy = [(e.start_s, e.end_s if e.end_s is not None else end) for e in episodes]
    busy += [(p.start_s, p.end_s if p.end_s is not None else end) for p in pauses]
    return calm_baseline(episodes, calm_runs(samples, busy))


def people_review(store: Store, session_id: int) -> PeopleReview | None:
    """A session of two's review (None: no such session, or not a session of two)."""
    # numpy: `flooding sessions` needs none
    from flooding.core.batch import samples_step_s
    from flooding.core.linkage import linkage

    people_rows = store.people(session_id)
    if len(people_rows) < 2:
        return None
    summary = summarize_session(store, session_id)
    if summary is None:
        return None
    shared = store.events(session_id, person="")
    pauses = _pauses(shared)  # as `shared_pauses`, from the rows read here once
    people: list[PersonReview] = []
    tracks: dict[str, list[Sample]] = {}
    for row in people_rows:
        samples = list(store.iter_samples(session_id, row.person))
        tracks[row.person] = samples
        episodes = _episodes(store.events(session_id, person=row.person), samples)
        pause_settings, stored = _pause_settings(row.settings_json)
        # the gap at the track's own pace, as the replay that stored its events had it
        detection = at_pace(stored, samples_step_s(samples))
        baseline = _person_calm_baseline(samples, episodes, pauses)
        back = []
        for pause in pauses:
            ceiling = _recovery_ceiling(pause, row.person, baseline, pause_settings, detection)
            back.append(
                None
                if ceiling is None
                else back_near_calm(
                    samples,
                    pause.start_s,
                    ceiling,
                    pause_settings.recovery_hold_s,
                    detection.gap_s,
                    pause.ready_s,
                )
            )
        readings = [s.bpm for s in samples if s.usable]
        people.append(
            PersonReview(
                name=row.person,
                strap=row.strap_name,
                mode=row.mode,
                samples=len(samples),
                calm_baseline_bpm=baseline,
                peak_bpm=max(readings) if readings else None,
                episodes=episodes,
                back_near_calm_s=back,
            )
        )
    onsets = sorted((p.episodes[0].start_s, p.name) for p in people if p.episodes)
    first = onsets[0][1] if onsets else None
    lead = onsets[1][0] - onsets[0][0] if len(onsets) > 1 else None
    both: float | None = None
    ready_after: float | None = None
    if pauses:
        firsts = [p.back_near_calm_s[0] for p in people]
        both = None if any(v is None for v in firsts) else max(v for v in firsts if v is not None)
        if pauses[0].ready_s is not None:
            ready_after = pauses[0].ready_s - pauses[0].start_s
    names = [p.name for p in people]
    return PeopleReview(
        summary=summary,
        people=people,
        pauses=pauses,
        first_flooded=first,
        lead_s=lead,
        both_back_near_calm_s=both,
        ready_after_s=ready_after,
        linkage=linkage(tracks[names[0]], tracks[names[1]]),
        tracks=tracks,
    )


Review = SessionReview | PeopleReview


def review(store: Store, session_id: int) -> Review | None:
    """A session's review, of one track or of two (None: no such session)."""
    return people_review(store, session_id) or review_session(store, session_id)


# -- a session of two in words --------------------------------------------------------------------


def headline(
    review: PeopleReview,
    say: Catalogue | None = None,
    *,
    verbose: bool = True,
    name_who: bool = False,
) -> list[str]:
    """Who flooded first and by how long, recovery and linkage, as plain sentences; the
    linkage's figures (median r, windows) only when `verbose`. Who flooded is named only
    with `name_who` (couple.name_who): else "one of you", as the alert says it."""
    from flooding.core.timefmt import duration

    say = say or load_catalogue()
    lines = []
    names = [p.name for p in review.people]
    if review.first_flooded is None:
        lines.append(say("couple.nobody_flooded"))
    elif not name_who and review.lead_s is None:
        lines.append(say("couple.one_flooded"))
    elif not name_who:
        lines.append(say("couple.one_first", lead=duration(review.lead_s)))
    elif review.lead_s is None:
        lines.append(say("couple.only_flooded", name=review.first_flooded))
    else:
        other = next(n for n in names if n != review.first_flooded)
        lines.append(
            say(
                "couple.first_flooded",
                first=review.first_flooded,
                other=other,
                lead=duration(review.lead_s),
            )
        )
    if review.pauses:
        if review.both_back_near_calm_s is not None:
            lines.append(say("couple.both_back", after=duration(review.both_back_near_calm_s)))
        else:
            lines.append(say("couple.not_both_back"))
        if review.ready_after_s is not None:
            lines.append(say("couple.ready_after", after=duration(review.ready_after_s)))
    link = review.linkage
    if link.median_r is None or link.share_above is None:
        none = "linkage.none_sparse" if link.sparse else "linkage.none"
        lines.append(say(none if verbose else f"{none}_plain"))
    elif not verbose:
        lines.append(say("linkage.plain", share=percent(link.share_above)))
    else:
        lines.append(
            say(
                "linkage.figures",
                median_r=f"{link.median_r:.2f}",
                windows=link.windows,
                share=percent(link.share_above),
                threshold=link.threshold_r,
            )
        )
    return lines


def note_lines(note: str, say: Catalogue | None = None) -> list[str]:
    """A session's note for the terminal: every line it has, with no control characters or
    escape codes (the stored note stays as typed)."""
    from flooding.core.shown_text import shown_lines

    lines = shown_lines(note)
    if not lines:
        return []
    say = say or load_catalogue()
    first = say("review.note", note=lines[0])
    indent = " " * max(len(first) - len(lines[0]), 0)
    return [first] + [f"{indent}{line}" for line in lines[1:]]


def source_words(source: str, say: Catalogue) -> str:
    """Where a session's readings came from, in words ("import:csv": imported from a CSV
    file); a source a newer program wrote, as it is."""
    kind, _, detail = source.partition(":")
    if kind == "import" and detail:
        return say("source.import_format", format=detail)
    return say.choice("source", kind)


def ending_note(summary: SessionSummary, say: Catalogue | None = None) -> str:
    """What a summary line adds for a session that has not ended ('' for one that has)."""
    say = say or load_catalogue()
    if summary.recording:
        return say("ending.recording")
    if summary.interrupted:
        return say("ending.interrupted")
    return ""


def people_lines(
    review: PeopleReview,
    say: Catalogue | None = None,
    *,
    verbose: bool = True,
    name_who: bool = False,
) -> list[str]:
    """The couple review for the terminal (plain words unless `verbose`; who flooded
    first named only with `name_who`)."""
    from flooding.core.timefmt import duration, session_stamp

    say = say or load_catalogue()
    s = review.summary
    lines = [
        say(
            "couple.title",
            id=s.id,
            started=session_stamp(s.started_s, say),
            length=duration(s.duration_s),
        )
        + ending_note(s, say)
    ]
    lines += note_lines(s.note, say)
    return lines + people_story(review, say, verbose=verbose, name_who=name_who)


def people_story(
    review: PeopleReview, say: Catalogue, *, verbose: bool = True, name_who: bool = False
) -> list[str]:
    """What the couple review tells below its title and note: each person by name (calm,
    peak, episodes), the pauses for both, who flooded first (named only with `name_who`)
    and how they came back (plain words unless `verbose`); times dated when the session
    spans days."""
    from flooding.core.timefmt import duration, session_clock, spans_days

    s = review.summary
    lines: list[str] = []
    times = [s.started_s, s.ended_s] + [p.start_s for p in review.pauses]
    times += [e.start_s for p in review.people for e in p.episodes]
    dated = spans_days(times)

    def bpm(value: float | None) -> str:
        return "-" if value is None else say("bpm", bpm=f"{value:.0f}")

    for p in review.people:
        lines.append(
            say(
                "couple.person",
                name=p.name,
                calm=bpm(p.calm_baseline_bpm),
                peak=bpm(p.peak_bpm),
                episodes=counted("count.episodes", len(p.episodes)),
            )
            + (say("couple.mode", mode=say.choice("mode", p.mode)) if p.mode != "talk" else "")
            + (say("couple.strap", strap=p.strap) if p.strap else "")
        )
        for e in p.episodes:
            length = duration(None if e.end_s is None else e.end_s - e.start_s)
            lines.append(
                say(
                    "couple.episode",
                    start=session_clock(e.start_s, seconds=True, dated=dated),
                    length=length,
                    peak=f"{e.peak_bpm:.0f}",
                    threshold=f"{e.threshold_bpm:.0f}",
                    rule=say.choice("rule" if verbose else "rule_plain", e.rule),
                )
            )
            if e.unseen_end and e.end_s is not None:
                end = session_clock(e.end_s, seconds=True, dated=dated)
                lines.append(say("couple.unseen_end", name=p.name, time=end))
    for pause in review.pauses:
        how = say("couple.by_hand" if pause.manual else "couple.after_alert")
        end = session_clock(pause.end_s, seconds=True, dated=dated)
        longer = counted("count.extensions", pause.extensions)
        lines.append(
            say(
                "couple.pause",
                how=how,
                start=session_clock(pause.start_s, seconds=True, dated=dated),
                end=end,
            )
            + (say("couple.extensions", extensions=longer) if pause.extensions else "")
        )
    lines.append("")
    lines += headline(review, say, verbose=verbose, name_who=name_who)
    return lines


# (short header for the terminal, plain header for the HTML report)
EPISODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("start", "Started"),
    ("length", "Lasted"),
    ("peak", "Peak (bpm)"),
    ("base", "Calm baseline (bpm)"),
    ("limit", "Flooding threshold (bpm)"),
    ("rule", "Rule that fired"),
    ("alert", "Alert"),
    ("pause", "Pause from"),
    ("to", "Pause to"),
    ("recovered in", "Alert to ready"),
    ("ready", "Ready to return"),
    ("false alarm", "Marked false alarm"),
)


def episode_notes(found: Sequence[EpisodeReview], say: Catalogue | None = None) -> list[str]:
    """A plain sentence for each episode that came while the body was moving, and for each
    that ended because the strap stopped reading the heart, in the episodes' order."""
    from flooding.core.timefmt import session_clock

    say = say or load_catalogue()
    lines = []
    for e in found:
        if e.moving:
            lines.append(say("review.moving", time=session_clock(e.start_s)))
        if e.unseen_end and e.end_s is not None:
            lines.append(say("review.unseen_end", time=session_clock(e.end_s)))
    return lines


def episode_table(
    found: Sequence[EpisodeReview],
    say: Catalogue | None = None,
    *,
    verbose: bool = True,
    dated: bool | None = None,
) -> list[tuple[str, ...]]:
    """The episodes as text cells, in the order of `EPISODE_COLUMNS`: the rule by its name,
    or in plain words unless `verbose`; times with their date when `dated` (default: when
    the episodes' times fall on more than one day)."""
    from flooding.core.timefmt import duration, session_clock, spans_days

    say = say or load_catalogue()
    if dated is None:
        dated = spans_days(
            t
            for e in found
            for t in (e.start_s, e.end_s, e.alert_s, e.pause_start_s, e.pause_end_s, e.ready_s)
        )

    def at(t: float | None, since: float | None = None) -> str:
        """A time; dated when the table spans days (after its episode's start: only when
        it falls on another day than the start)."""
        other_day = since is None or (t is not None and spans_days((since, t)))
        return session_clock(t, seconds=True, dated=bool(dated) and other_day)

    def bpm(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    return [
        (
            at(e.start_s),
            duration(None if e.end_s is None else e.end_s - e.start_s),
            bpm(e.peak_bpm),
            bpm(e.baseline_bpm),
            bpm(e.threshold_bpm),
            say.choice("rule" if verbose else "rule_plain", e.rule),
            at(e.alert_s, e.start_s),
            at(e.pause_start_s, e.start_s),
            at(e.pause_end_s, e.start_s),
            duration(e.recovery_s),
            at(e.ready_s, e.start_s),
            say("word.yes" if e.false_alarm else "word.no"),
        )
        for e in found
    ]
