"""Config that explains itself: defaults in sync, show, check, edit, and per-mode thresholds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from flooding.cli.commands.config import editor_command
from flooding.cli.main import main
from flooding.core.engine import Engine, run_batch
from flooding.core.models import Alert, EpisodeStarted, Mode, Sample
from flooding.core.settings import (
    MAX_LIST_CHARS,
    MAX_TEXT_CHARS,
    MAX_TEXTS,
    ConfigError,
    DetectionOverrides,
    DetectionSettings,
    NotifySettings,
    PauseSettings,
    ProfileWorkout,
    Settings,
    StrapSettings,
    WorkoutSettings,
    detection_for,
)
from flooding.core.settings_keys import allowed_values, number_bounds
from flooding.io.config_files.loading import default_settings, default_toml_text, load_config
from flooding.io.locale_files import load_catalogue
from tests.session_factory import flooding


def _commented_keys(text: str) -> set[str]:
    """Keys that appear only as `# key = value` lines (documented, unset by default)."""
    keys = set()
    for line in text.splitlines():
        body = line.lstrip("# ").strip()
        if line.startswith("# ") and "=" in body and body.split("=")[0].strip().isidentifier():
            keys.add(body.split("=")[0].strip())
    return keys


class TestDefaultsInSync:
    @pytest.mark.parametrize(
        ("section", "model"),
        [
            ("detection", DetectionSettings),
            ("pause", PauseSettings),
            ("notify", NotifySettings),
            ("strap", StrapSettings),
        ],
    )
    def test_default_toml_equals_the_model_defaults(self, section: str, model: Any) -> None:
        """Each section of config/default.toml holds exactly the pydantic defaults."""
        shipped = tomllib.loads(default_toml_text())[section]
        expected = {k: v for k, v in model().model_dump().items() if v is not None}
        assert shipped == expected

    def test_workout_and_mode_defaults_match(self) -> None:
        """`mode` and [workout] in default.toml equal the models' defaults (no overrides)."""
        shipped = tomllib.loads(default_toml_text())
        assert shipped["mode"] == Settings.model_fields["mode"].default.value
        assert shipped["workout"] == {"alerts": WorkoutSettings().alerts, "detection": {}}
        assert DetectionOverrides().model_dump(exclude_none=True) == {}

    def test_every_key_is_in_default_toml_set_or_documented(self) -> None:
        """Every settings key is in default.toml, set or (when unset) as a commented example."""
        text = default_toml_text()
        shipped = tomllib.loads(text)
        commented = _commented_keys(text)
        for section in ("detection", "pause", "notify", "strap", "messages"):
            model = Settings.model_fields[section].annotation
            assert isinstance(model, type)
            for key in model.model_fields:
                assert key in shipped[section] or key in commented, f"{section}.{key}"
        for key in DetectionOverrides.model_fields:
            assert key in shipped["detection"] or key in commented

    def test_the_message_limits_default_toml_names_are_the_schemas(self) -> None:
        """The [messages] comment of default.toml names the limits the schema holds texts to."""
        text = default_toml_text()
        assert f"a text holds at most {MAX_TEXT_CHARS} characters" in text
        assert f"a list at most {MAX_TEXTS} texts, of {MAX_LIST_CHARS} characters together" in text

    def test_overrides_allow_exactly_what_detection_allows(self) -> None:
        """A workout override outside the [detection] range is refused with the same range."""
        for key, bad in (("absolute_bpm", 40), ("confirm_s", 200), ("rules", "sometimes")):
            with pytest.raises(ConfigError, match=key) as caught:
                load_config(
                    env={f"FLOODING_WORKOUT__DETECTION__{key.upper()}": json.dumps(bad)},
                    use_default_user_file=False,
                )
            message = str(caught.value)
            with pytest.raises(ConfigError, match=key) as same:
                load_config(
                    env={f"FLOODING_DETECTION__{key.upper()}": json.dumps(bad)},
                    use_default_user_file=False,
                )
            assert message.split("allowed:")[1] == str(same.value).split("allowed:")[1]

    def test_overrides_have_exactly_the_keys_of_their_section(self) -> None:
        """[workout.detection] and a profile's [detection] take every [detection] key and no
        other, each unset by default; a profile's [workout] takes every [workout] key."""
        assert list(DetectionOverrides.model_fields) == list(DetectionSettings.model_fields)
        assert set(DetectionOverrides().model_dump().values()) == {None}
        assert list(ProfileWorkout.model_fields) == list(WorkoutSettings.model_fields)
        assert ProfileWorkout().alerts is None
        with pytest.raises(ConfigError, match="unknown key"):
            load_config(
                env={"FLOODING_WORKOUT__DETECTION__SESSION_GAP_MINUTES": "10"},
                use_default_user_file=False,
            )

    def test_every_override_key_allows_what_its_detection_key_allows(self) -> None:
        """Each override key, per mode and per person, is described with the same range or
        choices as the [detection] key it overrides."""
        english = load_catalogue()
        for key in DetectionSettings.model_fields:
            allowed = allowed_values(f"detection.{key}", english)
            assert allowed is not None
            for parent in ("workout.detection", "profiles.anna.detection"):
                assert allowed_values(f"{parent}.{key}", english) == allowed, f"{parent}.{key}"
            assert allowed_values(f"profiles.anna.workout.detection.{key}", english) == allowed

    def test_a_number_keys_bounds_are_the_ones_its_words_name(self) -> None:
        """`number_bounds` gives the lowest and highest value a number key allows, the ones
        `allowed_values` names (an override's as its key's), and refuses other keys."""
        english = load_catalogue()
        low, high = number_bounds("pause.minutes")
        assert f"from {low:g} to {high:g}" in (allowed_values("pause.minutes", english) or "")
        assert (low, high) == (20.0, 1440.0)
        assert number_bounds("profiles.anna.detection.margin_bpm") == number_bounds(
            "detection.margin_bpm"
        )
        with pytest.raises(ValueError, match="no lower and upper bound"):
            number_bounds("language")
        with pytest.raises(KeyError):
            number_bounds("pause.no_such_key")


BROKEN = {
    "wrong-type.toml": (
        '[detection]\nconfirm_s = 20\nmargin_bpm = "ten"\n',
        ["wrong-type.toml:3:", "detection.margin_bpm = 'ten'", "from 3 to 60"],
    ),
    "out-of-range.toml": (
        "[pause]\n# too short to clear adrenaline\nminutes = 5\n",
        ["out-of-range.toml:3:", "pause.minutes = 5", "from 20 to 1440"],
    ),
    "unknown-key.toml": (
        "[detection]\nabsolut_bpm = 90\n",
        ["unknown-key.toml:2:", "detection.absolut_bpm = 90", "did you mean 'absolute_bpm'"],
    ),
    "bad-choice.toml": (
        'mode = "sleep"\n',
        ["bad-choice.toml:1:", "mode = 'sleep'", '"talk", "workout"'],
    ),
    "bad-toml.toml": (
        "[detection]\nabsolute_bpm = 90\nmargin_bpm = \n",
        ["bad-toml.toml:3:14:", "the file cannot be read here (this value cannot be read"],
    ),
}


class TestConfigCheck:
    @pytest.mark.parametrize("name", sorted(BROKEN))
    def test_names_line_key_value_and_what_is_allowed(
        self, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A broken file gets exit code 1 and a line naming file:line, key, value, allowed."""
        text, expected = BROKEN[name]
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert main(["config", "check", str(path)]) == 1
        out = capsys.readouterr().out
        for part in expected:
            assert part in out, (part, out)
        assert "OK" not in out

    def test_a_folder_where_the_file_belongs_is_named_not_called_missing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """FLOODING_CONFIG naming a folder: check says it is a folder, not "no file yet"."""
        folder = tmp_path / "config.toml"
        folder.mkdir()
        monkeypatch.setenv("FLOODING_CONFIG", str(folder))
        assert main(["config", "check"]) == 1
        out = capsys.readouterr().out
        assert "this is a folder, not a file" in out
        assert "yet" not in out

    def test_a_fixed_limit_above_the_believed_readings_is_noted_not_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """absolute_bpm at or above max_plausible_bpm (a rule that can never fire): check
        still says OK, and notes that this limit is never reached."""
        path = tmp_path / "me.toml"
        path.write_text("[detection]\nabsolute_bpm = 200\nmax_plausible_bpm = 150\n", "utf-8")
        assert main(["config", "check", str(path)]) == 0
        out = capsys.readouterr().out
        assert "OK" in out
        assert "detection.absolute_bpm = 200 can never be reached" in out
        assert "detection.max_plausible_bpm = 150" in out

    def test_reports_every_problem_at_once(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Four problems in one file give four lines, each with its own line number."""
        path = tmp_path / "many.toml"
        path.write_text(
            'mode = "run"\n[detection]\nabsolute_bpm = 400\nrules = "any"\n'
            "[workout.detection]\nconfirm_s = 1\n",
            encoding="utf-8",
        )
        assert main(["config", "check", str(path)]) == 1
        out = capsys.readouterr().out
        assert "4 problems" in out
        for line, key in ((1, "mode"), (3, "detection.absolute_bpm"), (4, "detection.rules")):
            assert f"many.toml:{line}: {key} = " in out
        assert "many.toml:6: workout.detection.confirm_s = 1: allowed: a number from 5 to" in out

    def test_finds_dotted_keys_and_list_items(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Problems in dotted keys and in list items still get their line."""
        path = tmp_path / "dotted.toml"
        path.write_text(
            "detection.margin_bpm = 99\n\n[messages]\nsuggestions = [\n  1,\n]\n", encoding="utf-8"
        )
        assert main(["config", "check", str(path)]) == 1
        out = capsys.readouterr().out
        assert "dotted.toml:1: detection.margin_bpm = 99" in out
        assert "dotted.toml:4: messages.suggestions.0 = 1" in out

    def test_a_setting_the_environment_breaks_is_named_too(self, tmp_path: Path) -> None:
        """A good file with a broken or misspelt FLOODING_* setting in the environment (which
        every other command refuses to start with) fails with the variable named; without
        a file too."""
        path = tmp_path / "good.toml"
        path.write_text("[detection]\nabsolute_bpm = 90\n", encoding="utf-8")
        broken = {"FLOODING_PAUSE__MINUTES": "abc", "FLOODING_DETECTON__ABSOLUTE_BPM": "90"}
        checked = flooding("config", "check", str(path), env=broken)
        assert checked.returncode == 1
        assert checked.stdout.startswith(f"{path}: 2 problems:\n")
        assert "environment FLOODING_PAUSE__MINUTES: pause.minutes = 'abc'" in checked.stdout
        assert "did you mean 'detection'?" in checked.stdout
        home = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "none")}
        checked = flooding("config", "check", env={**home, "FLOODING_PAUSE__MINUTES": "abc"})
        assert checked.returncode == 1
        assert checked.stdout.startswith("No file at ")
        assert "but the settings this environment sets have 1 problem:" in checked.stdout

    def test_a_target_url_is_named_masked(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A target URL in a problem is shown as `config show` shows it: its token never."""
        path = tmp_path / "c.toml"
        path.write_text('[notify]\ntargets = "gotify://host/SECRETtoken123"\n', encoding="utf-8")
        assert main(["config", "check", str(path)]) == 1
        out = capsys.readouterr().out
        assert "c.toml:2: notify.targets = 'gotify://…': allowed: a list of text" in out
        assert "SECRETtoken123" not in out

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            (
                "en",
                (
                    "1001 characters: a message text can have at most 1000",
                    "shorten it",
                    "101 texts: this list can have at most 100; leave out 1 of them",
                ),
            ),
            (
                "de",
                (
                    "1001 Zeichen: ein Nachrichtentext darf höchstens 1000 haben",
                    "kürze ihn",
                    "101 Texte: diese Liste darf höchstens 100 haben; lass 1 davon weg",
                ),
            ),
        ],
    )
    def test_a_message_text_too_long_or_a_list_too_long_names_the_limit(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        language: str,
        words: tuple[str, str, str],
    ) -> None:
        """A message text over the most characters, a list text over it, and a list of more
        texts than it may hold are each named with their line, the limit and what to do."""
        long = "x" * (MAX_TEXT_CHARS + 1)
        path = tmp_path / "long.toml"
        path.write_text(
            f'[messages]\nalert_body = "{long}"\nreentry_lines = ["Hi", "{long}"]\n'
            f"suggestions = {json.dumps(['Breathe'] * (MAX_TEXTS + 1))}\n",
            encoding="utf-8",
        )
        assert main(["config", "check", str(path), "--lang", language]) == 1
        out = capsys.readouterr().out
        too_long, shorten, too_many = words
        assert "long.toml:2: messages.alert_body = 'xxx" in out
        assert "long.toml:3: messages.reentry_lines.1 = 'xxx" in out
        assert out.count(too_long) == 2
        assert out.count(shorten) == 2
        assert "long.toml:4: messages.suggestions = ['Breathe'" in out
        assert too_many in out

    def test_message_texts_up_to_the_limit_are_taken(self) -> None:
        """A text of exactly the most characters, a list of exactly the most characters
        together and a list of exactly the most texts load."""
        longest = "y" * MAX_TEXT_CHARS
        fullest = [longest] * (MAX_LIST_CHARS // MAX_TEXT_CHARS)
        settings = load_config(
            env={},
            use_default_user_file=False,
            overrides=[
                f'messages.alert_body="{longest}"',
                f"messages.suggestions={json.dumps(fullest)}",
                f"messages.reentry_lines={json.dumps(['Hi'] * MAX_TEXTS)}",
            ],
        ).settings
        assert settings.messages.alert_body == longest
        assert settings.messages.suggestions == fullest
        assert settings.messages.reentry_lines == ["Hi"] * MAX_TEXTS

    def test_a_list_of_a_few_dozen_own_texts_loads(self, tmp_path: Path) -> None:
        """A settings file with 30 own suggestions, as versions before any limit took, is
        taken as it is: a refused file would stop the monitor watching."""
        own = [f"Walk to the corner and back, round {n}" for n in range(1, 31)]
        path = tmp_path / "own.toml"
        path.write_text(f"[messages]\nsuggestions = {json.dumps(own)}\n", encoding="utf-8")
        settings = load_config(path, env={}, use_default_user_file=False).settings
        assert settings.messages.suggestions == own

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("en", "20001 characters in this list: its texts together can have at most 20000"),
            ("de", "20001 Zeichen in dieser Liste: ihre Texte dürfen zusammen höchstens 20000"),
        ],
    )
    def test_a_list_over_the_most_characters_together_names_the_limit(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], language: str, words: str
    ) -> None:
        """A list whose texts together hold more than the most characters is named with its
        line, its length, the limit and what to do."""
        texts = ["y" * MAX_TEXT_CHARS] * (MAX_LIST_CHARS // MAX_TEXT_CHARS) + ["z"]
        path = tmp_path / "full.toml"
        path.write_text(f"[messages]\nsuggestions = {json.dumps(texts)}\n", encoding="utf-8")
        assert main(["config", "check", str(path), "--lang", language]) == 1
        out = capsys.readouterr().out
        assert "full.toml:2: messages.suggestions = ['yyy" in out
        assert words in out

    def test_good_file_says_ok(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A valid file exits 0 and says OK."""
        path = tmp_path / "good.toml"
        path.write_text("[detection]\nabsolute_bpm = 90  # fit\n", encoding="utf-8")
        assert main(["config", "check", str(path)]) == 0
        assert capsys.readouterr().out.startswith("OK")

    def test_missing_file_is_a_problem(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Checking a file that does not exist fails and says so."""
        assert main(["config", "check", str(tmp_path / "nope.toml")]) == 1
        assert "no such config file" in capsys.readouterr().out


class TestConfigShow:
    def test_every_leaf_with_its_origin(self, tmp_path: Path) -> None:
        """Show --json lists every key of the model, each from default, file, env or --set."""
        path = tmp_path / "mine.toml"
        path.write_text("# mine\n[detection]\n\nabsolute_bpm = 90\n", encoding="utf-8")
        result = flooding(
            "config",
            "show",
            "--json",
            "--config",
            str(path),
            "--set",
            "pause.minutes=30",
            env={"FLOODING_NOTIFY__PRIVACY": "true"},
        )
        assert result.returncode == 0, result.stderr
        rows = {row["key"]: row for row in json.loads(result.stdout)}
        leaves = set()

        def walk(node: dict[str, Any], prefix: str) -> None:
            for key, value in node.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    leaves.add(f"{prefix}{key}")

        walk(default_settings().model_dump(), "")
        assert set(rows) == leaves
        assert rows["detection.absolute_bpm"] == {
            "key": "detection.absolute_bpm",
            "value": 90.0,
            "origin": "file",
            "file": str(path),
            "line": 4,
        }
        assert rows["pause.minutes"]["origin"] == "command line"
        assert rows["notify.privacy"]["variable"] == "FLOODING_NOTIFY__PRIVACY"
        assert rows["notify.privacy"]["value"] is True
        assert rows["detection.margin_bpm"]["origin"] == "default"

    def test_table_names_the_file_and_lines(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The plain table shows the file in use and where a value was set."""
        path = tmp_path / "mine.toml"
        path.write_text("[pause]\nminutes = 25\n", encoding="utf-8")
        assert main(["config", "show", "--config", str(path)]) == 0
        out = capsys.readouterr().out
        assert f"Your file: {path}" in out
        line = next(line for line in out.splitlines() if line.startswith("pause.minutes "))
        assert "25" in line
        assert "your file, line 2" in line


class TestConfigEdit:
    def test_creates_the_template_runs_the_editor_and_checks(self, tmp_path: Path) -> None:
        """Edit makes the documented file, runs $EDITOR on it, then reports its problems."""
        editor = tmp_path / "editor.py"
        editor.write_text(
            "import pathlib, sys\n"
            "p = pathlib.Path(sys.argv[1])\n"
            "p.write_text(p.read_text().replace('# minutes = 20', 'minutes = 3'))\n",
            encoding="utf-8",
        )
        path = tmp_path / "cfg" / "config.toml"
        result = flooding(
            "config",
            "edit",
            "--config",
            str(path),
            env={"VISUAL": "", "EDITOR": f"{sys.executable} {editor}"},
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Created" in result.stdout
        assert "pause.minutes = 3: allowed: a number from 20 to" in result.stdout
        text = path.read_text(encoding="utf-8")
        assert "# Length of the break after an alert" in text

    def test_editor_choice(self) -> None:
        """$VISUAL wins over $EDITOR; without either, the platform's usual editor."""
        assert editor_command({"VISUAL": "code -w", "EDITOR": "vi"}, "linux") == ["code", "-w"]
        assert editor_command({"EDITOR": "nano"}, "linux") == ["nano"]
        assert editor_command({}, "win32") == ["notepad"]
        assert editor_command({}, "darwin") == ["open", "-W", "-t"]


def _steady(level_bpm: float, seconds: int, start_s: float = 0.0) -> list[Sample]:
    return [Sample(start_s + i, level_bpm) for i in range(seconds)]


def _workout() -> list[Sample]:
    """Warm-up at 70, then 10 minutes hard at 150."""
    return _steady(70, 300) + _steady(150, 600, start_s=300)


class TestModes:
    def test_detection_for_merges_only_the_set_overrides(self) -> None:
        """Workout detection is [detection] with the keys set in [workout.detection]."""
        settings = load_config(
            env={"FLOODING_WORKOUT__DETECTION__ABSOLUTE_BPM": "170"},
            use_default_user_file=False,
            overrides=["detection.confirm_s=30"],
        ).settings
        workout = detection_for(settings, Mode.WORKOUT)
        assert workout.absolute_bpm == 170
        assert workout.confirm_s == 30
        assert detection_for(settings, Mode.TALK).absolute_bpm == 100

    def test_workout_gives_no_alerts_by_default(self) -> None:
        """A hard workout is flooding-level heart rate but gives no alert in workout mode."""
        settings = default_settings()
        events = run_batch(_workout(), settings, mode=Mode.WORKOUT).events
        assert not [e for e in events if isinstance(e, Alert)]
        talk = run_batch(_workout(), settings, mode=Mode.TALK).events
        assert [e for e in talk if isinstance(e, Alert)]

    def test_workout_thresholds_take_effect_when_alerts_are_on(self) -> None:
        """With workout alerts on, the workout's own absolute threshold decides."""
        on = ["workout.alerts=true"]
        low = load_config(env={}, use_default_user_file=False, overrides=on).settings
        high = load_config(
            env={},
            use_default_user_file=False,
            overrides=[*on, "workout.detection.absolute_bpm=160"],
        ).settings
        with_low = run_batch(_workout(), low, mode=Mode.WORKOUT).events
        starts = [e for e in with_low if isinstance(e, EpisodeStarted)]
        assert starts
        assert starts[0].threshold_bpm == 100
        assert [e for e in with_low if isinstance(e, Alert)]
        with_high = run_batch(_workout(), high, mode=Mode.WORKOUT).events
        assert not [e for e in with_high if isinstance(e, EpisodeStarted | Alert)]

    def test_baseline_does_not_learn_in_a_workout(self) -> None:
        """Calm minutes in workout mode leave the baseline unformed; in talk mode they form it."""
        calm = _steady(65, 400)
        workout = Engine(default_settings(), mode=Mode.WORKOUT)
        talk = Engine(default_settings(), mode=Mode.TALK)
        for sample in calm:
            workout.feed(sample)
            talk.feed(sample)
        assert workout.detector.baseline_bpm is None
        assert talk.detector.baseline_bpm == pytest.approx(65)

    def test_switching_mode_retunes_the_detector(self) -> None:
        """set_mode changes the thresholds in use at once, keeping the learned baseline."""
        settings = load_config(
            env={}, use_default_user_file=False, overrides=["workout.detection.absolute_bpm=170"]
        ).settings
        engine = Engine(settings, mode=Mode.TALK)
        for sample in _steady(65, 400):
            engine.feed(sample)
        engine.set_mode(Mode.WORKOUT, 400)
        assert engine.detector.threshold()[0] == 75  # relative (65 + 10) is still lower
        engine2 = Engine(
            load_config(
                env={},
                use_default_user_file=False,
                overrides=["detection.rules='absolute'", "workout.detection.absolute_bpm=170"],
            ).settings
        )
        assert engine2.detector.threshold()[0] == 100
        engine2.set_mode(Mode.WORKOUT, 0)
        assert engine2.detector.threshold()[0] == 170
        assert engine.detector.baseline_bpm == pytest.approx(65)


class TestConfigNewcomerTrips:
    def test_a_bad_language_hides_no_other_problem(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A language that does not exist is reported with its line, beside every other
        problem in the file."""
        path = tmp_path / "mine.toml"
        path.write_text('language = "xx"\n[detection]\nabsolute_bpm = 400\n', encoding="utf-8")
        assert main(["config", "check", str(path)]) == 1
        out = capsys.readouterr().out
        assert "2 problems" in out
        assert f"{path}:1: language = 'xx': allowed: 'de', 'en'" in out
        assert f"{path}:3: detection.absolute_bpm = 400" in out

    def test_an_unknown_key_suggests_every_close_one(self) -> None:
        """`--set detection.margin=15` suggests both margin_pct and margin_bpm."""
        result = flooding("config", "show", "--set", "detection.margin=15")
        assert result.returncode == 2
        assert "'margin_pct'" in result.stderr
        assert "'margin_bpm'" in result.stderr

    @pytest.mark.parametrize("form", ["positional", "option"])
    def test_every_action_takes_its_file_both_ways(
        self, form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """check, show and edit each accept FILE and --config FILE alike."""
        path = tmp_path / "mine.toml"
        path.write_text("[pause]\nminutes = 25\n", encoding="utf-8")
        named = [str(path)] if form == "positional" else ["--config", str(path)]
        assert main(["config", "check", *named]) == 0
        assert capsys.readouterr().out.startswith(f"OK: {path}")
        assert main(["config", "show", "--json", *named]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert next(r for r in rows if r["key"] == "pause.minutes")["value"] == 25
        editor = tmp_path / "editor.py"
        editor.write_text("import sys\n", encoding="utf-8")
        edited = flooding(
            "config", "edit", *named, env={"VISUAL": "", "EDITOR": f"{sys.executable} {editor}"}
        )
        assert edited.returncode == 0, edited.stdout + edited.stderr
        assert f"OK: {path}" in edited.stdout

    def test_two_different_files_are_refused(self, tmp_path: Path) -> None:
        """FILE and --config naming two different files is refused, naming both."""
        result = flooding("config", "show", str(tmp_path / "a.toml"), "--config", "b.toml")
        assert result.returncode == 2
        assert "a.toml" in result.stderr
        assert "b.toml" in result.stderr

    def test_edit_without_editor_or_terminal_refuses_clearly(self, tmp_path: Path) -> None:
        """With no EDITOR and no terminal, edit starts no editor, says why on stderr and
        fails (exit 1, nothing on stdout)."""
        path = tmp_path / "cfg" / "config.toml"
        result = subprocess.run(
            [sys.executable, "-m", "flooding", "config", "edit", str(path)],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if k not in ("EDITOR", "VISUAL")},
            check=False,
        )
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith("flooding config: Not opening an editor: this is not a")
        assert "EDITOR" in result.stderr
        assert "OK" not in result.stderr
        assert not path.exists()

    def test_edit_with_no_editor_on_this_computer_refuses_clearly(self, tmp_path: Path) -> None:
        """With no EDITOR set and none of the usual editors on PATH, edit says so and which
        file to edit by hand, on stderr, exit 1, and makes no file."""
        path = tmp_path / "cfg" / "config.toml"
        env = {k: v for k, v in os.environ.items() if k not in ("EDITOR", "VISUAL")}
        result = flooding("config", "edit", str(path), env={**env, "PATH": str(tmp_path)})
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (
            f"flooding config: No editor found: set EDITOR (e.g. EDITOR=nano), or edit {path} "
            "yourself.\n"
        )
        assert not path.exists()

    def test_an_editor_that_cannot_start_is_refused(self, tmp_path: Path) -> None:
        """An EDITOR that does not exist is named on stderr with what to set, exit 1; the
        file made for it stays, said on stdout."""
        path = tmp_path / "config.toml"
        missing = tmp_path / "no-such-editor"
        result = flooding("config", "edit", str(path), env={"VISUAL": "", "EDITOR": str(missing)})
        assert result.returncode == 1
        assert result.stdout.startswith(f"Created {path}: ")
        assert "Could not start" not in result.stdout
        assert result.stderr.startswith(f"flooding config: Could not start the editor '{missing}':")
        assert result.stderr.endswith(". Set VISUAL or EDITOR.\n")
        assert path.exists()

    def test_an_editor_that_fails_is_not_reported_ok(self, tmp_path: Path) -> None:
        """An editor that exits with an error makes edit fail and say the changes may be lost."""
        path = tmp_path / "config.toml"
        result = flooding("config", "edit", str(path), env={"VISUAL": "", "EDITOR": "false"})
        assert result.returncode == 1
        assert "exit code 1" in result.stdout
        assert "may not be saved" in result.stdout
