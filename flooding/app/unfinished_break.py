"""A break the monitor was in when it stopped (a crash and the service's restart, Ctrl-C and a
new start): the next session of the same kind goes on with it, to the time the person was
told, rather than starting afresh (a second alert, with another time to come back).

The break is the last session's, when its last pause event started or extended a pause (no
ready-to-return, no end by hand came after it) whose next check is still ahead, or passed no
more than `CHECK_WAITS_S` ago (then the check comes as soon as the heart is heard: the person
was told to come back after a measured check, and gets it); it goes on with the calm levels it
was started with, for the same people, and its minutes count from where it really began (a
break that went on once already: from that one's start, `BREAK_GOES_ON`).

Times: each session's times are on its own clock, lined up with the wall clock when that
session began. A clock set back since (the old session's last time is after `now_s`) would
stretch the break by the step: the old times are moved back by it. (A clock set ahead while
the monitor was stopped cannot be told from the time it was stopped.)
"""

from __future__ import annotations

from dataclasses import dataclass

from flooding.core.models import SOLO, PauseEnded, PauseExtended, PauseStarted, ReadyToReturn
from flooding.core.pause import CHECK_WAITS_S
from flooding.io.store import Store, stored_kind


def _kinds(*types: type) -> frozenset[str]:
    """The stored kinds of these events, in a session of one and of two."""
    return frozenset(stored_kind(kind, couple) for kind in types for couple in (False, True))


# a pause's stored events: those that leave it open, and those that close it
_OPEN = _kinds(PauseStarted, PauseExtended)
_CLOSED = _kinds(ReadyToReturn, PauseEnded)
_STARTED = _kinds(PauseStarted)
_COUPLE_STARTED = stored_kind(PauseStarted, couple=True)
# the note a session stores when it goes on with an earlier one's break: the break's real start
# (on that session's clock) and the session it came from
BREAK_GOES_ON = "break-goes-on"


@dataclass(frozen=True)
class UnfinishedBreak:
    """Where an earlier session's break stood: its next check, its real start (both on the
    asking session's clock), and each person's calm from before it."""

    session_id: int
    until_s: float
    baselines: dict[str, float | None]
    started_s: float


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
    if not isinstance(until_s, int | float) or started is None:
        return None
    shift_s = _set_back_s(store, last.id, [last.ended_s, events[-1].t_s], now_s)
    until_s = float(until_s) - shift_s
    if until_s + CHECK_WAITS_S <= now_s:
        return None
    try:
        if started.kind == _COUPLE_STARTED:
            baselines = {str(name): _bpm(bpm) for name, bpm in started.data.get("baselines", ())}
        else:
            baselines = {SOLO: _bpm(started.data.get("baseline_bpm"))}
        began_s = _began_s(store, last.id, started.t_s)
    except (TypeError, ValueError):  # a row this program did not write: no break to go on with
        return None
    return UnfinishedBreak(last.id, until_s, baselines, began_s - shift_s)


def _set_back_s(store: Store, session_id: int, times: list[float | None], now_s: float) -> float:
    """How far the session's clock is ahead of `now_s`'s: its last time is later than now by
    that much (a clock set back since it ran; 0: not, as far as can be told)."""
    last_sample = store.session_stats(session_id).get(session_id)
    if last_sample is not None:
        times.append(last_sample.last_sample_s)
    latest = max((t for t in times if t is not None), default=now_s)
    return max(0.0, latest - now_s)


def _began_s(store: Store, session_id: int, started_s: float) -> float:
    """When the break whose pause started at `started_s` in the session really began: then,
    or, for a break that went on from a session before, that one's start (`BREAK_GOES_ON`)."""
    for row in store.events(session_id, frozenset({BREAK_GOES_ON})):
        if row.t_s == started_s:
            value = row.data.get("break_start_s")
            if not isinstance(value, int | float):
                raise TypeError(f"not a time: {value!r}")
            return float(value)
    return started_s


def _bpm(value: object) -> float | None:
    """A stored calm level (None: none was known); TypeError for anything else."""
    if value is None or isinstance(value, int | float):
        return None if value is None else float(value)
    raise TypeError(f"not a heart rate: {value!r}")
