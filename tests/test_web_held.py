"""The app while another program holds the database (an import, `flooding review`, a backup):
a delete waits for it off the event loop, so every other page and the live heart go on, and
one it cannot make in time is said plainly, nothing of it deleted; a change made meanwhile
is shown as made, the pages say calmly that it waits, and it is saved once the lock frees,
with no page asked for.

Real parts: `flooding app` in a process of its own, or a running session's app on a loop of
its own (`FedApp`), a real SQLite file that another connection holds (`LockHolder`), and
chromium.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.core.models import State
from flooding.core.notice import Message
from flooding.io.store import DB_NAME, Store
from flooding.io.store.store import JOURNAL_AFTER_S
from tests.browser import AppProcess
from tests.desktop import wait_until
from tests.session_factory import calm_talk, record
from tests.test_store_busy import LockHolder, still_locked
from tests.test_store_journal import journal_of
from tests.test_store_journal_events import stored_events
from tests.test_web_live import FedApp, bpm_is, fed

pytestmark = pytest.mark.slow

SAVED_WITHIN_S = 30.0  # the app saves in a thread of its own: a loaded machine takes a while
PAGE_TIMEOUT_MS = 20_000  # a page of an app whose loop runs answers well within this
WAITING_EN = "Your change is kept and will be saved in a moment"
WAITING_DE = "Deine Änderung bleibt erhalten und wird gleich gespeichert"
NOT_YET = "Nothing is deleted yet: another program"


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, int, int]:
    """A data folder with a calm talk and a hard talk (flooded once); their ids."""
    store = Store.open(tmp_path)
    try:
        calm = record(store, calm_talk(), start_s=1_790_000_000.0)
        hard = record(store, start_s=1_790_090_000.0)
    finally:
        store.close()
    return tmp_path, calm, hard


@contextlib.contextmanager
def served(folder: Path, *options: str) -> Iterator[AppProcess]:
    """`flooding app` over `folder` (with `options`), no browser of its own."""
    app = AppProcess("app", "--no-browser", *options, "--data-dir", str(folder))
    try:
        yield app
    finally:
        app.stop()


def logged_in(chromium: Any, link: str) -> Any:
    """A browser window logged in by `link` (a one-time link: its tabs share the login)."""
    window = chromium.new_context()
    window.set_default_timeout(PAGE_TIMEOUT_MS)
    window.new_page().goto(link)
    return window


def open_page(window: Any, base: str, path: str) -> Any:
    """A new tab of `window` at `path` of the app at `base`."""
    page = window.new_page()
    page.goto(base + path)
    return page


def start_delete(window: Any, base: str, session_id: int) -> Any:
    """A tab that has asked to delete the session ("Yes, delete it") and does not wait for
    the answer: its address leaves the confirmation page when it comes."""
    page = open_page(window, base, f"/sessions/{session_id}/delete")
    page.get_by_role("button", name="Yes, delete it").click(no_wait_after=True)
    return page


def deleting(page: Any) -> bool:
    """Whether the tab of `start_delete` still waits for its answer."""
    return bool(page.url.endswith("/delete"))


def save_note(page: Any, session_id: int, note: str) -> None:
    """Type `note` in the session page's box and save it (the page comes back)."""
    page.get_by_label("What was the talk about?").fill(note)
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_url(f"**/sessions/{session_id}?said=note")


def stored_note(folder: Path, session_id: int) -> str:
    """A session's note as another program reads it from the file."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return str(db.execute("SELECT note FROM sessions WHERE id=?", (session_id,)).fetchone()[0])
    finally:
        db.close()


def session_stored(folder: Path, session_id: int) -> bool:
    """Whether another program finds the session in the file."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        found = db.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone()
        return found is not None
    finally:
        db.close()


def test_every_other_page_answers_while_a_delete_waits_and_it_says_to_try_again(
    chromium: Any, recorded: tuple[Path, int, int]
) -> None:
    """While a delete waits for another program's lock, the app's other pages answer (the
    lock still held); when it cannot be made in time, nothing is deleted and the page says
    so plainly, and the same delete works once the lock is let go."""
    folder, calm, _ = recorded
    with served(folder) as app:
        window = logged_in(chromium, app.link)
        sessions = open_page(window, app.base, "/sessions")
        with LockHolder(folder / DB_NAME):
            asked = start_delete(window, app.base, calm)
            answered = 0
            while deleting(asked):
                sessions.goto(app.base + "/sessions")
                assert sessions.locator("tbody tr").count() == 2
                assert still_locked(folder / DB_NAME)  # answered while the delete waits
                answered += 1
            assert answered > 0
            said = asked.get_by_role("alert").inner_text()
            assert asked.url.endswith(f"/sessions/{calm}?error=busy")
            assert NOT_YET in said
            assert "The session is kept as it was; try again in a moment." in said
            assert session_stored(folder, calm)
        asked.get_by_role("link", name="Delete this session…").click()
        asked.get_by_role("button", name="Yes, delete it").click()
        asked.wait_for_selector("text=The session is deleted")
        assert not session_stored(folder, calm)


def test_the_live_heart_and_an_alert_go_on_while_a_delete_waits(
    chromium: Any, tmp_path: Path
) -> None:
    """A running session's app: while a delete of an earlier talk waits for another
    program's lock, the Now page goes on showing each new reading and an alert that comes."""
    store = Store.open(tmp_path)
    try:
        earlier = record(store, calm_talk(), start_s=1_790_000_000.0)
    finally:
        store.close()
    app = FedApp(tmp_path)

    async def alert() -> None:
        app.feed.message(Message("alert", "You are flooded", "Take a break."))

    try:
        link = app.server.link()
        base = link.split("/open", 1)[0]
        window = logged_in(chromium, link)
        now = open_page(window, base, "/")
        app.send(fed(0, 90.0))
        bpm_is(now, "90")
        with LockHolder(tmp_path / DB_NAME):
            asked = start_delete(window, base, earlier)
            bpm = 101
            while deleting(asked):
                app.send(fed(bpm - 90, float(bpm), State.FLOODED, pausing=True))
                bpm_is(now, str(bpm))
                if bpm == 101:
                    app.run(alert())
                    now.wait_for_selector("#alert-card", state="visible")
                    assert now.inner_text("#alert-title") == "You are flooded"
                assert still_locked(tmp_path / DB_NAME)  # shown while the delete waits
                bpm += 1
            assert bpm > 101
            assert NOT_YET in asked.get_by_role("alert").inner_text()
        assert session_stored(tmp_path, earlier)
    finally:
        app.close()


def test_a_change_waiting_on_disk_is_saved_once_the_lock_frees_with_no_page_asked_for(
    chromium: Any, recorded: tuple[Path, int, int]
) -> None:
    """A false alarm marked while another program has held the database long enough that
    the app's writes wait on disk is saved once that program lets go, for every other
    program to see, though no page of the app is asked for meanwhile."""
    folder, _, hard = recorded
    with served(folder) as app:
        page = open_page(logged_in(chromium, app.link), app.base, f"/sessions/{hard}")
        with LockHolder(folder / DB_NAME):
            save_note(page, hard, "money, again")
            time.sleep(JOURNAL_AFTER_S + 1.5)  # the database away this long: writes wait on disk
            page.get_by_role("button", name="This was a false alarm").click()
            page.wait_for_selector("text=Marked as a false alarm")
            assert journal_of(folder).exists()
        page.close()  # no page asks anything of the app from here on

        def marked() -> bool:
            return any(row[3] == "false-alarm" for row in stored_events(folder))

        wait_until(marked, "the mark saved", SAVED_WITHIN_S)
        wait_until(lambda: not journal_of(folder).exists(), "the waiting file gone", 10.0)
        assert stored_note(folder, hard) == "money, again"


def test_a_note_saved_while_held_is_in_its_box_and_the_page_says_it_waits_until_saved(
    chromium: Any, recorded: tuple[Path, int, int]
) -> None:
    """A note saved while another program holds the database shows in its box at once, and
    the page says calmly that the change is kept and saved in a moment (not that it is
    saved); once the lock is let go it is saved, and the page no longer says it waits."""
    folder, _, hard = recorded
    with served(folder) as app:
        page = open_page(logged_in(chromium, app.link), app.base, f"/sessions/{hard}")
        with LockHolder(folder / DB_NAME):
            save_note(page, hard, "money, again")
            assert page.get_by_label("What was the talk about?").input_value() == "money, again"
            said = page.locator("#waiting").inner_text()
            assert WAITING_EN in said
            assert "another program" in said
            assert "Your note is saved" not in page.content()
            page.goto(app.base + "/sessions")  # every page says it while it waits
            assert WAITING_EN in page.locator("#waiting").inner_text()
            assert "money, again" in page.locator("tbody").inner_text()
        wait_until(lambda: stored_note(folder, hard) == "money, again", "the note", SAVED_WITHIN_S)

        def told_saved() -> bool:
            page.goto(app.base + f"/sessions/{hard}")
            return bool(page.locator("#waiting").count() == 0)

        wait_until(told_saved, "the page to stop saying it waits", SAVED_WITHIN_S)
        assert page.get_by_label("What was the talk about?").input_value() == "money, again"


def test_a_false_alarm_marked_while_held_says_it_waits_in_german(
    chromium: Any, recorded: tuple[Path, int, int]
) -> None:
    """In German, a false alarm marked while another program holds the database is shown
    as marked, and the page says in German that the change is kept and saved soon."""
    folder, _, hard = recorded
    with served(folder, "--lang", "de") as app:
        page = open_page(logged_in(chromium, app.link), app.base, f"/sessions/{hard}")
        with LockHolder(folder / DB_NAME):
            page.get_by_role("button", name="Das war ein Fehlalarm").click()
            said = page.locator("#waiting").inner_text()
            assert WAITING_DE in said
            assert "ein anderes Programm" in said
            assert "Du hast diesen Hinweis als Fehlalarm markiert." in page.content()
        wait_until(
            lambda: any(row[3] == "false-alarm" for row in stored_events(folder)),
            "the mark saved",
            SAVED_WITHIN_S,
        )
