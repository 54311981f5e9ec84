"""The screen-text catalogue: every English text has a German one with the same placeholders,
every key the code asks for exists, and `--lang de` leaves no English sentence on screen."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import string
import tomllib
from pathlib import Path

import pytest

from flooding.cli.main import main
from flooding.cli.view import TerminalView
from flooding.core.catalogue import Catalogue, counted, placeholders
from flooding.core.models import (
    BatteryLevel,
    LinkChanged,
    LinkState,
    Mode,
    Reading,
    Rule,
    State,
    Unusable,
)
from flooding.core.settings import MessageSettings
from flooding.io.locale_files import load_catalogue, screen_texts

PACKAGE = Path(__file__).resolve().parents[1] / "flooding"
LOCALES = sorted(p.stem for p in (PACKAGE / "locales").glob("*.toml") if p.stem != "en")
FROZEN_DB = Path(__file__).parent / "data" / "sessions_47c3eb8.db"
START_S = 1_800_000_000.0


STORED_NAMES = {"demo.strap_name"}  # names a session keeps as data (an English demo's strap)


def english_sentences() -> set[str]:
    """The literal parts of the English texts that are sentences (two words or more; a
    settings key such as `detection.absolute_bpm` is a name, not words)."""
    found = set()
    for key, text in screen_texts("en").items():
        if key in STORED_NAMES:
            continue
        for literal, *_ in string.Formatter().parse(text):
            part = literal.strip(" ,.:;()'-")
            if len(re.findall(r"(?<![\w.])[A-Za-z]{2,}(?!\w|\.\w)", part)) >= 2:
                found.add(part)
    return found


def no_english(out: str) -> list[str]:
    """The English catalogue sentences that appear in `out`."""
    return sorted(sentence for sentence in english_sentences() if sentence in out)


@pytest.mark.parametrize("language", LOCALES)
class TestEveryTextTranslated:
    def test_every_screen_text_has_a_translation_with_the_same_placeholders(
        self, language: str
    ) -> None:
        """Each language has exactly the English screen keys, none empty, and each text
        takes the same {placeholders} as its English source."""
        english, translated = screen_texts("en"), screen_texts(language)
        assert sorted(translated) == sorted(english)
        for key, text in translated.items():
            assert text.strip(), key
            assert placeholders(text) == placeholders(english[key]), key

    def test_every_notification_text_has_a_translation(self, language: str) -> None:
        """Each language has a text for every notification setting ([messages])."""
        shipped = (PACKAGE / "locales" / f"{language}.toml").read_text(encoding="utf-8")
        assert sorted(tomllib.loads(shipped)["messages"]) == sorted(MessageSettings.model_fields)


class TestCoupleWords:
    def test_the_apps_german_couple_texts_speak_to_both(self) -> None:
        """The app's German texts for a couple (web.*couple*) say "ihr" and "euch", never
        "du" or "dein" to one of the two."""
        one = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)
        said = {
            key: one.findall(text)
            for key, text in screen_texts("de").items()
            if key.startswith("web.") and "couple" in key and not key.startswith("web.settings.")
        }
        assert said  # the app has couple texts
        assert {key: words for key, words in said.items() if words} == {}


class TestTheCodeAsksForTextsThatExist:
    def test_every_literal_key_in_the_code_is_in_the_english_catalogue(self) -> None:
        """Every `say("key", ...)` in the package names a text of en.toml."""
        english = screen_texts("en")
        asked = set()
        for path in PACKAGE.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and (
                        (isinstance(node.func, ast.Name) and node.func.id == "say")
                        or (isinstance(node.func, ast.Attribute) and node.func.attr == "say")
                    )
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    asked.add(node.args[0].value)
        assert len(asked) > 40
        assert asked - set(english) == set()

    def test_every_counted_key_in_the_code_has_a_form_for_one_and_for_many(self) -> None:
        """Every `counted("key", n)` and `say.count("key", n)` in the package and its page
        templates names texts for one and for many (`key.one`, `key.many`) in English."""
        english = screen_texts("en")
        asked = set()
        for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.html")]:
            asked |= set(re.findall(r'(?:\bcounted|\.count)\(\s*"([a-z_.]+)"', path.read_text()))
        assert len(asked) > 15
        missing = {f"{key}.{form}" for key in asked for form in ("one", "many")} - set(english)
        assert missing == set()

    def test_every_state_rule_mode_and_link_has_words(self) -> None:
        """The values the screen names by `choice` (or the live page by its key) all have
        their own text (a partner's heart's state, in couple mode, too)."""
        english = screen_texts("en")
        needed = {f"state.{s.value}" for s in State}
        needed |= {f"person_state.{s.value}" for s in State} | {"person_state.waiting"}
        needed |= {f"{prefix}.{r.value}" for r in Rule for prefix in ("rule", "rule_plain")}
        needed |= {f"mode.{m.value}" for m in Mode}
        needed |= {
            f"link.{s.value}"
            for s in LinkState
            if s not in (LinkState.CONNECTED, LinkState.DISCONNECTED)
        }
        # why a reading is not counted, as the live page says it (`now.js`)
        needed |= {
            f"web.live.{family}.{u.value}"
            for u in Unusable
            for family in ("not_counted", "person_not_counted")
        }
        needed |= {f"web.live.unusable.{u.value}" for u in Unusable if u is not Unusable.NO_CONTACT}
        needed |= {f"status.heart_not_counted.{u.value}" for u in Unusable}  # flooding status
        assert needed - set(english) == set()

    def test_a_language_without_a_text_falls_back_to_english(self) -> None:
        """A key a language lacks is said in English; an unknown key is an error."""
        say = Catalogue({"a": "one {n}", "b": "two"}, {"b": "zwei"}, "de")
        assert (say("a", n=1), say("b")) == ("one 1", "zwei")
        with pytest.raises(KeyError):
            say("c")


class TestCounts:
    def test_one_takes_the_singular_and_any_other_number_the_plural(self) -> None:
        """A count of one is said in the singular and 0 or 2 in the plural, on its own and
        inside another text, in English and in German."""
        en, de = load_catalogue("en"), load_catalogue("de")
        values = {"id": 3, "samples": counted("count.readings", 10)}
        one = {"alerts": counted("count.alerts", 1), "gaps": counted("count.gaps", 1)}
        two = {"alerts": counted("count.alerts", 0), "gaps": counted("count.gaps", 2)}
        assert en("summary.monitor", **values, **one) == (
            "Session 3 saved: 10 heart-rate readings, 1 alert, 1 gap in the signal."
        )
        assert en("summary.monitor", **values, **two) == (
            "Session 3 saved: 10 heart-rate readings, 0 alerts, 2 gaps in the signal."
        )
        assert de("summary.monitor", **values, **one) == (
            "Sitzung 3 gespeichert: 10 Pulswerte, 1 Hinweis, 1 Lücke im Signal."
        )
        assert de("summary.monitor", **values, **two) == (
            "Sitzung 3 gespeichert: 10 Pulswerte, 0 Hinweise, 2 Lücken im Signal."
        )
        assert [en.count("count.times", n) for n in (1, 2)] == ["once", "2 times"]
        assert [de.count("count.times", n) for n in (1, 2)] == ["einmal", "2-mal"]

    def test_one_reading_one_corrected_beat_and_no_ready_are_said_as_such(self) -> None:
        """A session of one reading, one beat corrected and a demo never ready to return read
        in the singular and leave the ready clause out, in English and in German."""
        en, de = load_catalogue("en"), load_catalogue("de")
        described = {"id": 2, "started": "x", "length": "0 s", "episodes": ""}
        one = counted("count.readings", 1)
        assert "1 heart-rate reading," in en("delete.described", samples=one, **described)
        assert "1 Pulswert," in de("delete.described", samples=one, **described)
        imported = {"file": "f", "format": "csv", "id": 3, "started": "x", "samples": one}
        more = {"episodes": "", "alerts": "", "command": ""}
        assert "1 Pulswert," in de("import.done", **imported, **more)
        hrv = {"ms": 40, "windows": "", "calm": "", "pairs": 3, "dropped": 0}
        beat = counted("count.corrected_beats", 1)
        assert "1 beat corrected as an artifact," in en("review.hrv", corrected=beat, **hrv)
        assert "1 Schlag als Artefakt korrigiert," in de("review.hrv", corrected=beat, **hrv)
        demo = {"id": 1, "minutes": "", "episodes": "", "alerts": "", "pauses": "1 Pause"}
        assert de("summary.demo", ready="", **demo).endswith("1 Pause.")
        ready = counted("summary.demo_ready", 1)
        assert en("summary.demo", ready=ready, **demo).endswith(", ready to return once.")
        assert de.count("web.session.came_back", 1) == " und bist einmal bereit zurückgekommen"

    def test_no_screen_text_leaves_the_plural_to_the_reader(self) -> None:
        """No text in any language writes a count as "alert(s)" or "Hinweis(e)": the
        catalogue says each number with its own form."""
        for language in ("en", *LOCALES):
            hedged = {
                key: text
                for key, text in screen_texts(language).items()
                if re.search(r"[A-Za-zäöü]\((s|e|n|en)\)", text)
            }
            assert hedged == {}, language


def live_lines(language: str) -> str:
    """What the live line prints through a session: learning, calm, rising, flooded with the
    pause and its breathing cue, no contact, a gap, a reading not believable, the strap's
    link and battery, two hearts."""
    out = io.StringIO()
    view = TerminalView(every_s=0.0, out=out, breathing=(6.0, 0.4), language=language)
    t = START_S
    view.link(LinkChanged(t, LinkState.SEARCHING))
    view.link(LinkChanged(t, LinkState.CONNECTING, "Polar H10"))
    view.link(LinkChanged(t, LinkState.CONNECTED))
    view.battery(BatteryLevel(t, 12), low=True)
    for i, (state, pausing) in enumerate(
        [
            (State.WARMING, False),
            (State.CALM, False),
            (State.RISING, False),
            (State.FLOODED, True),
            (State.FLOODED, True),
            (State.NO_CONTACT, True),
            (State.GAP, False),
        ]
    ):
        reading = Reading(
            t + i * 3, 90.0, state, 70.0, 80.0, pausing, t + 1200 if pausing else None
        )
        view.reading(reading)
        view.person_reading("Alex", reading)
        view.person_reading("Sam", reading)
    glitch = Reading(
        t + 25, 300.0, State.CALM, 70.0, 80.0, False, None, unusable=Unusable.IMPLAUSIBLE
    )
    view.reading(glitch)
    view.person_reading("Sam", glitch)
    view.link(LinkChanged(t + 30, LinkState.DISCONNECTED, reason="out of range"))
    return out.getvalue()


def run_cli(*args: str) -> str:
    """Run the command line in-process; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


class TestGermanOnScreen:
    def test_the_live_line_in_german_holds_no_english_sentence(self) -> None:
        """`--lang de`: the live line, its pause count-down, breathing cue, link and battery
        lines come in German; in English the same lines hold the English texts."""
        english = live_lines("en")
        assert "breathe in" in english
        assert "strap battery low" in english
        german = live_lines("de")
        assert no_english(german) == []
        assert "einatmen" in german
        assert "überflutet" in german
        assert "Pause für beide" in german
        assert "the strap's reading is not believable (300 bpm)" in english
        assert "Wert des Gurts ist nicht glaubhaft (300 Schläge/min)" in german

    def test_breathe_in_german_holds_no_english_sentence(self) -> None:
        """`flooding breathe --lang de` guides in German from start to end."""
        out = run_cli("breathe", "--minutes", "0.05", "--pace", "12", "--lang", "de")
        assert no_english(out) == []
        assert "einatmen" in out
        assert "Gut gemacht" in out

    @pytest.mark.parametrize("session_id", ["1", "2"])
    @pytest.mark.parametrize("verbose", [(), ("--verbose",)])
    def test_review_in_german_holds_no_english_sentence(
        self, tmp_path: Path, session_id: str, verbose: tuple[str, ...]
    ) -> None:
        """`flooding review --lang de` of a solo and a couple session, plain and with
        --verbose, comes in German."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        data = ("--data-dir", str(tmp_path))
        english = run_cli("review", session_id, *verbose, *data)
        german = run_cli("review", session_id, *verbose, "--lang", "de", *data)
        assert no_english(english) != []
        assert no_english(german) == []
        assert "Sitzung" in german

    def test_the_sessions_list_in_german(self, tmp_path: Path) -> None:
        """`flooding sessions --lang de` heads its columns in German, in English by default."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        data = ("--data-dir", str(tmp_path))
        assert "false alarms" in run_cli("sessions", *data)
        german = run_cli("sessions", "--lang", "de", *data)
        assert "Fehlalarme" in german
        assert "false alarms" not in german
        assert no_english(german) == []

    def test_a_broken_settings_file_does_not_stop_a_review(self, tmp_path: Path) -> None:
        """`review` and `sessions` only read: with settings that cannot be loaded they still
        answer, in English; an unknown `--lang` is refused, naming the languages."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        bad = tmp_path / "bad.toml"
        bad.write_text('[pause]\nminutes = "x"\n', encoding="utf-8")
        data = ("--data-dir", str(tmp_path), "--config", str(bad))
        assert "Session 1," in run_cli("review", "1", *data)
        assert "false alarms" in run_cli("sessions", *data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            assert main(["review", "1", "--lang", "xx", "--data-dir", str(tmp_path)]) == 2
        assert "'de'" in err.getvalue()


def test_the_english_catalogue_is_what_the_package_loads() -> None:
    """load_catalogue("de") carries German texts and English as its source."""
    say = load_catalogue("de")
    assert say.language == "de"
    assert say("breath.in") == "einatmen"
    assert say.english["breath.in"] == "breathe in"


def run_cli_all(*args: str) -> tuple[int, str]:
    """Run the command line in-process; its exit code and all it printed (out and err)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(args))
    return code, out.getvalue()


def run_cli_apart(*args: str) -> tuple[int, str, str]:
    """Run the command line in-process; its exit code, what it printed on stdout and what on
    stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


class TestTheMonitorCommandsInGerman:
    @pytest.mark.parametrize(
        "command", [("status",), ("pause",), ("resume",), ("workout", "on"), ("workout", "off")]
    )
    def test_with_no_monitor_running_the_answer_is_german(
        self, tmp_path: Path, command: tuple[str, ...]
    ) -> None:
        """`status`, `pause`, `resume` and `workout --lang de` with nothing running say so,
        and how to start a monitor, in German; in English without --lang."""
        data = ("--data-dir", str(tmp_path))
        code, english = run_cli_all(*command, *data)
        assert code == 3
        assert "No flooding monitor is running" in english
        code, german = run_cli_all(*command, "--lang", "de", *data)
        assert code == 3
        assert no_english(german) == []
        assert "Gerade läuft kein flooding-Wächter" in german
        assert f"monitor --data-dir {tmp_path}" in german

    def test_ok_in_german(self, tmp_path: Path) -> None:
        """`ok --lang de` marks the alert and says so in German; a missing session is named
        in German too."""
        shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
        data = ("--data-dir", str(tmp_path))
        code, german = run_cli_all("ok", "1", "--lang", "de", *data)
        assert (code, no_english(german)) == (0, [])
        assert "als Fehlalarm markiert" in german
        code, german = run_cli_all("ok", "99", "--lang", "de", *data)
        assert code == 1
        assert no_english(german) == []
        assert "keine Sitzung 99" in german

    @pytest.mark.parametrize("demo", [True, False])
    @pytest.mark.parametrize("session", [None, 4])
    def test_status_lines_in_german(self, demo: bool, session: int | None) -> None:
        """The status of a running monitor, with and without a session, comes in German."""
        from flooding.cli.commands.status import describe
        from flooding.io.control import MonitorStatus, PauseStatus, StrapStatus

        strap = StrapStatus(
            chosen="C0:FF:EE:00:00:01",
            name="Polar H10",
            address="C0:FF:EE:00:00:01",
            link="disconnected",
            connected=session is None,
            battery_percent=80,
        )
        status = MonitorStatus(
            pid=7,
            headless=not demo,
            demo=demo,
            started_at=0.0,
            strap=strap,
            session_id=session,
            mode="workout",
            state="pausing" if demo else "workout",
            heart_bpm=95.0,
            baseline_bpm=None,
            pause=PauseStatus(until_s=START_S, minutes_left=12.0),
        )
        english = "\n".join(describe(status))
        german = "\n".join(describe(status, load_catalogue("de")))
        assert no_english(english) != []
        assert no_english(german) == []
        assert "Wächter: läuft" in german


@pytest.mark.parametrize("couple", [(), ("--couple",)])
def test_the_demo_in_german_holds_no_english_sentence(
    tmp_path: Path, couple: tuple[str, ...]
) -> None:
    """`flooding demo --lang de`, solo and couple: its introduction, live lines, summary and
    the hints where the practice sessions are come in German."""
    args = ("demo", *couple, "--speed", "0", "--no-notify", "--no-app")
    german = run_cli(*args, "--lang", "de", "--data-dir", str(tmp_path))
    assert no_english(german) == []
    assert "Übungssitzungen liegen in" in german
    english = run_cli(*args, "--data-dir", str(tmp_path / "en"))
    assert "Practice sessions are kept in" in english


def test_the_demo_refuses_a_bad_speed_in_german(tmp_path: Path) -> None:
    """A speed the demo cannot play is refused on stderr in the person's language, its own
    `flooding demo:` once before it."""
    code, out, german = run_cli_apart(
        "demo", "--speed", "-1", "--lang", "de", "--data-dir", str(tmp_path)
    )
    assert (code, out) == (2, "")
    assert german.startswith("flooding demo: --speed muss mehr als 0 sein")
    assert "; 0 spielt alles sofort" in german
    assert no_english(german) == []


def test_calibrate_in_german_holds_no_english_sentence(tmp_path: Path) -> None:
    """`flooding calibrate --lang de`: the guide for the calm sit, its count-down, the result,
    each proposal with its reason and the file written come in German."""
    config = tmp_path / "config.toml"
    args = ("calibrate", "--simulate", "--minutes", "2", "--yes", "--config", str(config))
    german = run_cli(*args, "--lang", "de")
    assert no_english(german) == []
    assert "Vorgeschlagene Einstellungen für dich" in german
    assert "warum: " in german
    english = run_cli(*args)
    assert "Proposed settings for you:" in english
    code, refused = run_cli_all("calibrate", "--minutes", "1", "--lang", "de")
    assert code == 1
    assert no_english(refused) == []


class TestErrorsInGerman:
    def test_a_damaged_database_is_explained_in_german(self, tmp_path: Path) -> None:
        """A command that meets a damaged recordings database says what to do in the
        person's language; in English without --lang."""
        (tmp_path / "flooding.db").write_bytes(b"this is not a database" * 100)
        data = ("--data-dir", str(tmp_path))
        code, english = run_cli_all("ok", "1", *data)
        assert code == 1
        assert "is damaged" in english
        code, german = run_cli_all("ok", "1", "--lang", "de", *data)
        assert code == 1
        assert "ist beschädigt" in german
        assert no_english(german) == []

    def test_a_configuration_problem_is_introduced_in_german(self, tmp_path: Path) -> None:
        """Settings that cannot be loaded stop a command with a German first line under
        --lang de."""
        bad = tmp_path / "bad.toml"
        bad.write_text('[pause]\nminutes = "x"\n', encoding="utf-8")
        code, german = run_cli_all(
            "demo",
            "--speed",
            "0",
            "--config",
            str(bad),
            "--lang",
            "de",
            "--data-dir",
            str(tmp_path),
        )
        assert code == 2
        assert german.startswith("flooding: in den Einstellungen stimmt etwas nicht")


def test_the_app_refuses_a_bad_port_in_german(tmp_path: Path) -> None:
    """`app --port 70000 --lang de` says which ports work, in German, on stderr (its own
    `flooding app:` once before it)."""
    code, out, german = run_cli_apart(
        "app", "--port", "70000", "--lang", "de", "--data-dir", str(tmp_path)
    )
    assert (code, out) == (2, "")
    assert german.startswith("flooding app: --port muss zwischen 1 und 65535 liegen")
    assert no_english(german) == []


def test_config_show_and_check_in_german(tmp_path: Path) -> None:
    """`config show` and `config check --lang de` name where each value comes from and
    what the check found in German, the problems themselves too."""
    good = tmp_path / "good.toml"
    good.write_text("[pause]\nminutes = 25\n", encoding="utf-8")
    shown = run_cli("config", "show", "--config", str(good), "--lang", "de")
    assert no_english(shown) == []
    assert "deine Datei, Zeile 2" in shown
    assert "Voreinstellung" in shown
    assert "your file, line 2" in run_cli("config", "show", "--config", str(good))
    bad = tmp_path / "bad.toml"
    bad.write_text('[pause]\nminutes = "x"\n', encoding="utf-8")
    code, checked = run_cli_all("config", "check", str(bad), "--lang", "de")
    assert code == 1
    assert f"{bad}: 1 Problem:" in checked
    assert f"{bad}:2: pause.minutes = 'x': erlaubt: eine Zahl von 20 bis 1440" in checked
    assert no_english(checked) == []


@pytest.mark.parametrize("verbose", [(), ("--verbose",)])
def test_tune_in_german_holds_no_english_sentence(tmp_path: Path, verbose: tuple[str, ...]) -> None:
    """`flooding tune --all --lang de` heads its table, totals and verdict in German; the
    couple sessions it leaves out are named in German too."""
    shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
    args = ("tune", "--all", "--set", "detection.margin_bpm=15", "--data-dir", str(tmp_path))
    english = run_cli(*args, *verbose)
    assert "Verdict: candidate gives" in english
    german = run_cli(*args, *verbose, "--lang", "de")
    assert no_english(german) == []
    assert "Ergebnis: der Vorschlag gibt" in german


def test_a_folder_with_nothing_recorded_is_named_in_german(tmp_path: Path) -> None:
    """`review --lang de` of a folder with no recordings says so, and how to name another
    folder, in German."""
    code, german = run_cli_all("review", "--lang", "de", "--data-dir", str(tmp_path / "none"))
    assert code == 1
    assert "gibt es noch keine Sitzungen" in german
    assert no_english(german) == []


@pytest.mark.parametrize(
    ("command", "code", "german"),
    [
        (("resume",), "not-pausing", "keine Pause zu beenden"),
        (("pause",), "no-session", "gerade läuft keine Sitzung"),
    ],
)
def test_a_refusal_of_the_running_monitor_in_german(
    command: tuple[str, ...], code: str, german: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the running monitor cannot do what was asked, `--lang de` says why in German;
    in English the monitor's own words are shown."""
    import asyncio
    import tempfile

    from flooding.io.control import ControlServer, Request
    from flooding.io.control.protocol import Reply, error_reply

    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))  # a short path for the socket

    def refuse(_request: Request) -> Reply:
        return error_reply(code, "the monitor's own words")  # type: ignore[arg-type]

    async def ask() -> tuple[tuple[int, str], tuple[int, str]]:
        async with ControlServer(folder, refuse):
            data = ("--data-dir", str(folder))
            english = await asyncio.to_thread(run_cli_all, *command, *data)
            translated = await asyncio.to_thread(run_cli_all, *command, "--lang", "de", *data)
            return english, translated

    try:
        (code_en, english), (code_de, said) = asyncio.run(ask())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert (code_en, code_de) == (1, 1)
    assert "the monitor's own words" in english
    assert german in said
    assert no_english(said) == []


def test_ok_naming_an_alert_that_is_not_there_in_german(tmp_path: Path) -> None:
    """`ok --alert 9 --lang de` names the alerts there are, in German."""
    shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
    data = ("--data-dir", str(tmp_path))
    code, english = run_cli_all("ok", "1", "--alert", "9", *data)
    assert code == 1
    assert "has no alert '9'" in english
    code, german = run_cli_all("ok", "1", "--alert", "9", "--lang", "de", *data)
    assert code == 1
    assert "hat keinen Hinweis '9'" in german
    assert no_english(german) == []


def test_german_says_beats_per_minute_not_bpm() -> None:
    """German screen texts write a heart rate as Schläge/min, never the English "bpm" (a
    JSON file's field named "bpm" is quoted as such)."""
    english_unit = re.compile(r"(?<![{_a-z.„])bpm(?![}_a-z“])")
    assert [key for key, text in screen_texts("de").items() if english_unit.search(text)] == []


def test_german_writes_decimals_with_a_comma_and_a_space_before_percent() -> None:
    """A figure with a fraction is written with the language's decimal mark, and a share
    as a percentage with German's space before the sign."""
    from flooding.core.catalogue import Figure, percent

    en, de = load_catalogue("en"), load_catalogue("de")
    assert de("calibrate.result", bpm=Figure(67.04, 1), spread=Figure(1.5, 1)).startswith(
        "Ruhepuls: 67,0 Schläge/min (er schwankte um etwa ±1,5 Schläge/min"
    )
    assert en("calibrate.result", bpm=Figure(67.04, 1), spread=Figure(1.5, 1)).startswith(
        "Calm resting heart rate: 67.0 bpm (it swung by about ±1.5 bpm"
    )
    assert de("linkage.plain", share=percent(0.09)).startswith("In 9 % der Minuten")
    assert "9%" in en("linkage.plain", share=percent(0.09))


def test_calibrate_in_german_writes_no_decimal_point(tmp_path: Path) -> None:
    """`flooding calibrate --lang de` writes its figures (calm rate, spread, minutes) with a
    decimal comma."""
    config = tmp_path / "config.toml"
    args = ("calibrate", "--simulate", "--minutes", "2", "--yes", "--config", str(config))
    german = run_cli("-v", *args, "--lang", "de")
    assert re.findall(r"\d\.\d", german) == []
    assert re.search(r"\d,\d", german)
