"""The live page in a real browser (chromium), fed by the demo's simulated strap: the chart
moves, the alert and the pause appear, and the buttons reach the running session."""

from __future__ import annotations

import asyncio
import re
import signal
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from flooding.app.live import LiveMonitor
from flooding.app.status import StatusBoard
from flooding.app.web.live import LiveFeed, Status, reading_event
from flooding.app.web.server import AppServer, Control, app_opener
from flooding.core.models import LinkChanged, LinkState, Reading, State, Unusable
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.control import MonitorStatus, PauseStatus, StrapStatus
from flooding.io.locale_files import screen_texts
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import flooding

T = TypeVar("T")

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
    words.append(texts["web.now.start_pause"].format(time="20 minutes"))
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
        said = re.compile(r"^\S.*: \d+ beats a minute\.$")  # nobody named as flooded
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
        assert re.fullmatch("[a-z ()-]+", page.text_content("#n-state") or "")  # both together
        legend = " ".join(page.inner_text(".legend").split())
        assert legend == "Alex's heart: solid red line Sam's heart: dashed blue line"
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
        assert page.text_content("#start-pause") == "Start our break of 20 minutes"
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
            "() => document.getElementById('ready-title').textContent"
            ".includes('both back near your calm')",
            timeout=60_000,
        )
        assert page.is_visible("#ready-card")
        assert page.inner_text("#ready-body").startswith("Ready to return when you both are.")
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
        assert link != demo.link
        (handed,) = opened  # the browser's command line: an owner-only page, not the code
        assert handed.startswith("file://")
        assert link.split("code=", 1)[1] not in handed
        page = chromium.new_page()
        page.goto(handed)
        page.wait_for_url(demo.base + "/")
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


# -- readings the detector could not use ----------------------------------------------------

FED_START_S = 1_800_000_000.0


def fed(
    t: float,
    bpm: float,
    state: State = State.CALM,
    unusable: Unusable | None = None,
    pausing: bool = False,
) -> Reading:
    """A reading as the session hands it to the page's feed (calm 66, line 76)."""
    until = FED_START_S + 1200.0 if pausing else None
    return Reading(FED_START_S + t, bpm, state, 66.0, 76.0, pausing, until, unusable=unusable)


class FedApp:
    """The app of a running session, in this process: its server and live feed on a loop of
    their own (Playwright's sync API holds the test's), the readings handed in by the test."""

    def __init__(
        self,
        folder: Path,
        status: Status | None = None,
        *,
        control: Control | None = None,
        settings: Settings | None = None,
        people: tuple[str, ...] = (),
    ) -> None:
        """`status`: the monitor's status the page is told (None: the feed has none);
        `control`: what answers the page's buttons (None: no monitor here); `settings`: the
        app's (None: the defaults); `people`: a couple's two names."""
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.feed = LiveFeed(status=status, people=people)

        async def start() -> AppServer:
            self.store = Store.open(folder)  # on the loop's thread, which uses it
            server = AppServer(
                folder=folder,
                store=self.store,
                settings=settings or default_settings(),
                feed=self.feed,
                control=control,
            )
            await server.start()
            return server

        self.server = self.run(start())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """`work` done on the app's loop."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(30)

    def send(self, *readings: Reading, person: str | None = None) -> None:
        """Readings of the session (of one partner, with `person`), as the runner gives them."""

        async def give() -> None:
            for reading in readings:
                if person is None:
                    self.feed.reading(reading)
                else:
                    self.feed.person_reading(person, reading)

        self.run(give())

    def forget(self) -> None:
        """A page opened from now on starts without the readings sent so far."""

        async def clear() -> None:
            self.feed.readings.clear()

        self.run(clear())

    def close(self) -> None:
        async def stop() -> None:
            await self.server.close()
            self.store.close()

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def fed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FedApp]:
    """One running session's app for the tests of readings not counted."""
    app = FedApp(tmp_path_factory.mktemp("fed"))
    try:
        yield app
    finally:
        app.close()


def bpm_is(page: Any, text: str) -> None:
    """Wait until the page's big number says `text`."""
    page.wait_for_function(f"() => document.getElementById('bpm').textContent === {text!r}")


def test_a_reading_not_counted_has_no_heart_rate_in_what_the_page_receives() -> None:
    """The page receives no heart rate for a reading the detector could not use, but why
    and the strap's number; a usable reading's event is as before, without those keys."""
    usable = reading_event(fed(0, 70.0))
    assert usable["bpm"] == 70.0
    assert "unusable" not in usable
    assert "strap_bpm" not in usable
    implausible = reading_event(fed(1, 300.0, unusable=Unusable.IMPLAUSIBLE))
    assert implausible["bpm"] is None
    assert implausible["unusable"] == "implausible"
    assert implausible["strap_bpm"] == 300.0
    lost = reading_event(fed(2, float("nan"), State.NO_CONTACT, Unusable.NO_CONTACT))
    assert (lost["bpm"], lost["unusable"], lost["strap_bpm"]) == (None, "no-contact", None)


def test_the_now_page_shows_a_reading_not_counted_as_not_counted(
    fed_app: FedApp, chromium: Any
) -> None:
    """An implausible reading shows "--" with plain words (and the strap's number) under the
    state's, and in the details; the chart leaves it out (history and live alike); a reading
    without skin contact shows "--" and its words once (in a pause, under the pause's); a
    usable one shows again."""
    fed_app.forget()
    glitch = fed(10, 300.0, unusable=Unusable.IMPLAUSIBLE)
    fed_app.send(*[fed(t, 70.0) for t in range(10)], glitch, *[fed(t, 72.0) for t in range(11, 16)])
    page = chromium.new_page()
    page.goto(fed_app.server.link())
    bpm_is(page, "72")
    drawn = page.evaluate("window.floodingChart.data[1]")
    assert drawn[10] is None
    assert max(v for v in drawn if v is not None) == 72.0
    fed_app.send(fed(16, 300.0, unusable=Unusable.IMPLAUSIBLE))
    bpm_is(page, "--")
    page.wait_for_function("() => window.floodingChart.data[1].length === 17")
    assert page.evaluate("window.floodingChart.data[1][16]") is None
    assert page.evaluate("window.floodingChart.scales.y.max") < 150
    assert page.inner_text("#state-words") == "Calm. All is well."
    words = page.inner_text("#reading-words")
    assert words.startswith("The strap's reading is not believable (300 beats a minute)")
    assert page.is_visible("#reading-words")
    assert page.text_content("#n-bpm") == "not counted: 300 beats a minute is not believable"
    fed_app.send(fed(17, 0.0, State.NO_CONTACT, Unusable.NO_CONTACT))
    page.wait_for_function(
        "() => document.getElementById('state-words').textContent.includes('skin contact')"
    )
    assert page.inner_text("#bpm") == "--"
    assert page.is_hidden("#reading-words")  # the state's words say it
    assert page.text_content("#n-bpm") == "not counted: no skin contact"
    fed_app.send(fed(17.5, 0.0, State.NO_CONTACT, Unusable.NO_CONTACT, pausing=True))
    page.wait_for_selector("#reading-words", state="visible")
    assert page.inner_text("#state-words") == "On a break. Let your heart settle."
    assert page.inner_text("#reading-words").startswith("The strap has no skin contact")
    fed_app.send(fed(18, 71.0))
    bpm_is(page, "71")
    assert page.is_hidden("#reading-words")
    assert page.text_content("#n-bpm") == "71 beats a minute"
    page.close()


def test_a_partners_reading_not_counted_says_so_in_their_line(
    fed_app: FedApp, chromium: Any
) -> None:
    """In couple mode a partner's implausible reading is said in plain words in their line,
    with no heart rate; the other partner's line is as before."""
    fed_app.forget()
    page = chromium.new_page()
    page.goto(fed_app.server.link())
    fed_app.send(fed(0, 75.0), person="Alex")
    fed_app.send(fed(0, 240.0, unusable=Unusable.IMPLAUSIBLE), person="Sam")
    page.wait_for_function("() => document.querySelectorAll('#people li').length === 2")
    alex, sam = page.inner_text("#people").splitlines()
    assert alex == "Alex: 75 beats a minute."
    assert sam == (
        "Sam: the strap's reading is not believable (240 beats a minute), so it is not "
        "counted; calm."
    )
    assert page.evaluate("window.floodingChart.data[2]") == [None, None]
    page.close()
    fed_app.forget()


def test_a_strap_not_connected_yet_is_not_called_disconnected(
    tmp_path: Path, chromium: Any
) -> None:
    """A strap that has not connected since the monitor started is "not connected yet" on
    the page (nothing of it is recorded), and only one that was connected and dropped is
    "disconnected"."""
    app = FedApp(tmp_path)
    try:
        page = chromium.new_page()
        page.goto(app.server.link())

        def link(state: LinkState) -> None:
            async def give() -> None:
                app.feed.link(LinkChanged(FED_START_S, state, "Polar H10"))

            app.run(give())

        def says(text: str) -> None:
            page.wait_for_function(
                f"() => document.getElementById('link-words').textContent.startsWith({text!r})"
            )

        link(LinkState.DISCONNECTED)
        says("Not connected to the strap yet: nothing is recorded until it is.")
        link(LinkState.CONNECTED)
        says("Strap connected")
        link(LinkState.DISCONNECTED)
        says("Strap disconnected, reconnecting on its own")
        page.close()
    finally:
        app.close()


def watched(app: FedApp, people: tuple[str, ...] = ()) -> StatusBoard:
    """The status board of a monitor in front of the app's feed (of a couple: `people`),
    whose status the page is sent after every line, as a running monitor's is."""

    async def wire() -> StatusBoard:
        board = StatusBoard(app.feed)
        live = LiveMonitor(
            board, settings=default_settings(), strap="test", headless=True, people=people
        )
        app.feed.people = people
        app.feed.status = lambda: live.status().model_dump(mode="json")
        return board

    return app.run(wire())


def status_sent(app: FedApp, page: Any) -> None:
    """The monitor's status sent to the page, and drawn there."""

    async def send() -> None:
        app.feed.send_status()
        app.feed.info("status sent")

    app.run(send())
    page.wait_for_function(
        "() => document.getElementById('action-result').textContent === 'status sent'"
    )


def test_a_strap_not_connected_yet_stays_so_when_the_monitors_status_comes(
    tmp_path: Path, chromium: Any
) -> None:
    """The link line of a strap not connected since the monitor started still says "not
    connected yet" once the page has the monitor's status, on opening and when it comes
    again."""
    app = FedApp(tmp_path)
    try:
        board = watched(app)

        async def away() -> None:
            board.link(LinkChanged(FED_START_S, LinkState.DISCONNECTED, "Polar H10"))

        app.run(away())
        page = chromium.new_page()
        page.goto(app.server.link())
        words = "Not connected to the strap yet: nothing is recorded until it is."
        # the page is served saying "searching"; the monitor's words come with its first status
        page.wait_for_function(
            "(words) => document.getElementById('link-words').textContent.startsWith(words)",
            arg=words,
        )
        status_sent(app, page)
        assert page.inner_text("#link-words").startswith(words)
        page.close()
    finally:
        app.close()


def test_a_partners_strap_not_connected_yet_stays_so_when_the_monitors_status_comes(
    tmp_path: Path, chromium: Any
) -> None:
    """In couple mode a partner's strap not connected since the monitor started reads "not
    connected yet" in its line when the page opens and when the monitor's status comes
    again, while the other partner's connected one reads connected."""
    app = FedApp(tmp_path)
    try:
        board = watched(app, ("Alex", "Sam"))

        async def straps() -> None:
            board.person_link("Alex", LinkChanged(FED_START_S, LinkState.CONNECTED, "H10 A"))
            board.person_link("Sam", LinkChanged(FED_START_S, LinkState.DISCONNECTED, "H10 S"))

        app.run(straps())
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_function("() => document.querySelectorAll('#straps li').length === 2")
        lines = [
            "Alex's H10 A: connected · battery not known yet",
            "Sam's H10 S: not connected yet, trying again on its own · battery not known yet",
        ]
        assert page.inner_text("#straps").splitlines() == lines
        status_sent(app, page)
        assert page.inner_text("#straps").splitlines() == lines
        page.close()
    finally:
        app.close()


# -- the clock of the pause, and a monitor that is gone -------------------------------------


def monitor_status(*, state: str, minutes_left: float | None, connected: bool) -> dict[str, Any]:
    """The status a monitor tells the page (as `flooding status --json` has it): its state,
    the pause's minutes left (None: no pause), and whether the strap is connected (a heart
    rate only then)."""
    pause = None
    if minutes_left is not None:
        pause = PauseStatus(until_s=FED_START_S + 1200.0, minutes_left=minutes_left)
    strap = StrapStatus(
        chosen="Polar H10",
        name="Polar H10",
        address=None,
        link="connected" if connected else "disconnected",
        connected=connected,
        battery_percent=None,
    )
    status = MonitorStatus(
        pid=1,
        headless=True,
        started_at=FED_START_S,
        strap=strap,
        session_id=1 if state != "waiting" else None,
        mode="talk",
        state=state,
        heart_bpm=90.0 if connected else None,
        baseline_bpm=66.0,
        pause=pause,
    )
    return status.model_dump(mode="json")


def seconds_on(page: Any, selector: str) -> int:
    """A count-down's "m:ss" on the page, in seconds."""
    minutes, seconds = page.inner_text(selector).split(":")
    return int(minutes) * 60 + int(seconds)


# the page's count-down in seconds, in the page
COUNTDOWN_S = (
    "() => { const [m, s] = document.getElementById('countdown').textContent.split(':');"
    " return Number(m) * 60 + Number(s); }"
)


def test_the_pause_counts_down_while_no_reading_comes_and_follows_the_monitor(
    tmp_path: Path, chromium: Any
) -> None:
    """The count-down runs on the page's clock from the pause's end when the strap sends
    nothing; when the monitor says less time is left, the page follows, says no heart comes
    now, and when the session has ended the pause card goes and the page waits again."""
    english = screen_texts("en")
    said = [monitor_status(state="pausing", minutes_left=19.9, connected=True)]
    app = FedApp(tmp_path, status=lambda: said[0])
    try:
        app.send(*[fed(t, 90.0, State.FLOODED, pausing=True) for t in range(6)])
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        start_s = seconds_on(page, "#countdown")
        assert 1190 <= start_s <= 1195  # the last reading's 1195 s, or a second or two less
        page.wait_for_function(f"() => ({COUNTDOWN_S})() <= {start_s - 3}")  # no reading came
        assert page.inner_text("#bpm") == "90"

        said[0] = monitor_status(state="pausing", minutes_left=11.1, connected=False)
        page.wait_for_function(f"() => ({COUNTDOWN_S})() < 700", timeout=15_000)
        assert 655 <= seconds_on(page, "#countdown") <= 666
        page.wait_for_function("() => document.getElementById('bpm').textContent === '--'")
        assert page.inner_text("#state-words") == english["web.live.pausing"]
        assert page.inner_text("#reading-words") == english["web.live.state.gap"]

        said[0] = monitor_status(state="waiting", minutes_left=None, connected=False)
        page.wait_for_selector("#pause-card", state="hidden", timeout=15_000)
        assert page.inner_text("#state-words") == english["web.now.waiting"]
        assert page.inner_text("#bpm") == "--"
        assert page.is_hidden("#alert-card")  # no session: nothing to answer
        page.close()
    finally:
        app.close()


def test_talk_mode_does_not_promise_an_alert_while_the_strap_sends_nothing(
    tmp_path: Path, chromium: Any
) -> None:
    """While a session's strap sends nothing, the page no longer says the person will be
    told when flooded (it says nobody can be until the strap sends), and says it again once
    the heart is heard."""
    english = screen_texts("en")
    said = [monitor_status(state="calm", minutes_left=None, connected=False)]
    app = FedApp(tmp_path, status=lambda: said[0])
    try:
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_function(
            "text => document.getElementById('mode-words').textContent === text",
            arg=english["web.live.mode_talk_no_signal"],
            timeout=15_000,
        )
        said[0] = monitor_status(state="calm", minutes_left=None, connected=True)
        page.wait_for_function(
            "text => document.getElementById('mode-words').textContent === text",
            arg=english["web.live.mode_talk"],
            timeout=15_000,
        )
        page.close()
    finally:
        app.close()


def app_link(folder: Path) -> str:
    """A fresh link into the app the folder's running monitor serves, as `flooding app`
    prints it."""
    opened = flooding("app", "--no-browser", "--data-dir", str(folder))
    assert opened.returncode == 0, opened.stderr
    (link,) = [line[5:] for line in opened.stdout.splitlines() if line.startswith("App: ")]
    return link


def test_a_page_left_open_says_the_heart_is_not_known_and_comes_back_with_the_monitor(
    tmp_path: Path, chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the monitor is stopped the live page shows no heart rate nor calm as now (it
    says it is not known, greyed); the monitor started again, as the service restarts it
    (no port asked), serves on the same port, and the page comes back by itself with its
    login: the heart again, the strap connected."""
    monkeypatch.setenv("FLOODING_EMULATED_STRAP", "1")
    monkeypatch.setenv("FLOODING_EMULATED_INTERVAL_S", "0.2")
    english = screen_texts("en")
    args = (
        "monitor",
        "--headless",
        "--no-notify",
        "--data-dir",
        str(tmp_path),
        "--timeout",
        "1",
        "--set",
        "strap.address=C0:FF:EE:00:00:01",  # the emulated strap, paired
    )
    monitor = AppProcess(*args)  # the service's App: line has no link: `flooding app` gives one
    again: AppProcess | None = None
    try:
        page = chromium.new_page()
        page.goto(app_link(tmp_path))
        page.wait_for_function("() => /^\\d+$/.test(document.getElementById('bpm').textContent)")
        monitor.stop()
        page.wait_for_function(
            "(words) => document.getElementById('state-words').textContent === words",
            arg=english["web.live.unknown_now"],
        )
        assert page.inner_text("#bpm") == "--"
        assert page.inner_text("#link-words") == english["web.live.lost"]
        assert page.text_content("#n-bpm") == english["web.live.not_known_now"]
        grey = page.evaluate("getComputedStyle(document.getElementById('bpm')).color")
        assert grey == "rgb(74, 85, 96)"  # the muted ink, not the heart's

        base = page.url.rstrip("/")
        again = AppProcess(*args)
        assert app_link(tmp_path).startswith(base + "/open?code=")
        page.wait_for_function(
            "() => /^\\d+$/.test(document.getElementById('bpm').textContent)", timeout=30_000
        )
        page.wait_for_function(
            "() => document.getElementById('link-words').textContent.startsWith('Strap connected')"
        )
        assert page.inner_text("#state-words") != english["web.live.unknown_now"]
        assert page.url == base + "/"
        page.close()
    finally:
        monitor.stop()
        if again is not None:
            again.stop()


def test_after_the_breaks_time_the_page_says_the_heart_is_checked_not_no_time_left(
    tmp_path: Path, chromium: Any
) -> None:
    """Once the break's planned end has passed while the heart is still awaited, the pause
    card says the break's time is over and the heart is checked now, with no "0:00 left"."""
    english = screen_texts("en")
    app = FedApp(
        tmp_path, status=lambda: monitor_status(state="pausing", minutes_left=0.0, connected=True)
    )
    try:
        app.send(*[fed(t, 90.0, State.FLOODED, pausing=True) for t in range(1200, 1206)])
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        page.wait_for_function(
            "(words) => document.getElementById('countdown').textContent === words",
            arg=english["web.live.break_checking"],
        )
        assert page.is_hidden("#pause-card .unit")  # no "left" after the words
        page.close()
    finally:
        app.close()
