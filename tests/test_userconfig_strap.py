"""Writing the person's config file without losing what they wrote."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from flooding.userconfig import set_user_values


def test_creates_a_missing_file_and_folder(tmp_path: Path) -> None:
    """A first pairing creates the config folder and a file holding just the strap."""
    path = tmp_path / "conf" / "config.toml"
    set_user_values(path, {"strap.address": "C0:FF:EE:00:00:01", "strap.name": "Polar H10"})
    assert tomllib.loads(path.read_text()) == {
        "strap": {"address": "C0:FF:EE:00:00:01", "name": "Polar H10"}
    }


def test_keeps_comments_and_other_keys(tmp_path: Path) -> None:
    """Existing comments, other sections and other keys survive an update byte for byte."""
    path = tmp_path / "config.toml"
    original = (
        "# my settings\n"
        "[detection]\n"
        "absolute_bpm = 95  # I am fit\n"
        "\n"
        "[strap]\n"
        "# the old one\n"
        'address = "AA:AA:AA:AA:AA:AA"\n'
    )
    path.write_text(original)
    set_user_values(path, {"strap.address": "C0:FF:EE:00:00:01", "strap.name": "Polar H10"})
    text = path.read_text()
    assert text.startswith("# my settings\n[detection]\nabsolute_bpm = 95  # I am fit\n")
    assert "# the old one\n" in text
    assert tomllib.loads(text) == {
        "detection": {"absolute_bpm": 95},
        "strap": {"address": "C0:FF:EE:00:00:01", "name": "Polar H10"},
    }


def test_refuses_to_turn_a_value_into_a_section(tmp_path: Path) -> None:
    """A key path through a plain value is an error naming the key, and the file is untouched."""
    path = tmp_path / "config.toml"
    path.write_text("strap = 3\n")
    with pytest.raises(ValueError, match=r"strap\.address"):
        set_user_values(path, {"strap.address": "x"})
    assert path.read_text() == "strap = 3\n"
