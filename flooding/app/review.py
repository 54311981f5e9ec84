"""What happened in a session, from the store: summaries and flooding episodes."""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flooding.core.models import Sample
from flooding.io.store import EventRow, Store

STRETCH_GAP_S = 3.0  # samples further apart than this belong to different stretches


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
    recording: bool = False  # not ended: being recorded now, or cut off by a crash

    @property
    def duration_s(self) -> float | None:
        """How long the session lasted."""
        return None if self.ended_s is None else self.ended_s - self.started_s

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["duration_s"] = self.duration_s
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
                recording=s.ended_s is None,
            )
        )
    return out


def summarize_session(store: Store, session_id: int) -> SessionSummary | None:
    """One session's summary line (None if there is no such session)."""
    return next(iter(summarize_sessions(store, session_id)), None)


def _end_of(rows: Sequence[EventRow], kind: str, pause: EventRow | None) -> EventRow | None:
    """The event of `kind` that ends this very pause (it names the pause's start)."""
    if pause is None:
        return None
    return next(
        (r for r in rows if r.kind == kind and r.data.get("pause_start_s") == pause.t_s), None
    )


def episode_events(rows: Sequence[EventRow]) -> list[tuple[EventRow, EventRow | None]]:
    """Each confirmed episode's `episode-started` event with the `episode-ended` that names
    its onset (None: still open at the end)."""
    return [
        (
            start,
            next(
                (
                    r
                    for r in rows
                    if r.kind == "episode-ended" and r.data.get("start_s") == start.data["onset_s"]
                ),
                None,
            ),
        )
        for start in rows
        if start.kind == "episode-started"
    ]


EPISODE_KINDS = frozenset(
    {"episode-started", "episode-ended", "alert", "pause-started", "pause-extended"}
    | {"ready-to-return", "pause-ended"}
)


def episodes(
    store: Store, session_id: int, events: Sequence[EventRow] | None = None
) -> list[EpisodeReview]:
    """The flooding episodes of a session, each with its alert, pause and recovery
    (`events`: the session's events when already read)."""
    every = store.events(session_id) if events is None else events
    false_alarm_alerts = {r.data.get("alert_event_id") for r in every if r.kind == "false-alarm"}
    # only these kinds are matched below (a long recording can hold many thousand gap events)
    rows = [r for r in every if r.kind in EPISODE_KINDS]
    out = []
    for start, ended in episode_events(rows):
        d = start.data
        alert = next((r for r in rows if r.kind == "alert" and abs(r.t_s - start.t_s) < 1e-6), None)
        pause = (
            next(
                (r for r in rows if r.kind == "pause-started" and abs(r.t_s - start.t_s) < 1e-6),
                None,
            )
            if alert
            else None
        )
        ready = _end_of(rows, "ready-to-return", pause)
        ended_by_hand = _end_of(rows, "pause-ended", pause)
        pause_end = min((r.t_s for r in (ready, ended_by_hand) if r is not None), default=None)
        extensions = sum(
            1
            for r in rows
            if r.kind == "pause-extended"
            and pause is not None
            and pause.t_s <= r.t_s <= (pause_end or float("inf"))
        )
        out.append(
            EpisodeReview(
                start_s=d["onset_s"],
                alert_s=alert.t_s if alert else None,
                end_s=ended.t_s if ended else None,
                peak_bpm=ended.data["peak_bpm"] if ended else d["bpm"],
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
    return out


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


@dataclass(frozen=True)
class SessionReview:
    """Everything `flooding review` shows for one session."""

    summary: SessionSummary
    episodes: list[EpisodeReview]
    calm_baseline_bpm: float | None
    rmssd: RmssdSummary

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = self.summary.as_dict()
        data["calm_baseline_bpm"] = self.calm_baseline_bpm
        data["rmssd"] = asdict(self.rmssd)
        data["episodes"] = [e.as_dict() for e in self.episodes]
        return data


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


def calm_runs(
    samples: Sequence[Sample], spans: Sequence[tuple[float, float]]
) -> list[list[Sample]]:
    """Unbroken runs of calm samples: skin contact, no gap, outside every busy span."""
    runs: list[list[Sample]] = []
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
                runs.append(current)
            current = []
        if calm:
            current.append(sample)
        previous_t = sample.t_s
    if current:
        runs.append(current)
    return runs


def rmssd_summary(runs: Sequence[Sequence[Sample]]) -> RmssdSummary:
    """RMSSD of the corrected beats of the calm runs, overall and in 5-minute windows
    (`flooding.core.beats.hrv`: the one heart-rate variability every view shows)."""
    from flooding.core.beats.hrv import corrected_rmssd  # numpy: `flooding sessions` needs none

    hrv = corrected_rmssd(runs)
    return RmssdSummary(
        rmssd_ms=hrv.rmssd_ms,
        window_min_ms=min(hrv.window_ms) if hrv.window_ms else None,
        window_max_ms=max(hrv.window_ms) if hrv.window_ms else None,
        windows=len(hrv.window_ms),
        differences_used=hrv.pairs_used,
        differences_dropped=hrv.pairs_set_aside,
        beats_corrected=hrv.beats_corrected,
        calm_s=sum(run[-1].t_s - run[0].t_s for run in runs),
    )


def calm_baseline(found: Sequence[EpisodeReview], runs: Sequence[Sequence[Sample]]) -> float | None:
    """The session's calm baseline: the one the first alert was measured against, else the
    median of the calm readings."""
    for e in found:
        if e.baseline_bpm is not None:
            return e.baseline_bpm
    values = [s.bpm for run in runs for s in run if s.usable]
    return float(statistics.median(values)) if values else None


def review_session(
    store: Store,
    session_id: int,
    *,
    samples: Sequence[Sample] | None = None,
    events: Sequence[EventRow] | None = None,
) -> SessionReview | None:
    """A session's summary, episodes, calm baseline and calm RMSSD (None: no such session).

    `samples` and `events`: the session's, when the caller has read them already.
    """
    summary = summarize_session(store, session_id)
    if summary is None:
        return None
    found = episodes(store, session_id, events)
    if samples is None:
        samples = list(store.iter_samples(session_id))
    end_s = samples[-1].t_s if samples else summary.started_s
    runs = calm_runs(samples, busy_spans(found, end_s))
    return SessionReview(
        summary=summary,
        episodes=found,
        calm_baseline_bpm=calm_baseline(found, runs),
        rmssd=rmssd_summary(runs),
    )


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


def episode_table(found: Sequence[EpisodeReview]) -> list[tuple[str, ...]]:
    """The episodes as text cells, in the order of `EPISODE_COLUMNS`."""
    from flooding.core.timefmt import duration, session_clock

    def at(t: float | None) -> str:
        return session_clock(t, seconds=True)

    def bpm(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    return [
        (
            at(e.start_s),
            duration(None if e.end_s is None else e.end_s - e.start_s),
            bpm(e.peak_bpm),
            bpm(e.baseline_bpm),
            bpm(e.threshold_bpm),
            e.rule,
            at(e.alert_s),
            at(e.pause_start_s),
            at(e.pause_end_s),
            duration(e.recovery_s),
            at(e.ready_s),
            "yes" if e.false_alarm else "no",
        )
        for e in found
    ]
