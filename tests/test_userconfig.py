"""The person's own config file: writing values into it and the commented template."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flooding.io.config_files.loading import default_settings, load_config, user_config_path
from flooding.io.config_files.user_file import (
    OLD_TEMPLATE_HEADER,
    TEMPLATE_HEADER,
    ensure_user_file,
    set_user_values,
    template_text,
)

OWN_FILE = """\
# my settings, tuned with my therapist
mode = "talk"  # mostly talks

[detection]
# fit: a lower cue
absolute_bpm = 85
margin_bpm = 12

[notify]
privacy = true  # shared laptop
"""


class TestSetUserValues:
    def test_keeps_comments_order_and_other_keys(self, tmp_path: Path) -> None:
        """Writing two keys changes only those keys; every comment and other key stays."""
        path = tmp_path / "config.toml"
        path.write_text(OWN_FILE, encoding="utf-8")
        set_user_values(path, {"detection.margin_bpm": 15, "detection.baseline_bpm": 58})
        text = path.read_text(encoding="utf-8")
        # everything before the first changed key is byte for byte as the person wrote it
        assert text.startswith(OWN_FILE[: OWN_FILE.index("margin_bpm")])
        for kept in (
            "# my settings, tuned with my therapist",
            'mode = "talk"  # mostly talks',
            "# fit: a lower cue",
            "absolute_bpm = 85",
            "privacy = true  # shared laptop",
        ):
            assert kept in text
        assert "margin_bpm = 15" in text
        assert "margin_bpm = 12" not in text
        tree = tomllib.loads(text)
        assert tree["detection"] == {"absolute_bpm": 85, "margin_bpm": 15, "baseline_bpm": 58}
        assert text.index("[detection]") < text.index("baseline_bpm") < text.index("[notify]")

    def test_creates_missing_file_and_nested_tables(self, tmp_path: Path) -> None:
        """A missing file (and folder) is created, with dotted keys as nested tables."""
        path = tmp_path / "new" / "config.toml"
        set_user_values(
            path, {"strap.address": "C0:FF:EE:00:11:22", "workout.detection.absolute_bpm": 170}
        )
        tree = tomllib.loads(path.read_text(encoding="utf-8"))
        assert tree == {
            "strap": {"address": "C0:FF:EE:00:11:22"},
            "workout": {"detection": {"absolute_bpm": 170}},
        }
        assert path.stat().st_mode & 0o077 == 0

    def test_refuses_a_key_under_a_plain_value(self, tmp_path: Path) -> None:
        """Setting `mode.x` when `mode` is a value fails clearly instead of clobbering it."""
        path = tmp_path / "config.toml"
        path.write_text(OWN_FILE, encoding="utf-8")
        with pytest.raises(ValueError, match=r"'mode' is a value.*cannot set mode\.x"):
            set_user_values(path, {"mode.x": 1})
        assert path.read_text(encoding="utf-8") == OWN_FILE


class TestTemplate:
    def test_every_key_is_commented_out_so_it_loads_as_the_defaults(self, tmp_path: Path) -> None:
        """The template sets no value: loading it gives exactly the shipped defaults."""
        tree = tomllib.loads(template_text())
        assert all(value == {} or isinstance(value, dict) for value in tree.values())
        path = tmp_path / "config.toml"
        path.write_text(template_text(), encoding="utf-8")
        assert load_config(path, env={}).settings == default_settings()

    def test_keeps_the_documentation_of_each_key(self) -> None:
        """Each key's documentation from default.toml is in the template above the key."""
        text = template_text()
        assert "# Absolute threshold, bpm, 60..220." in text
        assert text.index("# Absolute threshold") < text.index("# absolute_bpm = 100")
        assert "# confirm_s = 20" in text

    def test_uncommenting_a_key_sets_it(self, tmp_path: Path) -> None:
        """Removing the '# ' in front of a key is all it takes to change it."""
        path = tmp_path / "config.toml"
        path.write_text(
            template_text().replace("# absolute_bpm = 100", "absolute_bpm = 90"), encoding="utf-8"
        )
        assert load_config(path, env={}).settings.detection.absolute_bpm == 90

    def test_values_written_into_the_template_keep_its_comments(self, tmp_path: Path) -> None:
        """Calibration writing into a template-made file keeps every comment and loads."""
        path = tmp_path / "config.toml"
        assert ensure_user_file(path) is True
        assert ensure_user_file(path) is False
        before = path.read_text(encoding="utf-8")
        set_user_values(path, {"detection.baseline_bpm": 57})
        after = path.read_text(encoding="utf-8")
        assert all(line in after for line in before.splitlines())
        assert load_config(path, env={}).settings.detection.baseline_bpm == 57


class TestUserConfigPath:
    def test_named_file_then_environment_then_platform(self, tmp_path: Path) -> None:
        """--config wins over FLOODING_CONFIG, which wins over the platform's place."""
        named, from_env = tmp_path / "a.toml", tmp_path / "b.toml"
        assert user_config_path(named, {"FLOODING_CONFIG": str(from_env)}) == named
        assert user_config_path(None, {"FLOODING_CONFIG": str(from_env)}) == from_env
        assert user_config_path(None, {}).name == "config.toml"


class TestInlineSections:
    def test_a_section_written_inline_takes_the_new_key_and_keeps_its_own(
        self, tmp_path: Path
    ) -> None:
        """A valid `detection = { ... }` section gets the new key beside the ones it had."""
        path = tmp_path / "config.toml"
        path.write_text("# mine\ndetection = { margin_bpm = 12 }\n", encoding="utf-8")
        set_user_values(path, {"detection.baseline_bpm": 64})
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# mine\n")
        assert tomllib.loads(text)["detection"] == {"margin_bpm": 12, "baseline_bpm": 64}


class TestHeader:
    def test_the_header_stays_true_once_a_value_is_written(self, tmp_path: Path) -> None:
        """After a value is written (pair, calibrate), the header no longer claims that every
        key is commented out."""
        path = tmp_path / "config.toml"
        ensure_user_file(path)
        set_user_values(path, {"strap.address": "C0:FF:EE:00:00:01"})
        text = path.read_text(encoding="utf-8")
        assert "Every key below is commented out" not in text
        assert "A key without" in text

    def test_an_old_header_is_made_true_when_a_value_is_written(self, tmp_path: Path) -> None:
        """A file made with the old header gets the true one when a value is written into it."""
        path = tmp_path / "config.toml"
        path.write_text(OLD_TEMPLATE_HEADER + "\n[pause]\n# minutes = 20\n", encoding="utf-8")
        set_user_values(path, {"pause.minutes": 25})
        text = path.read_text(encoding="utf-8")
        assert text.startswith(TEMPLATE_HEADER)
        assert load_config(path, env={}).settings.pause.minutes == 25


def test_a_file_made_in_german_sets_german_and_offers_the_german_texts(tmp_path: Path) -> None:
    """A settings file made for a German speaker sets `language = "de"` and offers the German
    texts of [messages] (commented out, as every default), with a German line at the top."""
    from flooding.io.config_files.user_file import ensure_user_file, template_text
    from flooding.io.locale_files import message_texts

    path = tmp_path / "new.toml"
    assert ensure_user_file(path, "de")
    text = path.read_text(encoding="utf-8")
    assert tomllib.loads(text)["language"] == "de"
    assert load_config(path, env={}, use_default_user_file=False).settings.language == "de"
    title = message_texts("de")["alert_title"]
    assert f'# alert_title = "{title}"' in text
    assert "# Deine Einstellungen." in text
    assert 'language = "de"' not in template_text()
