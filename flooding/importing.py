"""Turn a recording from another app into a stored session, reviewed like a live one.

The detector and pause protocol run over it exactly as they would have live, so its
episodes, alerts and pauses are stored with it. Times: a recording with wall-clock times
keeps them; one without (a plain RR list) is placed so that it ends when the file was last
modified, unless a start time is given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from flooding.config import Settings
from flooding.engine import run_batch
from flooding.models import Mode, Sample
from flooding.readers import Recording
from flooding.store import Store

log = logging.getLogger(__name__)

EPOCH_2001_S = 978_307_200.0  # sample times below this are offsets, not wall-clock times


@dataclass(frozen=True)
class ImportResult:
    """What an import stored."""

    session_id: int
    samples: int
    alerts: int
    episodes: int
    start_s: float


def anchored(recording: Recording, start_s: float | None = None) -> list[Sample]:
    """The recording's samples on the wall clock (see the module docstring)."""
    samples = recording.samples
    if not samples:
        return []
    first = samples[0].t_s
    if start_s is None and first >= EPOCH_2001_S:
        return list(samples)
    if start_s is None:
        start_s = recording.start_unix_s
    if start_s is None:
        start_s = recording.path.stat().st_mtime - (samples[-1].t_s - first)
    shift = start_s - first
    return [replace(s, t_s=s.t_s + shift) for s in samples]


def import_recording(
    store: Store,
    recording: Recording,
    settings: Settings,
    *,
    mode: Mode | None = None,
    start_s: float | None = None,
    source: str | None = None,
) -> ImportResult:
    """Store a recording as a session with the events the detector finds in it.

    All or nothing: if storing fails half-way, the partial session is removed again.
    """
    samples = anchored(recording, start_s)
    if not samples:
        raise ValueError(f"{recording.path}: the recording holds no samples")
    result = run_batch(samples, settings, mode=mode)
    kind = source or f"import:{recording.source_format}"
    session_id = store.begin_session(
        samples[0].t_s,
        source=kind,
        mode=(mode or settings.mode).value,
        strap_name=Path(recording.path).name,
    )
    try:
        store.add_samples(session_id, samples)
        for event in result.events:
            store.add_event(session_id, event)
        store.end_session(session_id, samples[-1].t_s)
    except BaseException:
        store.db.rollback()
        with store.db:
            store.db.execute("DELETE FROM events WHERE session_id=?", (session_id,))
            store.db.execute("DELETE FROM samples WHERE session_id=?", (session_id,))
            store.db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        raise
    kinds = [type(e).__name__ for e in result.events]
    log.info("imported %s as session %d", recording.path, session_id)
    return ImportResult(
        session_id=session_id,
        samples=len(samples),
        alerts=kinds.count("Alert"),
        episodes=kinds.count("EpisodeStarted"),
        start_s=samples[0].t_s,
    )
