"""Times and durations as people read them (local time, no clock reads)."""

from __future__ import annotations

from datetime import datetime


def clock_time(t_s: float, *, seconds: bool = False) -> str:
    """Local wall-clock time of an epoch time, as people say it: 20:45."""
    return datetime.fromtimestamp(t_s).astimezone().strftime("%H:%M:%S" if seconds else "%H:%M")


def local_stamp(t_s: float) -> str:
    """Local date and time: 2026-11-22 20:45."""
    return datetime.fromtimestamp(t_s).astimezone().strftime("%Y-%m-%d %H:%M")


def iso_local(t_s: float) -> str:
    """ISO 8601 with the local offset, for JSON."""
    return datetime.fromtimestamp(t_s).astimezone().isoformat(timespec="seconds")


def duration(seconds: float | None) -> str:
    """A short duration: 45 s, 12 min, 1 h 05 min."""
    if seconds is None:
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
