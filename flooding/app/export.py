"""A session out of the store: the generic CSV and the full JSON.

The CSV is the generic heart-rate format the file readers understand (`flooding import`):
`time_unix_s,hr_bpm,rr_ms,contact`, one row per sample; `rr_ms` holds the sample's RR
intervals in milliseconds separated by spaces (empty when there were none), `contact` is
1, 0 or empty (the strap could not tell); a session recorded with a strap's accelerometer
has a last column `activity_g` (the activity level in g, empty where there was none). The
episodes table is a CSV of its own (`episodes_csv`, written only when asked for:
`flooding export --episodes FILE`).

The JSON holds everything: `{"session": {...}, "samples": [...], "episodes": [...],
"events": [...]}`; its samples carry `activity_g` when the session has an activity level.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flooding.app.review import episodes, summarize_session
from flooding.core.models import Sample
from flooding.io.readers.flooding_json import EXPORT_FORMAT
from flooding.io.store import Store

CSV_COLUMNS = ("time_unix_s", "hr_bpm", "rr_ms", "contact")
ACTIVITY_COLUMN = "activity_g"  # added when the session holds a strap's activity levels
EPISODE_CSV_COLUMNS = (
    "start_unix_s",
    "end_unix_s",
    "duration_s",
    "peak_bpm",
    "baseline_bpm",
    "threshold_bpm",
    "rule",
    "alert_unix_s",
    "pause_start_unix_s",
    "pause_end_unix_s",
    "ready_unix_s",
    "recovery_s",
    "false_alarm",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


def _rr_ms(rr_s: float) -> str:
    """An RR interval in ms to the microsecond, as earlier versions wrote it."""
    return f"{rr_s * 1000:.6g}"


def samples_csv(store: Store, session_id: int) -> str:
    """A session's samples in the generic CSV format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    activity = store.has_activity(session_id)
    writer.writerow((*CSV_COLUMNS, ACTIVITY_COLUMN) if activity else CSV_COLUMNS)
    for s in store.iter_samples(session_id):
        row: tuple[object, ...] = (
            f"{s.t_s:.3f}",
            f"{s.bpm:g}",
            " ".join(_rr_ms(rr) for rr in s.rr_s),
            "" if s.contact is None else int(s.contact),
        )
        writer.writerow((*row, _number(s.activity_g)) if activity else row)
    return out.getvalue()


def episodes_csv(store: Store, session_id: int) -> str:
    """A session's flooding episodes as CSV (times in unix seconds)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EPISODE_CSV_COLUMNS)
    for e in episodes(store, session_id):
        d = e.as_dict()
        writer.writerow(
            (
                _number(e.start_s),
                _number(e.end_s),
                _number(d["duration_s"]),
                _number(e.peak_bpm),
                _number(e.baseline_bpm),
                _number(e.threshold_bpm),
                e.rule,
                _number(e.alert_s),
                _number(e.pause_start_s),
                _number(e.pause_end_s),
                _number(e.ready_s),
                _number(e.recovery_s),
                int(e.false_alarm),
            )
        )
    return out.getvalue()


def _sample_dict(s: Sample, activity: bool) -> dict[str, Any]:
    out = {
        "t_s": s.t_s,
        "bpm": s.bpm,
        "rr_s": list(s.rr_s),
        "contact": s.contact,
        "energy_kj": s.energy_kj,
    }
    if activity:
        out["activity_g"] = s.activity_g
    return out


def session_json(store: Store, session_id: int) -> dict[str, Any] | None:
    """Everything stored about a session, JSON-ready (None: no such session)."""
    row = store.session(session_id)
    summary = summarize_session(store, session_id)
    settings = store.settings_json(session_id)
    if row is None or summary is None or settings is None:
        return None
    session = {
        "format": EXPORT_FORMAT,
        "id": row.id,
        "started_s": row.started_s,
        "ended_s": row.ended_s,
        "source": row.source,
        "strap_name": row.strap_name,
        "strap_address": row.strap_address,
        "mode": row.mode,
        "note": row.note,
        "settings": json.loads(settings),
        "summary": summary.as_dict(),
    }
    events = store.events(session_id)
    activity = store.has_activity(session_id)
    return {
        "session": session,
        "samples": [_sample_dict(s, activity) for s in store.iter_samples(session_id)],
        "episodes": [e.as_dict() for e in episodes(store, session_id, events)],
        "events": [{"id": e.id, "t_s": e.t_s, "kind": e.kind, "data": e.data} for e in events],
    }
