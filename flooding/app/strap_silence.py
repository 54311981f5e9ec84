"""Telling the person, once, that the strap stopped sending during a session.

A strap that drops out, goes silent, or loses Bluetooth means no alert can come; the link
lines reach only the terminal and the log, so the desktop says it too. A short drop that a
reconnect mends is not told (`SILENT_TELL_S`), and one silence is told once: the next
notification needs the strap to have sent again first.
"""

from __future__ import annotations

from flooding.core.catalogue import Catalogue
from flooding.core.notice import Message
from flooding.core.settings import NotifySettings

# a reconnect after a drop takes up to ~20 s (a scan, a connect, the accelerometer's start):
# a silence longer than that will not mend by itself soon, and shorter ones do not nag
SILENT_TELL_S = 30.0
KIND = "strap-silent"


class SilenceWatch:
    """When the strap was last heard, and whether its present silence was told."""

    __slots__ = ("_heard_s", "_told", "told_count")

    def __init__(self) -> None:
        self._heard_s: float | None = None  # None: not heard yet in this session
        self._told = False
        self.told_count = 0

    def heard(self, now_s: float) -> None:
        """The strap sent a sample: a silence after this is a new one."""
        self._heard_s = now_s
        self._told = False

    def due(self, now_s: float, after_s: float) -> bool:
        """Whether the silence is to be told now (at most once per silence)."""
        if self._heard_s is None or self._told or now_s - self._heard_s < after_s:
            return False
        self._told = True
        self.told_count += 1
        return True


def silence_message(say: Catalogue, notify: NotifySettings, key: str) -> Message:
    """The desktop notification for a silent strap (neutral words in privacy mode)."""
    private = "private_" if notify.privacy else ""
    return Message(
        KIND,
        say(f"session.notify.strap_silent_{private}title"),
        say(f"session.notify.strap_silent_{private}body"),
        key=key,
    )
