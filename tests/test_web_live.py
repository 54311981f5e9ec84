"""The live page in a real browser (chromium), fed by the demo's simulated strap: the chart
moves, the alert and the pause appear, and the buttons reach the running session."""

from __future__ import annotations

import asyncio
import re
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from flooding.app.web.server import app_opener
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import flooding

pytestmark = pytest.mark.slow

DEMO_SPEED = "40"  # a simulated minute in 1.5 s: the whole talk in about 40 s


def test_the_live_page_follows_the_demo_and_its_buttons_reach_the_session(
    tmp_path: Path, chromium: Any
) -> None:
    """The chart fills from the stream, the alert shows, "I'm OK" marks it and ends its
    break; a pause started by hand shows (count-down, breathing) and "End the pause" ends
    it: all stored on the demo's session."""
    demo = AppProcess("demo", "--speed", DEMO_SPEED, "--no-notify", "--data-dir", str(tmp_path))
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        assert page.url == demo.base + "/"
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 5")
        first = page.evaluate("window.floodingLag.length")
        page.wait_for_function(f"() => window.floodingLag.length > {first + 5}")
        assert re.fullmatch(r"\d+", page.inner_text("#bpm"))
        page.wait_for_selector("#alert-card", state="visible", timeout=60_000)
        assert "flooded" in page.inner_text("#alert-title").lower()
        assert page.is_visible("#not-flooded")
        page.click("#not-flooded")
        page.wait_for_function(
            "() => document.getElementById('action-result').textContent.includes('false alarm')"
        )
        assert "alerts are on again" in page.inner_text("#action-result")
        page.wait_for_selector("#pause-card", state="hidden", timeout=30_000)
        paused = flooding("pause", "--data-dir", str(tmp_path))
        assert paused.returncode == 0, paused.stderr
        page.wait_for_selector("#pause-card", state="visible", timeout=30_000)
        assert re.fullmatch(r"\d+:\d\d", page.inner_text("#countdown"))
        duration = page.evaluate(
            "getComputedStyle(document.querySelector('.breath-circle')).animationDuration"
        )
        assert duration == "10s"  # six breaths a minute
        assert breath_words_follow_the_circle(page)
        page.click("#end-pause")
        page.wait_for_selector("#pause-card", state="hidden", timeout=30_000)
        assert demo.wait(120) == 0
    finally:
        demo.stop()
    store = Store.open(tmp_path / "demo")  # the demo keeps its sessions apart
    try:
        session_id = store.latest_session_id()
        assert session_id is not None
        alert = store.latest_alert(session_id)
        assert alert is not None
        assert store.is_false_alarm(session_id, alert.id)
        ends = [e for e in store.events(session_id) if e.kind == "pause-ended"]
        assert len(ends) >= 2, [e.kind for e in store.events(session_id)]  # by "I'm OK", by hand
    finally:
        store.close()


def test_desktop_alerts_that_cannot_reach_the_screen_are_said_on_the_page_and_by_status(
    tmp_path: Path, chromium: Any, empty_bus: str
) -> None:
    """On a desktop session with no notification server, the live page and `flooding status`
    say that desktop alerts are not reaching the screen, before any alert."""
    demo = AppProcess("demo", "--speed", "2", "--data-dir", str(tmp_path))
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        page.wait_for_selector("#desktop-words", state="visible", timeout=30_000)
        assert "Desktop alerts are not reaching this screen" in page.inner_text("#desktop-words")
        status = flooding("status", "--data-dir", str(tmp_path))
        assert status.returncode == 0, status.stderr
        assert "Alerts:  not reaching this screen (" in status.stdout
    finally:
        demo.stop()


BREATH_SAMPLES = 12  # looks at the breathing circle, 0.3 s apart: over a third of a cycle


def breath_words_follow_the_circle(page: Any) -> bool:
    """Whether the breathing words say "in" while the circle grows and "out" while it
    shrinks, at nearly every look (one may fall on a turn of the breath)."""
    wrong = 0
    for _ in range(BREATH_SAMPLES):
        first = page.evaluate(SCALE_NOW)
        words = page.inner_text("#breath-words")
        page.wait_for_timeout(120)
        growing = page.evaluate(SCALE_NOW) > first
        wrong += words.startswith("Breathe in") != growing
        page.wait_for_timeout(300)
    return wrong <= 1


# the circle's size now (its transform's scale), from the computed style
SCALE_NOW = "new DOMMatrix(getComputedStyle(document.querySelector('.breath-circle')).transform).a"


def test_the_live_page_follows_a_strap_read_through_bluetooth(
    tmp_path: Path, chromium: Any
) -> None:
    """With the demo played by the emulated strap through Bleak, the page says the strap is
    connected and the chart fills."""
    demo = AppProcess("demo", "--ble", "--speed", "60", "--no-notify", "--data-dir", str(tmp_path))
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 20")
        page.wait_for_function(
            "() => document.getElementById('link-words').textContent.startsWith('Strap connected')"
        )
        assert re.fullmatch(r"\d+", page.inner_text("#bpm"))
    finally:
        demo.stop()


def test_flooding_app_opens_the_running_sessions_app(tmp_path: Path, chromium: Any) -> None:
    """While a session serves the app, `flooding app` gives a fresh link to that app (with the
    live page), not a second server; the link works once."""
    demo = AppProcess("demo", "--speed", "2", "--no-notify", "--data-dir", str(tmp_path))
    try:
        opened = flooding("app", "--no-browser", "--data-dir", str(tmp_path))
        assert opened.returncode == 0, opened.stderr
        links = [line[5:] for line in opened.stdout.splitlines() if line.startswith("App: ")]
        assert len(links) == 1
        assert links[0].startswith(demo.base + "/open?code=")
        assert links[0] != demo.link
        page = chromium.new_page()
        page.goto(links[0])
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 0")
        again = chromium.new_page()
        response = again.goto(links[0])
        assert response is not None
        assert response.status == 403
    finally:
        demo.stop()


def test_the_live_page_shows_both_hearts_in_couple_mode(tmp_path: Path, chromium: Any) -> None:
    """In the couple demo the page names both partners with their hearts and draws two lines."""
    demo = AppProcess(
        "demo", "--couple", "--speed", "40", "--no-notify", "--data-dir", str(tmp_path)
    )
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        page.wait_for_function("() => document.querySelectorAll('#people li').length === 2")
        lines = page.inner_text("#people").splitlines()
        said = re.compile(r"^\S.*: \d+ beats a minute, [a-z ]+\.$")
        assert all(said.match(line) for line in lines), lines
        assert len({line.split(":")[0] for line in lines}) == 2
        assert page.is_hidden("#bpm")
        page.wait_for_selector("#alert-card", state="visible", timeout=60_000)
    finally:
        demo.stop()


def test_the_monitor_serves_the_live_page_from_the_emulated_strap(
    tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flooding monitor` on the emulated strap prints one App: line, and its live page shows
    the strap's readings as they come; Ctrl-C still saves the session."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "1")
    monkeypatch.setenv("FLOODING_EMULATED_INTERVAL_S", "0.2")
    monitor = AppProcess("monitor", "--no-notify", "--data-dir", str(tmp_path), "--timeout", "1")
    try:
        page = chromium.new_page()
        page.goto(monitor.link)
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 5")
        page.wait_for_function(
            "() => document.getElementById('link-words').textContent.startsWith('Strap connected')"
        )
        monitor.process.send_signal(signal.SIGINT)
        assert monitor.wait(60) == 0
    finally:
        monitor.stop()
    assert sum(line.startswith("App: ") for line in monitor.lines) == 1
    store = Store.open(tmp_path)
    try:
        session_id = store.latest_session_id()
        assert session_id is not None
        assert store.sample_count(session_id) > 5
    finally:
        store.close()


def press_open_the_app(folder: Path, open_browser: Any) -> str | None:
    """Run the "Open the app" handler on its own loop (Playwright's sync API holds this one)."""
    with ThreadPoolExecutor(1) as worker:
        link: str | None = worker.submit(asyncio.run, app_opener(folder, open_browser)()).result()
    return link


def test_the_notifications_open_the_app_button_gives_a_working_one_time_link(
    tmp_path: Path, chromium: Any
) -> None:
    """The "Open the app" handler hands the browser a fresh link into the running demo's app
    that opens the live page once, and is refused when used again."""
    demo = AppProcess("demo", "--speed", "1", "--no-notify", "--data-dir", str(tmp_path))
    try:
        opened: list[str] = []
        link = press_open_the_app(tmp_path / "demo", opened.append)
        assert link is not None
        assert opened == [link]
        assert link != demo.link
        page = chromium.new_page()
        page.goto(link)
        assert page.url == demo.base + "/"
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 0")
        stranger = chromium.new_page()
        refused = stranger.goto(link)
        assert refused is not None
        assert refused.status in (401, 403)
    finally:
        demo.stop()


def test_with_no_app_served_the_open_the_app_button_opens_nothing(tmp_path: Path) -> None:
    """Without a running session's app for the folder, no browser is opened."""
    opened: list[str] = []
    assert press_open_the_app(tmp_path, opened.append) is None
    assert opened == []
