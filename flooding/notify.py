"""Desktop notifications: the only module that imports plyer.

The session runner always prints every message in the terminal itself; a notifier only
adds the desktop notification, and a failure here never stops the monitor.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)

APP_NAME = "flooding"
NOTIFY_TIMEOUT_S = 30  # plyer needs an int: a float raises TypeError on its D-Bus path


@dataclass(frozen=True, slots=True)
class Message:
    """A message for the person: the alert, the pause check, ready-to-return."""

    kind: str  # "alert", "not-yet", "ready", "info"
    title: str
    body: str
    actions: tuple[str, ...] = field(default=())


class Notifier(Protocol):
    """Something that shows a message on the desktop."""

    async def send(self, message: Message) -> bool:
        """Show the message; True when it was handed to a notification server."""
        ...


class NullNotifier:
    """Shows nothing (`--no-notify`, tests)."""

    async def send(self, message: Message) -> bool:
        return False


def notification_server_likely() -> bool:
    """Whether a desktop notification can plausibly be shown on this platform now."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS"))
    return True


class PlyerNotifier:
    """Desktop notifications through plyer, off the event loop."""

    def __init__(self) -> None:
        self._warned = False

    async def send(self, message: Message) -> bool:
        if not notification_server_likely():
            self._warn_once("no desktop notification server (no D-Bus session bus)")
            return False
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except Exception as exc:  # a notification must never crash the monitor
            self._warn_once(f"desktop notification failed: {exc!r}")
            return False
        return True

    @staticmethod
    def _send_blocking(message: Message) -> None:
        from plyer import notification

        notification.notify(
            title=message.title,
            message=message.body,
            app_name=APP_NAME,
            timeout=NOTIFY_TIMEOUT_S,
        )

    def _warn_once(self, why: str) -> None:
        if not self._warned:
            log.warning("%s; messages are shown in the terminal only", why)
            self._warned = True
