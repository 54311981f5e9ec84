"""The one data-folder resolver: the chosen folder, else FLOODING_DATA_DIR, else the
platform's user data folder."""

from __future__ import annotations

from pathlib import Path

from flooding.io.folders import Platform, data_dir, platform_data_dir

HOME = Path("/home/anna")


def test_the_chosen_folder_wins_over_the_environment() -> None:
    """--data-dir is used as given, whatever FLOODING_DATA_DIR says."""
    assert data_dir("/tmp/mine", {"FLOODING_DATA_DIR": "/tmp/env"}) == Path("/tmp/mine")


def test_the_environment_wins_over_the_platform_folder() -> None:
    """Without --data-dir, FLOODING_DATA_DIR is the folder; an empty one is not."""
    assert data_dir(None, {"FLOODING_DATA_DIR": "/tmp/env"}) == Path("/tmp/env")
    assert data_dir(None, {"FLOODING_DATA_DIR": ""}).name == "flooding"


def test_each_platform_has_its_user_data_folder() -> None:
    """Linux follows an absolute XDG_DATA_HOME (a relative one is ignored), macOS uses
    Application Support, Windows LOCALAPPDATA."""
    linux = Platform.LINUX
    assert platform_data_dir(linux, HOME, {}) == HOME / ".local/share/flooding"
    assert platform_data_dir(linux, HOME, {"XDG_DATA_HOME": "/data"}) == Path("/data/flooding")
    assert (
        platform_data_dir(linux, HOME, {"XDG_DATA_HOME": "rel"}) == HOME / ".local/share/flooding"
    )
    assert (
        platform_data_dir(Platform.MACOS, HOME, {}) == HOME / "Library/Application Support/flooding"
    )
    windows = platform_data_dir(Platform.WINDOWS, HOME, {"LOCALAPPDATA": "/c/Local"})
    assert windows == Path("/c/Local/flooding")
