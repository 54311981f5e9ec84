"""Whether the desktop's default browser runs confined (a snap or a Flatpak).

A confined browser cannot read files in hidden folders of the home folder (snap's `home`
interface leaves them out; a Flatpak sees only what it was given), so a page written in the
data folder (`~/.local/share/flooding`) is not one it can open. The desktop names its default
browser by its desktop file (`xdg-settings get default-web-browser`); snaps and Flatpaks export
theirs into folders of their own, which is how they are told apart.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

# where snapd and Flatpak put the desktop files of the apps they run confined
CONFINED_DESKTOP_DIRS = (
    "/var/lib/snapd/desktop/applications",
    "/var/lib/flatpak/exports/share/applications",
    "~/.local/share/flatpak/exports/share/applications",
)
ASK_TIMEOUT_S = 3.0  # xdg-settings answers at once; a desktop that hangs must not hold the app


def confined_default_browser(
    env: Mapping[str, str] | None = None, dirs: Iterable[str] = CONFINED_DESKTOP_DIRS
) -> str | None:
    """The desktop file of the default browser when it runs confined, else None (also when
    `BROWSER` names the browser to use, or the desktop cannot say which is its default)."""
    env = os.environ if env is None else env
    if env.get("BROWSER"):
        return None
    try:
        answer = subprocess.run(
            ["xdg-settings", "get", "default-web-browser"],
            capture_output=True,
            text=True,
            timeout=ASK_TIMEOUT_S,
            env=dict(env),
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("the default browser is not known (%s)", exc)
        return None
    desktop_file = answer.stdout.strip()
    if not desktop_file or "/" in desktop_file:
        return None
    home = env.get("HOME", "~")
    for folder in dirs:
        if (Path(folder.replace("~", home, 1)) / desktop_file).is_file():
            return desktop_file
    return None
