"""The app in the person's language: with `language = "de"` every page, the texts its scripts
put on screen and its error answers are German (over a real server on loopback, and in a real
browser); in English the pages read as before. The templates and scripts ask only for texts
the catalogue has."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.app.agreement import Agreement
from flooding.app.progress import progress
from flooding.app.review import EPISODE_COLUMNS
from flooding.app.web.live import LiveFeed
from flooding.app.web.server import HERE, AppServer
from flooding.app.web.settings_page import form_fields
from flooding.app.web.words import SCRIPT_TEXTS
from flooding.io.config_files.loading import default_settings, load_config
from flooding.io.locale_files import load_catalogue, screen_texts
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import calm_talk, flooding, record
from tests.test_catalogue import no_english

TEMPLATE_KEY = re.compile(r"""\b(say|say_html|counted)\("([a-z0-9_.-]+)"[,)]""")
SCRIPT_KEY = re.compile(r"""\bsay\("([a-z0-9_.-]+)"[,)]""")
PAGES = [
    "/",
    "/sessions",
    "/sessions/{hard}",
    "/sessions/{calm}",
    "/sessions/{hard}/delete",
    "/sessions/{hard}/export.html",
    "/sessions/{hard}/chart.json",
    "/agreement",
    "/agreement?edit",
    "/progress",
    "/settings",
    "/strap",
    "/import",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A data folder with a hard talk and a calm one, and a settings file saying German."""
    folder = tmp_path_factory.mktemp("de")
    store = Store.open(folder)
    try:
        hard = record(store, start_s=1_790_000_000.0)
        calm = record(store, calm_talk(), start_s=1_790_090_000.0)
        store.set_note(hard, "the holidays")
    finally:
        store.close()
    (folder / "de.toml").write_text('language = "de"\n', encoding="utf-8")
    (folder / "en.toml").write_text("# mine\n", encoding="utf-8")
    return folder, hard, calm


TEXTS_BLOCK = re.compile(r'<script type="application/json" id="texts">.*?</script>', re.S)


def visible(page: str) -> str:
    """A page's words, attributes and all, with its markup's escapes undone (without the
    texts for its script: they are checked by key)."""
    return html.unescape(TEXTS_BLOCK.sub("", page))


HUGE_ID = "/sessions/" + "9" * 23  # over 2**63: a number SQLite cannot hold


async def fetch_pages(
    recorded: tuple[Path, int, int], language: str, *, live: bool = False, posts: bool = False
) -> dict[str, tuple[int, str]]:
    """Every page (or, `live`, the live page of a running session) from a real app server on
    loopback, with a `language` settings file; `posts`: also a refused agreement and a
    refused setting. Path -> (status, body)."""
    folder, hard, calm = recorded
    config = folder / f"{language}.toml"
    settings = load_config(config).settings
    store = Store.open(folder)
    server = AppServer(
        folder=folder,
        store=store,
        settings=settings,
        feed=LiveFeed() if live else None,
        config_file=config,
    )
    link = await server.start()
    base = link.split("/open", 1)[0]
    found: dict[str, tuple[int, str]] = {}
    try:
        jar = aiohttp.CookieJar(unsafe=True)  # a cookie for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            async with client.get(link) as opened:
                found["/open"] = (opened.status, await opened.text())
            paths = ["/"] if live else [p.format(hard=hard, calm=calm) for p in PAGES]
            paths += [] if live else ["/no-such-page", "/sessions/999", "/static/", HUGE_ID]
            for path in paths:
                async with client.get(base + path) as answer:
                    found[path] = (answer.status, await answer.text())
            if posts:
                origin = {"Origin": base}
                form = {"signal": "", "break_minutes": "5"}
                async with client.post(base + "/agreement", data=form, headers=origin) as answer:
                    found["POST /agreement"] = (answer.status, await answer.text())
                form = {"detection.absolute_bpm": "500"}
                async with client.post(base + "/settings", data=form, headers=origin) as answer:
                    found["POST /settings"] = (answer.status, await answer.text())
        async with (
            aiohttp.ClientSession() as stranger,  # no cookie: refused
            stranger.get(base + "/sessions") as answer,
        ):
            found["without the cookie"] = (answer.status, await answer.text())
    finally:
        await server.close()
        store.close()
    return found


@pytest.fixture(scope="module")
def german(folder: tuple[Path, int, int]) -> dict[str, tuple[int, str]]:
    """Every page in German, the refused forms and the error answers."""
    return asyncio.run(fetch_pages(folder, "de", posts=True))


class TestEveryPageInGerman:
    def test_no_page_holds_an_english_sentence_of_the_catalogue(
        self, german: dict[str, tuple[int, str]]
    ) -> None:
        """No page, refused form or error answer says any English screen text."""
        for path, (_status, body) in german.items():
            assert no_english(visible(body)) == [], path

    def test_the_pages_are_german_and_say_so(
        self, german: dict[str, tuple[int, str]], folder: tuple[Path, int, int]
    ) -> None:
        """Each page is marked lang="de" and has its German headings and words."""
        _, hard, _ = folder
        expected = {
            "/": ["Gerade läuft keine Sitzung", "Sitzungen", "Vor dem Gespräch"],
            "/sessions": ["einmal", "gar nicht", "Höchster Puls", "Die neuesten zuerst"],
            f"/sessions/{hard}": ["Was passiert ist", "Das war ein Fehlalarm", "Deine Notiz"],
            f"/sessions/{hard}/delete": ["Diese Sitzung löschen?", "Nein, behalten"],
            "/agreement": ["Macht eure Vereinbarung", "Wie wir zurückkommen"],
            "/progress": ["Kleine Schritte", "Nach Wochen", "Woche ab 21. Sep. 2026"],
            "/settings": ["Wann es Überflutung heißt", "Erlaubt:", "eine Zahl von 60 bis 220"],
            "/strap": ["Einen Gurt finden", "Gurte in der Nähe suchen"],
        }
        report = visible(german[f"/sessions/{hard}/export.html"][1])
        assert '<html lang="de">' in report
        assert "Überflutungen" in report
        assert "Dein Ruhepuls" in report
        assert "RMSSD" not in report
        marks = json.loads(german[f"/sessions/{hard}/chart.json"][1])["marks"]
        assert {m.get("label") for m in marks} >= {"Hinweis", "bereit zurückzukehren"}
        for path, words in expected.items():
            status, body = german[path]
            assert status == 200, path
            assert '<html lang="de">' in body, path
            for word in words:
                assert word in visible(body), (path, word)
        sessions = visible(german["/sessions"][1])
        for english in ("not at all", "Newest first", "Highest heart"):
            assert english not in sessions

    def test_refused_forms_say_what_to_fix_in_german(
        self, german: dict[str, tuple[int, str]]
    ) -> None:
        """A refused agreement and a refused setting name what to fix in German."""
        status, body = german["POST /agreement"]
        assert status == 400
        assert "Noch nichts gespeichert: 2 Felder unten brauchen einen Blick." in visible(body)
        assert "Wählt ein Wort oder einen kurzen Satz" in visible(body)
        status, body = german["POST /settings"]
        assert status == 400
        assert "Noch nichts geändert: 1 Wert unten braucht einen Blick." in visible(body)
        assert "erlaubt: eine Zahl von 60 bis 220" in visible(body)

    def test_error_answers_are_german(self, german: dict[str, tuple[int, str]]) -> None:
        """A page that is not there, a session that is not there (even one whose number is
        too long for any), the page files' folder and a request without the app's cookie
        are answered in German."""
        assert german["/no-such-page"] == (
            404,
            load_catalogue("de")("web.error.404") + "\n",
        )
        assert german["/sessions/999"] == (404, "Es gibt keine Sitzung 999.\n")
        # a number no session can have (past SQLite's largest), and a folder of the page files
        assert german[HUGE_ID] == (404, f"Es gibt keine Sitzung {HUGE_ID.rsplit('/')[-1]}.\n")
        assert german["/static/"] == (403, load_catalogue("de")("web.error.403") + "\n")
        status, body = german["without the cookie"]
        assert status == 401
        assert body.startswith("Diese Seite ist privat.")

    def test_the_live_page_carries_its_scripts_texts_in_german(
        self, folder: tuple[Path, int, int]
    ) -> None:
        """The live page of a running session puts the German texts of its script into the
        page, and none of the English ones."""
        status, body = asyncio.run(fetch_pages(folder, "de", live=True))["/"]
        assert status == 200
        block = re.search(r'<script type="application/json" id="texts">(.*?)</script>', body)
        assert block is not None
        texts = json.loads(block.group(1))
        german, english = screen_texts("de"), screen_texts("en")
        assert (
            texts["web.live.state.calm"] == german["web.live.state.calm"] == "Ruhig. Alles ist gut."
        )
        assert texts["control.refused.no-session"] == german["control.refused.no-session"]
        assert set(texts) >= {k for k in english if k.startswith(SCRIPT_TEXTS["now"])}
        assert no_english(visible(body)) == []


def test_in_english_the_pages_read_as_before(folder: tuple[Path, int, int]) -> None:
    """Without a language set, the pages are English and marked lang="en", the report names
    the heart's variability in plain words, and the live page's script keeps the monitor's
    own words for a refusal, as the commands do."""
    pages = asyncio.run(fetch_pages(folder, "en"))
    body = visible(pages["/"][1])
    assert '<html lang="en">' in body
    assert "No session is running" in body
    assert no_english(body) != []  # the check the German pages pass can fail
    assert "not at all" in visible(pages["/sessions"][1])
    assert "Week of 21 Sep 2026" in visible(pages["/progress"][1])
    assert "September 2026" in visible(pages["/progress"][1])
    assert pages["/no-such-page"][0] == 404
    report = visible(pages[f"/sessions/{folder[1]}/export.html"][1])
    assert "RMSSD" not in report  # the variability in plain words, the number kept
    assert re.search(r"Heart-rate variability while calm: \d+ ms \(how much the time", report)
    live = visible(asyncio.run(fetch_pages(folder, "en", live=True))["/"][1])
    assert "Talk mode: you will be told when you are flooded." in live
    assert "control.refused." not in live


def test_the_progress_names_its_weeks_and_months_in_german(tmp_path: Path) -> None:
    """Talks in October and March are grouped under German month and week names in German,
    under the English ones in English."""
    store = Store.open(tmp_path)
    try:
        for when in (dt.datetime(2026, 10, 14, 12), dt.datetime(2027, 3, 10, 12)):
            record(store, calm_talk(), start_s=when.timestamp())
        german = progress(store, load_catalogue("de"))
        english = progress(store)
    finally:
        store.close()
    assert [m.label for m in german.months] == ["März 2027", "Oktober 2026"]
    assert [w.label for w in german.weeks] == ["Woche ab 8. März 2027", "Woche ab 12. Okt. 2026"]
    assert [m.label for m in english.months] == ["March 2027", "October 2026"]
    assert [w.label for w in english.weeks] == ["Week of 08 Mar 2027", "Week of 12 Oct 2026"]


class TestTheTextsAsked:
    def test_every_key_a_template_asks_for_is_in_the_catalogue(self) -> None:
        """Each say/say_html/counted key in the templates is an English screen text."""
        english = screen_texts("en")
        asked = set()
        for template in (HERE / "templates").glob("*.html"):
            for call, key in TEMPLATE_KEY.findall(template.read_text(encoding="utf-8")):
                asked |= {f"{key}.one", f"{key}.many"} if call == "counted" else {key}
        assert len(asked) > 150
        assert asked - set(english) == set()

    def test_every_key_a_script_asks_for_is_sent_to_its_page(self) -> None:
        """Each say("key") in now.js and session.js is an English screen text that the
        server puts into that page."""
        english = screen_texts("en")
        for page, prefixes in SCRIPT_TEXTS.items():
            script = (HERE / "static" / f"{page}.js").read_text(encoding="utf-8")
            keys = set(SCRIPT_KEY.findall(script))
            assert keys, page
            assert keys - set(english) == set(), page
            assert all(key.startswith(prefixes) for key in keys), page

    def test_every_setting_on_the_form_has_a_label_and_its_reason(self) -> None:
        """Each field of the Settings form has its own label and help text, and in English
        the help is the key's comment in the shipped defaults."""
        from flooding.app.web.settings_page import key_reasons

        english = screen_texts("en")
        reasons = key_reasons()
        for _title, fields in form_fields(default_settings()):
            for field in fields:
                assert f"web.settings.label.{field.key}" in english
                assert english[f"web.settings.why.{field.key}"] == reasons[field.key]

    def test_the_reports_english_column_heads_are_the_reviews(self) -> None:
        """The HTML report's English column heads are the review's plain column names."""
        english = screen_texts("en")
        for short, plain in EPISODE_COLUMNS:
            assert english["web.report.column." + short.replace(" ", "_")] == plain

    def test_the_agreement_suggestions_are_the_catalogues(self) -> None:
        """The suggested return rule and first question are the English catalogue texts."""
        english = screen_texts("en")
        assert Agreement().return_rule == english["web.agreement.default_return"]
        assert Agreement().first_question == english["web.agreement.default_question"]


# -- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def app_de(folder: tuple[Path, int, int]) -> Iterator[AppProcess]:
    """`flooding app --lang de` over the recorded folder."""
    path = folder[0]
    process = AppProcess(
        "app",
        "--no-browser",
        "--lang",
        "de",
        "--data-dir",
        str(path),
        "--config",
        str(path / "en.toml"),
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.slow
def test_a_session_page_and_its_chart_in_german(
    chromium: Any, app_de: AppProcess, folder: tuple[Path, int, int]
) -> None:
    """`app --lang de`: the session page, its chart's series names (drawn by its script)
    and an error page are German."""
    _, hard, _ = folder
    page = chromium.new_page()
    page.goto(app_de.link)
    page.goto(f"{app_de.base}/sessions/{hard}")
    page.wait_for_selector("#chart[data-ready='yes']")
    assert page.get_attribute("html", "lang") == "de"
    text = page.inner_text("body")
    assert "Dein Herz während des Gesprächs" in text
    assert "Um " in page.inner_text(".episodes")
    legend = page.inner_text("#chart .u-legend")  # the series' names, from the script
    assert "Ruhepuls" in legend
    assert "Überflutungsgrenze" in legend
    assert "Calm baseline" not in legend
    assert no_english(visible(page.content())) == []
    page.goto(f"{app_de.base}/nothing-here")
    assert "Diese Seite gibt es in der App nicht" in page.inner_text("body")


@pytest.mark.slow
def test_the_live_page_in_german(tmp_path: Path, chromium: Any) -> None:
    """`demo --lang de`: the words the live page's script puts on screen (the heart's state,
    the strap, the mode, the numbers, a button's answer) are German."""
    demo = AppProcess(
        "demo", "--speed", "10", "--no-notify", "--lang", "de", "--data-dir", str(tmp_path)
    )
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        page.wait_for_function("() => window.floodingLag && window.floodingLag.length > 3")
        assert page.get_attribute("html", "lang") == "de"
        page.wait_for_function(
            "() => document.getElementById('n-bpm').textContent.includes('Schläge pro Minute')"
        )
        german = screen_texts("de")
        states = {german[f"web.live.state.{s}"] for s in ("warming", "calm", "rising", "flooded")}
        states |= {german["web.live.pausing"]}
        assert page.inner_text("#state-words") in states
        assert page.inner_text("#mode-words") == german["web.live.mode_talk"]
        assert page.inner_text("#workout") == german["web.live.workout_button"]
        page.click("#workout")
        page.wait_for_function(
            "() => document.getElementById('workout').textContent.startsWith('Zurück')"
        )
        assert page.inner_text("#mode-words") == german["web.live.mode_workout"]
        page.wait_for_function(
            "() => document.getElementById('action-result').textContent.length > 0"
        )
        shown = page.inner_text("main")
        assert no_english(shown) == []
        for english in ("Talk mode", "beats a minute", "Workout mode on", "Calm baseline"):
            assert english not in shown
    finally:
        demo.stop()


@pytest.mark.slow
def test_the_couples_live_page_in_german(tmp_path: Path, chromium: Any) -> None:
    """`demo --couple --lang de`: the live page and `flooding status` speak to both in
    German ("ihr", "euer"), each partner's strap and numbers on their own, through the talk
    and into the pause (its suggestion for both); no word says "du" or "dein" but in what
    the alert says the partners could say to each other."""
    german = screen_texts("de")
    demo = AppProcess(
        "demo",
        "--couple",
        "--speed",
        "40",
        "--no-notify",
        "--lang",
        "de",
        "--data-dir",
        str(tmp_path),
    )
    try:
        page = chromium.new_page()
        page.goto(demo.link)
        page.wait_for_function("() => document.querySelectorAll('#people li').length === 2")
        assert page.inner_text("#straps").splitlines() == [
            "Simulierter Gurt von Alex: verbunden · Akku noch unbekannt",
            "Simulierter Gurt von Sam: verbunden · Akku noch unbekannt",
        ]
        talking = {german[f"web.live.couple.state.{s}"] for s in ("warming", "calm", "rising")}
        assert page.inner_text("#state-words") in talking
        numbers = r"Alex: \d+ Schläge pro Minute · Sam: \d+ Schläge pro Minute"
        assert re.fullmatch(numbers, page.text_content("#n-bpm") or "")
        assert page.inner_text("#mode-words") == german["web.live.couple.mode_talk"]
        legend = " ".join(page.inner_text(".legend").split())
        assert legend == (
            "das Herz von Alex: rote durchgezogene Linie das Herz von Sam: blaue gestrichelte Linie"
        )
        label = page.get_attribute("#chart", "aria-label")
        assert label == german["web.now.couple.chart_label"]
        page.wait_for_selector("#pause-card", state="visible", timeout=60_000)
        assert page.inner_text("#pause-title") == "Eine Pause für euch beide"
        assert page.text_content("#start-pause") == "Unsere Pause von 20 Minuten starten"
        assert page.inner_text("#not-flooded") == german["web.now.couple.not_flooded"]
        page.wait_for_function(
            "(words) => document.getElementById('state-words').textContent === words",
            arg=german["web.live.couple.pausing"],
        )
        status = flooding("status", "--lang", "de", "--data-dir", str(tmp_path))
        assert status.returncode == 0, status.stderr
        said = status.stdout.splitlines()
        assert said[0].startswith("Wächter: läuft (die Vorführung zu zweit, mit zwei simulierten")
        assert said[1:3] == [
            "Gurt:     Simulierter Gurt von Alex: verbunden",
            "Gurt:     Simulierter Gurt von Sam: verbunden",
        ]
        assert no_english(status.stdout) == []
        assert re.findall(r"\b(du|dein\w*)\b", status.stdout) == []
        state = page.text_content("#n-state") or ""
        # nobody is named by their state unless couple.name_who: both together, in words
        assert re.fullmatch(r"[a-zäöü ]+", state), state
        shown = (page.text_content("main") or "") + (label or "")
        assert no_english(shown) == []
        assert page.inner_text("#suggestion") == "Atmet langsam, und lasst euch beim Ausatmen Zeit."
        page_words = re.sub(r"„[^“]*“", "", shown)  # not what they could say to each other
        addressing_one = re.findall(r"\b(du|dich|dir|dein\w*|Du|Dein\w*)\b", page_words)
        assert addressing_one == [], page_words
    finally:
        demo.stop()
