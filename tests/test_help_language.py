"""The command line's own words in the person's language: `--help` of every command, argparse's
usage and errors, and the problems `config check` (and every refused setting) names."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.cli.language import argparse_speaking
from flooding.cli.main import build_parser, main
from flooding.io.locale_files import load_catalogue, screen_texts
from tests.session_factory import flooding

ENGLISH_CHROME = (
    "usage:",
    "options:",
    "positional arguments",
    "show this help message and exit",
    "show program's version number and exit",
)


def run_main(*args: str) -> tuple[int, str, str]:
    """Run the command line in-process; its exit code, what it printed and its errors."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # --help and argparse's errors end the parse this way
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def parsers(parser: argparse.ArgumentParser, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every parser of the command line (the program, each command and sub-command), by path."""
    yield path or "flooding", parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}".strip())


class TestHelpInGerman:
    def test_the_program_help_is_german(self) -> None:
        """`flooding --lang de --help` describes the program, its commands and options in
        German, with none of argparse's English words."""
        code, out, _ = run_main("--lang", "de", "--help")
        assert code == 0
        assert out.startswith("Aufruf: flooding")
        assert "Achtet in schwierigen Gesprächen auf dein Herz" in out
        assert "Optionen:" in out
        assert "diese Hilfe zeigen und beenden" in out
        assert "die Versionsnummer zeigen und beenden" in out
        assert "deine Einstellungen zeigen, prüfen oder bearbeiten" in out
        for english in ENGLISH_CHROME:
            assert english not in out

    @pytest.mark.parametrize(
        ("command", "german"),
        [
            (("demo",), "wie viel schneller als in Echtzeit (Voreinstellung 60; 0 = alles"),
            (("config", "check"), "die zu prüfende Datei (dasselbe wie FILE)"),
            (("review",), "Nummer der Sitzung (Voreinstellung: die zuletzt"),
            (("service", "logs"), "wie viele Zeilen (Voreinstellung 50)"),
            (("ok",), "die Markierung als Fehlalarm zurücknehmen"),
            (("calibrate",), "mindestens 2); mit --from"),
            (("tune",), "Voreinstellung 300"),
        ],
    )
    def test_a_command_help_is_german(self, command: tuple[str, ...], german: str) -> None:
        """`flooding VERB --help --lang de` gives the command's description, options and
        argparse's headings in German, default values filled in."""
        code, out, _ = run_main(*command, "--help", "--lang", "de")
        assert code == 0
        assert out.startswith(f"Aufruf: flooding {' '.join(command)}")
        assert " ".join(german.split()) in " ".join(out.split())
        assert "Optionen:" in out
        for english in ENGLISH_CHROME:
            assert english not in out

    def test_the_settings_language_chooses_the_help_language(self, tmp_path: Path) -> None:
        """Without --lang, the language in the person's settings file (or FLOODING_LANGUAGE)
        words the help; --lang en still gives English."""
        mine = tmp_path / "config.toml"
        mine.write_text('language = "de"\n', encoding="utf-8")
        by_file = flooding("sessions", "--help", env={"FLOODING_CONFIG": str(mine)})
        assert by_file.returncode == 0
        assert "JSON statt einer Tabelle ausgeben" in by_file.stdout
        by_env = flooding("note", "--help", env={"FLOODING_LANGUAGE": "de"})
        assert "die Notiz der Sitzung entfernen" in by_env.stdout
        english = flooding("sessions", "--help", "--lang", "en", env={"FLOODING_CONFIG": str(mine)})
        assert "print JSON instead of a table" in english.stdout
        assert english.stdout.startswith("usage: flooding sessions")

    def test_lang_before_the_command_counts_for_the_command(self, tmp_path: Path) -> None:
        """`flooding --lang de status` answers in German, as `status --lang de` does."""
        code, out, err = run_main("--lang", "de", "status", "--data-dir", str(tmp_path))
        assert code == 3
        assert "Gerade läuft kein flooding-Wächter" in out + err

    def test_english_help_keeps_its_words(self) -> None:
        """Without a language, `--help` is English as before."""
        code, out, _ = run_main("config", "show", "--help")
        assert code == 0
        assert out.startswith("usage: flooding config show")
        assert "show this help message and exit" in out
        assert "print JSON instead of a table" in out


class TestABrokenConfigDoesNotBreakHelp:
    @pytest.mark.parametrize(
        "text",
        ['language = "de\n', "[pause\nminutes = 3\n", "language = 7\n", "\xff\xfe"],
    )
    def test_help_with_a_broken_file_is_english(self, tmp_path: Path, text: str) -> None:
        """A settings file that is not TOML, cannot be read as text or names no language
        still gives `--help`, in English."""
        broken = tmp_path / "config.toml"
        broken.write_bytes(text.encode("latin-1"))
        result = flooding("demo", "--help", env={"FLOODING_CONFIG": str(broken)})
        assert result.returncode == 0
        assert result.stdout.startswith("usage: flooding demo")

    def test_help_with_a_broken_file_in_the_asked_language(self, tmp_path: Path) -> None:
        """`--lang de --help` with a broken settings file gives the German help; a file
        that names German but holds a bad value gives it too (the help does not check)."""
        broken = tmp_path / "config.toml"
        broken.write_text("[pause\n", encoding="utf-8")
        asked = flooding("--lang", "de", "--help", env={"FLOODING_CONFIG": str(broken)})
        assert asked.returncode == 0
        assert asked.stdout.startswith("Aufruf: flooding")
        bad_value = tmp_path / "bad.toml"
        bad_value.write_text('language = "de"\n[pause]\nminutes = "x"\n', encoding="utf-8")
        named = flooding("pause", "--help", "--config", str(bad_value))
        assert named.returncode == 0
        assert named.stdout.startswith("Aufruf: flooding pause")

    def test_an_unknown_language_gives_english_help(self) -> None:
        """`--lang xx --help` is English (the command itself names the unknown language)."""
        code, out, _ = run_main("status", "--lang", "xx", "--help")
        assert code == 0
        assert out.startswith("usage: flooding status")


class TestArgparseErrorsInGerman:
    @pytest.mark.parametrize(
        ("args", "german"),
        [
            (("review", "--bogus", "--lang", "de"), "das kennt flooding hier nicht: --bogus"),
            (("--lang", "de", "workout", "maybe"), "'maybe' gibt es hier nicht (möglich sind"),
            (("--lang", "de", "service"), "hier fehlt noch etwas: ACTION"),
            (("sessions", "--lang", "de", "--data-dir"), "bei --data-dir: hier fehlt ein Wert"),
            (("review", "x", "--lang", "de"), "'x' ist keine ganze Zahl"),
        ],
    )
    def test_a_mistyped_command_line_is_answered_in_german(
        self, args: tuple[str, ...], german: str
    ) -> None:
        """argparse's refusals (unknown option, unknown choice, missing argument, missing
        value, wrong type) come in German under --lang de, after a German usage line."""
        code, _, err = run_main(*args)
        assert code == 2
        assert err.startswith("Aufruf: flooding")
        assert german in err
        assert "error:" not in err
        assert "usage:" not in err

    def test_argparse_speaks_english_again_afterwards(self) -> None:
        """After a German run, a run without a language gets argparse's English words."""
        run_main("--lang", "de", "status", "--bogus")
        code, _, err = run_main("status", "--bogus")
        assert code == 2
        assert err.startswith("usage: flooding")
        assert "flooding: error: unrecognized arguments: --bogus" in err

    def test_every_argparse_text_is_one_argparse_says(self) -> None:
        """Each `argparse.*` English text is word for word a message of this Python's
        argparse, so the German is found when argparse asks for it."""
        source = inspect.getsource(argparse)
        texts = {k: v for k, v in screen_texts("en").items() if k.startswith("argparse.")}
        assert len(texts) > 10
        for key, text in texts.items():
            assert text.replace("\n", "\\n") in source, key


class TestEveryOptionHasHelp:
    def test_every_option_of_every_command_has_help_in_each_language(self) -> None:
        """Each option, argument and command of every parser has a help text in English and
        in German, the German one its own (not the English left in place)."""
        english = dict(parsers(build_parser(load_catalogue("en"))))
        with argparse_speaking(load_catalogue("de")):  # argparse's own -h of each command
            german = dict(parsers(build_parser(load_catalogue("de"))))
        assert english.keys() == german.keys()
        assert len(english) > 25
        for path, parser in english.items():
            pairs = list(zip(parser._actions, german[path]._actions, strict=True))
            for en_action, de_action in list(pairs):
                if isinstance(en_action, argparse._SubParsersAction):  # its commands, each
                    assert isinstance(de_action, argparse._SubParsersAction)
                    pairs.remove((en_action, de_action))
                    pairs += zip(
                        en_action._choices_actions, de_action._choices_actions, strict=True
                    )
            for en_action, de_action in pairs:
                if en_action.help == argparse.SUPPRESS:
                    continue  # hidden options for tests (--emulated)
                name = f"{path} {en_action.option_strings or en_action.dest}"
                assert en_action.help, name
                assert de_action.help, name
                assert de_action.help != en_action.help, name
            if parser.description:
                assert german[path].description != parser.description, path


class TestConfigProblemsInGerman:
    BAD = (
        'language = "de"\n'
        "[detection]\n"
        "absolute_bpm = 500\n"
        "margn_bpm = 10\n"
        "[pause]\n"
        'minutes = "x"\n'
        "[notify]\n"
        'targets = ["not a url"]\n'
        "[messages]\n"
        'alert_title = "Hi {nobody}"\n'
    )

    def test_config_check_names_each_problem_in_german(self, tmp_path: Path) -> None:
        """`config check --lang de` of a file with several bad values names each in German,
        with its line; without --lang, the file's own `language = "de"` does the same."""
        bad = tmp_path / "bad.toml"
        bad.write_text(self.BAD, encoding="utf-8")
        for args in (("--lang", "de"), ()):
            code, out, _ = run_main("config", "check", str(bad), *args)
            assert code == 1
            assert f"{bad}: 5 Probleme:" in out
            assert (
                f"{bad}:3: detection.absolute_bpm = 500: erlaubt: eine Zahl von 60 bis 220 "
                "(Schläge/min)"
            ) in out
            assert (
                f"{bad}:4: detection.margn_bpm = 10: unbekannter Schlüssel (meintest du "
                "'margin_bpm' oder 'margin_pct'?"
            ) in out
            assert (
                f"{bad}:6: pause.minutes = 'x': erlaubt: eine Zahl von 20 bis 1440 (Minuten)"
            ) in out
            assert f"{bad}:8: notify.targets.0 = '…': keine Ziel-URL" in out
            assert f"{bad}:10: messages.alert_title = 'Hi {{nobody}}': {{nobody}} lässt" in out
            for english in ("allowed:", "unknown key", "not a target URL", "cannot be filled"):
                assert english not in out

    def test_config_check_in_english_is_unchanged(self, tmp_path: Path) -> None:
        """`config check --lang en` of the same file names the problems in English."""
        bad = tmp_path / "bad.toml"
        bad.write_text(self.BAD, encoding="utf-8")
        code, out, _ = run_main("config", "check", str(bad), "--lang", "en")
        assert code == 1
        assert f"{bad}: 5 problems:" in out
        assert f"{bad}:3: detection.absolute_bpm = 500: allowed: a number from 60 to" in out
        assert f"{bad}:8: notify.targets.0 = '…': not a target URL: use an" in out

    def test_a_profile_that_is_not_a_table_is_named_in_words(self, tmp_path: Path) -> None:
        """A profile given as a number instead of a table is named as wanting a table, in
        German under --lang de and in English without it (it was pydantic's English)."""
        bad = tmp_path / "bad.toml"
        bad.write_text("[profiles]\nAlex = 3\n", encoding="utf-8")
        _, german, _ = run_main("config", "check", str(bad), "--lang", "de")
        assert (
            f"{bad}:2: profiles.Alex = 3: erlaubt: eine Tabelle: [profiles.Alex] mit ihren "
            "Schlüsseln darunter"
        ) in german
        assert "Input should" not in german
        _, english, _ = run_main("config", "check", str(bad), "--lang", "en")
        assert "profiles.Alex = 3: allowed: a table: [profiles.Alex] with its keys" in english

    def test_a_refused_setting_is_named_in_german(self, tmp_path: Path) -> None:
        """A command refusing its settings (a --set out of range, one without '=', an
        environment variable, a missing file) words each problem in German under --lang de."""
        data = ("--data-dir", str(tmp_path))
        code, _, err = run_main(
            "demo",
            "--speed",
            "0",
            "--set",
            "notify.volume=500",
            "--set",
            "foo",
            "--lang",
            "de",
            *data,
        )
        assert code == 2
        assert err.startswith("flooding: in den Einstellungen stimmt etwas nicht")
        assert "Befehlszeile: --set 'foo': erwartet wird KEY=VALUE" in err
        missing = tmp_path / "missing.toml"
        code, _, err = run_main("demo", "--config", str(missing), "--lang", "de", *data)
        assert code == 2
        assert f"{missing}: diese Konfigurationsdatei gibt es nicht" in err
        result = flooding(
            "demo",
            "--speed",
            "0",
            "--no-app",
            "--lang",
            "de",
            *data,
            env={"FLOODING_PAUSE__MINUTES": "3"},
        )
        assert result.returncode == 2
        assert (
            "Umgebungsvariable FLOODING_PAUSE__MINUTES: pause.minutes = 3: erlaubt: eine Zahl"
        ) in result.stderr
