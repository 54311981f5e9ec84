"""Finding the desktop's notification server on the D-Bus session bus (Linux).

Whether a server is there at all (`probe_notification_server`), and what it can do
(`server_capabilities`, e.g. whether it plays sounds itself).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

NOTIFICATIONS_BUS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"
BUS_TIMEOUT_S = 3.0  # a bus round trip takes milliseconds; this long means it is stuck
NO_SESSION_BUS = "no D-Bus session bus (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus)"

T = TypeVar("T")


def in_flatpak() -> bool:
    """Whether we run inside a Flatpak sandbox (plyer only checks for a directory `/app`)."""
    return os.path.isfile("/.flatpak-info")


def session_bus_address() -> str | None:
    """The D-Bus session bus address, as libdbus and GLib find it; None when there is none."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime_dir and os.path.exists(os.path.join(runtime_dir, "bus")):
        return f"unix:path={os.path.join(runtime_dir, 'bus')}"
    return None


def export_session_bus_address() -> str | None:
    """The session bus address (`session_bus_address`), also put in this process's environment
    when only the socket was found: desktop-notifier's D-Bus library reads the variable alone."""
    address = session_bus_address()
    if address is not None and not os.environ.get("DBUS_SESSION_BUS_ADDRESS", "").strip():
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    return address


async def _on_bus(address: str, ask: Callable[[Any], Awaitable[T]], timeout_s: float) -> T | str:
    """Run `ask(bus)` on a fresh connection; a string says why the bus could not be asked."""
    from dbus_fast.aio import MessageBus

    async def connected() -> T | str:
        try:
            bus = await MessageBus(bus_address=address).connect()
        except Exception as exc:
            return f"cannot connect to the D-Bus session bus ({type(exc).__name__})"
        try:
            return await ask(bus)
        finally:
            bus.disconnect()

    try:
        return await asyncio.wait_for(connected(), timeout_s)
    except TimeoutError:
        return "the D-Bus session bus did not answer"


async def probe_notification_server(
    bus_name: str = NOTIFICATIONS_BUS_NAME, *, timeout_s: float = BUS_TIMEOUT_S
) -> str | None:
    """Why no notification server answers on the session bus, or None when one is there.

    A server counts when it owns `bus_name` or the bus can start it on demand (D-Bus
    activation, as on many desktops). Linux only; elsewhere the answer is None. When
    dbus-fast is missing the answer is None too: we cannot tell, so we try anyway.
    """
    if not sys.platform.startswith("linux"):
        return None
    address = session_bus_address()
    if address is None:
        return NO_SESSION_BUS
    try:
        from dbus_fast import Message as BusMessage
        from dbus_fast import MessageType
    except ImportError:
        log.debug("dbus-fast is not installed; cannot check for a notification server")
        return None

    async def ask(bus: Any) -> str | None:
        for member, signature, body in (
            ("NameHasOwner", "s", [bus_name]),
            ("ListActivatableNames", "", []),
        ):
            reply = await bus.call(
                BusMessage(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member=member,
                    signature=signature,
                    body=body,
                )
            )
            if reply.message_type == MessageType.ERROR:
                return None  # an odd bus: do not claim there is no server
            answer = reply.body[0]
            if answer is True or (isinstance(answer, list) and bus_name in answer):
                return None
        return f"no notification server on the session bus ({bus_name} has no owner)"

    try:
        return await _on_bus(address, ask, timeout_s)
    except Exception as exc:  # a probe must never stop a notification attempt
        log.debug("notification server probe failed: %s", type(exc).__name__)
        return None


async def server_capabilities(*, timeout_s: float = BUS_TIMEOUT_S) -> frozenset[str] | None:
    """What the notification server says it can do (e.g. "sound", "actions").

    None when it cannot be asked (not Linux, no bus, no server, no dbus-fast).
    """
    address = session_bus_address() if sys.platform.startswith("linux") else None
    if address is None:
        return None
    try:
        from dbus_fast import Message as BusMessage
        from dbus_fast import MessageType
    except ImportError:
        return None

    async def ask(bus: Any) -> frozenset[str] | None:
        reply = await bus.call(
            BusMessage(
                destination=NOTIFICATIONS_BUS_NAME,
                path=NOTIFICATIONS_PATH,
                interface=NOTIFICATIONS_BUS_NAME,
                member="GetCapabilities",
            )
        )
        if reply.message_type == MessageType.ERROR:
            return None
        return frozenset(str(item) for item in reply.body[0])

    try:
        answer = await _on_bus(address, ask, timeout_s)
    except Exception as exc:
        log.debug("asking the notification server failed: %s", type(exc).__name__)
        return None
    return None if isinstance(answer, str) else answer
