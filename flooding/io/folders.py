"""Where flooding keeps the person's data on this computer: the one data-folder resolver.

The data folder is the one chosen (`--data-dir`), else `FLOODING_DATA_DIR`, else the
platform's user data folder; the commands, the control channel and the service files all ask here.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_FOLDER_NAME = "flooding"
ENV_DATA_DIR = "FLOODING_DATA_DIR"  # the data folder, when no --data-dir is given


class Platform(enum.StrEnum):
    """The operating system family, for where things go (and how the service is installed)."""

    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


def current_platform() -> Platform:
    """This computer's platform (anything not macOS or Windows is treated as Linux)."""
    if sys.platform == "darwin":
        return Platform.MACOS
    if sys.platform == "win32":
        return Platform.WINDOWS
    return Platform.LINUX


def env_folder(env: Mapping[str, str], name: str, fallback: Path) -> Path:
    """The folder an environment variable names (XDG_*, LOCALAPPDATA) if absolute, else
    `fallback`."""
    value = env.get(name, "")
    return Path(value) if value and Path(value).is_absolute() else fallback


def platform_data_dir(platform: Platform, home: Path, env: Mapping[str, str]) -> Path:
    """The user data folder on `platform` for the account whose home is `home`."""
    if platform is Platform.MACOS:
        return home / "Library" / "Application Support" / APP_FOLDER_NAME
    if platform is Platform.WINDOWS:
        return env_folder(env, "LOCALAPPDATA", home / "AppData" / "Local") / APP_FOLDER_NAME
    return env_folder(env, "XDG_DATA_HOME", home / ".local" / "share") / APP_FOLDER_NAME


def data_dir(chosen: Path | str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The data folder: `chosen` (--data-dir), else FLOODING_DATA_DIR, else the platform's."""
    if chosen is not None:
        return Path(chosen)
    env = os.environ if env is None else env
    if env.get(ENV_DATA_DIR):
        return Path(env[ENV_DATA_DIR])
    return platform_data_dir(current_platform(), Path.home(), env)
