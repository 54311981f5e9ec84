"""Where the person's config file is (the one named, else FLOODING_CONFIG, else the platform's
config folder), and the language it names, read without the schema: the words of `--help`
are chosen before any settings are loaded, and stay quick.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

ENV_CONFIG_FILE = "FLOODING_CONFIG"
ENV_LANGUAGE = "FLOODING_LANGUAGE"  # the `language` setting, as the environment sets it


SETTINGS_ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark some editors
#                                  (Windows Notepad) write first, which TOML does not allow


def read_settings_text(path: Path) -> str:
    """A settings file's text, read as `SETTINGS_ENCODING` (OSError, UnicodeDecodeError)."""
    return path.read_text(encoding=SETTINGS_ENCODING)


def default_user_config_path() -> Path:
    """Where the person's own config file lives on this platform."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("flooding", appauthor=False)) / "config.toml"


def named_config_file(config_file: Path | None, env: Mapping[str, str]) -> Path | None:
    """The person's file named on the command line, else by FLOODING_CONFIG, else None."""
    if config_file is not None:
        return config_file
    return Path(env[ENV_CONFIG_FILE]) if env.get(ENV_CONFIG_FILE) else None


def user_config_path(config_file: Path | None, env: Mapping[str, str] | None = None) -> Path:
    """The person's file: the one named, else FLOODING_CONFIG, else the platform's place."""
    named = named_config_file(config_file, os.environ if env is None else env)
    return default_user_config_path() if named is None else named


SYSTEM_LANGUAGE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # in the order POSIX reads them


def system_language(env: Mapping[str, str]) -> tuple[str, str] | None:
    """The language of the system's messages (`de` of LANG=de_DE.UTF-8) and the variable
    that names it; None when none is set, or it is the plain C/POSIX locale."""
    for name in SYSTEM_LANGUAGE_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            language = value.split(".")[0].split("@")[0].split("_")[0].lower()
            if language in ("c", "posix") or not language.isalpha():
                return None
            return language, name
    return None


def named_language(config_file: Path | None, env: Mapping[str, str]) -> str | None:
    """The language the settings ask for (FLOODING_LANGUAGE, else `language` in the person's
    file), or None when they name none or cannot be read: nothing is checked here, and a
    broken file is `flooding config check`'s to explain."""
    from_env = env.get(ENV_LANGUAGE, "").strip().strip("\"'")
    if from_env:
        return from_env
    try:
        text = read_settings_text(user_config_path(config_file, env))
        language = tomllib.loads(text).get("language")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return language if isinstance(language, str) else None
