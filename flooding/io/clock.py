"""The clocks of a live session. Durations (confirmation windows, gaps, the pause) come from
the sample times, so samples are stamped on a *session clock*: the wall time when the clock was
set, plus the time elapsed since on a clock that no one can set and that runs through suspend.

A wall-clock jump (by hand, by NTP, by a hostile neighbour) therefore moves no sample time: it
can neither delay an alert nor shorten or stretch a pause, and stored times stay date-like and
strictly ordered, so a replay of the stored samples equals the live session. A suspend counts as
time that passed (a laptop closed for 20 minutes of a pause: the person had those 20 minutes).
The real wall clock is read only for what people read: `wall_offset_s` turns a session time
into the clock time the computer shows now ("back at 20:45").
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def _elapsed_clock() -> Callable[[], float]:
    """Seconds on a clock that never jumps and keeps running through suspend: CLOCK_BOOTTIME on
    Linux (CLOCK_MONOTONIC stops while suspended there), CLOCK_MONOTONIC on macOS (which runs
    through sleep), else `time.monotonic` (Windows' runs through sleep too)."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        return lambda: time.clock_gettime(boottime)
    if sys.platform == "darwin":
        return lambda: time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.monotonic


elapsed_s: Callable[[], float] = _elapsed_clock()
"""Now on the never-jumping clock that runs through suspend (seconds from an arbitrary origin)."""


class SessionClock:
    """Session time: the wall time at `rebase()` (or creation) plus the seconds elapsed since.

    Call it for now. `wall` and `elapsed` are injectable (tests and drills steer them; the
    system clock cannot be set here): `wall` is read only at a rebase and for `wall_offset_s`.
    """

    def __init__(
        self,
        *,
        wall: Callable[[], float] = time.time,
        elapsed: Callable[[], float] = elapsed_s,
    ) -> None:
        self._wall = wall
        self._elapsed = elapsed
        self._origin_wall_s = 0.0
        self._origin_elapsed_s = 0.0
        self.rebase()

    def __call__(self) -> float:
        return self._origin_wall_s + (self._elapsed() - self._origin_elapsed_s)

    def rebase(self) -> float:
        """Line the session clock up with the wall clock again: only between sessions (within
        one, sample times must never jump). Returns how far it moved: what to add to a time
        stamped before to have it on the clock now."""
        before_s = self._origin_wall_s - self._origin_elapsed_s
        self._origin_elapsed_s = self._elapsed()
        self._origin_wall_s = self._wall()
        return (self._origin_wall_s - self._origin_elapsed_s) - before_s

    def wall_offset_s(self) -> float:
        """What to add to a session time to read it on the wall clock now (display only: the
        wall clock may have been set since the session began, and the time zone changed)."""
        follow_time_zone()
        return self._wall() - self()


def follow_time_zone() -> None:
    """Read the computer's time zone again: the C library reads it once per process, so a
    laptop that travelled (or a zone changed by hand) would still be told the old zone's times.
    Cheap: the zone file is read again only when it changed."""
    tzset = getattr(time, "tzset", None)  # not on Windows, where the zone is asked each time
    if tzset is not None:
        tzset()


def wall_offset_of(clock: Callable[[], float]) -> Callable[[], float]:
    """The display offset of any clock a session runs on: a `SessionClock`'s own, else none
    (a simulated clock, a replay: their times are shown as they are)."""
    if isinstance(clock, SessionClock):
        return clock.wall_offset_s
    return lambda: 0.0
