"""The Import page in a real browser, served by `flooding app` (or the demo) over a real store:
a real recording chosen by keyboard becomes a session, a second import of it is refused with
a link, a broken file is refused naming its line, strangers' uploads are refused, an upload
over the limit is refused in words, the uploaded file is gone afterwards, the live page goes
on while a month is imported, a month's import shows how far it has come, a couple's session
says how its two files were lined up, and the page is German and fits 320 px."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.app.web.import_page import UPLOAD_DIR_PREFIX, UPLOAD_MAX_BYTES
from flooding.io.locale_files import screen_texts
from flooding.io.store import Store
from tests._data import recording, requires_data
from tests.browser import AppProcess, summary_linked_to

pytestmark = pytest.mark.slow

EXERCISE = "polar-hrm_exercise.hrm"
MONTH = "fitbit_30-day_free-living_hr.csv"
REST = "rr-ms_rest.txt"  # RR intervals without clock times
LOGGER_HR, LOGGER_PPI = "polar-sensor-logger_HR.txt", "polar-sensor-logger_PPI.txt"  # one sitting
KEY_PRESSES = 40  # Tab presses enough to reach any field of the page from its top
CHOOSER_TRIES = 3  # Enter presses before a file field that opens nothing counts as broken
CHOOSER_WAIT_MS = 10_000  # a chooser that comes at all comes within a second, even under load
IMPORT_WAIT_MS = 120_000  # an import on a machine busy with other tests may take a while


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppProcess]:
    """`flooding app` over an empty data folder, no browser of its own."""
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        yield process
    finally:
        process.stop()


def sessions_in(folder: Path) -> list[int]:
    """The ids of the sessions stored in the folder."""
    store = Store.open(folder)
    try:
        return [row.id for row in store.sessions()]
    finally:
        store.close()


def uploads_left(folder: Path) -> list[Path]:
    """Uploaded files (or their folders) left anywhere in the data folder."""
    return list(folder.rglob(UPLOAD_DIR_PREFIX + "*"))


def import_page(chromium: Any, app: AppProcess, **options: Any) -> Any:
    """A browser page logged in by the app's link, on the Import page."""
    page = chromium.new_page(**options)
    page.goto(app.link)
    page.goto(app.base + "/import")
    return page


def tab_to(page: Any, element_id: str) -> None:
    """Press Tab until the element has the keyboard's focus."""
    for _ in range(KEY_PRESSES):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} is not reached by Tab")


def opened_by_enter(page: Any, choosers: list[Any]) -> Any:
    """The file chooser that Enter on the focused file field opens. Enter is pressed again
    when no chooser came (a key press is now and then lost on a busy machine, seen in CI);
    a field that Enter does not open fails every try."""
    for _ in range(CHOOSER_TRIES):
        page.keyboard.press("Enter")
        for _ in range(CHOOSER_WAIT_MS // 100):
            if choosers:
                return choosers[0]
            page.wait_for_timeout(100)
    raise AssertionError("Enter on the file field opened no file chooser")


@requires_data
def test_a_recording_chosen_by_keyboard_is_imported_and_its_session_opens(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """With the keyboard alone a Polar file is chosen and imported; its session page opens,
    says so, and the uploaded file is gone."""
    page = import_page(chromium, app)
    choosers: list[Any] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))  # told early to the browser
    tab_to(page, "file")
    chooser = opened_by_enter(page, choosers)
    chooser.set_files(str(recording(EXERCISE)))
    tab_to(page, "import-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sessions/*?said=imported", timeout=IMPORT_WAIT_MS)
    assert "The recording is imported" in page.inner_text("[role=status]")
    assert EXERCISE in (page.text_content("main") or "")  # the file, in the session's details
    assert len(sessions_in(tmp_path)) == 1
    assert uploads_left(tmp_path) == []


@requires_data
def test_a_second_import_of_the_same_file_is_refused_with_a_link_to_its_session(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """The same file again stores nothing and says which session holds it, with a link
    that opens it."""
    page = import_page(chromium, app)
    page.set_input_files("#file", str(recording(EXERCISE)))
    page.click("#import-button")
    page.wait_for_url("**/sessions/*?said=imported", timeout=IMPORT_WAIT_MS)
    first = sessions_in(tmp_path)
    page.goto(app.base + "/import")
    page.set_input_files("#file", str(recording(EXERCISE)))
    page.click("#import-button")
    page.wait_for_selector("#import-error")
    said = page.inner_text("#import-error")
    assert f"{EXERCISE} is already imported; nothing was added." in said
    page.click(f"#import-error a[href='/sessions/{first[0]}']")
    page.wait_for_url(f"**/sessions/{first[0]}")
    assert sessions_in(tmp_path) == first
    assert uploads_left(tmp_path) == []


def refused_import(chromium: Any, app: AppProcess, folder: Path, text: str) -> str:
    """Import an RR list `my-rr.txt` holding `text` (from outside the data folder `folder`)
    that the page refuses; what it says."""
    broken = folder / "elsewhere" / "my-rr.txt"
    broken.parent.mkdir()
    broken.write_text(text, encoding="utf-8")
    page = import_page(chromium, app)
    page.set_input_files("#file", str(broken))
    page.click("#import-button")
    page.wait_for_selector("#import-error")
    return str(page.inner_text("#import-error"))


def test_a_refused_start_time_is_linked_from_the_focused_summary(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """A start time no recording can have is refused: the summary has the focus and links the
    problem to the time's field, which Tab and Enter reach and which says it is invalid and
    is described by the problem; nothing is stored."""
    chosen = tmp_path / "elsewhere" / "my-rr.txt"
    chosen.parent.mkdir()
    chosen.write_text("800\n810\n", encoding="utf-8")
    page = import_page(chromium, app)
    page.set_input_files("#file", str(chosen))
    page.get_by_text("More choices").click()
    page.locator("#start").fill("1960-01-01T10:00")
    page.click("#import-button")
    said = summary_linked_to(page, "import-error", "start", ["start-hint"])
    assert said.startswith("When the recording began: ")
    assert "1970" in page.inner_text("#start-error")
    assert page.locator("#file").get_attribute("aria-invalid") is None
    assert sessions_in(tmp_path) == []


def test_a_broken_file_is_refused_naming_its_line_and_nothing_is_stored(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """An RR list with a word on line 3 is refused, naming the file by its own name, the
    line and what was expected; nothing is stored and no upload is left."""
    said = refused_import(chromium, app, tmp_path, "800\n810\nabc\n790\n")
    assert "my-rr.txt, line 3: expected one RR interval (a number) per line, found 'abc'" in said
    assert "Nothing was imported." in said
    assert str(tmp_path) not in said  # the upload's own folder is no business of the person's
    assert sessions_in(tmp_path) == []
    assert uploads_left(tmp_path) == []


def test_an_upload_left_by_an_app_stopped_mid_import_is_removed_at_the_next(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """An upload folder a killed app left a day ago is removed when the next import runs; one
    of a minute ago (an import that may be running in another process) is left alone."""
    old, recent = tmp_path / f"{UPLOAD_DIR_PREFIX}old", tmp_path / f"{UPLOAD_DIR_PREFIX}recent"
    for left in (old, recent):
        left.mkdir()
        (left / "beats.txt").write_text("800\n810\n", encoding="utf-8")
    day_ago = time.time() - 86_400
    os.utime(old, (day_ago, day_ago))
    refused_import(chromium, app, tmp_path, "800\nabc\n")
    assert uploads_left(tmp_path) == [recent]


def test_the_import_page_is_german_labelled_and_fits_320_px(chromium: Any, tmp_path: Path) -> None:
    """In German every text of the page is German, every field has a label, the empty
    Sessions page and the navigation lead to it, and at 320 px nothing scrolls sideways."""
    app = AppProcess("app", "--no-browser", "--lang", "de", "--data-dir", str(tmp_path))
    try:
        page = import_page(chromium, app, viewport={"width": 320, "height": 640})
        assert page.inner_text("h1") == "Eine Aufnahme importieren"
        page.click("details:nth-of-type(1) summary")
        page.click("details:nth-of-type(2) summary")
        words = page.inner_text("main")
        english, german = screen_texts("en"), screen_texts("de")
        for key, text in english.items():
            sentence = " " in text and "{" not in text
            if key.startswith("web.import.") and sentence and german[key] != text:
                assert text not in words, key
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('main input:not([type=hidden]), main select')]"
            ".filter(e => !e.labels.length).map(e => e.id || e.name)"
        )
        assert unlabelled == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert page.get_attribute("nav a[aria-current=page]", "href") == "/import"
        page.goto(app.base + "/sessions")
        page.click("main a[href='/import'] >> nth=0")
        page.wait_for_url("**/import")
    finally:
        app.stop()


@contextlib.asynccontextmanager
async def logged_in(app: AppProcess) -> AsyncIterator[aiohttp.ClientSession]:
    """A client holding the app's cookie (from its link)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(app.link, allow_redirects=False) as opened:
            assert opened.status == 303
        yield client


def in_a_thread(check: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a check's own event loop in a thread (the browser's runs in this one)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(check())
        except BaseException as exc:  # raised again in the test
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


def upload_form(path: Path) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", path.read_bytes(), filename=path.name)
    return form


def test_an_upload_without_the_cookie_or_from_another_page_is_refused(
    app: AppProcess, tmp_path: Path
) -> None:
    """Without the login cookie, from another origin, without an origin, or started by
    another site's page, an upload is refused before it is read (nothing stored, no file);
    from the app's own page it is imported."""
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n" * 200, encoding="utf-8")
    url = app.base + "/import"

    async def check() -> None:
        async with (
            aiohttp.ClientSession() as stranger,
            stranger.post(url, data=upload_form(rr), headers={"Origin": app.base}) as answer,
        ):
            assert answer.status == 401
        async with logged_in(app) as client:
            for headers in (
                {"Origin": "http://attacker.example"},
                {},
                {"Origin": app.base, "Sec-Fetch-Site": "cross-site"},
                {"Origin": app.base, "Sec-Fetch-Site": "same-site"},
            ):
                async with client.post(url, data=upload_form(rr), headers=headers) as answer:
                    assert answer.status == 403, headers
            assert sessions_in(tmp_path) == []
            assert uploads_left(tmp_path) == []
            own_page = {"Origin": app.base, "Sec-Fetch-Site": "same-origin"}
            async with client.post(
                url, data=upload_form(rr), headers=own_page, allow_redirects=False
            ) as answer:
                assert answer.status == 303  # the same upload from the app's own page

    in_a_thread(check)
    assert len(sessions_in(tmp_path)) == 1
    assert uploads_left(tmp_path) == []


def test_a_participant_number_in_other_digits_is_refused_in_words(
    app: AppProcess, tmp_path: Path
) -> None:
    """A participant "²" (a digit to Unicode, not a number) is refused with words naming it,
    not an error inside the app; nothing is stored and no upload is left."""
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n" * 200, encoding="utf-8")

    async def check() -> None:
        async with logged_in(app) as client:
            form = upload_form(rr)
            form.add_field("participant", "²")
            async with client.post(
                app.base + "/import", data=form, headers={"Origin": app.base}
            ) as answer:
                assert answer.status == 400
                said = await answer.text()
                assert "²" in said
                assert "is not a number" in said

    in_a_thread(check)
    assert sessions_in(tmp_path) == []
    assert uploads_left(tmp_path) == []


def test_an_upload_over_the_limit_is_refused_in_words_and_leaves_no_file(
    app: AppProcess, tmp_path: Path
) -> None:
    """An upload larger than the limit, said in advance or only found while it arrives, is
    refused with a page saying the limit; the part written is removed."""
    url = app.base + "/import"
    piece = b"800\n" * 16384  # 64 KiB

    async def endless() -> AsyncIterator[bytes]:
        sent = 0
        while sent <= UPLOAD_MAX_BYTES:
            yield piece
            sent += len(piece)

    async def check() -> None:
        async with logged_in(app) as client:
            headers = {
                "Origin": app.base,
                "Content-Type": "multipart/form-data; boundary=xyz",
                "Content-Length": str(UPLOAD_MAX_BYTES + 1),
            }
            async with client.post(url, data=b"--xyz--\r\n", headers=headers) as answer:
                assert answer.status == 413
                assert f"larger than the app takes ({UPLOAD_MAX_BYTES // 2**20} MiB)" in (
                    await answer.text()
                )
            form = aiohttp.FormData()
            form.add_field("file", endless(), filename="huge.txt")
            with contextlib.suppress(aiohttp.ClientError):  # the app may stop reading
                async with client.post(url, data=form, headers={"Origin": app.base}) as answer:
                    assert answer.status == 413

    in_a_thread(check)
    assert sessions_in(tmp_path) == []
    assert uploads_left(tmp_path) == []


@requires_data
def test_the_live_page_goes_on_while_a_month_is_imported(chromium: Any, tmp_path: Path) -> None:
    """While a month of heart rates is imported (the upload whole, the import not yet
    ended), the demo's live page keeps getting readings; then the month's session opens."""
    month = tmp_path / MONTH
    shutil.copyfile(recording(MONTH), month)
    demo = AppProcess("demo", "--speed", "20", "--no-notify", "--data-dir", str(tmp_path / "d"))
    try:
        browser = chromium.new_context()
        live = browser.new_page()
        live.goto(demo.link)
        live.wait_for_function("() => window.floodingLag && window.floodingLag.length > 2")
        # the readings as the page's stream brings them (drawing waits for an animation frame,
        # which a browser that is not showing the page may hold back)
        live.evaluate(HEAR_READINGS)
        page = browser.new_page()  # the same browser's login
        page.goto(demo.base + "/import")
        page.set_input_files("#file", str(month))
        page.click("#import-button", no_wait_after=True)
        written = wait_for_upload(tmp_path / "d", month.stat().st_size)
        readings = live.evaluate("window.readingsHeard")
        live.wait_for_function(f"() => window.readingsHeard > {readings + 2}")
        assert written.exists(), "the import ended before the live page was updated"
        page.wait_for_url("**/sessions/*?said=imported", timeout=IMPORT_WAIT_MS)
        assert "The recording is imported" in page.inner_text("[role=status]")
        assert uploads_left(tmp_path / "d") == []
    finally:
        demo.stop()


UPLOAD_WAIT_S = 60.0
# the live page's readings counted as its event stream brings them
HEAR_READINGS = """() => {
  window.readingsHeard = 0;
  new EventSource("/events").addEventListener("reading", () => { window.readingsHeard += 1; });
}"""


def wait_for_upload(folder: Path, size: int) -> Path:
    """The uploaded file, once it is whole in the data folder (the import starts then)."""
    done = threading.Event()
    found: list[Path] = []
    deadline = time.monotonic() + UPLOAD_WAIT_S
    while not done.is_set() and time.monotonic() < deadline:
        for path in folder.rglob(MONTH):
            with contextlib.suppress(OSError):
                if UPLOAD_DIR_PREFIX in str(path) and path.stat().st_size == size:
                    found.append(path)
                    done.set()
        time.sleep(0.01)
    assert found, "the upload never arrived whole"
    return found[0]


# every text the status says and every value the progress bar shows, kept in the tab's
# session storage as they change (they are read again from the page that opens after)
KEEP_PROGRESS = """() => {
  const keep = (key, value) => sessionStorage.setItem(
    key, JSON.stringify([...JSON.parse(sessionStorage.getItem(key) || "[]"), value]));
  const status = document.getElementById("import-status");
  const bar = document.getElementById("import-progress");
  new MutationObserver(() => keep("said", status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
  new MutationObserver(() => {
    if (!bar.hasAttribute("value")) return;
    keep("bar", bar.value);
    keep("shown", bar.closest("[hidden]") === null);
    keep("named", [...bar.labels].map((label) => label.textContent).join(" "));
  }).observe(bar, {attributes: true, attributeFilter: ["value"]});
}"""


def kept(page: Any, key: str) -> list[Any]:
    """What KEEP_PROGRESS kept under `key`, in order."""
    return list(page.evaluate("(key) => JSON.parse(sessionStorage.getItem(key) || '[]')", key))


@requires_data
def test_a_months_import_shows_how_far_it_has_come(
    chromium: Any, app: AppProcess, tmp_path: Path
) -> None:
    """While a month of heart rates is imported, a named progress bar fills and the status
    says the percentage now and then (when a quarter is passed, not at every answer); then
    the month's session opens."""
    page = import_page(chromium, app)
    page.set_input_files("#file", str(recording(MONTH)))
    page.evaluate(KEEP_PROGRESS)
    page.click("#import-button", no_wait_after=True)
    page.wait_for_url("**/sessions/*?said=imported", timeout=IMPORT_WAIT_MS)
    shown, said, named, visible = (kept(page, key) for key in ("bar", "said", "named", "shown"))
    assert shown, "the bar never showed how far the import had come"
    assert shown == sorted(shown)
    assert shown[0] > 0
    assert shown[-1] <= 100
    assert all(visible)
    assert set(named) == {"How far the import has come"}
    counted = [text for text in said if "%" in text]
    assert counted, "the status never said the percentage"
    assert all(re.fullmatch(r"Importing: \d+ % done", text) for text in counted)
    assert len(counted) <= min(4, len(shown))  # when a quarter is passed, at most
    assert len(sessions_in(tmp_path)) == 1


def couple_imported(page: Any, first: str, second: str) -> str:
    """Import two recordings as a couple's session from the Import page; what the session's
    page says first."""
    page.click("details:nth-of-type(1) summary")
    page.set_input_files("#file", str(recording(first)))
    page.set_input_files("#second", str(recording(second)))
    page.click("#import-button")
    page.wait_for_url("**/sessions/*?said=imported", timeout=IMPORT_WAIT_MS)
    return str(page.inner_text("[role=status]"))


@requires_data
def test_a_couples_session_says_how_its_two_files_were_lined_up(
    chromium: Any, app: AppProcess
) -> None:
    """Two files of one sitting are said to be aligned on their clock times; a file without
    clock times is named, and the page says how to set the start in its own words (not the
    command's option), as `flooding import --couple` says it."""
    page = import_page(chromium, app)
    said = couple_imported(page, LOGGER_HR, LOGGER_PPI)
    assert "The two recordings were aligned on the clock times both files carry." in said
    page.goto(app.base + "/import")
    said = couple_imported(page, REST, EXERCISE)
    assert (
        f"The two recordings were both placed from their starts ({REST} carries no clock "
        "time), so they line up only if both recordings began together; “When the recording "
        "began” under More choices sets when." in said
    )
    assert "--start" not in said
