"""Messages in another language, private texts for the pause check, rotation across sessions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flooding.core.models import PauseExtended
from flooding.core.settings import ConfigError, Settings
from flooding.io.config_files.loading import available_languages, load_config
from tests.session_factory import flooding
from tests.traces import message_book


def settings_with(*overrides: str, config: Path | None = None) -> Settings:
    """Settings from the defaults plus overrides, ignoring the user's own file."""
    return load_config(config, env={}, overrides=overrides, use_default_user_file=False).settings


class TestLanguage:
    def test_german_texts_replace_the_english_defaults(self) -> None:
        """language = "de" gives the shipped German alert texts."""
        settings = settings_with('language="de"')
        assert "überflutet" in settings.messages.alert_title
        assert "de" in available_languages()

    def test_the_persons_own_texts_win_over_the_language(self, tmp_path: Path) -> None:
        """A text the person wrote stays, even when a shipped language is chosen."""
        own = tmp_path / "me.toml"
        own.write_text('language = "de"\n[messages]\nready_title = "Back together"\n')
        settings = settings_with(config=own)
        assert settings.messages.ready_title == "Back together"
        assert "überflutet" in settings.messages.alert_title

    def test_unknown_language_names_the_choices(self) -> None:
        """An unknown language is refused, listing the languages that exist."""
        with pytest.raises(ConfigError) as caught:
            settings_with('language="xx"')
        assert "'xx'" in str(caught.value)
        assert "'de'" in str(caught.value)
        assert "'en'" in str(caught.value)


def test_private_not_yet_text_speaks_of_the_extension() -> None:
    """In privacy mode the "not yet" desktop text names the extra minutes and no heart rate."""
    settings = settings_with("notify.privacy=true")
    event = PauseExtended(t_s=1_800_000_000.0, until_s=1_800_000_600.0, bpm=93.0, baseline_bpm=70.0)
    rendered = message_book(settings).render(event, None, 0)
    assert rendered is not None
    desktop = rendered.desktop.title + rendered.desktop.body
    assert "10 minutes more" in desktop
    assert "93" not in desktop
    assert "93" in rendered.full.body


def test_partner_scripts_rotate_across_sessions(tmp_path: Path) -> None:
    """Two demo sessions in one data dir give two different partner scripts."""
    scripts = []
    for _ in range(2):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "flooding",
                "demo",
                "--speed",
                "0",
                "--no-notify",
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        said = [line for line in result.stdout.splitlines() if "You could say" in line]
        scripts.append(said[0])
    assert scripts[0] != scripts[1]


def test_a_german_demo_names_its_strap_in_german(tmp_path: Path) -> None:
    """The strap a German demo stores with its practice session is named in German, so its
    review and sessions list read German; an English demo's stays English."""
    for language, name in (("de", "Simulierter Gurt"), ("en", "Simulated strap")):
        folder = tmp_path / language
        played = flooding(
            "demo", "--speed", "0", "--no-notify", "--lang", language, "--data-dir", str(folder)
        )
        assert played.returncode == 0, played.stderr
        listed = flooding("sessions", "--data-dir", str(folder / "demo"))
        assert listed.returncode == 0, listed.stderr
        assert name in listed.stdout


class TestTheSystemsLanguage:
    def test_with_nothing_set_the_systems_language_is_spoken_when_shipped(self) -> None:
        """With no language set anywhere, LC_ALL, LC_MESSAGES or LANG chooses it when its
        texts are shipped; a language set by the person, or one not shipped, wins or falls
        back to English."""
        from flooding.cli.language import command_line_language

        def language(env: dict[str, str]) -> str:
            return load_config(env=env, use_default_user_file=False).settings.language

        assert language({"LANG": "de_DE.UTF-8"}) == "de"
        assert language({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "de_AT.UTF-8"}) == "de"
        assert language({"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}) == "en"
        assert language({"LANG": "fr_FR.UTF-8"}) == "en"
        assert language({"LANG": "de_DE.UTF-8", "FLOODING_LANGUAGE": "en"}) == "en"
        assert command_line_language(["status"], {"LANG": "de_DE.UTF-8"}) == "de"
        assert command_line_language(["status", "--lang", "en"], {"LANG": "de_DE.UTF-8"}) == "en"
