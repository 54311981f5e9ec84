"""The session's messages reach a real notification server (dunst on a private D-Bus)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from flooding.app.session import SessionRunner
from flooding.cli.view import QuietView
from flooding.io.config_files.loading import default_settings
from flooding.io.notify import ACTION_NOT_FLOODED, choose_notifier
from flooding.io.store import Store
from flooding.lab.simulate import Scenario, Segment, SimulatedStrap, hard_talk
from tests.desktop import Desktop, wait_until


def run_demo(desktop: Desktop, folder: Path, **env: str) -> list[dict[str, Any]]:
    """`flooding demo` at once on the test desktop; the two notifications it showed."""
    result = subprocess.run(
        [sys.executable, "-m", "flooding", "demo", "--speed", "0", "--data-dir", str(folder)],
        env={**desktop.env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "I'll come back at" in result.stdout  # the full words, in the terminal
    return desktop.wait_for_notifications(2)


def test_demo_shows_alert_and_ready_on_the_desktop(desktop: Desktop, tmp_path: Path) -> None:
    """With `notify.privacy = false`, `flooding demo` puts the full flooding alert and the
    ready-to-return message on the desktop."""
    shown = run_demo(desktop, tmp_path, FLOODING_NOTIFY__PRIVACY="false")
    summaries = [n["summary"] for n in shown]
    assert any("flooded" in s for s in summaries), summaries
    assert any("back near your calm" in s for s in summaries), summaries
    alert = next(n for n in shown if "flooded" in n["summary"])
    assert "I'll come back at" in alert["body"]


def test_the_desktop_shows_neutral_words_by_default(desktop: Desktop, tmp_path: Path) -> None:
    """By default the desktop (and so the lock screen) gets the alert and ready-to-return in
    neutral words: a break and when to be back, no heart numbers, no words for the partner."""
    shown = run_demo(desktop, tmp_path)
    assert sorted(n["summary"] for n in shown) == ["Break over", "Time for a break"]
    alert = next(n for n in shown if n["summary"] == "Time for a break")
    assert "Back at" in alert["body"]
    for notification in shown:
        text = (notification["summary"] + " " + notification["body"]).lower()
        for word in ("bpm", "flooded", "partner", "come back at", "baseline"):
            assert word not in text, word


def test_pressing_im_ok_marks_the_alert_a_false_alarm(desktop: Desktop, tmp_path: Path) -> None:
    """Pressing "I'm OK — not flooded" on the alert stores a false-alarm mark for that alert
    and ends the break it started (no "still elevated" follows, alerts are on again)."""
    store = Store.open(tmp_path)
    settings = default_settings()
    talk = hard_talk()
    # the talk goes on calmly after its pause, so it cannot end before the press lands;
    # the session is stopped once the mark is stored
    endless = Scenario(talk.name, (*talk.segments, Segment(36_000, 69)), seed=talk.seed)
    menu: list[str] = []

    def press_when_shown() -> None:
        wait_until(lambda: desktop.displayed_count() >= 1, "the alert on dunst", timeout_s=30)
        menu.extend(desktop.choose(ACTION_NOT_FLOODED))

    async def main() -> SessionRunner:
        runner = SessionRunner(
            source=SimulatedStrap(endless, start_s=time.time(), speed=150),
            settings=settings,
            store=store,
            view=QuietView(),
            notifier=choose_notifier(
                settings.notify,
                on_action=lambda message, action: runner.handle_action(message, action),
            ),
            source_kind="demo",
        )
        presser = threading.Thread(target=press_when_shown, daemon=True)
        presser.start()
        task = asyncio.create_task(runner.run())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if store.db.execute("SELECT 1 FROM events WHERE kind='false-alarm'").fetchone():
                break
            await asyncio.sleep(0.05)
        assert not task.done(), "the session ended before the press was recorded"
        assert not runner.pausing
        runner.stop()
        await task
        return runner

    try:
        runner = asyncio.run(main())
        assert runner.session_id is not None
        alerts = store.events(runner.session_id, "alert")
        marks = store.events(runner.session_id, "false-alarm")
        ended = store.events(runner.session_id, "pause-ended")
        not_yet = store.events(runner.session_id, "pause-extended")
    finally:
        store.close()
    assert len(alerts) == 1
    assert [m.data["alert_event_id"] for m in marks] == [alerts[0].id]
    assert len(ended) == 1
    assert ended[0].t_s >= marks[0].t_s
    assert not_yet == []
    assert any("not flooded" in line for line in menu), menu


pytestmark = pytest.mark.timeout(90)
