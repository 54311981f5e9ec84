"""A break the monitor was in when it stopped (a crash and the service's restart, Ctrl-C and a
new start): the next session of the same kind goes on with it, to the time the person was
told, rather than starting afresh (a second alert, with another time to come back).

The break is the last session's, when its last pause event started or extended a pause (no
ready-to-return, no end by hand came after it) whose end is still ahead; it goes on with the
calm levels it was started with, for the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

from flooding.core.models import SOLO, PauseEnded, PauseExtended, PauseStarted, ReadyToReturn
from flooding.io.store import Store, stored_kind


def _kinds(*types: type) -> frozenset[str]:
    """The stored kinds of these events, in a session of one and of two."""
    return frozenset(stored_kind(kind, couple) for kind in types for couple in (False, True))


# a pause's stored events: those that leave it open, and those that close it
_OPEN = _kinds(PauseStarted, PauseExtended)
_CLOSED = _kinds(ReadyToReturn, PauseEnded)
_STARTED = _kinds(PauseStarted)
_COUPLE_STARTED = stored_kind(PauseStarted, couple=True)


@dataclass(frozen=True)
class UnfinishedBreak:
    """Where an earlier session's break stood: its end, and each person's calm from before it."""

    session_id: int
    until_s: float
    baselines: dict[str, float | None]


def unfinished_break(
    store: Store, session_id: int, source_kind: str, now_s: float
) -> UnfinishedBreak | None:
    """The break of the session before `session_id` (of the same source kind) still to go on
    at `now_s`, or None."""
    earlier = [s for s in store.sessions() if s.id != session_id and s.source == source_kind]
    if not earlier:
        return None
    last = earlier[-1]
    events = store.events(last.id, _OPEN | _CLOSED)
    if not events or events[-1].kind not in _OPEN:
        return None
    until_s = events[-1].data.get("until_s")
    started = next((e for e in reversed(events) if e.kind in _STARTED), None)
    if not isinstance(until_s, int | float) or until_s <= now_s or started is None:
        return None
    try:
        if started.kind == _COUPLE_STARTED:
            baselines = {str(name): _bpm(bpm) for name, bpm in started.data.get("baselines", ())}
        else:
            baselines = {SOLO: _bpm(started.data.get("baseline_bpm"))}
    except (TypeError, ValueError):  # a row this program did not write: no break to go on with
        return None
    return UnfinishedBreak(last.id, float(until_s), baselines)


def _bpm(value: object) -> float | None:
    """A stored calm level (None: none was known); TypeError for anything else."""
    if value is None or isinstance(value, int | float):
        return None if value is None else float(value)
    raise TypeError(f"not a heart rate: {value!r}")
