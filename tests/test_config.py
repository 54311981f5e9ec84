"""Settings: the shipped default.toml, layering with origins, and clear errors for bad values."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from flooding.core.models import Mode
from flooding.core.settings import (
    ConfigError,
    CoupleSettings,
    DetectionSettings,
    MessageSettings,
    NotifySettings,
    PauseSettings,
    ProfileSettings,
    ServiceSettings,
    Settings,
    StrapSettings,
    WorkoutSettings,
)
from flooding.io.config_files.loading import (
    LoadedConfig,
    default_settings,
    default_toml_text,
    load_config,
    parse_value,
)
from flooding.io.config_files.user_file import set_user_values

DEFAULT_TOML = Path(__file__).resolve().parent.parent / "config" / "default.toml"
SECTIONS: dict[str, type[BaseModel]] = {
    "detection": DetectionSettings,
    "pause": PauseSettings,
    "messages": MessageSettings,
    "notify": NotifySettings,
    "strap": StrapSettings,
    "workout": WorkoutSettings,
    "service": ServiceSettings,
    "couple": CoupleSettings,
}
SUBTABLES = {("workout", "detection")}  # tables of their own ([workout.detection])
KEYED = {"profiles": ProfileSettings}  # tables of named tables ([profiles.NAME])


def load(
    path: Path | None = None,
    env: dict[str, str] | None = None,
    overrides: Iterable[str] = (),
) -> LoadedConfig:
    """Load with nothing from this machine: no person's file unless given, no real environment."""
    return load_config(path, env=env or {}, overrides=overrides, use_default_user_file=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(
    path: Path | None = None, env: dict[str, str] | None = None, overrides: Iterable[str] = ()
) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, env, overrides)
    assert caught.value.problems
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def only_problem(
    path: Path | None = None, env: dict[str, str] | None = None, overrides: Iterable[str] = ()
) -> str:
    [problem] = problems_of(path, env, overrides)
    return problem


class TestShippedDefaults:
    def test_default_toml_is_the_one_loaded(self) -> None:
        """The loader reads the shipped config/default.toml."""
        assert default_toml_text() == DEFAULT_TOML.read_text(encoding="utf-8")

    def test_default_toml_matches_the_model_defaults(self) -> None:
        """Every value in default.toml equals the model's default, where the model has one."""
        tree = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
        assert Mode(tree["mode"]) is Settings.model_fields["mode"].default
        for section, model in SECTIONS.items():
            for name, info in model.model_fields.items():
                if (section, name) in SUBTABLES:
                    continue
                if info.default is PydanticUndefined:
                    assert name in tree[section], f"{section}.{name} has no default anywhere"
                elif name in tree[section]:
                    assert tree[section][name] == info.default, f"{section}.{name}"
                else:  # TOML has no null: only an unset optional may be left out
                    assert info.default is None, f"{section}.{name} missing from default.toml"

    def test_defaults_validate(self) -> None:
        """The shipped defaults load without any problem and give the documented numbers."""
        settings = default_settings()
        assert settings.detection.absolute_bpm == 100
        assert settings.detection.margin_bpm == 10
        assert settings.pause.minutes == 20
        assert settings.mode is Mode.TALK

    def test_every_key_is_in_default_toml_with_a_comment(self) -> None:
        """Every model key is in default.toml (maybe commented out) under a comment."""
        lines = DEFAULT_TOML.read_text(encoding="utf-8").splitlines()
        keys = [("", n) for n in Settings.model_fields if n not in SECTIONS and n not in KEYED]
        keys += [(sec, name) for sec, model in SECTIONS.items() for name in model.model_fields]
        undocumented = []
        for table, model in KEYED.items():
            header = f"# [{table}.NAME]"
            if header not in lines:
                undocumented.append(f"{header}: not in default.toml")
                continue
            block = lines[lines.index(header) : lines.index(header) + 30]
            undocumented += [
                f"{table}.NAME.{name}: not described under {header}"
                for name in model.model_fields
                if not any(re.search(rf"\b{name}\b", line) for line in block)
            ]
        for section, name in keys:
            if (section, name) in SUBTABLES:
                header = f"[{section}.{name}]"
                if header not in (line.strip() for line in lines):
                    undocumented.append(f"{header}: not in default.toml")
                continue
            number = _key_line(lines, section, name)
            if number is None:
                undocumented.append(f"{section}.{name}: not in default.toml")
            elif not _has_comment_above(lines, number):
                undocumented.append(f"{section}.{name}: no comment above line {number + 1}")
        assert undocumented == []


def _key_line(lines: list[str], section: str, name: str) -> int | None:
    current = ""
    for number, line in enumerate(lines):
        header = re.match(r"^\[([\w.]+)\]", line)
        if header:
            current = header.group(1)
        elif current == section and re.match(rf"^#?\s*{name}\s*=", line):
            return number
    return None


def _has_comment_above(lines: list[str], number: int) -> bool:
    """A key is documented when its block (keys set next to each other) starts with a comment."""
    for line in reversed(lines[:number]):
        if line.startswith("#"):
            return True
        if not line.strip() or line.startswith("["):
            return False
    return False


class TestLayers:
    def test_order_and_origins(self, tmp_path: Path) -> None:
        """default < file < environment < --set, and origins name where each value came from."""
        path = write(
            tmp_path, "[detection]\nabsolute_bpm = 95\nconfirm_s = 30\n[pause]\nminutes = 25\n"
        )
        env = {
            "FLOODING_DETECTION__ABSOLUTE_BPM": "90",
            "FLOODING_DETECTION__CONFIRM_S": "25",
        }
        loaded = load(path, env, ["detection.absolute_bpm=85"])
        d = loaded.settings.detection
        assert (d.absolute_bpm, d.confirm_s, loaded.settings.pause.minutes, d.margin_bpm) == (
            85,
            25,
            25,
            10,
        )
        assert loaded.origins["detection.absolute_bpm"] == "command line"
        assert loaded.origins["detection.confirm_s"] == "environment FLOODING_DETECTION__CONFIRM_S"
        assert loaded.origins["pause.minutes"] == str(path)
        assert loaded.origins["detection.margin_bpm"] == "default"
        assert loaded.user_file == path

    def test_each_layer_alone_wins_over_the_default(self, tmp_path: Path) -> None:
        """Each layer on its own changes the value from the default."""
        path = write(tmp_path, "[detection]\nabsolute_bpm = 95\n")
        assert load(path).settings.detection.absolute_bpm == 95
        env = {"FLOODING_DETECTION__ABSOLUTE_BPM": "90"}
        assert load(env=env).settings.detection.absolute_bpm == 90
        assert load(overrides=["detection.absolute_bpm=85"]).settings.detection.absolute_bpm == 85

    def test_file_keeps_other_keys_of_a_section(self, tmp_path: Path) -> None:
        """A file that sets one key of a section keeps the defaults for the others."""
        path = write(tmp_path, "[pause]\nminutes = 30\n")
        pause = load(path).settings.pause
        assert (pause.minutes, pause.extend_minutes, pause.recovery_hold_s) == (30, 10, 60)

    def test_config_file_from_the_environment(self, tmp_path: Path) -> None:
        """FLOODING_CONFIG names the person's file, and is not read as a setting itself."""
        path = write(tmp_path, 'mode = "workout"\n')
        loaded = load(env={"FLOODING_CONFIG": str(path), "FLOODING_DATA_DIR": "/x"})
        assert loaded.settings.mode is Mode.WORKOUT
        assert loaded.origins["mode"] == str(path)

    def test_override_values_are_toml(self) -> None:
        """--set values are read as TOML (numbers, booleans, lists), else as plain strings."""
        loaded = load(
            overrides=[
                "notify.privacy=true",
                'messages.suggestions=["Breathe."]',
                "strap.name=Polar H10 A1B2C3D4",
            ]
        )
        assert loaded.settings.notify.privacy is True
        assert loaded.settings.messages.suggestions == ["Breathe."]
        assert loaded.settings.strap.name == "Polar H10 A1B2C3D4"
        assert (parse_value("95"), parse_value("9.5"), parse_value("abc")) == (95, 9.5, "abc")

    def test_settings_are_frozen(self) -> None:
        """Loaded settings cannot be changed by accident."""
        with pytest.raises(ValueError, match="frozen"):
            default_settings().detection.absolute_bpm = 50  # type: ignore[misc]


class TestByteOrderMark:
    """Windows Notepad saves UTF-8 with a byte-order mark first, which TOML itself refuses."""

    def test_a_file_that_starts_with_a_byte_order_mark_loads(self, tmp_path: Path) -> None:
        """A settings file saved with a byte-order mark gives its values."""
        path = tmp_path / "config.toml"
        path.write_bytes(b"\xef\xbb\xbf[detection]\nabsolute_bpm = 95\n")
        assert load(path).settings.detection.absolute_bpm == 95

    def test_its_problems_name_their_lines(self, tmp_path: Path) -> None:
        """A mistake in such a file is named at its own line, as in any other."""
        path = tmp_path / "config.toml"
        path.write_bytes(b"\xef\xbb\xbf# mine\n[pause]\nminutes = 5\n")
        assert only_problem(path).startswith(f"{path}:3: pause.minutes = 5: ")

    def test_a_value_saved_into_it_keeps_the_rest(self, tmp_path: Path) -> None:
        """Saving a value into such a file (as the app and `pair` do) keeps what it held and
        gives a file that loads."""
        path = tmp_path / "config.toml"
        path.write_bytes(b"\xef\xbb\xbf# mine\n[detection]\nabsolute_bpm = 95\n")
        set_user_values(path, {"pause.minutes": 25})
        settings = load(path).settings
        assert (settings.detection.absolute_bpm, settings.pause.minutes) == (95, 25)
        assert path.read_text(encoding="utf-8").startswith("# mine\n")


class TestBadConfig:
    def test_wrong_type(self, tmp_path: Path) -> None:
        """A value of the wrong type names the file, line, key, value and what is allowed."""
        path = write(tmp_path, '# mine\n[detection]\nabsolute_bpm = "high"\n')
        problem = only_problem(path)
        assert problem.startswith(f"{path}:3: detection.absolute_bpm = 'high': ")
        assert "number" in problem

    def test_out_of_range(self, tmp_path: Path) -> None:
        """A number out of range names the bound it breaks."""
        path = write(tmp_path, "[pause]\nminutes = 5\n")
        assert re.fullmatch(
            rf"{re.escape(str(path))}:2: pause.minutes = 5: "
            r"allowed: a number from 20 to 1440 \(min\)",
            only_problem(path),
        )
        path = write(tmp_path, "[detection]\nabsolute_bpm = 500\n")
        assert re.fullmatch(
            rf"{re.escape(str(path))}:2: detection.absolute_bpm = 500: "
            r"allowed: a number from 60 to 220 \(bpm\)",
            only_problem(path),
        )

    def test_a_fraction_where_a_whole_number_is_asked_says_whole(self, tmp_path: Path) -> None:
        """50.5 % volume is refused saying a whole number is allowed (not "a number from 0
        to 100", which 50.5 is)."""
        path = write(tmp_path, "[notify]\nvolume = 50.5\n")
        assert only_problem(path) == (
            f"{path}:2: notify.volume = 50.5: allowed: a whole number from 0 to 100"
        )

    def test_not_one_of_the_choices(self, tmp_path: Path) -> None:
        """A choice that is not offered lists the allowed choices."""
        path = write(tmp_path, '[detection]\nrules = "sometimes"\n')
        problem = only_problem(path)
        assert problem.startswith(f"{path}:2: detection.rules = 'sometimes': allowed: ")
        for choice in ("either", "absolute", "relative", "both"):
            assert choice in problem

    def test_unknown_key(self, tmp_path: Path) -> None:
        """A misspelt key is an error naming it (settings forbid unknown keys)."""
        path = write(tmp_path, "[detection]\n\nabsolut_bpm = 95\n")
        problem = only_problem(path)
        assert problem.startswith(f"{path}:3: detection.absolut_bpm = 95: unknown key")

    def test_unknown_section(self, tmp_path: Path) -> None:
        """A misspelt section is an error naming it."""
        path = write(tmp_path, "[detecton]\nabsolute_bpm = 95\n")
        problem = only_problem(path)
        assert problem.startswith(f"{path}:1: detecton = {{'absolute_bpm': 95}}: unknown key")

    def test_bad_list_item(self, tmp_path: Path) -> None:
        """A bad item in a list names the file and line of the list, and the item's place."""
        path = write(tmp_path, '[messages]\nsuggestions = ["Breathe.", 3]\n')
        problem = only_problem(path)
        assert problem.startswith(f"{path}:2: messages.suggestions.1 = 3: ")

    def test_bad_toml(self, tmp_path: Path) -> None:
        """A file that is not TOML names the file and the line of the mistake."""
        path = write(tmp_path, "[pause]\nminutes = 25\nextend_minutes = = 3\n")
        problem = only_problem(path)
        assert problem.startswith(f"{path}:3:")
        assert "the file cannot be read here" in problem

    @pytest.mark.parametrize(
        ("text", "english", "german"),
        [
            ("[detection\n", 'a closing "]" seems to be missing', "schließende Klammer „]“"),
            (
                '[messages]\nalert_title = "Zeit\n',
                "a text in quotes is not closed",
                "nicht geschlossen",
            ),
            ("[pause]\nminutes 25\n", 'an "=" between the name', "es fehlt wohl ein „=“"),
            (
                "[pause]\nminutes = 25 extend_minutes = 5\n",
                "a line of its own",
                "eine eigene Zeile",
            ),
        ],
    )
    def test_a_toml_mistake_is_said_in_plain_words(
        self, tmp_path: Path, text: str, english: str, german: str
    ) -> None:
        """A slip in the file's syntax is named in plain words of the person's language,
        never in the TOML reader's English."""
        from flooding.io.config_files.problems import toml_error_text
        from flooding.io.locale_files import load_catalogue

        path = write(tmp_path, text)
        with pytest.raises(tomllib.TOMLDecodeError) as slip:
            tomllib.loads(text)
        said_en = toml_error_text(path, slip.value, load_catalogue("en"))
        said_de = toml_error_text(path, slip.value, load_catalogue("de"))
        assert english in said_en
        assert german in said_de
        assert "die Datei lässt sich hier nicht lesen" in said_de
        assert "Expected" not in said_de
        assert "Illegal" not in said_de

    @pytest.mark.parametrize(
        "text", ["a = {b = 1}\na.c = 2\n", 'p = "C:\\Users\\me"\n', 'e = "\\uD800"\n']
    )
    def test_rarer_toml_slips_are_said_in_plain_words_too(self, tmp_path: Path, text: str) -> None:
        """A table changed after it was closed, and a Windows path in double quotes, are
        named in German, never in the TOML reader's English."""
        from flooding.io.config_files.problems import toml_error_text
        from flooding.io.locale_files import load_catalogue

        path = write(tmp_path, text)
        with pytest.raises(tomllib.TOMLDecodeError) as slip:
            tomllib.loads(text)
        said_de = toml_error_text(path, slip.value, load_catalogue("de"))
        assert "die Datei lässt sich hier nicht lesen" in said_de
        assert not re.search(r"Cannot|Invalid|Escaped|Expected|Unescaped", said_de), said_de

    def test_a_single_quoted_text_left_open_at_the_end_is_said_in_plain_words(
        self, tmp_path: Path
    ) -> None:
        """A '...' text the file ends inside is named as a text left open, in German too,
        never in the TOML reader's English."""
        from flooding.io.config_files.problems import toml_error_text
        from flooding.io.locale_files import load_catalogue

        text = "[messages]\nalert_title = 'Zeit"
        path = write(tmp_path, text)
        with pytest.raises(tomllib.TOMLDecodeError) as slip:
            tomllib.loads(text)
        said_de = toml_error_text(path, slip.value, load_catalogue("de"))
        assert "ein Text in Anführungszeichen ist nicht geschlossen" in said_de
        assert "Expected" not in said_de

    def test_a_true_or_false_is_shown_as_the_file_writes_it(self, tmp_path: Path) -> None:
        """A true or false where a number belongs is shown as the file writes it (true), not
        as Python does (True)."""
        path = write(tmp_path, "[workout.detection]\nabsolute_bpm = true\n")
        problem = only_problem(path)
        assert "absolute_bpm = true" in problem
        assert "True" not in problem

    def test_a_key_set_twice_is_named_with_both_lines(self, tmp_path: Path) -> None:
        """A key written twice is named with both of its lines, not in the TOML reader's words."""
        path = write(tmp_path, "[detection]\nabsolute_bpm = 90\nabsolute_bpm = 95\n")
        assert only_problem(path) == (
            f"{path}:3: detection.absolute_bpm is set twice (lines 2 and 3): keep one"
        )

    def test_a_file_not_in_utf8_names_its_line_and_says_save_as_utf8(self, tmp_path: Path) -> None:
        """Latin-1 bytes name the line and byte; UTF-16 (as Windows editors save) is called so;
        both say to save the file as UTF-8."""
        path = tmp_path / "config.toml"
        path.write_bytes('[messages]\nalert = "Café"\n'.encode("latin-1"))
        assert only_problem(path) == (
            f"{path}:2: expected UTF-8 text, found the byte 0xe9: save the file as UTF-8"
        )
        path.write_bytes("[pause]\nminutes = 25\n".encode("utf-16"))
        assert only_problem(path) == (
            f"{path}: this file looks like UTF-16 text: save the file as UTF-8"
        )

    def test_a_folder_is_called_a_folder(self, tmp_path: Path) -> None:
        """A folder named as the settings file is said to be a folder, not a file."""
        folder = tmp_path / "config.toml"
        folder.mkdir()
        assert only_problem(folder).startswith(f"{folder}: this is a folder, not a file")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A config file that does not exist is named."""
        path = tmp_path / "nope.toml"
        assert only_problem(path) == f"{path}: no such config file"

    def test_every_problem_is_listed(self, tmp_path: Path) -> None:
        """Several bad values give one problem each, all in one error."""
        path = write(
            tmp_path, "[detection]\nabsolute_bpm = 10\nconfirm_s = 0\n[pause]\nminutez = 1\n"
        )
        problems = problems_of(path)
        assert len(problems) == 3
        assert any(p.startswith(f"{path}:2: detection.absolute_bpm") for p in problems)
        assert any(p.startswith(f"{path}:3: detection.confirm_s") for p in problems)
        assert any(p.startswith(f"{path}:5: pause.minutez") for p in problems)

    def test_bad_environment_value(self) -> None:
        """A bad value from the environment names the variable."""
        problem = only_problem(env={"FLOODING_PAUSE__MINUTES": "soon"})
        assert problem.startswith("environment FLOODING_PAUSE__MINUTES: pause.minutes = 'soon': ")

    def test_bad_command_line_value(self) -> None:
        """A bad --set value says it came from the command line."""
        problem = only_problem(overrides=["detection.confirm_s=500"])
        assert re.fullmatch(
            r"command line: detection.confirm_s = 500: "
            r"allowed: a number from 5 to 120 \(seconds\)",
            problem,
        )

    def test_malformed_set(self) -> None:
        """A --set without KEY=VALUE says what shape is expected."""
        problem = only_problem(overrides=["detection.confirm_s"])
        assert "expected KEY=VALUE" in problem
        assert "detection.confirm_s" in problem

    def test_empty_message_list(self, tmp_path: Path) -> None:
        """An empty list of partner scripts is refused: there must be words to say."""
        path = write(tmp_path, "[messages]\npartner_scripts = []\n")
        problem = only_problem(path)
        assert problem.startswith(f"{path}:2: messages.partner_scripts = []: ")


SECRET = "SECRETtoken123"
PASSWORD = "Hunter2Secret"


class TestTargetSecretsInProblems:
    def test_a_target_url_in_a_problem_is_masked_wherever_it_was_set(self, tmp_path: Path) -> None:
        """A problem with a target URL (in a file, a profile, the environment, `--set`, a list
        item, a misnamed profile's table) shows its scheme only, never its token or password."""
        path = write(
            tmp_path,
            f'[notify]\ntargets = "gotify://host/{SECRET}"\n'
            f'[profiles.alice]\nnotify_targets = ["ntfys://alice:{PASSWORD}@host/topic x"]\n',
        )
        env = {"FLOODING_NOTIFY__TARGETS": f"ntfys://alice:{PASSWORD}@host/topic"}
        overrides = [f'profiles.bob.notify_targets="gotify://host/{SECRET}"']
        misnamed = tmp_path / "misnamed.toml"
        misnamed.write_text(f'[profiles."b.c"]\nnotify_targets = ["ntfy://h/{SECRET}"]\n')
        problems = problems_of(path) + problems_of(env=env) + problems_of(overrides=overrides)
        problems += problems_of(misnamed)
        text = "\n".join(problems)
        assert SECRET not in text, text
        assert PASSWORD not in text, text
        assert "notify.targets = 'gotify://…': allowed: a list of text" in text
        assert "profiles.alice.notify_targets.0 = 'ntfys://…'" in text
        assert "notify.targets = 'ntfys://…'" in text
        assert "profiles.bob.notify_targets = 'gotify://…'" in text
        assert "profiles = {'b.c': {'notify_targets'" in text

    def test_the_service_says_the_problem_without_the_secret(self, tmp_path: Path) -> None:
        """The desktop message of a service whose settings cannot load keeps the URL masked."""
        from flooding.app.readiness import CONFIG_PROBLEMS, problem_message

        path = write(tmp_path, f'[notify]\ntargets = "gotify://host/{SECRET}"\n')
        message = problem_message([CONFIG_PROBLEMS, *problems_of(path)], "flooding")
        assert "gotify://…" in message.body
        assert SECRET not in message.body
