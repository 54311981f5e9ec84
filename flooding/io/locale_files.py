"""The screen texts of a language, read from `flooding/locales/` inside the package.

English (`en.toml`) is the source; another language's `[screen]` table replaces what it has.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from flooding.core.catalogue import Catalogue

SOURCE_LANGUAGE = "en"  # the texts every other language translates


def is_shipped(language: str) -> bool:
    """Whether the package has texts for `language` (without reading them)."""
    return resources.files("flooding").joinpath("locales", f"{language}.toml").is_file()


def screen_texts(language: str) -> dict[str, str]:
    """The `[screen]` table of a shipped language ({} for a language without one)."""
    path = resources.files("flooding").joinpath("locales", f"{language}.toml")
    if not path.is_file():
        return {}
    table = tomllib.loads(path.read_text("utf-8")).get("screen", {})
    return {str(key): str(text) for key, text in table.items()}


def message_texts(language: str) -> dict[str, object]:
    """The `[messages]` table of a shipped language ({} for a language without one)."""
    path = resources.files("flooding").joinpath("locales", f"{language}.toml")
    if not path.is_file():
        return {}
    table: dict[str, object] = tomllib.loads(path.read_text("utf-8")).get("messages", {})
    return table


@cache
def load_catalogue(language: str = SOURCE_LANGUAGE) -> Catalogue:
    """The screen texts in `language`, English where it has none (read once per process)."""
    english = screen_texts(SOURCE_LANGUAGE)
    translated = {} if language == SOURCE_LANGUAGE else screen_texts(language)
    return Catalogue(english, translated, language)
