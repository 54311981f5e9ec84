"""The sessions pages in a real browser, served by `flooding app` over a real store: the list,
a session's chart and episodes, the note, false alarms and their undo, export and delete."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from flooding.app.export import episodes_csv, samples_csv
from flooding.app.review import episodes
from flooding.core.timefmt import clock_time
from flooding.io.store import DB_NAME, Store
from flooding.io.store.store import JOURNAL_AFTER_S
from tests.browser import AppProcess, summary_linked_to
from tests.desktop import wait_until
from tests.session_factory import (
    calm_talk,
    flooding,
    record,
    record_with_movement,
    strap_off_talk,
)
from tests.test_store_busy import LockHolder
from tests.test_store_journal import journal_of

pytestmark = pytest.mark.slow

SAVED_WITHIN_S = 30.0  # the app saves in a thread of its own: a loaded machine takes a while


@contextlib.contextmanager
def opened(folder: Path) -> Iterator[Store]:
    """The folder's store, to read back what the app did; closed after."""
    store = Store.open(folder)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, int, int]:
    """A data folder with a calm talk and a hard talk (flooded once); their ids."""
    with opened(tmp_path) as store:
        calm = record(store, calm_talk(), start_s=1_790_000_000.0)
        hard = record(store, start_s=1_790_090_000.0)
    return tmp_path, calm, hard


@pytest.fixture
def app(recorded: tuple[Path, int, int]) -> Iterator[AppProcess]:
    """`flooding app` over the recorded folder, no browser of its own."""
    folder = recorded[0]
    process = AppProcess("app", "--no-browser", "--data-dir", str(folder))
    try:
        yield process
    finally:
        process.stop()


def open_page(chromium: Any, app: AppProcess, path: str = "/") -> Any:
    page = chromium.new_page()
    page.goto(app.link)
    if path != "/":
        page.goto(app.base + path)
    return page


def test_the_list_shows_every_session_newest_first(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """Both talks are listed, the hard one first, with its flooding counted in words."""
    _, _, hard = recorded
    page = open_page(chromium, app, "/sessions")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert f"/sessions/{hard}" in (rows.nth(0).locator("a").get_attribute("href") or "")
    assert "once" in rows.nth(0).inner_text()
    assert "not at all" in rows.nth(1).inner_text()


def test_the_live_page_says_how_to_start_a_monitor_when_none_runs(
    chromium: Any, app: AppProcess
) -> None:
    """Without a monitor, Now explains how to get the live heart instead of a dead chart."""
    page = open_page(chromium, app)
    assert "No session is running" in page.inner_text("#no-monitor")


def test_the_chart_gives_its_times_in_the_pages_language(
    chromium: Any, recorded: tuple[Path, int, int]
) -> None:
    """In German the chart's time is "Zeit" and its dates are written day first (22. Sept.),
    not in US order (9/22/26)."""
    folder, _, hard = recorded
    app = AppProcess("app", "--no-browser", "--lang", "de", "--data-dir", str(folder))
    try:
        page = open_page(chromium, app, f"/sessions/{hard}")
        page.wait_for_selector("#chart[data-ready='yes'] canvas")
        assert page.inner_text(".u-legend .u-series:first-child .u-label") == "Zeit"
        shown = page.evaluate("floodingTime.series('Zeit').value(null, 1790090000)")
        assert re.fullmatch(r"\d{1,2}\. \S+ \d\d:\d\d:\d\d", shown), shown
        ticks = page.evaluate(
            "floodingTime.axis('#000').values("
            "{scales: {x: {min: 1790000000, max: 1790300000}}}, [1790090000], 0, 0, 21600)"
        )
        assert re.fullmatch(r"\d{1,2}\. \S+ \d\d:\d\d", ticks[0]), ticks
    finally:
        app.stop()


def test_the_english_charts_clock_is_the_24_hour_clock_the_messages_use(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """In English the chart's axis and hover time give the clock as the messages and the
    words for the partner do (16:33), not in 12 hours (04:33 PM) beside them."""
    _, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    page.wait_for_selector("#chart[data-ready='yes'] canvas")
    at = 1_790_090_000 + 5 * 3600  # an afternoon or evening in most zones: 12 hours would say PM
    for t in (1_790_090_000, at):
        tick = page.evaluate(
            f"floodingTime.axis('#000').values({{scales: {{x: {{min: {t}, max: {t + 600}}}}}}},"
            f" [{t}], 0, 0, 60)"
        )
        assert tick == [clock_time(t)]
        shown = page.evaluate(f"floodingTime.series('Time').value(null, {t})")
        assert shown.endswith(" " + clock_time(t, seconds=True)), shown


def test_a_session_page_charts_and_words_the_episode(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """The chart draws from the same data as `flooding plot`; the episode is told in words."""
    _, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    page.wait_for_selector("#chart[data-ready='yes'] canvas")
    words = page.inner_text(".episodes")
    assert "your heart rose to" in words
    assert "ready to return after" in words


def test_a_session_with_movement_charts_it_and_says_when_it_came_with_the_rise(
    chromium: Any, tmp_path: Path
) -> None:
    """A session recorded with a strap's accelerometer shows a movement chart under the heart
    and says in words that the body was moving as the heart rose; one without shows neither."""
    with opened(tmp_path) as store:
        moving = record_with_movement(store, (-30.0, 60.0), start_s=1_790_000_000.0)
        plain = record(store, start_s=1_790_090_000.0)
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        page = open_page(chromium, process, f"/sessions/{moving}")
        page.wait_for_selector("#movement-chart[data-ready='yes'] canvas")
        assert page.is_visible("#movement-chart canvas")
        assert "your body was moving" in page.inner_text(".episodes")
        page.goto(process.base + f"/sessions/{plain}")
        page.wait_for_selector("#chart[data-ready='yes'] canvas")
        assert not page.is_visible("#movement")
        assert "moving" not in page.inner_text(".episodes")
    finally:
        process.stop()


def test_an_episode_the_strap_stopped_reading_is_said_so(chromium: Any, tmp_path: Path) -> None:
    """The page of a talk whose strap came off in the episode says that the episode ends at
    its last reading; the hard talk's page, which came back down, does not."""
    with opened(tmp_path) as store:
        off = record(store, strap_off_talk(), start_s=1_790_000_000.0)
        plain = record(store, start_s=1_790_090_000.0)
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        page = open_page(chromium, process, f"/sessions/{off}")
        assert "the strap stopped reading your heart" in page.inner_text(".episodes")
        page.goto(process.base + f"/sessions/{plain}")
        assert "your heart rose to" in page.inner_text(".episodes")
        assert "stopped reading" not in page.inner_text(".episodes")
    finally:
        process.stop()


def test_false_alarm_mark_and_undo_reach_the_store(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """Marking the alert as a false alarm stores the mark; undo takes it back; both while
    another program (as `flooding review` does) has the folder's store open."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    with opened(folder) as store:
        alert = store.latest_alert(hard)
        assert alert is not None
        page.get_by_role("button", name="This was a false alarm").click()
        page.wait_for_selector("text=Marked as a false alarm")
        wait_until(lambda: store.is_false_alarm(hard, alert.id), "the mark", SAVED_WITHIN_S)
        page.get_by_role("button", name="Undo: it was real").click()
        page.wait_for_selector("text=taken back")
        wait_until(lambda: not store.is_false_alarm(hard, alert.id), "the undo", SAVED_WITHIN_S)


def test_a_mark_taken_back_while_another_program_writes_stays_taken_back(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """A false alarm marked and taken back while another program holds the database (an
    import) long enough that the app's writes wait on disk stays taken back once that
    program lets go, and the note saved before them is kept."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    with LockHolder(folder / DB_NAME):
        page.get_by_label("What was the talk about?").fill("money, again")
        page.get_by_role("button", name="Save the note").click()
        page.wait_for_selector("text=Your change is kept")  # it waits for the lock
        time.sleep(JOURNAL_AFTER_S + 1.5)  # the database away this long: writes wait on disk
        page.get_by_role("button", name="This was a false alarm").click()
        page.wait_for_selector("text=Marked as a false alarm")
        assert journal_of(folder).exists()
        page.get_by_role("button", name="Undo: it was real").click()
        page.wait_for_selector("text=taken back")

    wait_until(lambda: not journal_of(folder).exists(), "the waiting file saved", SAVED_WITHIN_S)
    page.reload()
    assert "Undo: it was real" not in page.content()
    with opened(folder) as store:
        alert = store.latest_alert(hard)
        assert alert is not None
        assert not store.is_false_alarm(hard, alert.id)
        assert store.events(hard, "false-alarm") == []
        talk = store.session(hard)
        assert talk is not None
        assert talk.note == "money, again"


def test_the_note_is_saved_and_a_too_long_one_is_refused(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """A note is saved as `flooding note` saves it; one over the limit is refused, the
    saved one unchanged, and the page shows the refused text in its box to shorten."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    page.get_by_label("What was the talk about?").fill("money, again")
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_selector("text=Your note is saved")
    response = page.request.post(
        f"{app.base}/sessions/{hard}/note",
        form={"note": "x" * 501},
        headers={"Origin": app.base},
        max_redirects=0,
    )
    assert response.status == 400
    assert "The note is 501 characters; shorten it to 500 or fewer" in response.text()
    assert ">" + "x" * 501 + "</textarea>" in response.text()
    with opened(folder) as store:
        row = store.session(hard)
        assert row is not None
        assert row.note == "money, again"


def test_a_note_of_lines_up_to_the_limit_is_saved_whole(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """A note of 500 characters over 14 lines, typed in the box (which counts a line break
    as one character, though the browser sends two), is saved whole."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    note = "\n".join(["money and the dishes again"] * 14)  # 377 characters
    note += "!" * (500 - len(note))
    page.get_by_label("What was the talk about?").fill(note)
    page.get_by_role("button", name="Save the note").click()
    page.wait_for_selector("text=Your note is saved")
    with opened(folder) as store:
        row = store.session(hard)
        assert row is not None
        assert row.note == note


def test_a_note_over_the_limit_is_linked_from_the_focused_summary(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """A note over the limit (sent by a page without it) is refused: the summary has the focus
    and links the problem to the note's box, which Tab and Enter reach and which says it is
    invalid and is described by the problem; the note is kept in the box, not saved."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    page.get_by_label("What was the talk about?").evaluate(
        "(box) => { box.removeAttribute('maxlength'); box.value = 'x'.repeat(501); }"
    )
    page.get_by_role("button", name="Save the note").click()
    said = summary_linked_to(page, "form-error", "note", ["note-hint"])
    assert said.startswith("What was the talk about?: The note is 501 characters")
    assert page.get_by_label("What was the talk about?").input_value() == "x" * 501
    with opened(folder) as store:
        row = store.session(hard)
        assert row is not None
        assert row.note == ""


def test_export_gives_the_same_csv_as_the_command(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """The CSV download starts with exactly what `flooding export` writes for the readings."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    with opened(folder) as store:
        assert text.startswith(samples_csv(store, hard))


def test_the_csv_download_imports_back_and_the_episodes_come_apart(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """The CSV download is what `flooding export` writes, so `flooding import` reads it back to
    the same readings; the episodes table is a download of its own, as `--episodes` writes."""
    folder, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    readings = Path(info.value.path())
    with page.expect_download() as info:
        page.get_by_role("link", name="Episodes table").click()
    table = Path(info.value.path()).read_text(encoding="utf-8")
    with opened(folder) as store:
        assert readings.read_text(encoding="utf-8") == samples_csv(store, hard)
        assert table == episodes_csv(store, hard)
        count = store.sample_count(hard)
    again = folder / "again"
    imported = flooding("import", str(readings), "--data-dir", str(again))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    with opened(again) as store:
        latest = store.latest_session_id()
        assert latest is not None
        assert store.sample_count(latest) == count


def test_delete_asks_first_then_deletes(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """Delete goes through a confirmation page; "No" keeps the session, "Yes" removes it."""
    folder, calm, _ = recorded
    page = open_page(chromium, app, f"/sessions/{calm}")
    page.get_by_role("link", name="Delete this session…").click()
    page.get_by_role("link", name="No, keep it").click()
    assert page.url.endswith(f"/sessions/{calm}")
    page.get_by_role("link", name="Delete this session…").click()
    page.get_by_role("button", name="Yes, delete it").click()
    page.wait_for_selector("text=The session is deleted")
    with opened(folder) as store:
        assert store.session(calm) is None
        kept = "SELECT COUNT(*) FROM sample_columns WHERE session_id=?"
        assert store.db.execute(kept, (calm,)).fetchone() == (0,)  # its packed columns too


def test_a_couple_session_downloads_both_hearts(tmp_path: Path, chromium: Any) -> None:
    """The app offers a couple session's CSV (once: "not supported yet"), holding both
    partners' readings that `flooding import` stores as a couple session again."""
    from flooding.core.people import run_people_batch
    from flooding.io.config_files.loading import default_settings
    from flooding.lab.simulate import pursue_withdraw, samples

    pursuer, withdrawer = pursue_withdraw()
    tracks = {
        "Alex": samples(pursuer, 1_790_000_000.0),
        "Sam": samples(withdrawer, 1_790_000_000.0),
    }
    with opened(tmp_path) as store:
        sid = store.begin_session(1_790_000_000.0, source="test-couple", mode="talk")
        for name, track in tracks.items():
            store.add_person(sid, name, mode="talk")
            store.add_samples(sid, track, name)
        for person, event in run_people_batch(tracks, default_settings()).events:
            store.add_event(sid, event, person, couple=True)
        store.end_session(sid, max(t[-1].t_s for t in tracks.values()))
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        page = open_page(chromium, process, f"/sessions/{sid}")
        with page.expect_download() as info:
            page.get_by_role("link", name="CSV", exact=True).click()
        readings = Path(info.value.path())
    finally:
        process.stop()
    again = tmp_path / "again"
    imported = flooding("import", str(readings), "--data-dir", str(again))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "couple session" in imported.stdout
    with opened(again) as store, opened(tmp_path) as first:
        for name in tracks:
            assert list(store.iter_samples(1, name)) == list(first.iter_samples(sid, name))


def test_a_couple_session_charts_each_heart_under_its_name(tmp_path: Path, chromium: Any) -> None:
    """The chart of a session of two draws one line for each partner, named, with their calm
    (not one heart mixing both), and says each one's calm, peak and flooding by name in
    words beside it."""
    from tests.test_couple import couple_tracks, store_couple

    with opened(tmp_path) as store:
        sid = store_couple(store, couple_tracks())
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        page = open_page(chromium, process, f"/sessions/{sid}")
        page.wait_for_selector("#chart[data-ready='yes'] canvas")
        legend = page.inner_text("#chart .u-legend")
        assert page.get_attribute("#chart", "aria-describedby") == "chart-words chart-keys"
        words = page.inner_text("#chart-words")
    finally:
        process.stop()
    assert "Alex's heart" in legend
    assert "Sam's heart" in legend
    assert "Alex's calm" in legend
    assert "Flooding line" not in legend
    assert re.match(
        r"Alex's calm baseline: about \d+ beats a minute\. Alex's highest heart rate", words
    ), words
    assert "Sam's calm baseline: about" in words
    assert re.search(r"Sam was (never )?above their flooding line", words), words


def test_a_couple_session_page_names_each_partner_and_marks_the_alert_for_both(
    tmp_path: Path, chromium: Any
) -> None:
    """A session of two's page tells each partner's calm, peak and episodes by name (never
    "you were flooded" for what two did), that one of them flooded first without naming
    who (couple.name_who is off by default), the alert for both, and lets that alert be
    marked a false alarm and the mark taken back."""
    from tests.test_couple import couple_tracks, store_couple

    with opened(tmp_path) as store:
        sid = store_couple(store, couple_tracks())
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        page = open_page(chromium, process, f"/sessions/{sid}")
        summary = page.inner_text("#summary-title + p")
        told = page.inner_text(".episodes")
        page.get_by_role("button", name="This was a false alarm").click()
        page.wait_for_selector("text=Marked as a false alarm")
        marked = page.inner_text(".episodes")
        with opened(tmp_path) as store:
            (alert,) = store.events(sid, "couple-alert")
            assert store.is_false_alarm(sid, alert.id)
        page.get_by_role("button", name="Undo: it was real").click()
        page.wait_for_selector("text=taken back")
        with opened(tmp_path) as store:
            assert not store.is_false_alarm(sid, alert.id)
    finally:
        process.stop()
    assert "You were flooded" not in summary
    assert "One of you was flooded first; the other followed 60 s later." in summary
    assert "Alex was flooded" not in summary
    assert "Alex: calm baseline" in told
    assert "Sam: calm baseline" in told
    assert "not known" not in told
    assert "peak" in told
    assert "Pause for both after the alert" in told
    assert "The alert for both of you came at" in told
    assert "when Alex was flooded" not in told
    assert "You marked this alert as a false alarm." in marked


@contextlib.contextmanager
def other_page(html: str) -> Iterator[str]:
    """Another web page on this computer (a server on another port of 127.0.0.1); its address."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_another_local_page_cannot_put_words_into_the_session_page(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """A page on another port of 127.0.0.1 (the same site, so the browser sends the cookie)
    that links to a session with words in `?error=` gets a refusal, and its words are shown
    nowhere."""
    _, _, hard = recorded
    page = open_page(chromium, app, "/sessions")
    target = f"{app.base}/sessions/{hard}?error=Call%20555-0100%20now"
    with other_page(f'<a id="go" href="{target}">go</a>') as address:
        page.goto(address)
        with page.expect_navigation() as navigation:
            page.click("#go")
        response = navigation.value
    assert response is not None
    assert response.status == 403
    assert "555-0100" not in page.content()
    page.goto(target)  # typed into the address bar: the page, without the words
    assert "555-0100" not in page.content()
    assert page.locator("h1").count() == 1


# the share of the rows of the chart's plot that the upright mark at time `t` colours, given
# how a pixel of its colour is told (`hue`: a JS test of r, g, b); three pixel columns wide,
# for a line between two
MARK_COVERED = """([t, hue]) => {
  const u = window.floodingChart, ctx = u.ctx;
  const x = Math.round(u.valToPos(t, "x", true));
  const top = Math.round(u.bbox.top), height = Math.round(u.bbox.height);
  const pixels = ctx.getImageData(x - 1, top, 3, height).data;
  const test = new Function("r", "g", "b", "return " + hue);
  let covered = 0;
  for (let row = 0; row < height; row++) {
    let hit = false;
    for (let col = 0; col < 3; col++) {
      const i = (row * 3 + col) * 4;
      hit = hit || test(pixels[i], pixels[i + 1], pixels[i + 2]);
    }
    covered += hit;
  }
  return covered / height;
}"""
RED = "r - g > 60 && r - b > 60"
GREEN = "g - r > 25 && g - b > 15"


def test_the_charts_marks_and_keys_differ_by_pattern_not_by_colour_alone(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """The alert is a solid upright line and ready-to-return a dashed one (not the same line
    in red and in green), and the legend says so; its keys are drawn dashed where the lines
    are."""
    _, _, hard = recorded
    page = open_page(chromium, app, f"/sessions/{hard}")
    page.wait_for_selector("#chart[data-ready='yes'] canvas")
    marks = page.evaluate(
        f"fetch('/sessions/{hard}/chart.json').then((r) => r.json()).then((d) => d.marks)"
    )
    alert = next(m["t"] for m in marks if m["kind"] == "alert")
    ready = next(m["t"] for m in marks if m["kind"] == "ready")
    assert page.evaluate(MARK_COVERED, [alert, RED]) > 0.9
    assert 0.3 < page.evaluate(MARK_COVERED, [ready, GREEN]) < 0.8
    legend = page.inner_text(".legend")
    assert "alert (solid red upright line)" in legend
    assert "ready to return (dashed green upright line)" in legend
    for key in (".base-key", ".line-key", ".ready-key"):
        drawn = page.evaluate(f"getComputedStyle(document.querySelector('{key}')).backgroundImage")
        assert drawn.startswith("repeating-linear-gradient"), (key, drawn)


def test_the_chart_is_said_in_words_beside_it(
    chromium: Any, app: AppProcess, recorded: tuple[Path, int, int]
) -> None:
    """Under the chart, tied to it for screen readers, its story in words: the calm baseline,
    the highest heart rate, when it was above the flooding line, the alert and ready."""
    folder, _, hard = recorded
    with opened(folder) as store:
        found = episodes(store, hard)
    assert len(found) == 1
    (episode,) = found
    assert episode.alert_s is not None
    assert episode.ready_s is not None
    page = open_page(chromium, app, f"/sessions/{hard}")
    # its story, then the keys that zoom it
    assert page.get_attribute("#chart", "aria-describedby") == "chart-words chart-keys"
    words = page.inner_text("#chart-words")
    assert re.fullmatch(
        r"Calm baseline: about \d+ beats a minute\. Highest heart rate: \d+ beats a minute\. "
        r"Above the flooding line: \d\d:\d\d to \d\d:\d\d\. Alert at \d\d:\d\d\. "
        r"Ready to return at \d\d:\d\d\.",
        words,
    ), words
    assert f"Above the flooding line: {clock_time(episode.start_s)} to " in words
    assert f"Alert at {clock_time(episode.alert_s)}." in words
    assert f"Ready to return at {clock_time(episode.ready_s)}." in words


def test_delete_of_a_session_whose_readings_still_wait_is_refused_in_words(
    chromium: Any, tmp_path: Path
) -> None:
    """Deleting, from the app, a session whose last readings still wait to be saved (another
    program held the database as it ended) keeps the session and says why and what to do;
    once those readings are saved, the same delete removes it."""
    from flooding.io.store import DB_NAME
    from tests.test_store_busy import LockHolder
    from tests.test_store_delete_clean import _ended_while_held, _wait_in_file

    # the program that recorded it, still open, on a thread of its own (the browser's
    # driver runs an event loop on this one)
    with ThreadPoolExecutor(max_workers=1) as its_thread, contextlib.ExitStack() as app:
        monitor, sid = its_thread.submit(_ended_while_held, tmp_path).result()
        closing = contextlib.closing(monitor)  # closed on its thread, after the lock's release
        with on_thread(its_thread, closing), LockHolder(tmp_path / DB_NAME):
            its_thread.submit(_wait_in_file, monitor, tmp_path, sid).result()
            process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
            app.callback(process.stop)
            page = open_page(chromium, process, f"/sessions/{sid}")
            page.get_by_role("link", name="Delete this session…").click()
            page.get_by_role("button", name="Yes, delete it").click()
            said = page.get_by_role("alert").inner_text()
            assert page.url.endswith(f"/sessions/{sid}?error=still_waiting")
            assert "last readings are still waiting to be saved" in said
            assert "another program" in said
            assert "try again once the database is free again" in said
        # the other program let go, then the monitor closed: what waited is saved
        with opened(tmp_path) as store:
            assert store.session(sid) is not None
            assert store.sample_count(sid) == 40
        page.get_by_role("link", name="Delete this session…").click()
        page.get_by_role("button", name="Yes, delete it").click()
        page.wait_for_selector("text=The session is deleted")
        with opened(tmp_path) as store:
            assert store.session(sid) is None


@contextlib.contextmanager
def on_thread(
    thread: ThreadPoolExecutor, context: contextlib.AbstractContextManager[Any]
) -> Iterator[None]:
    """`context` entered and left on `thread` (a store is used on the thread that opened it)."""
    thread.submit(context.__enter__).result()
    try:
        yield
    finally:
        thread.submit(context.__exit__, None, None, None).result()
