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
from flooding.io.locale_files import screen_texts
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


# the one-person page's words that speak to one person (the couple's page has its own)
SOLO_WORDS = (
    "web.now.waiting",
    "web.now.alert_title",
    "web.now.not_flooded",
    "web.now.pause_title",
    "web.now.chart_title",
    "web.live.state.warming",
    "web.live.state.rising",
    "web.live.state.flooded",
    "web.live.pausing",
    "web.live.mode_talk",
    "web.live.mode_workout",
    "web.live.done_pause",
    "web.live.done_ok",
    "web.live.link.connected",
)


def solo_words_on(page: Any, texts: dict[str, str]) -> list[str]:
    """The one-person page's words that speak to one person, as found on `page` (shown or
    not, and the chart's label), from the catalogue `texts`."""
    shown = (page.text_content("main") or "") + (page.get_attribute("#chart", "aria-label") or "")
    words = [texts[key] for key in SOLO_WORDS]
    words.append(texts["web.now.start_pause"].format(minutes=20))
    words.append(texts["web.now.chart_label"])
    return [word for word in words if word in shown]


def test_the_live_page_shows_both_hearts_in_couple_mode(tmp_path: Path, chromium: Any) -> None:
    """In the couple demo the page names both partners with their hearts and draws two lines,
    and through the whole talk its own words speak to both: each one's strap on its own
    line, each one's numbers under Details, the state, the mode, the pause, its buttons and
    their answers are the couple's, and no word of the one-person page's speaks to one."""
    english = screen_texts("en")
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
        assert page.inner_text("#straps").splitlines() == [
            "Alex's Simulated strap: connected · battery not known yet",
            "Sam's Simulated strap: connected · battery not known yet",
        ]
        assert page.is_hidden("#link-words")  # no one strap line for both
        talking = {english[f"web.live.couple.state.{s}"] for s in ("warming", "calm", "rising")}
        assert page.inner_text("#state-words") in talking
        each = r"Alex: {0} · Sam: {0}"
        per_minute = r"\d+ beats a minute"
        assert re.fullmatch(each.format(per_minute), page.text_content("#n-bpm") or "")
        known = f"({per_minute}|not known yet)"
        assert re.fullmatch(each.format(known), page.text_content("#n-baseline") or "")
        assert re.fullmatch(each.format(per_minute), page.text_content("#n-threshold") or "")
        assert re.fullmatch(each.format("[a-z ]+"), page.text_content("#n-state") or "")
        assert page.inner_text(".legend") == "Red: Alex's heart · blue: Sam's heart"
        assert page.inner_text("#chart-title") == english["web.live.couple_title"]
        label = page.get_attribute("#chart", "aria-label")
        assert label == english["web.now.couple.chart_label"]
        assert page.inner_text("#mode-words") == english["web.live.couple.mode_talk"]
        assert solo_words_on(page, english) == []
        status = flooding("status", "--data-dir", str(tmp_path))
        assert status.returncode == 0, status.stderr
        told = status.stdout.splitlines()
        assert told[0].startswith("Monitor: running (the couple demo, with two simulated straps")
        assert told[1:3] == [
            "Strap:   Alex's Simulated strap: connected",
            "Strap:   Sam's Simulated strap: connected",
        ]

        page.wait_for_selector("#pause-card", state="visible", timeout=60_000)
        assert page.is_visible("#alert-card")
        assert page.inner_text("#pause-title") == english["web.now.couple.pause_title"]
        assert page.inner_text("#not-flooded") == english["web.now.couple.not_flooded"]
        assert page.text_content("#start-pause") == "Start our 20-minute pause"
        page.wait_for_function(
            "(words) => document.getElementById('state-words').textContent === words",
            arg=english["web.live.couple.pausing"],
        )
        page.evaluate("document.getElementById('start-pause').click()")  # already pausing
        page.wait_for_function(
            "(words) => document.getElementById('action-result').textContent === words",
            arg=english["web.live.couple.done_pause"],
        )
        assert solo_words_on(page, english) == []

        page.wait_for_function(
            "() => document.getElementById('action-result').textContent"
            ".includes('both back near your calm')",
            timeout=60_000,
        )
        page.evaluate("document.getElementById('not-flooded').click()")
        page.wait_for_function(
            "(words) => document.getElementById('action-result').textContent.startsWith(words)",
            arg=english["web.live.couple.done_ok"],
        )
        page.wait_for_function(
            "(words) => document.getElementById('state-words').textContent === words",
            arg=english["web.live.couple.state.calm"],
        )
        assert solo_words_on(page, english) == []
        assert demo.wait(120) == 0
    finally:
        demo.stop()


def test_a_couples_monitor_gives_each_strap_with_its_battery(
    tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flooding monitor --couple` on two emulated straps: the live page gives each partner's
    strap on a line of its own with its link and battery, and says to both that desktop
    alerts do not reach the screen; `flooding status` gives each strap too."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "couple")
    monkeypatch.setenv("FLOODING_EMULATED_INTERVAL_S", "0.2")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    config = tmp_path / "couple.toml"
    config.write_text(COUPLE_CONFIG, encoding="utf-8")
    data = str(tmp_path / "data")
    monitor = AppProcess(
        "monitor", "--couple", "--config", str(config), "--data-dir", data, "--timeout", "1"
    )
    try:
        page = chromium.new_page()
        page.goto(monitor.link)
        page.wait_for_function(
            "() => (document.getElementById('straps').textContent.match(/battery/g) || [])"
            ".length === 2 && !document.getElementById('straps').textContent.includes('known')"
        )
        assert page.inner_text("#straps").splitlines() == [
            "Anna's Polar H10 E1A2B3C4: connected · battery 87%",
            "Ben's Polar H10 0F0F0F0F: connected · battery 42%",
        ]
        page.wait_for_selector("#desktop-words", state="visible", timeout=30_000)
        desktop = page.inner_text("#desktop-words")
        assert desktop.startswith("Desktop alerts are not reaching this screen (")
        assert desktop.endswith("). Keep this page open, both of you: it shows them.")
        status = flooding("status", "--data-dir", data)
        assert status.returncode == 0, status.stderr
        assert [line for line in status.stdout.splitlines() if line.startswith("Strap:")] == [
            "Strap:   Anna's Polar H10 E1A2B3C4 (C0:FF:EE:00:00:01): connected, battery 87 %",
            "Strap:   Ben's Polar H10 0F0F0F0F (C0:FF:EE:00:00:99): connected, battery 42 %",
        ]
        monitor.process.send_signal(signal.SIGINT)
        assert monitor.wait(60) == 0
    finally:
        monitor.stop()


# two partners, each with one of the emulated straps (FLOODING_EMULATED_STRAP=couple)
COUPLE_CONFIG = """
[profiles.Anna]
strap.address = "C0:FF:EE:00:00:01"
strap.name = "Polar H10 E1A2B3C4"
[profiles.Ben]
strap.address = "C0:FF:EE:00:00:99"
strap.name = "Polar H10 0F0F0F0F"
"""


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
