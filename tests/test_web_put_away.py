"""A message put away on the Now page stays away, in a real browser (chromium) over the app of
a running session fed by the test: after a reload, in a second tab of the same browser, and in
a tab opened later; a new message after it still shows, and an alert whose break is over does
not come back with a later break."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.core.models import State
from tests.test_web_guard import base, cookie_of
from tests.test_web_live import FedApp, fed
from tests.test_web_now_access import READY_BODY, READY_TITLE, Monitor, message

pytestmark = pytest.mark.slow


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


@pytest.fixture
def monitor() -> Monitor:
    return Monitor()


@pytest.fixture
def app(tmp_path: Path, monitor: Monitor) -> Iterator[FedApp]:
    """A running session's app whose buttons reach `monitor`."""
    fed_app = FedApp(tmp_path, control=monitor)
    try:
        yield fed_app
    finally:
        fed_app.close()
