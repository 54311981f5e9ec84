"""`--lang de` reaches every line of delete, note, notify test, ok, import, plot, export,
sessions, replay and breathe; without it the same lines stay English."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flooding.app import wiring
from tests.loopback import Target, loopback_target
from tests.monitor_doubles import hanging_up_monitor

__all__ = ["loopback_target"]  # the fixture, used by name
from tests.test_catalogue import FROZEN_DB, no_english, run_cli_all, run_cli_apart


@pytest.fixture
def data(tmp_path: Path) -> tuple[str, str]:
    """--data-dir of a folder holding the frozen solo (1) and couple (2) sessions."""
    shutil.copyfile(FROZEN_DB, tmp_path / "flooding.db")
    return ("--data-dir", str(tmp_path))


def said(*args: str, code: int = 0) -> str:
    """What the command line printed (out and err), checking its exit code."""
    exit_code, out = run_cli_all(*args)
    assert exit_code == code, out
    return out


def german(*args: str, code: int = 0) -> str:
    """What the command line printed under --lang de, checked to hold no English text."""
    out = said(*args, "--lang", "de", code=code)
    assert no_english(out) == []
    return out


def refusal_of(*args: str, code: int = 1) -> str:
    """What the command line said on stderr when it refused, checking its exit code and
    that nothing went to stdout."""
    exit_code, out, err = run_cli_apart(*args)
    assert (exit_code, out) == (code, ""), err
    return err


def run_without_terminal(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own whose input is not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "flooding", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class TestDelete:
    def test_delete_in_german(self, data: tuple[str, str]) -> None:
        """`delete --yes --lang de` says what it deleted in German; a missing session too."""
        assert "Deleted session 2: " in said("delete", "2", "--yes", *data)
        out = german("delete", "1", "--yes", *data)
        assert "Sitzung 1 gelöscht: " in out
        assert "Pulswerte" in out
        out = german("delete", "1", "--yes", *data, code=1)
        assert "Es gibt keine Sitzung 1." in out

    def test_delete_without_a_terminal_asks_nothing_in_german(self, data: tuple[str, str]) -> None:
        """Without a terminal `delete --lang de` names the session it would delete and how to
        do it anyway, in German."""
        english = run_without_terminal("delete", "1", *data)
        assert english.returncode == 2
        assert "not asking without a terminal" in english.stderr
        result = run_without_terminal("delete", "1", "--lang", "de", *data)
        assert result.returncode == 2
        assert "ohne Terminal wird nicht nachgefragt" in result.stderr
        assert "Überflutungs-Episode" in result.stderr
        assert no_english(result.stderr) == []


class TestNote:
    def test_note_and_note_clear_in_german(self, data: tuple[str, str]) -> None:
        """`note` and `note --clear --lang de` confirm in German; in English without."""
        assert "Note saved for session 1." in said("note", "1", "money, again", *data)
        assert "Die Notiz für Sitzung 1 ist gespeichert." in german("note", "1", "Geld", *data)
        assert "Die Notiz von Sitzung 1 ist entfernt." in german("note", "1", "--clear", *data)
        assert "Note removed from session 1." in said("note", "1", "--clear", *data)

    def test_an_empty_note_is_refused_in_german(self, data: tuple[str, str]) -> None:
        """An empty note and a note with --clear are refused in German, with a German
        example."""
        out = german("note", "1", *data, code=1)
        assert "die Notiz ist leer" in out
        assert 'flooding note 1 "Geld, schon wieder"' in out
        assert "nicht beides" in german("note", "1", "x", "--clear", *data, code=1)


class TestNotifyTest:
    def test_no_targets_in_german(self, tmp_path: Path) -> None:
        """`notify test --lang de` without targets refuses on stderr, exit 1, saying how to add
        one, in German."""
        empty = tmp_path / "empty.toml"
        empty.write_text("", encoding="utf-8")
        config = ("--config", str(empty))
        english = refusal_of("notify", "test", *config)
        assert english.startswith("flooding notify: No notification targets are set")
        out = refusal_of("notify", "test", *config, "--lang", "de")
        assert out.startswith("flooding notify: Es sind keine Benachrichtigungsziele eingestellt")
        assert no_english(out) == []

    def test_a_test_message_in_german(self, tmp_path: Path, loopback_target: Target) -> None:
        """`notify test --lang de` sends a German test message to a real target on loopback
        and says, in German, which target worked, which did not and why."""
        target = loopback_target
        config = tmp_path / "targets.toml"
        nobody = "json://127.0.0.1:9/"  # the discard port: nothing listens there
        unknown = "nonsense://x"  # no service Apprise knows
        config.write_text(f'[notify]\ntargets = ["{target.url}", "{nobody}", "{unknown}"]\n')
        config.chmod(0o600)
        out = german("notify", "test", "--config", str(config), code=1)
        assert "Eine Testnachricht geht an 3 Ziele..." in out
        assert "1. JSON (notify.targets): hat geklappt" in out
        failed = "2. JSON (notify.targets): hat nicht geklappt"
        assert f"{failed}: unter dieser Adresse hört nichts zu" in out
        assert "3. Ziel (notify.targets): hat nicht geklappt: keine Zieladresse, die Apprise" in out
        assert "2 von 3 haben nicht geklappt" in out
        assert [m["message"] for m in target.arrived] == [
            "Ein Test von flooding: dieses Ziel funktioniert."
        ]


class TestOk:
    def test_ok_alert_and_undo_in_german(self, data: tuple[str, str]) -> None:
        """`ok --alert 1` marks and `ok --undo` takes the mark back, both said in German;
        an undo with nothing marked says so in German."""
        assert "als Fehlalarm markiert" in german("ok", "1", "--alert", "1", *data)
        out = german("ok", "1", "--undo", *data)
        assert "ist nicht mehr als Fehlalarm markiert" in out
        out = refusal_of("ok", "1", "--undo", "--lang", "de", *data)
        assert out.startswith("flooding ok: Kein Hinweis in Sitzung 1 ist als Fehlalarm")
        assert "es gibt nichts zurückzunehmen" in out
        assert no_english(out) == []
        out = refusal_of("ok", "1", "--undo", "--alert", "1", *data)
        assert out.startswith("flooding ok: The alert at ")
        assert "is not marked a false alarm; nothing to take back" in out


class TestImport:
    def test_a_second_import_is_refused_and_again_stores_it_in_german(
        self, tmp_path: Path, data: tuple[str, str]
    ) -> None:
        """`import --lang de` of a file imported before refuses in German and names
        --again; with --again it is stored once more, said in German."""
        export = tmp_path / "one.csv"
        said("export", "1", "-o", str(export), *data)
        into = ("--data-dir", str(tmp_path / "into"))
        out = german("import", str(export), *into)
        assert "one.csv (csv) ist als Sitzung 1 importiert" in out
        out = german("import", str(export), *into)
        assert "one.csv ist schon als Sitzung 1 importiert" in out
        assert "--again anhängen" in out
        assert "is already imported as session 1" in said("import", str(export), *into)
        assert "ist als Sitzung 2 importiert" in german("import", str(export), "--again", *into)

    def test_an_unknown_format_is_refused_in_german(self, tmp_path: Path) -> None:
        """`import --format` of a format there is not is refused in German."""
        args = ("import", str(tmp_path / "x.csv"), "--format", "nope")
        out = german(*args, "--data-dir", str(tmp_path), code=2)
        assert "flooding import: das Format 'nope' gibt es nicht" in out
        assert "unknown format 'nope'" in said(*args, "--data-dir", str(tmp_path), code=2)


class TestPlotAndExport:
    @pytest.mark.parametrize(
        ("name", "html", "words"),
        [
            ("heart.bmp", (), "endet auf .bmp"),
            ("heart", (), "hat keine Endung"),
            ("heart.png", ("--html",), "--html schreibt eine Webseite"),
        ],
    )
    def test_plot_refuses_a_file_name_in_german(
        self, data: tuple[str, str], name: str, html: tuple[str, ...], words: str
    ) -> None:
        """`plot -o NAME --lang de` with a kind of file it cannot write says which it can,
        in German."""
        out = german("plot", "1", "-o", name, *html, *data, code=1)
        assert words in out

    def test_plot_and_export_say_what_they_wrote_in_german(
        self, tmp_path: Path, data: tuple[str, str]
    ) -> None:
        """`plot` and `export --lang de` say in German which file they wrote; in English
        without."""
        picture = tmp_path / "heart.svg"
        out = german("plot", "1", "-o", str(picture), *data)
        assert f"{picture} geschrieben (Sitzung 1; nur für dich lesbar)." in out
        table, episodes = tmp_path / "one.csv", tmp_path / "episodes.csv"
        args = ("export", "1", "-o", str(table), "--episodes", str(episodes), *data)
        out = german(*args)
        assert f"{table} und {episodes} geschrieben (Sitzung 1; nur für dich lesbar)." in out
        assert f"Wrote {table} and {episodes} (session 1;" in said(*args)

    def test_export_refuses_one_file_for_both_in_german(self, data: tuple[str, str]) -> None:
        """`export -o F --episodes F --lang de` is refused in German."""
        args = ("export", "1", "-o", "same.csv", "--episodes", "same.csv", *data)
        assert "nennen dieselbe Datei" in german(*args, code=1)


def test_sessions_of_an_empty_folder_in_german(tmp_path: Path) -> None:
    """`sessions --lang de` of a folder without recordings says so in German."""
    out = german("sessions", "--data-dir", str(tmp_path))
    assert "Noch keine Sitzungen in" in out
    assert "No sessions recorded yet" in said("sessions", "--data-dir", str(tmp_path))


def test_replay_in_german(tmp_path: Path, data: tuple[str, str]) -> None:
    """`replay --lang de` of a recording heads it, and names its alerts and episodes, in
    German."""
    export = tmp_path / "one.csv"
    said("export", "1", "-o", str(export), *data)
    out = german("replay", str(export), "--data-dir", str(tmp_path))
    assert "die Zeiten sind Uhrzeiten" in out
    assert "Hinweis: Puls" in out
    assert "überflutet bis" in out
    assert "times are local time" in said("replay", str(export), "--data-dir", str(tmp_path))


def test_breathe_refuses_a_pace_in_german() -> None:
    """`breathe --pace 30 --lang de` says which paces work, in German."""
    assert "--pace muss 3 bis 12 Atemzüge" in german("breathe", "--pace", "30", code=2)


def test_a_second_demo_is_refused_in_german(tmp_path: Path) -> None:
    """While a monitor holds the folder, `demo --lang de` says in German that one already
    runs and how to see it."""
    args = ("demo", "--speed", "0", "--no-notify", "--no-app", "--data-dir", str(tmp_path))
    with wiring.instance_lock(tmp_path / "demo", "flooding"):
        out = german(*args, code=wiring.EXIT_ALREADY_RUNNING)
        assert "läuft schon ein flooding-Wächter" in out
        assert "already running" in said(*args, code=wiring.EXIT_ALREADY_RUNNING)


def test_pair_refuses_what_is_not_an_address_in_german(tmp_path: Path) -> None:
    """`pair --no-scan --lang de` with something that is not a Bluetooth address says what
    one looks like, in German; nothing is written."""
    config = tmp_path / "me.toml"
    out = german("pair", "Polar H10", "--no-scan", "--config", str(config), code=2)
    assert "'Polar H10' ist keine Bluetooth-Adresse" in out
    assert not config.exists()


def test_calibrate_names_an_unreachable_strap_in_german(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the strap is not reached in time, `calibrate --lang de` says what to check in
    German."""
    from collections.abc import AsyncIterator

    from flooding.app.sources import HeartSource
    from flooding.cli.commands import calibrate as command
    from flooding.cli.commands._common import CommandError
    from flooding.cli.main import build_parser
    from flooding.core.models import Sample
    from flooding.core.settings import Settings
    from flooding.io.strap.backoff import Failure
    from flooding.io.strap.ble import StrapUnavailableError

    class Unreachable:
        description = "Polar H10 (C0:FF:EE:00:00:01)"

        async def stream(self) -> AsyncIterator[Sample]:
            raise StrapUnavailableError(Failure.NOT_FOUND, "Not found.", self.description, 3)
            yield  # pragma: no cover - makes this an async generator

    def unreachable_strap(settings: Settings, scanner: object, client: object) -> HeartSource:
        return Unreachable()

    path = tmp_path / "config.toml"
    args = build_parser().parse_args(
        ["calibrate", "--minutes", "2", "--yes", "--config", str(path), "--lang", "de"]
    )
    with pytest.raises(CommandError) as refused:
        command.run(args, open_strap=unreachable_strap)
    assert refused.value.code == 1
    said = refused.value.shown("calibrate")
    assert said.startswith("flooding calibrate: Nicht zu finden: dein Gurt (Polar H10 (C0:FF:EE:")
    assert no_english(capsys.readouterr().out + said) == []


def test_the_services_unpaired_message_in_german() -> None:
    """The background service's desktop message for a strap not yet paired comes in the
    person's language; in English by default."""
    from flooding.app.readiness import pairing_problems, problem_message
    from flooding.io.config_files.loading import load_config
    from flooding.io.locale_files import load_catalogue

    settings = load_config(
        None, env={}, overrides=['language="de"'], use_default_user_file=False
    ).settings
    say = load_catalogue("de")
    message = problem_message(pairing_problems(settings, "flooding", say), "flooding", say)
    assert message.title == "flooding wacht noch nicht über dein Herz"
    assert "sobald der Gurt verbunden ist" in message.body
    assert no_english(message.title + "\n" + message.body) == []
    english = problem_message(pairing_problems(settings, "flooding"), "flooding")
    assert english.title == "flooding is not watching your heart yet"


class TestReview:
    def test_a_missing_session_is_named_in_german(self, data: tuple[str, str]) -> None:
        """`review` of a session that does not exist says so in German under --lang de."""
        out = german("review", "9", *data, code=1)
        assert "es gibt keine Sitzung 9" in out


class TestMonitorAnswersInGerman:
    @pytest.mark.parametrize(
        ("command", "german", "english"),
        [
            (
                ("pause", "0"),
                "flooding pause: MINUTES muss eine Zahl von 1 bis 1440 sein",
                "flooding pause: MINUTES must be a number from 1 to 1440",
            ),
            (
                ("ok", "0"),
                "flooding ok: SESSION muss eine Sitzungsnummer sein",
                "flooding ok: SESSION must be a session number",
            ),
        ],
    )
    def test_a_value_out_of_range_is_named_once_in_the_persons_language(
        self, tmp_path: Path, command: tuple[str, ...], german: str, english: str
    ) -> None:
        """A value the monitor would refuse is a usage error in the person's language, the
        command named once, with an example of a good one."""
        data = ("--data-dir", str(tmp_path))
        said_de = refusal_of(*command, "--lang", "de", *data, code=2)
        assert said_de.startswith(german)
        assert "zum Beispiel `" in said_de
        assert "must be" not in said_de
        said_en = refusal_of(*command, *data, code=2)
        assert said_en.startswith(english)
        assert f"{command[0]}: {command[0]}:" not in said_en

    def test_a_monitor_that_hangs_up_is_named_in_plain_german(self, tmp_path: Path) -> None:
        """A monitor that takes the question but hangs up is said in German, with what to do;
        the exchange's own English account only with -v."""
        with hanging_up_monitor(tmp_path):
            said_de = refusal_of("status", "--lang", "de", "--data-dir", str(tmp_path))
        assert said_de.startswith("flooding status: ein Wächter läuft, hat aber nicht geantwortet")
        assert "die Antwort kam nicht richtig an" in said_de
        assert "Versuch es gleich noch einmal" in said_de
        assert "the monitor" not in said_de
        with hanging_up_monitor(tmp_path):
            detailed = refusal_of("-v", "status", "--lang", "de", "--data-dir", str(tmp_path))
        assert "the monitor closed the connection without answering" in detailed

    def test_a_monitor_that_does_not_answer_in_time_is_named_in_german(self) -> None:
        """No answer within the time a command waits reads as German words with the wait."""
        from flooding.cli.commands._control import no_answer_text
        from flooding.io.control import ControlError
        from flooding.io.locale_files import load_catalogue

        late = ControlError("the monitor did not answer within 5 s", "timeout", timeout_s=5.0)
        said_de = no_answer_text(late, load_catalogue("de"))
        assert said_de.startswith("ein Wächter läuft, hat aber nicht geantwortet (5 s gewartet).")
        assert "within" not in said_de


@pytest.mark.parametrize(
    ("args", "german", "english"),
    [
        (("pause", "abc"), "bei MINUTES: 'abc' ist keine Zahl", "'abc' is not a number"),
        (
            ("import", "x.csv", "--participant", "abc"),
            "bei --participant: 'abc' ist keine ganze Zahl",
            "'abc' is not a whole number",
        ),
        (("workout", "maybe"), "bei on|off: 'maybe' gibt es hier nicht", "argument on|off:"),
    ],
)
def test_a_value_that_is_not_a_number_is_said_in_words(
    tmp_path: Path, args: tuple[str, ...], german: str, english: str
) -> None:
    """A value of the wrong kind is named in words of the person's language (a number, a
    whole number, on or off), never by Python's name for a type or a variable."""
    data = ("--data-dir", str(tmp_path))
    said_de = run_without_terminal(*args, "--lang", "de", *data)
    assert said_de.returncode == 2
    assert german in said_de.stderr
    assert "float" not in said_de.stderr
    assert "int)" not in said_de.stderr
    assert "switch" not in said_de.stderr
    assert english in run_without_terminal(*args, *data).stderr


class TestSystemErrorsInWords:
    def test_a_missing_file_is_named_in_german(self, tmp_path: Path) -> None:
        """A file that is not there is said in German, not in the system's English."""
        missing = str(tmp_path / "nonexist.csv")
        said_de = refusal_of("import", missing, "--lang", "de", "--data-dir", str(tmp_path))
        assert "gefunden: nichts unter diesem Namen" in said_de
        assert "No such file" not in said_de

    def test_bluetooth_off_leaves_the_systems_account_to_verbose(self) -> None:
        """Bluetooth that cannot be used is said in the person's words; the system's own
        English account follows only when the person asked for details."""
        import asyncio

        from flooding.cli.commands._common import CommandError
        from flooding.cli.commands._strap import scan_or_explain
        from flooding.io.locale_files import load_catalogue
        from tests.ble.test_ble_unavailable import NoAdapterScanner

        say = load_catalogue("de")
        with pytest.raises(CommandError) as plain:
            asyncio.run(scan_or_explain(0.05, NoAdapterScanner, "scan", say=say))
        assert "Bluetooth" in str(plain.value)
        assert "No such file" not in str(plain.value)
        with pytest.raises(CommandError) as detailed:
            asyncio.run(scan_or_explain(0.05, NoAdapterScanner, "scan", say=say, details=True))
        assert "No such file or directory: the system bus" in str(detailed.value)


def test_notify_test_leaves_its_english_log_line_to_verbose(tmp_path: Path) -> None:
    """`notify test` says in words that a target is not understood; the log's English
    warning about it reaches the screen only with -v."""
    config = tmp_path / "targets.toml"
    config.write_text('[notify]\ntargets = ["nonsense://x"]\n', encoding="utf-8")
    config.chmod(0o600)
    plain = run_without_terminal("notify", "test", "--config", str(config), "--lang", "de")
    assert "keine Zieladresse, die Apprise versteht" in plain.stdout
    assert "WARNING" not in plain.stderr
    detailed = run_without_terminal("-v", "notify", "test", "--config", str(config))
    assert "WARNING flooding.io.notify.remote" in detailed.stderr
