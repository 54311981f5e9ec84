"""A strap that stops sending during a session is told once on the desktop: through the real
notifier and dunst on a private D-Bus, with the emulated strap going away."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flooding.app.session import SessionRunner
from flooding.cli.view import QuietView
from flooding.io.config_files.loading import default_settings
from flooding.io.notify import choose_notifier
from flooding.io.store import Store
from flooding.lab.emulator import EmulatedAir, EmulatedStrap
from tests.ble.emulated import fast_source, run_scenario, wait_for
from tests.desktop import Desktop

SILENT_S = 2.0  # the session's wait before telling (30 s in use), short for the test


def away_session(desktop: Desktop, tmp_path: Path, **notify: bool) -> list[dict[str, Any]]:
    """A session whose strap sends, then goes away for good; every notification dunst got
    once the silence lasted four times the wait."""
    store = Store.open(tmp_path)
    settings = default_settings()
    settings = settings.model_copy(update={"notify": settings.notify.model_copy(update=notify)})

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[dict[str, Any]]:
        runner = SessionRunner(
            source=fast_source(air, address=strap.address),
            settings=settings,
            store=store,
            view=QuietView(),
            notifier=choose_notifier(settings.notify),
            source_kind="strap",
            strap_silent_s=SILENT_S,
        )
        task = asyncio.create_task(runner.run())
        await wait_for(lambda: runner.outcome is not None and runner.outcome.samples >= 5)
        await strap.drop()
        loop = asyncio.get_running_loop()
        gone_at = loop.time()
        if notify.get("enabled", True):
            await asyncio.to_thread(desktop.wait_for_notifications, 1, 30.0)
        await asyncio.sleep(max(0.0, gone_at + 4 * SILENT_S - loop.time()))
        shown = await asyncio.to_thread(desktop.notifications)
        runner.stop()
        await task
        return shown

    try:
        return run_scenario(scenario)
    finally:
        store.close()


def test_a_strap_gone_silent_is_told_once_in_plain_words(desktop: Desktop, tmp_path: Path) -> None:
    """The strap going away mid-session brings one desktop notification saying flooding
    cannot warn until it is back, and no second one while it stays away."""
    shown = away_session(desktop, tmp_path, privacy=False)
    assert [n["summary"] for n in shown] == ["Your strap isn't sending"]
    assert "can't warn you until it's back" in shown[0]["body"]


def test_privacy_mode_tells_a_silent_strap_in_neutral_words(
    desktop: Desktop, tmp_path: Path
) -> None:
    """In privacy mode (the default) the silent strap is told once with the short words."""
    shown = away_session(desktop, tmp_path)
    assert [(n["summary"], n["body"]) for n in shown] == [
        ("Flooding: no signal", "Please check the strap.")
    ]


def test_notifications_off_tell_nothing(desktop: Desktop, tmp_path: Path) -> None:
    """With desktop notifications off, a silent strap shows nothing on the desktop."""
    assert away_session(desktop, tmp_path, enabled=False) == []


pytestmark = pytest.mark.timeout(120)
