"""A default browser that runs confined (a snap or a Flatpak) is told apart, and is handed the
app's link itself, since it cannot read the owner-only page in the data folder; any other
browser gets that page and never the code."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from flooding.app.web.opening import OPEN_FILES_DIR_NAME, open_in_browser
from flooding.io.default_browser import confined_default_browser

LINK = "http://127.0.0.1:8765/open?code=abc123"
SNAP_FIREFOX = "firefox_firefox.desktop"


def desktop_saying(folder: Path, default: str) -> dict[str, str]:
    """An environment whose `xdg-settings` (a script in `folder`) names `default` as the
    default browser, with no `BROWSER`."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    script = bin_dir / "xdg-settings"
    script.write_text(f"#!/bin/sh\necho {default}\n")
    script.chmod(0o700)
    env = {key: value for key, value in os.environ.items() if key != "BROWSER"}
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '')}"
    env["HOME"] = str(folder)
    return env


def exported(folder: Path, desktop_file: str) -> str:
    """A folder of confined apps' desktop files holding `desktop_file`."""
    apps = folder / "confined-apps"
    apps.mkdir()
    (apps / desktop_file).write_text("[Desktop Entry]\n")
    return str(apps)


class TestTellingConfinedBrowsersApart:
    def test_a_snap_browser_is_named(self, tmp_path: Path) -> None:
        """A default browser whose desktop file a confined-apps folder holds is named."""
        env = desktop_saying(tmp_path, SNAP_FIREFOX)
        dirs = [exported(tmp_path, SNAP_FIREFOX)]
        assert confined_default_browser(env, dirs) == SNAP_FIREFOX

    def test_a_flatpak_in_the_home_folder_is_named(self, tmp_path: Path) -> None:
        """A Flatpak exported into the person's own Flatpak folder (under HOME) is named."""
        env = desktop_saying(tmp_path, "org.mozilla.firefox.desktop")
        apps = tmp_path / ".local/share/flatpak/exports/share/applications"
        apps.mkdir(parents=True)
        (apps / "org.mozilla.firefox.desktop").write_text("[Desktop Entry]\n")
        dirs = ["~/.local/share/flatpak/exports/share/applications"]
        assert confined_default_browser(env, dirs) == "org.mozilla.firefox.desktop"

    def test_a_browser_installed_the_usual_way_is_not(self, tmp_path: Path) -> None:
        """A default browser not among the confined apps' desktop files is not named."""
        env = desktop_saying(tmp_path, "chromium.desktop")
        dirs = [exported(tmp_path, SNAP_FIREFOX)]
        assert confined_default_browser(env, dirs) is None

    def test_a_browser_named_in_BROWSER_is_used_as_it_is(self, tmp_path: Path) -> None:
        """With `BROWSER` set, the desktop's default does not count."""
        env = desktop_saying(tmp_path, SNAP_FIREFOX) | {"BROWSER": "firefox %s"}
        assert confined_default_browser(env, [exported(tmp_path, SNAP_FIREFOX)]) is None

    def test_a_desktop_without_xdg_settings_gives_none(self, tmp_path: Path) -> None:
        """Without `xdg-settings` the default is not known, and nothing is named."""
        env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
        assert confined_default_browser(env, [exported(tmp_path, SNAP_FIREFOX)]) is None


class TestWhatTheBrowserIsHanded:
    def opened(self, folder: Path, confined: str | None) -> list[str]:
        """What a browser launcher is asked to open, the default browser being `confined`."""
        asked: list[str] = []

        async def run() -> bool:
            return await open_in_browser(asked.append, LINK, folder, lambda: confined)

        asyncio.run(run())
        return asked

    def test_a_confined_browser_gets_the_link_itself(self, tmp_path: Path) -> None:
        """A snap browser, which cannot read the data folder, is handed the link, and no
        page is written for it."""
        assert self.opened(tmp_path, SNAP_FIREFOX) == [LINK]
        assert not (tmp_path / OPEN_FILES_DIR_NAME).exists()

    def test_any_other_browser_gets_the_page_and_not_the_code(self, tmp_path: Path) -> None:
        """Any other browser is handed the owner-only page, never the code."""
        (asked,) = self.opened(tmp_path, None)
        assert asked.startswith("file://")
        assert "abc123" not in asked
        assert "abc123" in next((tmp_path / OPEN_FILES_DIR_NAME).iterdir()).read_text()
