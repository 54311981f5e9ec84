"""How messages reach the desktop: real round trips through dunst, and the guarantees."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flooding.app import wiring
from flooding.core.settings import NotifySettings
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue
from flooding.io.notify import (
    ACTION_NOT_FLOODED,
    ACTION_OPEN_APP,
    ACTION_START_PAUSE,
    ALERT_ACTIONS,
    APP_NAME,
    OPEN_APP_LABEL,
    ActionHandler,
    ButtonBackend,
    Message,
    NotifierGroup,
    NullNotifier,
    PlyerBackend,
    ResilientNotifier,
    choose_notifier,
    plyer_show,
)
from flooding.io.store import Store
from tests.desktop import Desktop, Display, start_dunst, stop_dunst
from tests.fakes import (
    FakeBackend,
    FirstTryLateBackend,
    HangingBackend,
    ListedSource,
    RecordingView,
)

T = TypeVar("T")


def plyer_notifier(
    show: Callable[[Message], None] = plyer_show,
    *,
    probe: Callable[[], Awaitable[str | None]] | None = None,
    attempt_timeout_s: float = 5.0,
    retry_delay_s: float = 1.0,
) -> ResilientNotifier:
    """Plain notifications through plyer alone (no buttons), with all the guarantees."""
    return ResilientNotifier(
        [PlyerBackend(show, probe=probe)],
        attempt_timeout_s=attempt_timeout_s,
        retry_delay_s=retry_delay_s,
    )


def button_notifier(on_action: ActionHandler | None = None) -> ResilientNotifier:
    """Notifications with buttons through desktop-notifier alone, with all the guarantees."""
    return ResilientNotifier([ButtonBackend(on_action)])


ALERT = Message(
    kind="alert",
    title="You're flooded: 118 bpm (calm is 72)",
    body=(
        "Take a 20-minute break. You could say: \"I'm getting flooded and need a 20-minute "
        "break. I care about this and I'll come back at 20:45.\""
    ),
    actions=ALERT_ACTIONS,
    key="alert:1",
)
READY = Message(
    kind="ready",
    title="Ready to return",
    body='Your heart is back near calm (75 bpm). Start slowly: "What felt hardest for you?"',
    key="ready:1",
)
NOTIFY_LOGGER = "flooding.io.notify"
BUS_PATH = "/org/freedesktop/DBus"


def run(coroutine: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    """Run a coroutine on a fresh event loop, failing instead of hanging."""

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, timeout_s)

    return asyncio.run(bounded())


async def no_problem() -> str | None:
    """A probe that finds the notification server present."""
    return None


def warnings_from_notify(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNING-or-worse messages logged by the notify module."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(NOTIFY_LOGGER) and record.levelno >= logging.WARNING
    ]


# --- real round trips through dunst -----------------------------------------------------


class TestPlyerOnARealDesktop:
    """plyer (here: notify-send) puts messages on a real notification server."""

    @pytest.mark.parametrize("message", [ALERT, READY], ids=["alert", "ready"])
    def test_message_arrives_with_its_summary_and_body(
        self, desktop: Desktop, message: Message
    ) -> None:
        """The alert and the ready-to-return message reach dunst word for word."""
        assert run(plyer_notifier().send(message)) is True

        [shown] = desktop.wait_for_notifications(1)
        assert shown["summary"] == message.title
        assert shown["body"] == message.body
        assert shown["appname"] == APP_NAME

    def test_same_key_is_shown_once(self, desktop: Desktop) -> None:
        """Sending a message with an already shown key does not show it again."""

        async def twice_then_another() -> list[bool]:
            notifier = plyer_notifier()
            return [
                await notifier.send(READY),
                await notifier.send(READY),
                await notifier.send(ALERT),  # arrives after any repeat of READY would have
            ]

        assert run(twice_then_another()) == [True, True, True]
        shown = desktop.wait_for_notifications(2)
        assert [item["summary"] for item in shown] == [READY.title, ALERT.title]


def send_and_press(
    desktop: Desktop, action_id: str
) -> tuple[bool, list[str], list[tuple[Message, str]]]:
    """Send the alert with buttons and press `action_id` in dunst's menu: whether it was sent,
    the menu dunst offered, and the presses that reached `on_action`."""
    pressed: list[tuple[Message, str]] = []

    async def scenario() -> tuple[bool, list[str]]:
        got_press = asyncio.Event()

        def on_action(message: Message, chosen: str) -> None:
            pressed.append((message, chosen))
            got_press.set()

        sent = await button_notifier(on_action).send(ALERT)
        menu = await asyncio.to_thread(desktop.choose, action_id)
        await asyncio.wait_for(got_press.wait(), 10)
        return sent, menu

    sent, menu = run(scenario())
    return sent, menu, pressed


class TestButtonsOnARealDesktop:
    """desktop-notifier shows the alert's buttons and reports which one was pressed."""

    @pytest.mark.parametrize("action_id", [ACTION_NOT_FLOODED, ACTION_START_PAUSE])
    def test_pressing_a_button_calls_on_action(self, desktop: Desktop, action_id: str) -> None:
        """A press in dunst's menu reaches `on_action` with that button's id."""
        sent, menu, pressed = send_and_press(desktop, action_id)

        assert sent is True
        offered = "\n".join(menu)
        for action in ALERT_ACTIONS:
            assert f"#{action.label} ({ALERT.title}) [" in offered
            assert f",{action.id}]" in offered
        assert pressed == [(ALERT, action_id)]

    def test_buttons_come_with_only_the_runtime_dirs_bus_socket(
        self, desktop: Desktop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With DBUS_SESSION_BUS_ADDRESS unset and the session bus at $XDG_RUNTIME_DIR/bus
        (where libdbus and GLib find it), the alert still comes with working buttons."""
        socket = desktop.display.bus_address.partition("path=")[2].partition(",")[0]
        runtime = tmp_path / "runtime"
        runtime.mkdir()
        (runtime / "bus").symlink_to(socket)
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))

        sent, _, pressed = send_and_press(desktop, ACTION_START_PAUSE)

        assert sent is True
        assert pressed == [(ALERT, ACTION_START_PAUSE)]

    @pytest.mark.parametrize("message", [ALERT, READY], ids=["alert", "ready"])
    def test_open_the_app_is_offered_beside_the_buttons_and_opens_it(
        self, desktop: Desktop, message: Message
    ) -> None:
        """With `open_app`, the alert (its two buttons kept) and the ready-to-return offer
        "Open the app"; pressing it calls `open_app`, not `on_action`."""
        actions: list[str] = []
        opened: list[str] = []

        async def scenario() -> list[str]:
            done = asyncio.Event()

            async def open_app() -> None:
                opened.append("opened")
                done.set()

            notifier = ResilientNotifier(
                [ButtonBackend(lambda m, chosen: actions.append(chosen), open_app=open_app)]
            )
            assert await notifier.send(message)
            menu = await asyncio.to_thread(desktop.choose, ACTION_OPEN_APP)
            await asyncio.wait_for(done.wait(), 10)
            return menu

        offered = "\n".join(run(scenario()))
        assert f"#{OPEN_APP_LABEL} ({message.title}) [" in offered
        assert f",{ACTION_OPEN_APP}]" in offered
        for action in message.actions:
            assert f"#{action.label} ({message.title}) [" in offered
        assert (opened, actions) == (["opened"], [])

    def test_open_the_app_is_offered_in_the_persons_language(self, desktop: Desktop) -> None:
        """A German person's alert offers "App öffnen", the words their catalogue gives, not
        the English label."""

        async def scenario() -> list[str]:
            async def open_app() -> None:
                return None

            label = load_catalogue("de")("notify.open_app")
            backend = ButtonBackend(lambda m, chosen: None, open_app=open_app, open_app_label=label)
            assert await ResilientNotifier([backend]).send(ALERT)
            return await asyncio.to_thread(desktop.choose, ACTION_OPEN_APP)

        offered = "\n".join(run(scenario()))
        assert f"#App öffnen ({ALERT.title}) [" in offered
        assert OPEN_APP_LABEL not in offered

    def test_alert_arrives_with_summary_and_body(self, desktop: Desktop) -> None:
        """The button path delivers the same words as the plain path."""
        assert run(button_notifier(lambda message, action: None).send(ALERT)) is True

        [shown] = desktop.wait_for_notifications(1)
        assert (shown["summary"], shown["body"]) == (ALERT.title, ALERT.body)

    def test_async_handler_is_awaited(self, desktop: Desktop) -> None:
        """An `on_action` that returns a coroutine has it run to the end."""
        finished = []

        async def scenario() -> None:
            done = asyncio.Event()

            async def on_action(message: Message, chosen: str) -> None:
                await asyncio.sleep(0)
                finished.append(chosen)
                done.set()

            assert await button_notifier(on_action).send(ALERT)
            await asyncio.to_thread(desktop.choose, ACTION_NOT_FLOODED)
            await asyncio.wait_for(done.wait(), 10)

        run(scenario())
        assert finished == [ACTION_NOT_FLOODED]

    def test_chosen_notifier_shows_the_alert_once_with_buttons(self, desktop: Desktop) -> None:
        """`choose_notifier` uses the button path here and does not also send via plyer."""

        async def scenario() -> tuple[bool, list[str], bool]:
            notifier = choose_notifier(NotifySettings(), on_action=lambda message, action: None)
            sent = await notifier.send(ALERT)
            menu = await asyncio.to_thread(desktop.choose, "no-such-action")
            # another message afterwards: a second copy of the alert would arrive before it
            return sent, menu, await notifier.send(READY)

        sent, menu, sent_after = run(scenario())

        assert (sent, sent_after) == (True, True)
        assert any(f",{ACTION_NOT_FLOODED}]" in line for line in menu)
        shown = desktop.wait_for_notifications(2)
        assert [item["summary"] for item in shown] == [ALERT.title, READY.title]


def own_bus_connections(desktop: Desktop) -> int:
    """How many connections this test process holds to the desktop's session bus."""

    def call(*args: str) -> str:
        return subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", *args],
            env=desktop.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout

    names = re.findall(r'string "(:[0-9.]+)"', call(BUS_PATH, "org.freedesktop.DBus.ListNames"))
    pid = f"uint32 {os.getpid()}"
    asked = "org.freedesktop.DBus.GetConnectionUnixProcessID"
    return sum(pid in call(BUS_PATH, asked, f"string:{name}") for name in names)


SETTLE_TRIES = 20  # counts, 0.1 s apart: a connection let go closes within a few


def settled_bus_connections(desktop: Desktop) -> int:
    """`own_bus_connections` once the connections no longer held (earlier tests' notifiers,
    collected now) have closed: the same count twice in a row."""
    gc.collect()
    last = own_bus_connections(desktop)
    for _ in range(SETTLE_TRIES):
        time.sleep(0.1)
        now = own_bus_connections(desktop)
        if now == last:
            return now
        last = now
    return last


class TestManySessions:
    """A process that runs many sessions keeps one connection to the desktop."""

    def test_the_sessions_of_a_process_share_one_bus_connection(
        self, desktop: Desktop, tmp_path: Path
    ) -> None:
        """Three sessions of one process that each show an alert leave one connection to the
        session bus, not one per session (each was a file and a bus client never given back)."""
        store = Store.open(tmp_path)
        settings = default_settings().model_copy(update={"notify": NotifySettings(sound=False)})
        try:
            process = wiring.process(
                ListedSource([]), settings, store, RecordingView(), kind="monitor"
            )

            before = settled_bus_connections(desktop)  # earlier tests' may linger till now

            async def scenario() -> tuple[list[bool], int]:
                sent = [
                    await process.runner(ListedSource([])).notifier.send(ALERT) for _ in range(3)
                ]
                return sent, await asyncio.to_thread(own_bus_connections, desktop)

            sent, connections = run(scenario())
        finally:
            store.close()
        assert sent == [True, True, True]
        assert len(desktop.wait_for_notifications(3)) == 3
        assert connections - before == 1


class TestASlowServer:
    """A server that answers after the try's time limit still shows the message, once, and
    its buttons work."""

    def test_a_late_answer_shows_the_alert_once_with_working_buttons(
        self, desktop: Desktop
    ) -> None:
        """dunst held still past a try's limit shows the alert once when it runs on, and a
        press on its button reaches `on_action`."""
        pressed: list[str] = []

        async def scenario() -> bool:
            got_press = asyncio.Event()

            def on_action(message: Message, chosen: str) -> None:
                pressed.append(chosen)
                got_press.set()

            notifier = ResilientNotifier(
                [ButtonBackend(on_action), PlyerBackend()], attempt_timeout_s=0.5
            )
            desktop.dunst.send_signal(signal.SIGSTOP)  # a server too busy to answer
            try:
                sending = asyncio.ensure_future(notifier.send(ALERT))
                await asyncio.sleep(1.5)  # a retry or a fallback would have been sent by now
            finally:
                desktop.dunst.send_signal(signal.SIGCONT)
            sent = await sending
            await asyncio.to_thread(desktop.choose, ACTION_NOT_FLOODED)
            await asyncio.wait_for(got_press.wait(), 10)
            assert await notifier.send(ALERT) is True  # shown late: its key counts as shown
            return sent

        assert run(scenario()) is True  # answered late, within the send's budget
        assert pressed == [ACTION_NOT_FLOODED]
        assert [item["summary"] for item in desktop.notifications()] == [ALERT.title]


# --- no notification server -----------------------------------------------------------


NOTIFIERS = {
    "plyer": lambda: plyer_notifier(),
    "buttons": lambda: button_notifier(lambda message, action: None),
    "chosen": lambda: choose_notifier(NotifySettings(), on_action=lambda m, a: None),
}


class TestWithoutANotificationServer:
    """Without a server, sends fail fast and quietly: one warning, never an exception."""

    def test_the_problem_is_named_without_a_server_and_none_with_one(
        self, empty_bus: str, desktop_display: Display, tmp_path: Path
    ) -> None:
        """`problem()` names a bus where nobody serves notifications, and is None once a
        notification server runs there."""
        notifier = choose_notifier(NotifySettings(), on_action=lambda m, a: None)
        problem = run(notifier.problem())
        assert problem is not None
        assert "notification" in problem
        env = {**desktop_display.env, "DBUS_SESSION_BUS_ADDRESS": empty_bus}
        dunst = start_dunst(tmp_path, env)
        try:
            assert run(notifier.problem()) is None
        finally:
            stop_dunst(dunst, env)

    @pytest.mark.parametrize("make", NOTIFIERS.values(), ids=NOTIFIERS.keys())
    def test_bus_without_server(
        self, empty_bus: str, caplog: pytest.LogCaptureFixture, make: Any
    ) -> None:
        """On a bus where nobody serves notifications, every send returns False, one warning."""
        caplog.set_level(logging.DEBUG, logger=NOTIFY_LOGGER)

        async def three_sends() -> list[bool]:
            notifier = make()
            return [await notifier.send(message) for message in (ALERT, READY, ALERT)]

        assert run(three_sends(), timeout_s=10) == [False, False, False]
        [warning] = warnings_from_notify(caplog)
        assert "no notification server" in warning

    @pytest.mark.parametrize("make", NOTIFIERS.values(), ids=NOTIFIERS.keys())
    def test_no_bus_at_all(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
        make: Any,
    ) -> None:
        """With no session bus, every send returns False and one warning names the cause."""
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no `bus` socket in it

        async def two_sends() -> list[bool]:
            notifier = make()
            return [await notifier.send(READY), await notifier.send(READY)]

        assert run(two_sends(), timeout_s=10) == [False, False]
        [warning] = warnings_from_notify(caplog)
        assert "no D-Bus session bus" in warning

    def test_bus_address_of_a_dead_bus(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A session bus address that leads nowhere gives False and one warning."""
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")

        assert run(plyer_notifier().send(ALERT), timeout_s=10) is False
        [warning] = warnings_from_notify(caplog)
        assert "cannot connect" in warning

    def test_server_that_comes_back_is_used_again(
        self,
        empty_bus: str,
        desktop_display: Display,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """After an outage the same notifier shows messages again once a server is there."""
        caplog.set_level(logging.INFO, logger=NOTIFY_LOGGER)
        notifier = plyer_notifier()
        assert run(notifier.send(READY)) is False

        env = {**desktop_display.env, "DBUS_SESSION_BUS_ADDRESS": empty_bus}
        dunst = start_dunst(tmp_path, env)
        try:
            assert run(notifier.send(READY)) is True
        finally:
            stop_dunst(dunst, env)
        assert any("work again" in record.getMessage() for record in caplog.records)


# --- failures, retries, timeouts (fake backends, passed in) -----------------------------


class TestRetryAndFallback:
    """A failed notification is retried once, then reported with False and a warning."""

    def test_backend_that_always_fails_is_tried_twice(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Two tries, then False and a warning naming the kind but not the words."""
        backend = FakeBackend(failures=99)
        notifier = ResilientNotifier([backend], retry_delay_s=0)

        assert run(notifier.send(ALERT)) is False
        assert len(backend.tries) == 2
        [warning] = warnings_from_notify(caplog)
        assert "alert" in warning

    def test_backend_that_fails_once_succeeds_on_retry(self) -> None:
        """One failure then success: True after exactly two tries."""
        backend = FakeBackend(failures=1)

        assert run(ResilientNotifier([backend], retry_delay_s=0).send(ALERT)) is True
        assert len(backend.tries) == 2
        assert backend.shown == [ALERT]

    def test_second_backend_takes_over(self) -> None:
        """When the button backend fails, the plain one shows the message in the same try."""
        broken, plain = FakeBackend("buttons", failures=99), FakeBackend("plain")

        assert run(ResilientNotifier([broken, plain], retry_delay_s=0).send(ALERT)) is True
        assert (len(broken.tries), plain.shown) == (1, [ALERT])

    def test_unavailable_backend_is_skipped(self) -> None:
        """A backend that says it cannot show anything is not tried; the next one is."""
        absent, plain = FakeBackend("buttons", reason="no server"), FakeBackend("plain")

        assert run(ResilientNotifier([absent, plain]).send(READY)) is True
        assert (absent.tries, plain.shown) == ([], [READY])

    def test_a_try_not_answered_in_time_is_not_sent_again(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A delivery not answered by the time limit is tried once, by no other backend, and
        the warning says it may still show."""
        backend, plain = HangingBackend(), FakeBackend("plain")
        notifier = ResilientNotifier([backend, plain], attempt_timeout_s=0.05, retry_delay_s=0)

        assert run(notifier.send(READY), timeout_s=10) is False
        assert (len(backend.tries), plain.tries) == (1, [])
        [warning] = warnings_from_notify(caplog)
        assert "not answered" in warning
        assert "may still show" in warning

    def test_a_late_answer_counts_the_message_as_shown(self) -> None:
        """A first try answered after its time limit is waited for and shows the message
        once; one answered after the whole budget counts too, when it comes."""
        backend = FirstTryLateBackend(late_s=0.3)
        notifier = ResilientNotifier([backend], attempt_timeout_s=0.1, retry_delay_s=0)
        assert run(notifier.send(ALERT), timeout_s=10) is True
        assert (backend.tries, backend.shown) == (1, [ALERT])

        later = FirstTryLateBackend(late_s=0.6)  # past the budget: 2 x (0.05 s + 0.1 s)
        slow = ResilientNotifier(
            [later], attempt_timeout_s=0.1, probe_timeout_s=0.05, retry_delay_s=0
        )

        async def scenario() -> list[bool]:
            first = await slow.send(ALERT)
            await asyncio.sleep(0.6)
            return [first, await slow.send(ALERT)]

        assert run(scenario(), timeout_s=10) == [False, True]
        assert (later.tries, later.shown) == (1, [ALERT])

    def test_budget_covers_every_try_and_the_pause(self) -> None:
        """The budget is both tries of every backend (probe and delivery) plus the retry pause."""
        notifier = ResilientNotifier(
            [FakeBackend("a"), FakeBackend("b")],
            attempt_timeout_s=5,
            probe_timeout_s=2,
            retry_delay_s=1,
        )

        assert notifier.budget_s == 2 * 2 * (5 + 2) + 1

    def test_plyer_call_that_raises_is_retried_then_false(self) -> None:
        """A plyer call raising (e.g. TypeError) is retried once, then send returns False."""
        calls = []

        def show(message: Message) -> None:
            calls.append(message)
            raise TypeError("float timeout")

        notifier = plyer_notifier(show, probe=no_problem, retry_delay_s=0)

        assert run(notifier.send(ALERT)) is False
        assert calls == [ALERT, ALERT]

    def test_failing_action_handler_does_not_escape(self, caplog: pytest.LogCaptureFixture) -> None:
        """A handler raising on a button press is logged and goes no further."""
        from flooding.io.notify import ButtonBackend

        def on_action(message: Message, action: str) -> None:
            raise RuntimeError("store is locked")

        ButtonBackend(on_action)._pressed(ALERT, ACTION_NOT_FLOODED)
        assert any(r.levelno == logging.ERROR for r in caplog.records)


class TestDedup:
    """A message with a key is shown once; messages without a key are always shown."""

    def test_same_key_is_delivered_once(self) -> None:
        """The second send of a shown key returns True without showing it again."""
        backend = FakeBackend()

        async def twice() -> list[bool]:
            notifier = ResilientNotifier([backend])
            return [await notifier.send(ALERT), await notifier.send(ALERT)]

        assert run(twice()) == [True, True]
        assert backend.shown == [ALERT]

    def test_concurrent_sends_of_one_key_deliver_once(self) -> None:
        """Two sends racing with the same key share one delivery."""
        backend = FakeBackend()

        async def race() -> list[bool]:
            notifier = ResilientNotifier([backend])
            return list(await asyncio.gather(notifier.send(ALERT), notifier.send(ALERT)))

        assert run(race()) == [True, True]
        assert len(backend.tries) == 1

    def test_messages_without_key_are_all_shown(self) -> None:
        """Without a key, the same words are shown each time they are sent."""
        backend = FakeBackend()
        message = Message(kind="not-yet", title="Not yet", body="Ten more minutes.")

        async def twice() -> None:
            notifier = ResilientNotifier([backend])
            await notifier.send(message)
            await notifier.send(message)

        run(twice())
        assert len(backend.shown) == 2

    def test_failed_key_can_be_sent_again(self) -> None:
        """A key whose message could not be shown is tried again on the next send."""
        backend = FakeBackend(failures=2)

        async def fail_then_retry() -> list[bool]:
            notifier = ResilientNotifier([backend], retry_delay_s=0)
            return [await notifier.send(ALERT), await notifier.send(ALERT)]

        assert run(fail_then_retry()) == [False, True]
        assert backend.shown == [ALERT]


class TestEventLoopStaysLive:
    """Sending never blocks the event loop that runs the monitor."""

    def test_loop_runs_while_plyer_blocks(self) -> None:
        """Another coroutine keeps ticking while a blocking plyer call is in progress."""
        released_by_loop = threading.Event()
        released_in_time: list[bool] = []
        ticks = 0

        def slow_show(message: Message) -> None:
            # Blocks until the loop proves it is alive, or gives up after 10 s.
            released_in_time.append(released_by_loop.wait(10))

        async def ticker() -> None:
            nonlocal ticks
            while ticks < 5:
                await asyncio.sleep(0.01)
                ticks += 1
            released_by_loop.set()

        async def scenario() -> bool:
            notifier = plyer_notifier(slow_show, probe=no_problem, attempt_timeout_s=20)
            sent, _ = await asyncio.gather(notifier.send(ALERT), ticker())
            return sent

        assert run(scenario()) is True
        assert released_in_time == [True]
        assert ticks == 5

    def test_loop_runs_while_backend_hangs(self) -> None:
        """A hanging backend neither stalls other coroutines nor the caller past its timeout."""
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async def scenario() -> bool:
            task = asyncio.create_task(ticker())
            notifier = ResilientNotifier([HangingBackend()], attempt_timeout_s=0.2)
            try:
                return await notifier.send(READY)
            finally:
                task.cancel()

        assert run(scenario(), timeout_s=10) is False
        assert ticks > 0


# --- privacy and selection -------------------------------------------------------------


class TestPrivacy:
    """Heart data and words stay out of logs at INFO and above."""

    def test_no_title_or_body_in_info_logs(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Across success, failure and no-server paths, INFO+ log lines hold no message words."""
        caplog.set_level(logging.DEBUG)
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))

        async def all_paths() -> None:
            await ResilientNotifier([FakeBackend()]).send(ALERT)
            await ResilientNotifier([FakeBackend(failures=9)], retry_delay_s=0).send(ALERT)
            await choose_notifier(NotifySettings()).send(ALERT)

        run(all_paths())
        loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
        assert loud, "the paths above should have logged something"
        for line in loud:
            assert "118 bpm" not in line
            assert "flooded and need" not in line

    def test_repr_hides_words(self) -> None:
        """A message's repr shows kind and key, not title or body."""
        text = repr(ALERT)
        assert "alert:1" in text
        assert "118" not in text
        assert "20:45" not in text


class TestChooseNotifier:
    """`choose_notifier` picks what the platform and settings allow."""

    def test_disabled_gives_null_notifier(self) -> None:
        """Notifications switched off: a NullNotifier that shows nothing."""
        notifier = choose_notifier(NotifySettings(enabled=False))
        assert isinstance(notifier, NullNotifier)
        assert run(notifier.send(ALERT)) is False

    def test_enabled_prefers_buttons_then_plyer(self) -> None:
        """On Linux with desktop-notifier installed: buttons first, plyer as fallback."""
        notifier = choose_notifier(NotifySettings())
        assert isinstance(notifier, NotifierGroup)
        assert isinstance(notifier.desktop, ResilientNotifier)
        assert notifier.desktop.backend_names == ("desktop-notifier", "plyer")

    def test_default_has_the_chime_and_no_remote_targets(self) -> None:
        """By default the chime is on and nothing is set up to leave the computer."""
        notifier = choose_notifier(NotifySettings())
        assert isinstance(notifier, NotifierGroup)
        assert notifier.chimes is not None
        assert notifier.remote is None

    def test_sound_off_gives_no_chime(self) -> None:
        """notify.sound = false: no chime player, and no sound hint on the desktop."""
        notifier = choose_notifier(NotifySettings(sound=False))
        assert isinstance(notifier, NotifierGroup)
        assert notifier.chimes is None
