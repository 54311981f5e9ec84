"""Desktop notifications: the only module that imports plyer and desktop-notifier.

The session runner always prints every message in the terminal itself; a notifier only
adds the desktop notification, and a failure here never stops the monitor.

How a message reaches the desktop:

- `ButtonBackend` (desktop-notifier over dbus-fast on Linux, also macOS app bundles and
  Windows) shows buttons, e.g. "Start my 20-minute pause" / "I'm OK — not flooded", and
  hands a press to the `on_action(message, action_id)` callback it was given.
- `PlyerBackend` (plyer) works nearly everywhere but has no buttons. On Linux plyer talks
  to D-Bus through dbus-python when it is importable, else runs `notify-send`, whose exit
  code plyer ignores. So before each send we ask the session bus ourselves whether a
  notification server is there (`probe_notification_server`).
- `ResilientNotifier` wraps one or more backends in order and gives every send the same
  guarantees: it never blocks the event loop, never raises, retries a failed
  notification once (trying each backend again), returns False and logs when it could
  not be shown, and shows a message with a given `key` only once.

Heart data is private: logs name a message's kind and key, never its title or body
(those appear at DEBUG level at most, and only inside third-party libraries).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import logging
import os
import shutil
import sys
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from flooding.core.settings import NotifySettings

log = logging.getLogger(__name__)

APP_NAME = "flooding"
NOTIFY_TIMEOUT_S = 30  # plyer needs an int: a float raises TypeError on its D-Bus path
NOTIFICATIONS_BUS_NAME = "org.freedesktop.Notifications"
PORTAL_BUS_NAME = "org.freedesktop.portal.Desktop"

# Action ids of the flooding alert's buttons; `on_action` receives one of these.
ACTION_START_PAUSE = "start-pause"
ACTION_NOT_FLOODED = "not-flooded"

URGENT_KINDS = frozenset({"alert"})  # shown as critical: stays until the person answers


@dataclass(frozen=True, slots=True)
class Action:
    """A button on a notification: a stable id for the program, a label for the person."""

    id: str
    label: str


ALERT_ACTIONS: tuple[Action, ...] = (
    Action(ACTION_START_PAUSE, "Start my 20-minute pause"),
    Action(ACTION_NOT_FLOODED, "I'm OK — not flooded"),
)
"""Default buttons of the flooding alert (callers with configured labels pass their own)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message for the person: the alert, the pause check, ready-to-return.

    `key` is a stable id (e.g. "alert:<episode id>"): a message whose key was already
    shown is not shown again. Without a key every send is shown. `actions` become buttons
    where the platform has them and are left out where it has not, so the body must make
    sense without them. Title and body are kept out of the repr, so they never reach a log
    by accident.
    """

    kind: str  # "alert", "not-yet", "ready", "info"
    title: str = field(repr=False)
    body: str = field(repr=False)
    actions: tuple[Action, ...] = ()
    key: str | None = None


ActionHandler = Callable[[Message, str], object]
"""Called with the message and the action id when the person presses a button.
May be a plain function or return an awaitable (it is then run as a task)."""


class Notifier(Protocol):
    """Something that shows a message on the desktop."""

    async def send(self, message: Message) -> bool:
        """Show the message; True when it was handed to a notification server."""
        ...


class NullNotifier:
    """Shows nothing (`--no-notify`, notifications disabled, tests)."""

    async def send(self, message: Message) -> bool:
        return False


class Backend(Protocol):
    """One way of putting a message on the desktop; `ResilientNotifier` adds the guarantees."""

    name: str
    has_buttons: bool

    async def unavailable_reason(self) -> str | None:
        """Why this backend certainly cannot show anything now, or None when it may."""
        ...

    async def deliver(self, message: Message) -> None:
        """Show the message; raise when it was not handed to a notification server."""
        ...


class NotificationFailed(Exception):
    """A backend could not hand a notification to the notification server."""


# --- finding the notification server -------------------------------------------------


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


async def probe_notification_server(
    bus_name: str = NOTIFICATIONS_BUS_NAME, *, timeout_s: float = 3.0
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
        return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    try:
        from dbus_fast import Message as BusMessage
        from dbus_fast import MessageType
        from dbus_fast.aio import MessageBus
    except ImportError:
        log.debug("dbus-fast is not installed; cannot check for a notification server")
        return None

    async def ask() -> str | None:
        try:
            bus = await MessageBus(bus_address=address).connect()
        except Exception as exc:
            return f"cannot connect to the D-Bus session bus ({type(exc).__name__})"
        try:
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
        finally:
            bus.disconnect()

    try:
        return await asyncio.wait_for(ask(), timeout_s)
    except TimeoutError:
        return "the D-Bus session bus did not answer"
    except Exception as exc:  # a probe must never stop a notification attempt
        log.debug("notification server probe failed: %s", type(exc).__name__)
        return None


# --- running blocking calls --------------------------------------------------------


async def _run_in_daemon_thread(function: Callable[[], object]) -> None:
    """Run a blocking call in a daemon thread and await it.

    Not the default executor: a call that hangs for ever (a stuck `notify-send`) must not
    hold up interpreter exit, which waits for executor threads but not daemon threads.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return  # the waiter gave up (timeout) and went on
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def work() -> None:
        error: BaseException | None = None
        try:
            function()
        except BaseException as exc:  # handed to the awaiting coroutine
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=work, name="flooding-notify", daemon=True).start()
    await done


# --- plyer ----------------------------------------------------------------------------


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
        timeout=int(NOTIFY_TIMEOUT_S),
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
        max_stuck_threads: int = 4,
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
        await _run_in_daemon_thread(partial(self._blocking_show, message))

    def _blocking_show(self, message: Message) -> None:
        try:
            self._show(message)
        finally:
            with self._lock:
                self._running -= 1


# --- desktop-notifier (buttons) ------------------------------------------------------


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


class ButtonBackend:
    """Notifications with buttons through desktop-notifier; presses go to `on_action`.

    Button presses arrive on the event loop that sent the notification, while this
    object lives. Without an `on_action` no buttons are shown (a button that does
    nothing would be worse than none).
    """

    name = "desktop-notifier"
    has_buttons = True

    def __init__(
        self,
        on_action: ActionHandler | None = None,
        *,
        probe: Callable[[], Awaitable[str | None]] | None = None,
    ) -> None:
        self._on_action = on_action
        self._probe = probe
        self._notifier: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    async def unavailable_reason(self) -> str | None:
        if self._probe is not None:
            return await self._probe()
        if sys.platform.startswith("linux"):
            if in_flatpak():
                return "desktop-notifier is not used inside Flatpak"
            if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
            return await probe_notification_server()
        return None

    def _desktop_notifier(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._notifier is None or self._loop is not loop:
            from desktop_notifier import DesktopNotifier

            self._notifier = DesktopNotifier(app_name=APP_NAME, app_icon=None)
            self._loop = loop
        return self._notifier

    async def deliver(self, message: Message) -> None:
        from desktop_notifier import Button, Notification, Urgency

        notifier = self._desktop_notifier()
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
        notification = Notification(
            title=message.title,
            message=message.body,
            urgency=Urgency.Critical if message.kind in URGENT_KINDS else Urgency.Normal,
            buttons=buttons,
            on_dispatched=mark_dispatched,
        )
        # desktop-notifier logs a failure and returns; only on_dispatched tells success.
        await notifier.send_notification(notification)
        if not dispatched:
            self._drop_if_disconnected()
            raise NotificationFailed("the notification server did not take the notification")

    def _drop_if_disconnected(self) -> None:
        """Start afresh next time when the bus connection died (e.g. a restarted session)."""
        bus = getattr(getattr(self._notifier, "_backend", None), "bus", None)
        if bus is not None and not getattr(bus, "connected", True):
            self._notifier = None

    def _pressed(self, message: Message, action_id: str) -> None:
        log.info("the person chose %r on the %s notification", action_id, message.kind)
        if self._on_action is None:
            return
        try:
            result = self._on_action(message, action_id)
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


# --- the guarantees --------------------------------------------------------------------


class ResilientNotifier:
    """Sends through backends in order, with timeouts, one retry, dedup, and quiet failure."""

    def __init__(
        self,
        backends: Sequence[Backend],
        *,
        attempt_timeout_s: float = 10.0,
        probe_timeout_s: float = 5.0,
        retry_delay_s: float = 1.0,
        remember_keys: int = 256,
    ) -> None:
        if not backends:
            raise ValueError("a ResilientNotifier needs at least one backend")
        self._backends = tuple(backends)
        self._attempt_timeout_s = attempt_timeout_s
        self._probe_timeout_s = probe_timeout_s
        self._retry_delay_s = retry_delay_s
        self._remember = remember_keys
        self._shown: OrderedDict[str, None] = OrderedDict()
        self._in_flight: dict[str, asyncio.Future[bool]] = {}
        self._server_missing = False

    @property
    def backend_names(self) -> tuple[str, ...]:
        """The backends tried, in order (for `flooding doctor` style reports)."""
        return tuple(backend.name for backend in self._backends)

    async def send(self, message: Message) -> bool:
        """Show the message; False (and a log line) when it could not be shown. Never raises."""
        try:
            key = message.key
            if key is None:
                return await self._deliver(message)
            if key in self._shown:
                log.debug("%s notification %r was already shown", message.kind, key)
                return True
            pending = self._in_flight.get(key)
            if pending is None:
                pending = asyncio.ensure_future(self._deliver(message))
                self._in_flight[key] = pending
                pending.add_done_callback(partial(self._settled, key))
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            raise
        except Exception:  # a notification must never crash the monitor
            log.exception("showing the %s notification failed unexpectedly", message.kind)
            return False

    def _settled(self, key: str, pending: asyncio.Future[bool]) -> None:
        self._in_flight.pop(key, None)
        if not pending.cancelled() and pending.exception() is None and pending.result():
            self._shown[key] = None
            while len(self._shown) > self._remember:
                self._shown.popitem(last=False)

    async def _reason(self, backend: Backend) -> str | None:
        try:
            return await asyncio.wait_for(backend.unavailable_reason(), self._probe_timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("checking %s failed: %s", backend.name, type(exc).__name__)
            return None  # unknown: try it

    async def _deliver(self, message: Message) -> bool:
        failures: list[str] = []
        for attempt in (1, 2):
            reasons: list[str] = []
            for backend in self._backends:
                reason = await self._reason(backend)
                if reason is not None:
                    reasons.append(reason)
                    continue
                try:
                    await asyncio.wait_for(backend.deliver(message), self._attempt_timeout_s)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    what = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
                    failures.append(f"{backend.name}: {what}")
                    log.info(
                        "%s notification via %s failed (attempt %d): %s",
                        message.kind,
                        backend.name,
                        attempt,
                        what,
                    )
                    log.debug("details", exc_info=True)
                    continue
                self._delivered(message, backend)
                return True
            if len(reasons) == len(self._backends):
                self._no_server(message, reasons[0])
                return False
            if attempt == 1:
                await asyncio.sleep(self._retry_delay_s)
        log.warning(
            "could not show the %s notification after a retry (%s); "
            "it is shown in the terminal only",
            message.kind,
            "; ".join(failures),
        )
        return False

    def _delivered(self, message: Message, backend: Backend) -> None:
        if self._server_missing:
            log.info("desktop notifications work again")
            self._server_missing = False
        without = " without its buttons" if message.actions and not backend.has_buttons else ""
        log.info("showed the %s notification via %s%s", message.kind, backend.name, without)

    def _no_server(self, message: Message, reason: str) -> None:
        if self._server_missing:
            log.debug("%s notification not shown: %s", message.kind, reason)
            return
        self._server_missing = True
        log.warning(
            "desktop notifications cannot be shown: %s; messages are shown in the terminal only",
            reason,
        )


class PlyerNotifier(ResilientNotifier):
    """Plain notifications through plyer (no buttons), with all the guarantees."""

    def __init__(
        self,
        show: Callable[[Message], None] = plyer_show,
        *,
        probe: Callable[[], Awaitable[str | None]] | None = None,
        attempt_timeout_s: float = 10.0,
        retry_delay_s: float = 1.0,
    ) -> None:
        super().__init__(
            [PlyerBackend(show, probe=probe)],
            attempt_timeout_s=attempt_timeout_s,
            retry_delay_s=retry_delay_s,
        )


class ButtonNotifier(ResilientNotifier):
    """Notifications with buttons through desktop-notifier, with all the guarantees."""

    def __init__(
        self,
        on_action: ActionHandler | None = None,
        *,
        attempt_timeout_s: float = 10.0,
        retry_delay_s: float = 1.0,
    ) -> None:
        super().__init__(
            [ButtonBackend(on_action)],
            attempt_timeout_s=attempt_timeout_s,
            retry_delay_s=retry_delay_s,
        )


def choose_notifier(
    settings: NotifySettings, *, on_action: ActionHandler | None = None
) -> Notifier:
    """The best notifier here: buttons where supported, falling back to plyer; Null if off."""
    if not settings.enabled:
        return NullNotifier()
    backends: list[Backend] = []
    if buttons_supported():
        backends.append(ButtonBackend(on_action))
    backends.append(PlyerBackend())
    notifier = ResilientNotifier(backends)
    log.debug("desktop notifications via %s", " then ".join(notifier.backend_names))
    return notifier
