"""An answer to the alert given anywhere reaches every open Now page, in a real browser
(chromium): a running session (the real runner, status board, control channel and
notifier, as the monitor wires them) and its app's live feed, the alert's card put away when
the person answers by `flooding ok`, `flooding pause` or the desktop notification's button."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flooding.app import wiring
from flooding.app.session import SessionOutcome, SessionRunner
from flooding.cli.view import QuietView
from flooding.core.engine import run_batch
from flooding.core.models import Alert, LinkChanged, LinkState, Sample, SourceItem
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.control import ControlServer
from flooding.io.notify import ACTION_NOT_FLOODED, ACTION_START_PAUSE
from flooding.lab.simulate import hard_talk, samples
from tests.desktop import Desktop, wait_until
from tests.fakes import ListedSource
from tests.session_factory import flooding
from tests.test_web_live import FedApp

pytestmark = pytest.mark.slow

AFTER_ALERT_S = 5  # the heart is heard this long after the alert, then the strap says nothing
STRAP = "Polar H10 1A2B3C4D"


def up_to_the_alert() -> list[SourceItem]:
    """A strap that connects, then a hard talk's heart until a few seconds after its alert
    (still high: flooded), ending now on the wall clock (the session clock a monitor stamps
    samples on)."""
    talk = samples(hard_talk(), 0.0)
    alert = next(e for e in run_batch(talk, default_settings()).events if isinstance(e, Alert))
    heard = [s for s in talk if s.t_s <= alert.t_s + AFTER_ALERT_S]
    start_s = time.time() - heard[-1].t_s
    connected = LinkChanged(start_s, LinkState.CONNECTED, STRAP)
    return [connected, *(Sample(start_s + s.t_s, s.bpm, contact=s.contact) for s in heard)]


@dataclass
class LiveSession:
    """A session running in the app's process as a monitor runs one, with its app."""

    folder: Path
    app: FedApp
    runner: SessionRunner
    control: ControlServer | None
    running: Future[SessionOutcome]

    def page(self, chromium: Any) -> Any:
        """A Now page opened on the app, showing the alert's card."""
        page = chromium.new_context().new_page()  # its tabs share the login
        page.goto(self.app.server.link())
        page.wait_for_selector("#alert-card", state="visible", timeout=30_000)
        return page

    def marked(self) -> bool:
        """Whether the session's alert is stored as a false alarm."""

        async def look() -> bool:
            store, sid = self.app.store, self.runner.session_id
            assert sid is not None
            alert = store.latest_alert(sid)
            return alert is not None and store.is_false_alarm(sid, alert.id)

        return self.app.run(look())


@contextlib.contextmanager
def live_session(folder: Path, settings: Settings) -> Iterator[LiveSession]:
    """A session on a strap that sends the heart up to its alert and then stays silent,
    wired as a monitor is (`wiring.process`: the status board in front of the terminal's
    view and the app's feed, the notifier whose buttons answer this runner), its control
    channel listening for `flooding` commands, and its app serving the Now page."""
    proc: wiring.Process | None = None

    def status() -> dict[str, Any]:
        assert proc is not None
        return proc.live.status().model_dump(mode="json")

    app = FedApp(folder, status, settings=settings)
    source = ListedSource(up_to_the_alert(), stays=True, description="a simulated strap")
    control: ControlServer | None = None
    running: Future[SessionOutcome] | None = None
    try:

        async def start() -> tuple[SessionRunner, ControlServer | None]:
            nonlocal proc
            extras = wiring.Extras(views=[app.feed])
            proc = wiring.process(
                source, settings, app.store, QuietView(), kind="test", extras=extras
            )
            runner = proc.live.runner = proc.runner(source)
            return runner, await wiring.start_control(folder, proc.live, "flooding")

        runner, control = app.run(start())
        assert control is not None
        running = asyncio.run_coroutine_threadsafe(runner.run(), app.loop)
        wait_until(lambda: runner.outcome is not None and runner.outcome.alerts == 1, "the alert")
        yield LiveSession(folder, app, runner, control, running)
    finally:
        if running is not None:
            app.loop.call_soon_threadsafe(runner.stop)
            running.result(30)
        if control is not None:
            app.run(control.close())
        app.close()


@pytest.fixture
def session(tmp_path: Path) -> Iterator[LiveSession]:
    """A running session past its alert (its strap still connected), with no desktop
    notifications."""
    settings = default_settings()
    quiet = settings.model_copy(
        update={"notify": settings.notify.model_copy(update={"enabled": False})}
    )
    with live_session(tmp_path, quiet) as running:
        yield running


def test_flooding_ok_puts_the_alerts_card_away_on_an_open_page(
    session: LiveSession, chromium: Any
) -> None:
    """`flooding ok`, answered by the running monitor over its control channel, puts the
    alert's card away on a Now page already open (the heart still high), and on one opened
    after; the alert is stored as a false alarm."""
    page = session.page(chromium)
    assert page.is_visible("#pause-card")  # the alert's own break
    done = flooding("ok", "--data-dir", str(session.folder))
    assert done.returncode == 0, done.stderr
    page.wait_for_selector("#alert-card", state="hidden", timeout=10_000)
    later = page.context.new_page()
    later.goto(page.url)
    later.wait_for_function("() => document.getElementById('bpm').textContent !== '--'")
    assert later.is_hidden("#alert-card")
    assert session.marked()


def test_flooding_pause_puts_the_alerts_card_away_and_the_break_shows_on(
    session: LiveSession, chromium: Any
) -> None:
    """`flooding pause` during the alert's break answers the alert: its card goes from an
    open Now page and the break's card stays."""
    page = session.page(chromium)
    paused = flooding("pause", "--data-dir", str(session.folder))
    assert paused.returncode == 0, paused.stderr
    page.wait_for_selector("#alert-card", state="hidden", timeout=10_000)
    assert page.is_visible("#pause-card")
    assert session.runner.pausing


def test_the_notifications_im_ok_puts_the_alerts_card_away_on_an_open_page(
    tmp_path: Path, desktop: Desktop, chromium: Any
) -> None:
    """Pressing "I'm OK" on the alert's desktop notification (dunst on a private D-Bus) puts
    the alert's card away on a Now page already open, and ends the alert's break."""
    with live_session(tmp_path, default_settings()) as session:
        page = session.page(chromium)
        menu = desktop.choose(ACTION_NOT_FLOODED)
        assert any("not flooded" in line for line in menu), menu
        page.wait_for_selector("#alert-card", state="hidden", timeout=10_000)
        wait_until(lambda: not session.runner.pausing, "the alert's break to end")
        assert session.marked()


def test_the_notifications_start_the_pause_leaves_the_break_on_an_open_page(
    tmp_path: Path, desktop: Desktop, chromium: Any
) -> None:
    """Pressing "Start my pause" on the alert's desktop notification puts the alert's card
    away on a Now page already open; the break's card stays, and the alert is no false
    alarm."""
    with live_session(tmp_path, default_settings()) as session:
        page = session.page(chromium)
        menu = desktop.choose(ACTION_START_PAUSE)
        assert any("pause" in line.lower() for line in menu), menu
        page.wait_for_selector("#alert-card", state="hidden", timeout=10_000)
        assert page.is_visible("#pause-card")
        assert session.runner.pausing
        assert not session.marked()
