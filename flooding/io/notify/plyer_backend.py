"""Notifications through plyer: works nearly everywhere, no buttons, no sound hint.

On Linux plyer talks to D-Bus through dbus-python when it is importable, else runs
`notify-send`, whose exit code plyer ignores; so before each send the session bus is asked
whether a notification server is there (`flooding.io.notify.bus`).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from flooding.core.notice import Message
from flooding.io.notify.bus import (
    NOTIFICATIONS_BUS_NAME,
    PORTAL_BUS_NAME,
    in_flatpak,
    probe_notification_server,
)
from flooding.io.notify.threads import run_in_daemon_thread

APP_NAME = "flooding"
SHOWN_FOR_S = 30  # how long the bubble stays; plyer needs an int (a float raises TypeError)
MAX_STUCK_THREADS = 4  # beyond this many hung `notify-send`s, give up instead of piling up


class NotificationFailed(Exception):
    """A backend could not hand a notification to the notification server."""


def _gvariant_quoted(text: str) -> str:
    """Escape text for plyer's portal path, which pastes it into a GVariant '…' string."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _has_dbus_python() -> bool:
    return importlib.util.find_spec("dbus") is not None


def _plyer_implementation() -> tuple[Any, bool]:
    """The plyer notification implementation for this platform, and whether it is the portal.

    On Linux we pick plyer's class ourselves: plyer's own choice takes any directory `/app`
    for a Flatpak sandbox and then talks to a portal that is not there, silently.
    """
    if sys.platform.startswith("linux"):
        from plyer.platforms.linux import notification as linux

        if in_flatpak():
            return linux.NotifyDesktopPortals(), True
        if _has_dbus_python():
            return linux.NotifyDbus(), False
        if shutil.which("notify-send"):
            return linux.NotifySendNotification(), False
        raise NotificationFailed(
            "neither dbus-python nor notify-send is installed (Debian/Ubuntu: libnotify-bin)"
        )
    from plyer import notification

    return notification, False


def plyer_show(message: Message) -> None:
    """Show a message through plyer (blocking; may raise)."""
    implementation, portal = _plyer_implementation()
    title, body = message.title, message.body
    if portal:
        title, body = _gvariant_quoted(title), _gvariant_quoted(body)
    implementation.notify(
        title=title,
        message=body,
        app_name=APP_NAME,
        timeout=SHOWN_FOR_S,
    )


class PlyerBackend:
    """Notifications through plyer, each in its own daemon thread; no buttons."""

    name = "plyer"
    has_buttons = False

    def __init__(
        self,
        show: Callable[[Message], None] = plyer_show,
        *,
        probe: Callable[[], Awaitable[str | None]] | None = None,
        max_stuck_threads: int = MAX_STUCK_THREADS,
    ) -> None:
        self._show = show
        self._probe = probe
        self._max_threads = max_stuck_threads
        self._running = 0  # threads still in `show`, including ones we stopped waiting for
        self._lock = threading.Lock()

    async def unavailable_reason(self) -> str | None:
        if self._probe is not None:
            return await self._probe()
        if sys.platform.startswith("linux"):
            if not (in_flatpak() or _has_dbus_python() or shutil.which("notify-send")):
                return "notify-send is not installed (Debian/Ubuntu: libnotify-bin)"
            return await probe_notification_server(
                PORTAL_BUS_NAME if in_flatpak() else NOTIFICATIONS_BUS_NAME
            )
        return None

    async def deliver(self, message: Message) -> None:
        with self._lock:
            if self._running >= self._max_threads:
                raise NotificationFailed(f"{self._running} earlier notifications are stuck")
            self._running += 1
        await run_in_daemon_thread(partial(self._blocking_show, message))

    def _blocking_show(self, message: Message) -> None:
        try:
            self._show(message)
        finally:
            with self._lock:
                self._running -= 1
