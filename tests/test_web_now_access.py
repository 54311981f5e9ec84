"""The live page for everyone, in a real browser (chromium) over the app of a running session
fed by the test: the ready-to-return message shown whole, screen readers told what matters
(not every heart beat), focus kept after a button goes, a break at any time, the breathing
words at the set pace with reduced motion; a message put away stays away after a reload and
in the app's other tabs."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.app.session import View
from flooding.core.models import Reading, State
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Message
from flooding.core.timefmt import countdown, spoken_minutes
from flooding.io.config_files.loading import default_settings, load_config
from flooding.io.control import (
    OkReply,
    PauseReply,
    PauseRequest,
    Reply,
    Request,
    ResumeReply,
)
from flooding.io.locale_files import load_catalogue, screen_texts
from tests.test_web_access import RING_CONTRAST
from tests.test_web_guard import base, cookie_of
from tests.test_web_live import FED_START_S, FedApp, fed, monitor_status

pytestmark = pytest.mark.slow

EN = screen_texts("en")
DE = screen_texts("de")
READY_TITLE = "20 min — you're back near your baseline"
READY_BODY = "Heart 70 bpm (calm: 66 bpm). Ready to return when you are. Start slowly."


class Monitor:
    """What answers the page's buttons, as a monitor does: each request kept, a plain yes,
    and an answer to the alert ("pause", "ok") told to the session's views (`views`)."""

    def __init__(self) -> None:
        self.asked: list[Request] = []
        self.views: list[View] = []

    def __call__(self, request: Request) -> Reply:
        self.asked.append(request)
        if isinstance(request, PauseRequest):
            self._answered(ACTION_START_PAUSE)
            until = FED_START_S + 1200.0
            return PauseReply(already=False, session_id=1, until_s=until, minutes_left=20.0)
        if request.cmd == "ok":
            self._answered(ACTION_NOT_FLOODED)
            return OkReply(already=False, session_id=1, alert_event_id=1, alert_t_s=FED_START_S)
        return ResumeReply(session_id=1)

    def _answered(self, action_id: str) -> None:
        for view in self.views:
            view.answered(action_id)


@pytest.fixture
def monitor() -> Monitor:
    return Monitor()


@pytest.fixture
def app(tmp_path: Path, monitor: Monitor) -> Iterator[FedApp]:
    """A running session's app whose buttons reach `monitor`."""
    fed_app = FedApp(tmp_path, control=monitor)
    monitor.views.append(fed_app.feed)
    try:
        yield fed_app
    finally:
        fed_app.close()


def message(app: FedApp, kind: str, title: str, body: str) -> None:
    """A message of the session, as the runner hands it to the page's feed."""

    async def give() -> None:
        app.feed.message(Message(kind, title, body))

    app.run(give())


# every change in the regions a screen reader reads out as they change, kept in the page:
# the region, its words, and whether the alert card was shown then
WATCH_LIVE = """() => {
  window.said = [];
  const live = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"]';
  new MutationObserver((changes) => {
    for (const change of changes) {
      const node = change.target.nodeType === 1 ? change.target : change.target.parentElement;
      const region = node.closest(live);
      if (!region) continue;
      window.said.push({ id: region.id, text: region.textContent,
        alertShown: !document.getElementById('alert-card').hidden });
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def said(page: Any, region: str) -> list[str]:
    """The words put into a region so far (empty clearings left out)."""
    return [s["text"] for s in page.evaluate("window.said") if s["id"] == region and s["text"]]


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement.id"))


def test_the_ready_message_is_shown_whole_where_the_pause_was_until_put_away(
    app: FedApp, chromium: Any
) -> None:
    """When the pause ends with ready-to-return, the whole message (heart against calm,
    "Ready to return", the re-entry line) is shown in a card of its own and said once to a
    screen reader; it stays after the pause card goes, until "Got it" puts it away (focus
    then on the state's words)."""
    app.send(*[fed(t, 92.0, State.FLOODED, pausing=True) for t in range(5)])
    page = chromium.new_page()
    page.goto(app.server.link())
    page.wait_for_selector("#pause-card", state="visible")
    page.evaluate(WATCH_LIVE)
    message(app, "ready", READY_TITLE, READY_BODY)
    app.send(*[fed(t, 70.0) for t in range(5, 8)])
    page.wait_for_selector("#pause-card", state="hidden")
    page.wait_for_selector("#ready-card", state="visible")
    assert page.inner_text("#ready-title") == READY_TITLE
    assert page.inner_text("#ready-body") == READY_BODY
    page.wait_for_function("() => window.said.some((s) => s.text.includes('Start slowly'))")
    assert said(page, "say-polite").count(READY_TITLE + ". " + READY_BODY) == 1
    app.send(*[fed(t, 69.0) for t in range(8, 12)])
    page.wait_for_function("() => document.getElementById('bpm').textContent === '69'")
    assert page.is_visible("#ready-card")  # more readings do not take it away
    page.keyboard.press("Tab")  # a keyboard user
    page.focus("#ready-done")
    page.keyboard.press("Enter")
    page.wait_for_selector("#ready-card", state="hidden")
    assert focused(page) == "state-words"
    page.close()


def test_the_ready_message_goes_when_a_new_pause_starts(app: FedApp, chromium: Any) -> None:
    """A ready-to-return message not put away is left when the next pause starts."""
    app.send(*[fed(t, 70.0) for t in range(3)])
    message(app, "ready", READY_TITLE, READY_BODY)
    page = chromium.new_page()
    page.goto(app.server.link())
    page.wait_for_selector("#ready-card", state="visible")
    app.send(fed(3, 92.0, State.FLOODED, pausing=True))
    page.wait_for_selector("#ready-card", state="hidden")
    page.close()


def test_a_couples_ready_message_in_german_is_shown_whole(tmp_path: Path, chromium: Any) -> None:
    """In couple mode, in German, the ready-to-return message for both is shown whole, with a
    German button to put it away, and the break button speaks for both."""
    settings = default_settings().model_copy(update={"language": "de"})
    app = FedApp(tmp_path, settings=settings, people=("Alex", "Sam"))
    try:
        for name in ("Alex", "Sam"):
            app.send(*[fed(t, 92.0, State.FLOODED, pausing=True) for t in range(3)], person=name)
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        title = "20 Min. — ihr seid beide nah an eurem Ruhepuls"
        body = "Bereit zurückzukehren, wenn ihr beide so weit seid. Fangt langsam an."
        message(app, "ready", title, body)
        for name in ("Alex", "Sam"):
            app.send(*[fed(t, 70.0) for t in range(3, 5)], person=name)
        page.wait_for_selector("#pause-card", state="hidden")
        page.wait_for_selector("#ready-card", state="visible")
        assert page.inner_text("#ready-title") == title
        assert page.inner_text("#ready-body") == body
        assert page.inner_text("#ready-done") == DE["web.now.ready_done"]
        assert page.text_content("#take-break") == DE["web.now.couple.take_break"]
        page.close()
    finally:
        app.close()


def test_screen_readers_hear_the_states_and_the_alert_not_every_heart_rate(
    app: FedApp, chromium: Any
) -> None:
    """The heart rate of every reading is in no live region: readings of the same state
    change nothing a screen reader reads out; a new state's words are said once; the alert
    is said (assertive) from a region there since the page opened, after its card shows,
    and the tab's title names it until it is answered."""
    app.send(*[fed(t, 70.0) for t in range(3)])
    page = chromium.new_page()
    page.goto(app.server.link())
    page.wait_for_function("() => document.getElementById('bpm').textContent === '70'")
    assert page.evaluate("() => !!document.getElementById('say-urgent')")
    inside = "[aria-live]:not([aria-live='off']) #bpm, [role=status] #bpm, [role=alert] #bpm"
    assert page.evaluate(f"() => document.querySelector({inside!r})") is None
    page_title = page.title()
    page.evaluate(WATCH_LIVE)
    app.send(*[fed(t, 70.0 + t % 4) for t in range(3, 15)])
    page.wait_for_function("() => document.getElementById('bpm').textContent === '72'")
    assert page.evaluate("window.said") == []  # twelve readings, nothing read out

    app.send(fed(15, 80.0, State.RISING), fed(16, 81.0, State.RISING))
    rising = EN["web.live.state.rising"]
    page.wait_for_function(f"() => window.said.some((s) => s.text === {rising!r})")
    app.send(fed(17, 95.0, State.FLOODED, pausing=True))
    alert_title, alert_body = "You're flooded — time for a 20-minute break", "Heart 95 bpm."
    message(app, "alert", alert_title, alert_body)
    page.wait_for_function("() => window.said.some((s) => s.id === 'say-urgent' && s.text)")
    urgent = [s for s in page.evaluate("window.said") if s["id"] == "say-urgent" and s["text"]]
    assert urgent == [
        {"id": "say-urgent", "text": alert_title + ". " + alert_body, "alertShown": True}
    ]
    assert said(page, "say-polite") == [rising, EN["web.live.pausing"]]
    assert page.title() == alert_title + " · " + page_title

    page.keyboard.press("Tab")
    page.focus("#not-flooded")
    page.keyboard.press("Enter")
    page.wait_for_selector("#alert-card", state="hidden")
    page.wait_for_function("() => document.activeElement.id === 'action-result'")
    assert page.inner_text("#action-result").startswith(EN["web.live.done_ok"])
    assert page.title() == page_title
    page.close()


def test_the_pause_count_down_is_said_every_five_minutes_and_at_the_last(
    tmp_path: Path, chromium: Any
) -> None:
    """The time left of a pause is said when it comes to a fifth minute and to the last
    minute, never each second; the count-down itself is in no live region."""
    said_status = [monitor_status(state="pausing", minutes_left=5.04, connected=True)]
    app = FedApp(tmp_path, status=lambda: said_status[0])
    try:
        app.send(*[fed(t, 90.0, State.FLOODED, pausing=True) for t in range(3)])
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        page.evaluate(WATCH_LIVE)
        page.wait_for_function(
            "() => document.getElementById('countdown').textContent === '4:57'", timeout=15_000
        )
        assert said(page, "say-polite") == [EN["web.live.left_time"].format(time="5 minutes")]
        said_status[0] = monitor_status(state="pausing", minutes_left=1.03, connected=True)
        page.wait_for_function(
            "() => document.getElementById('countdown').textContent === '0:58'", timeout=20_000
        )
        assert said(page, "say-polite")[1:] == [EN["web.live.left_one_minute"]]
        page.close()
    finally:
        app.close()


def long_pause(t: float, left_s: float) -> Reading:
    """A reading on a break with `left_s` of its planned time left."""
    return Reading(FED_START_S + t, 90.0, State.FLOODED, 66.0, 76.0, True, FED_START_S + left_s)


@pytest.mark.parametrize(
    ("language", "minutes", "shown", "words"),
    [
        ("en", 1435, r"23:5[45]:\d\d", "23 hours and 55 minutes of the pause left."),
        ("de", 85, r"1:2[45]:\d\d", "Noch 1 Stunde und 25 Minuten Pause."),
    ],
)
def test_a_long_break_counts_down_in_hours_and_is_said_in_hours_and_minutes(
    tmp_path: Path, chromium: Any, language: str, minutes: int, shown: str, words: str
) -> None:
    """A break with more than an hour left counts down with hours first (23:55:00, not
    1435:00), and a screen reader hears the time left in hours and minutes, in the page's
    language, not "1435 minutes"."""
    settings = default_settings().model_copy(update={"language": language})
    app = FedApp(tmp_path, settings=settings)
    try:
        # the last reading is 3 s before the fifth minute that is said next
        app.send(*[long_pause(t, 2 + minutes * 60 + 3) for t in range(3)])
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        page.evaluate(WATCH_LIVE)
        page.wait_for_function(
            "() => window.said.some((s) => s.id === 'say-polite' && s.text)", timeout=15_000
        )
        assert said(page, "say-polite") == [words]
        assert re.fullmatch(shown, page.inner_text("#countdown"))
        page.close()
    finally:
        app.close()


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_pages_time_words_are_the_products(
    tmp_path: Path, chromium: Any, language: str
) -> None:
    """The page's count-down and its spoken times left follow the rule of the terminal and
    the notifications (`countdown`, `spoken_minutes`) for every length up to a day, from
    the catalogue texts the server puts into the page."""
    settings = default_settings().model_copy(update={"language": language})
    app = FedApp(tmp_path, settings=settings)
    try:
        page = chromium.new_page()
        page.goto(app.server.link())
        seconds = [*range(0, 7300, 7), 86399, 86400]
        minutes = list(range(1, 1441))
        clocks, spoken = page.evaluate(
            """([seconds, minutes]) => {
              const texts = JSON.parse(document.getElementById('texts').textContent);
              const say = (key, values) => texts[key].replace(/\\{(\\w+)\\}/g,
                (m, name) => String(values[name]));
              return [seconds.map((s) => floodingTimeWords.clock(s)),
                      minutes.map((m) => floodingTimeWords.spoken(m, say))];
            }""",
            [seconds, minutes],
        )
        assert clocks == [countdown(s) for s in seconds]
        say = load_catalogue(language)
        assert spoken == [spoken_minutes(m, say) for m in minutes]
        page.close()
    finally:
        app.close()


def test_end_the_pause_keeps_the_focus_on_its_answer(
    app: FedApp, chromium: Any, monitor: Monitor
) -> None:
    """ "End the pause now" goes with the pause card: the focus moves to its answer, not to
    the top of the page."""
    app.send(*[fed(t, 90.0, State.FLOODED, pausing=True) for t in range(3)])
    page = chromium.new_page()
    page.goto(app.server.link())
    page.wait_for_selector("#pause-card", state="visible")
    page.keyboard.press("Tab")
    page.focus("#end-pause")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'action-result'")
    assert page.inner_text("#action-result") == EN["web.live.done_resume"]
    assert [r.cmd for r in monitor.asked] == ["resume"]
    page.close()


def test_a_break_can_be_taken_before_any_alert(
    app: FedApp, chromium: Any, monitor: Monitor
) -> None:
    """While a session runs and no pause does, "Take a break now" asks the monitor for the
    pause (as `flooding pause`), and the focus goes to its answer; during a pause it is not
    there."""
    page = chromium.new_page()
    page.goto(app.server.link())
    assert page.is_hidden("#take-break")  # no session yet
    app.send(*[fed(t, 70.0) for t in range(3)])
    page.wait_for_selector("#take-break", state="visible")
    assert page.inner_text("#take-break") == EN["web.now.take_break"]
    page.keyboard.press("Tab")
    page.focus("#take-break")
    ring = page.evaluate(RING_CONTRAST)
    assert ring >= 3, ring
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'action-result'")
    assert page.inner_text("#action-result") == EN["web.live.done_pause"]
    assert monitor.asked == [PauseRequest()]
    app.send(fed(3, 70.0, pausing=True))
    page.wait_for_selector("#take-break", state="hidden")
    page.close()


def test_the_focus_ring_shows_on_the_alert_and_pause_cards(app: FedApp, chromium: Any) -> None:
    """The focus ring stands out at least 3:1 on the alert's and the pause's cards."""
    app.send(*[fed(t, 95.0, State.FLOODED, pausing=True) for t in range(3)])
    message(app, "alert", "You're flooded", "Heart 95 bpm.")
    page = chromium.new_page()
    page.goto(app.server.link())
    page.wait_for_selector("#alert-card", state="visible")
    page.keyboard.press("Tab")
    for button in ("#not-flooded", "#end-pause"):
        page.focus(button)
        ring = page.evaluate(RING_CONTRAST)
        assert ring >= 3, (button, ring)
    page.close()


def test_with_reduced_motion_the_breathing_words_keep_the_set_pace(
    tmp_path: Path, chromium: Any
) -> None:
    """With reduced motion (the circle still), the breathing words follow the pace of the
    settings: at 10 breaths a minute and 40 % in, "Breathe in" lasts 2.4 s."""
    settings = default_settings()
    pace = settings.pause.model_copy(update={"breaths_per_minute": 10.0})
    app = FedApp(tmp_path, settings=settings.model_copy(update={"pause": pace}))
    context = chromium.new_context(reduced_motion="reduce")
    try:
        app.send(*[fed(t, 90.0, State.FLOODED, pausing=True) for t in range(3)])
        page = context.new_page()
        page.goto(app.server.link())
        page.wait_for_selector("#pause-card", state="visible")
        page.evaluate(
            """() => { window.turns = [];
              new MutationObserver(() => window.turns.push([performance.now(),
                document.getElementById('breath-words').textContent]))
              .observe(document.getElementById('breath-words'), {childList: true,
                characterData: true, subtree: true}); }"""
        )
        page.wait_for_function("() => window.turns.length >= 4", timeout=20_000)
        turns = page.evaluate("window.turns")
        breathe_in = EN["web.live.breathe_in"]
        lengths = [
            (later[0] - turn[0]) / 1000
            for turn, later in itertools.pairwise(turns)
            if turn[1] == breathe_in
        ]
        assert lengths, turns
        assert all(2.0 <= s <= 2.8 for s in lengths), lengths
        page.close()
    finally:
        context.close()
        app.close()


@pytest.mark.parametrize(
    ("overrides", "button"),
    [
        (("pause.minutes=1440",), "Start my break of 24 hours"),
        (
            ("pause.minutes=89.5", 'language="de"'),
            "Meine Pause von 1 Stunde und 30 Minuten starten",
        ),
    ],
)
def test_the_start_button_says_the_break_length_as_the_alerts_do(
    tmp_path: Path, chromium: Any, overrides: tuple[str, ...], button: str
) -> None:
    """The Now page's start button says the break's length in the words of the alerts (in
    whole minutes as it is taken, long ones in hours), not as "1440-minute pause"."""
    settings = load_config(env={}, overrides=overrides, use_default_user_file=False).settings
    fed_app = FedApp(tmp_path, control=Monitor(), settings=settings)
    try:
        page = chromium.new_page()
        page.goto(fed_app.server.link())
        assert page.text_content("#start-pause") == button
        page.close()
    finally:
        fed_app.close()


# -- a message put away stays away: after a reload, in the app's other tabs -----------------


@pytest.fixture
def tabs(app: FedApp, chromium: Any) -> Iterator[tuple[Any, Any]]:
    """Two tabs of one browser logged in to `app` (one link; the second tab by its cookie)."""
    context = chromium.new_context()
    try:
        first = context.new_page()
        first.goto(app.server.link())
        second = context.new_page()
        second.goto(first.url)
        yield first, second
    finally:
        context.close()


def shown_bpm(page: Any, bpm: str) -> None:
    """Wait until the page has drawn what it was sent (its big number says `bpm`)."""
    page.wait_for_function("(bpm) => document.getElementById('bpm').textContent === bpm", arg=bpm)


def test_a_ready_message_put_away_stays_away_after_a_reload_and_in_other_tabs(
    app: FedApp, tabs: tuple[Any, Any]
) -> None:
    """ "Got it" in one tab puts the ready-to-return message away in the other tab too, and
    neither a reload nor a tab opened later shows it again; the next message shows in all."""
    first, second = tabs
    app.send(*[fed(t, 92.0, State.FLOODED, pausing=True) for t in range(3)])
    for page in tabs:
        page.wait_for_selector("#pause-card", state="visible")
    message(app, "ready", READY_TITLE, READY_BODY)
    app.send(*[fed(t, 70.0) for t in range(3, 6)])
    for page in tabs:
        page.wait_for_selector("#ready-card", state="visible")
    first.click("#ready-done")
    first.wait_for_selector("#ready-card", state="hidden")
    second.wait_for_selector("#ready-card", state="hidden")

    first.reload()
    shown_bpm(first, "70")
    assert first.is_hidden("#ready-card")
    later = first.context.new_page()
    later.goto(first.url)
    shown_bpm(later, "70")
    assert later.is_hidden("#ready-card")

    message(app, "ready", "Ready again", READY_BODY)
    for page in (first, second, later):
        page.wait_for_selector("#ready-card", state="visible")
        assert page.inner_text("#ready-title") == "Ready again"
    later.reload()
    later.wait_for_selector("#ready-card", state="visible")


def test_an_alert_answered_not_flooded_stays_answered_after_a_reload_and_in_other_tabs(
    app: FedApp, tabs: tuple[Any, Any], monitor: Monitor
) -> None:
    """An alert answered "I'm OK" while the heart is still high goes from the other tab too,
    and a reload does not bring it back; a new alert shows again."""
    first, second = tabs
    app.send(*[fed(t, 95.0, State.FLOODED) for t in range(3)])
    message(app, "alert", "You're flooded", "Heart 95 bpm.")
    for page in tabs:
        page.wait_for_selector("#alert-card", state="visible")
    first.click("#not-flooded")
    first.wait_for_selector("#alert-card", state="hidden")
    second.wait_for_selector("#alert-card", state="hidden")
    assert [r.cmd for r in monitor.asked] == ["ok"]

    app.send(fed(3, 96.0, State.FLOODED))
    first.reload()
    shown_bpm(first, "96")
    assert first.is_hidden("#alert-card")

    message(app, "alert", "Flooded again", "Heart 97 bpm.")
    for page in tabs:
        page.wait_for_selector("#alert-card", state="visible")
        assert page.inner_text("#alert-title") == "Flooded again"


def test_an_alert_whose_break_ended_ready_does_not_come_back_with_a_later_break(
    app: FedApp, tabs: tuple[Any, Any]
) -> None:
    """After a break ended with ready-to-return, a break taken by hand later (no new alert)
    shows the pause, not the old alert again, live and after a reload."""
    first, _ = tabs
    app.send(*[fed(t, 95.0, State.FLOODED, pausing=True) for t in range(3)])
    message(app, "alert", "You're flooded", "Heart 95 bpm.")
    first.wait_for_selector("#alert-card", state="visible")
    message(app, "ready", READY_TITLE, READY_BODY)
    app.send(*[fed(t, 70.0) for t in range(3, 6)])
    first.wait_for_selector("#ready-card", state="visible")
    first.click("#ready-done")
    app.send(*[fed(t, 71.0, pausing=True) for t in range(6, 9)])
    first.wait_for_selector("#pause-card", state="visible")
    shown_bpm(first, "71")
    assert first.is_hidden("#alert-card")
    first.reload()
    first.wait_for_selector("#pause-card", state="visible")
    shown_bpm(first, "71")
    assert first.is_hidden("#alert-card")
    assert first.is_hidden("#ready-card")


def test_putting_away_asks_for_a_kept_message_of_the_feed_from_the_apps_own_page(
    app: FedApp,
) -> None:
    """Only the app's own page, logged in, puts a message away; a body without an id gets a
    400 in words, an id the feed does not keep a 404, and the one put away is said so in the
    snapshot a page opened later gets."""
    server = app.server
    message(app, "ready", READY_TITLE, READY_BODY)
    (kept,) = app.feed.messages
    url = base(server) + "/api/put-away"

    async def check() -> dict[str, Any]:
        async with aiohttp.ClientSession() as client:
            cookie = await cookie_of(server, client)
            own = {"Cookie": cookie, "Origin": base(server)}
            others = ({"Cookie": cookie, "Origin": "http://attacker.example"}, {"Cookie": cookie})
            for headers in (*others, {"Origin": base(server)}):
                async with client.post(url, json={"id": kept["id"]}, headers=headers) as answer:
                    assert answer.status in (401, 403), headers
            for body in ({}, {"id": 7}, ["id"], {"id": ""}):
                async with client.post(url, json=body, headers=own) as answer:
                    assert answer.status == 400, body
                    assert "could not read" in (await answer.json())["error"]
            async with client.post(url, json={"id": "0-1"}, headers=own) as answer:
                assert answer.status == 404
            assert not kept["put_away"]
            async with client.post(url, json={"id": kept["id"]}, headers=own) as answer:
                assert answer.status == 200
            async with client.get(base(server) + "/events", headers=own) as answer:
                assert (await answer.content.readline()) == b"event: snapshot\n"
                snapshot: dict[str, Any] = json.loads((await answer.content.readline())[6:])
                return snapshot

    snapshot = app.run(check())
    assert [(m["id"], m["put_away"]) for m in snapshot["messages"]] == [(kept["id"], True)]


STATE_IS = "(words) => document.getElementById('state-words').textContent === words"


def test_a_heart_still_high_after_im_ok_hears_its_answer_not_the_alarm_again(
    app: FedApp, chromium: Any
) -> None:
    """After "I'm OK — not flooded" while the heart is still above the line, the page's
    state says the heart is still high and that the person said they are OK, not "You are
    flooded. Time for a break." again; once the heart is below the line the state is as
    ever."""
    app.send(*[fed(t, 95.0, State.FLOODED) for t in range(3)])
    page = chromium.new_page()
    page.goto(app.server.link())
    message(app, "alert", "You're flooded — time for a break of 20 minutes", "Heart 95 bpm.")
    page.wait_for_selector("#alert-card", state="visible")
    page.wait_for_function(STATE_IS, arg=EN["web.live.state.flooded"])
    page.click("#not-flooded")
    page.wait_for_function(STATE_IS, arg=EN["web.live.answered_ok"])
    app.send(*[fed(t, 94.0, State.FLOODED) for t in range(3, 6)])
    page.wait_for_function("() => document.getElementById('bpm').textContent === '94'")
    assert page.inner_text("#state-words") == EN["web.live.answered_ok"]
    assert "flooded" not in (page.get_attribute("#state-words", "class") or "")
    app.send(fed(6, 70.0))
    page.wait_for_function(STATE_IS, arg=EN["web.live.state.calm"])
    page.close()


def test_once_the_break_runs_and_the_heart_settles_the_alert_card_holds_the_words_for_it(
    app: FedApp, chromium: Any
) -> None:
    """While flooded the alert's card is the alarm (its title on the tab too); once its break
    runs and the heart is no longer flooded the card is a quiet one headed "Your words for
    the break", with the same words and the "I'm OK" button, and the tab says the break and
    the minutes left."""
    app.send(*[fed(t, 95.0, State.FLOODED, pausing=True) for t in range(3)])
    page = chromium.new_page()
    page.goto(app.server.link())
    page_title = page.title()
    alert_title = "You're flooded — time for a break of 20 minutes"
    body = 'Heart 95 bpm. You could say: "I need a break."'
    message(app, "alert", alert_title, body)
    page.wait_for_selector("#alert-card", state="visible")
    assert page.inner_text("#alert-title") == alert_title
    assert "alert" in (page.get_attribute("#alert-card", "class") or "").split()
    assert page.title() == alert_title + " · " + page_title
    app.send(*[fed(t, 72.0, State.CALM, pausing=True) for t in range(3, 6)])
    page.wait_for_function(
        "(words) => document.getElementById('alert-title').textContent === words",
        arg=EN["web.live.break_words_title"],
    )
    assert "alert" not in (page.get_attribute("#alert-card", "class") or "").split()
    assert page.inner_text("#alert-body") == body
    assert page.is_visible("#not-flooded")
    assert re.fullmatch(r"Break · \d+ minutes left · .+", page.title()), page.title()
    assert page.title().endswith(" · " + page_title)
    page.close()


@pytest.mark.parametrize("name_who", [False, True], ids=["nobody-named", "named"])
def test_a_couples_live_page_names_who_is_flooded_only_with_name_who(
    tmp_path: Path, chromium: Any, name_who: bool
) -> None:
    """In couple mode each heart's line and the details say "flooded" of a partner only with
    couple.name_who; by default each line gives the heart alone and the details the state of
    both, as the alert says "one of you"."""
    overrides = [f"couple.name_who={'true' if name_who else 'false'}"]
    settings = load_config(env={}, overrides=overrides, use_default_user_file=False).settings
    couple = FedApp(tmp_path, settings=settings, people=("Alex", "Sam"))
    try:
        couple.send(fed(0, 113.0, State.FLOODED), person="Alex")
        couple.send(fed(0, 64.0), person="Sam")
        page = chromium.new_page()
        page.goto(couple.server.link())
        page.wait_for_function("() => document.querySelectorAll('#people li').length === 2")
        lines = page.inner_text("#people").splitlines()
        details = page.text_content("#n-state")
        if name_who:
            assert lines == ["Alex: 113 beats a minute, flooded.", "Sam: 64 beats a minute, calm."]
            assert details == "Alex: flooded · Sam: calm"
        else:
            assert lines == ["Alex: 113 beats a minute.", "Sam: 64 beats a minute."]
            assert details == EN["state.flooded"]
        page.close()
    finally:
        couple.close()
