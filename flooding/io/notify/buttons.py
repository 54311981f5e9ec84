"""Notifications with buttons through desktop-notifier (dbus-fast on Linux, macOS, Windows).

Shows buttons, e.g. "Start my 20-minute pause" / "I'm OK — not flooded", and hands a press
to the `on_action(message, action_id)` callback it was given. A message with a chime
carries it as the notification's sound (the `sound-file` hint on Linux), which servers
that play sounds play; `flooding.io.notify.sound` plays it where they do not.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from flooding.core.notice import URGENT_KINDS, ActionHandler, Message
from flooding.io.notify.bus import (
    NO_SESSION_BUS,
    export_session_bus_address,
    in_flatpak,
    probe_notification_server,
)
from flooding.io.notify.plyer_backend import APP_NAME, NotificationFailed

log = logging.getLogger(__name__)

ACTION_OPEN_APP = "open-app"  # the extra button that opens the local app in the browser
OPEN_APP_LABEL = "Open the app"  # the button's words when none in the person's language are given
OPEN_APP_KINDS = frozenset({"alert", "ready"})  # the moments the live page helps most
OpenApp = Callable[[], object]  # opens the browser on the running app (may be async)


def buttons_supported() -> bool:
    """Whether desktop-notifier is installed and has a real backend on this platform.

    On macOS outside an app bundle desktop-notifier falls back to a dummy that shows
    nothing yet reports success; that does not count.
    """
    try:
        from desktop_notifier.main import get_backend_class

        return get_backend_class().__name__ != "DummyNotificationCenter"
    except Exception as exc:
        log.debug("desktop-notifier is not usable: %s", type(exc).__name__)
        return False


class DesktopConnection:
    """A process's one desktop-notifier, shared by the notifiers of its sessions.

    A DesktopNotifier opens its own D-Bus connection on its first notification and never
    closes it: one per session would leave a file and a bus client behind for each session
    that notified. It is made afresh on another event loop, or after its bus connection died
    (a restarted desktop session).
    """

    def __init__(self) -> None:
        self._notifier: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def notifier(self) -> Any:
        """The DesktopNotifier for the running event loop."""
        loop = asyncio.get_running_loop()
        if self._notifier is None or self._loop is not loop:
            from desktop_notifier import DesktopNotifier

            self._notifier = DesktopNotifier(app_name=APP_NAME, app_icon=None)
            self._loop = loop
        return self._notifier

    def drop_if_disconnected(self) -> None:
        """Start afresh next time when the bus connection died (e.g. a restarted session)."""
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None and not getattr(bus, "connected", True):
            self._notifier = None


class ButtonBackend:
    """Notifications with buttons through desktop-notifier; presses go to `on_action`.

    Button presses arrive on the event loop that sent the notification, while this
    object lives. Without an `on_action` no buttons are shown (a button that does
    nothing would be worse than none). `chime_file(name)` gives the sound file of a
    message's chime (None: no sound hint). With `open_app`, the alert and the ready-to-return
    also carry an "Open the app" button (in the words `open_app_label`) that calls it, after
    the message's own buttons.
    """

    name = "desktop-notifier"
    has_buttons = True

    def __init__(
        self,
        on_action: ActionHandler | None = None,
        *,
        probe: Callable[[], Awaitable[str | None]] | None = None,
        chime_file: Callable[[str], Path | None] | None = None,
        open_app: OpenApp | None = None,
        open_app_label: str = OPEN_APP_LABEL,
        connection: DesktopConnection | None = None,
    ) -> None:
        self._on_action = on_action
        self._open_app = open_app
        self._open_app_label = open_app_label
        self._probe = probe
        self._chime_file = chime_file
        self._connection = connection or DesktopConnection()
        self._tasks: set[asyncio.Task[object]] = set()

    async def unavailable_reason(self) -> str | None:
        if self._probe is not None:
            return await self._probe()
        if sys.platform.startswith("linux"):
            if in_flatpak():
                return "desktop-notifier is not used inside Flatpak"
            if export_session_bus_address() is None:
                return NO_SESSION_BUS
            return await probe_notification_server()
        return None

    def _sound(self, message: Message) -> Any:
        if message.chime is None or self._chime_file is None:
            return None
        path = self._chime_file(message.chime)
        if path is None:
            return None
        from desktop_notifier import Sound

        return Sound(path=path)

    async def deliver(self, message: Message) -> None:
        from desktop_notifier import Button, Notification, Urgency

        notifier = self._connection.notifier()
        dispatched = False

        def mark_dispatched() -> None:
            nonlocal dispatched
            dispatched = True

        buttons: tuple[Any, ...] = ()
        if self._on_action is not None:
            buttons = tuple(
                Button(
                    title=action.label,
                    identifier=action.id,
                    on_pressed=partial(self._pressed, message, action.id),
                )
                for action in message.actions
            )
        if self._open_app is not None and message.kind in OPEN_APP_KINDS:
            buttons += (
                Button(
                    title=self._open_app_label,
                    identifier=ACTION_OPEN_APP,
                    on_pressed=partial(self._open_app_pressed, message),
                ),
            )
        notification = Notification(
            title=message.title,
            message=message.body,
            urgency=Urgency.Critical if message.kind in URGENT_KINDS else Urgency.Normal,
            buttons=buttons,
            sound=self._sound(message),
            on_dispatched=mark_dispatched,
        )
        # desktop-notifier logs a failure and returns; only on_dispatched tells success.
        await notifier.send_notification(notification)
        if not dispatched:
            self._connection.drop_if_disconnected()
            raise NotificationFailed("the notification server did not take the notification")

    def _pressed(self, message: Message, action_id: str) -> None:
        log.info("the person chose %r on the %s notification", action_id, message.kind)
        if self._on_action is None:
            return
        self._run(partial(self._on_action, message, action_id), action_id)

    def _open_app_pressed(self, message: Message) -> None:
        log.info("the person chose to open the app from the %s notification", message.kind)
        if self._open_app is not None:
            self._run(self._open_app, ACTION_OPEN_APP)

    def _run(self, handler: Callable[[], object], action_id: str) -> None:
        """Call a button's handler; an awaitable it returns runs to its end on this loop."""
        try:
            result = handler()
        except Exception:
            log.exception("the handler for %r failed", action_id)
            return
        if inspect.isawaitable(result):
            task: asyncio.Task[object] = asyncio.ensure_future(_awaited(result))
            self._tasks.add(task)
            task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a notification action handler failed", exc_info=task.exception())


async def _awaited(awaitable: Awaitable[object]) -> object:
    return await awaitable
