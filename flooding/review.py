"""What happened in a session, from the store: summaries and flooding episodes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flooding.store import EventRow, Store


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

    @property
    def duration_s(self) -> float | None:
        """How long the session lasted."""
        return None if self.ended_s is None else self.ended_s - self.started_s

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        data = asdict(self)
        data["duration_s"] = self.duration_s
        return data


def summarize_sessions(store: Store) -> list[SessionSummary]:
    """Every session with its counts, in one query per table (fast with thousands)."""
    counts: dict[tuple[int, str], int] = {}
    for session_id, kind, n in store.db.execute(
        "SELECT session_id, kind, COUNT(*) FROM events GROUP BY session_id, kind"
    ):
        counts[(session_id, kind)] = n
    stats = {
        row[0]: (row[1], row[2])
        for row in store.db.execute(
            "SELECT session_id, COUNT(*), MAX(bpm) FROM samples GROUP BY session_id"
        )
    }
    out = []
    for s in store.sessions():
        n, peak = stats.get(s.id, (0, None))
        out.append(
            SessionSummary(
                id=s.id,
                started_s=s.started_s,
                ended_s=s.ended_s,
                source=s.source,
                strap=s.strap_name,
                mode=s.mode,
                note=s.note,
                samples=n,
                episodes=counts.get((s.id, "episode-started"), 0),
                alerts=counts.get((s.id, "alert"), 0),
                pauses=counts.get((s.id, "pause-started"), 0),
                ready=counts.get((s.id, "ready-to-return"), 0),
                false_alarms=counts.get((s.id, "false-alarm"), 0),
                peak_bpm=peak,
            )
        )
    return out


def _first_after(rows: list[EventRow], kind: str, t_s: float) -> EventRow | None:
    return next((r for r in rows if r.kind == kind and r.t_s >= t_s), None)


def episodes(store: Store, session_id: int) -> list[EpisodeReview]:
    """The flooding episodes of a session, each with its alert, pause and recovery."""
    rows = store.events(session_id)
    starts = [r for r in rows if r.kind == "episode-started"]
    false_alarm_alerts = {r.data.get("alert_event_id") for r in rows if r.kind == "false-alarm"}
    out = []
    for i, start in enumerate(starts):
        next_start = starts[i + 1].t_s if i + 1 < len(starts) else float("inf")
        d = start.data
        ended = next(
            (
                r
                for r in rows
                if r.kind == "episode-ended" and r.data.get("start_s") == d["onset_s"]
            ),
            None,
        )
        alert = next((r for r in rows if r.kind == "alert" and abs(r.t_s - start.t_s) < 1e-6), None)
        pause = (
            next(
                (r for r in rows if r.kind == "pause-started" and abs(r.t_s - start.t_s) < 1e-6),
                None,
            )
            if alert
            else None
        )
        ready = _first_after(rows, "ready-to-return", start.t_s) if pause else None
        ended_by_hand = _first_after(rows, "pause-ended", start.t_s) if pause else None
        if ready is not None and ready.t_s > next_start and alert is None:
            ready = None
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
