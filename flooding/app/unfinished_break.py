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
    until_s = float(events[-1].data["until_s"])
    started = next((e for e in reversed(events) if e.kind in _STARTED), None)
    if until_s <= now_s or started is None:
        return None
    if started.kind == _COUPLE_STARTED:
        baselines = {str(name): bpm for name, bpm in started.data.get("baselines", ())}
    else:
        baselines = {SOLO: started.data.get("baseline_bpm")}
    return UnfinishedBreak(last.id, until_s, baselines)
