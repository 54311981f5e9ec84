"""A break the monitor was in when it stopped (a crash and the service's restart, Ctrl-C and a
new start): the next session of the same kind goes on with it, to the time the person was
told, rather than starting afresh (a second alert, with another time to come back).

The break is the last session's, when its last pause event started or extended a pause (no
ready-to-return, no end by hand came after it) whose end is still ahead; it goes on with the
calm levels it was started with, for the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

from flooding.core.models import SOLO
from flooding.io.store import Store

# a pause's stored events (a session of one, and of two), and those that leave it open
_OPEN = frozenset(
    {"pause-started", "pause-extended", "couple-pause-started", "couple-pause-extended"}
)
_CLOSED = frozenset({"ready-to-return", "pause-ended", "couple-ready", "couple-pause-ended"})
_STARTED = frozenset({"pause-started", "couple-pause-started"})


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
    if started.kind == "couple-pause-started":
        baselines = {str(name): bpm for name, bpm in started.data.get("baselines", ())}
    else:
        baselines = {SOLO: started.data.get("baseline_bpm")}
    return UnfinishedBreak(last.id, until_s, baselines)
