"""The language of the command line itself: `--help`, the usage and argparse's own errors.

It is chosen before the parser is built: `--lang LANG` anywhere on the command line, else the
language the settings name (read quickly; a broken file means English), else English.
argparse takes its fixed words ("usage:", "options", its errors) from gettext; while the
parser is built and used, `argparse_speaking` lends it the catalogue's.
"""

from __future__ import annotations

import argparse
import gettext
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from flooding.core.catalogue import Catalogue
from flooding.io.config_files.place import named_language, system_language
from flooding.io.locale_files import SOURCE_LANGUAGE, is_shipped

# the catalogue texts that are argparse's words, word for word, and the words of this
# program's own argument types (`number`, `whole_number`), said through argparse too
ARGPARSE_KEYS = ("argparse.", "argument.")


def _option_value(argv: Sequence[str], option: str) -> str | None:
    """The value given to `option` (`--lang de` or `--lang=de`; the last one wins)."""
    found = None
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word == option and index + 1 < len(argv):
            found = argv[index + 1]
        elif word.startswith(f"{option}="):
            found = word.partition("=")[2]
    return found


def command_line_language(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """The language for the command line's own words: `--lang`, else the settings', else
    English; a language that is not shipped is English here (the command itself names the
    problem)."""
    asked = _option_value(argv, "--lang")
    if asked is None:
        config = _option_value(argv, "--config")
        asked = named_language(Path(config) if config else None, env)
    if asked is None:  # nothing set: the system's language, when it is shipped
        system = system_language(env)
        asked = system[0] if system is not None else None
    if not asked or asked == SOURCE_LANGUAGE or not asked.isalpha() or not is_shipped(asked):
        return SOURCE_LANGUAGE
    return asked


class ArgparseWords(gettext.NullTranslations):
    """argparse's fixed words in the catalogue's language (its own English where there are
    none): the `argparse.*` texts, whose English is argparse's message itself."""

    def __init__(self, say: Catalogue) -> None:
        super().__init__()
        self.words = {
            say.english[key]: say(key) for key in say.english if key.startswith(ARGPARSE_KEYS)
        }

    def gettext(self, message: str) -> str:
        return self.words.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


_LENDING = threading.RLock()  # one lender at a time: argparse's words are module-wide


@contextmanager
def argparse_speaking(say: Catalogue) -> Iterator[None]:
    """Within the block, argparse says its fixed words in `say`'s language; as before after.

    argparse looks its words up through its module-level `_` and `ngettext` (gettext) each
    time it needs one, so building the parser, parsing, the help and the errors all happen
    inside the block. English needs nothing lent.
    """
    if say.language == SOURCE_LANGUAGE:
        yield
        return
    words = ArgparseWords(say)
    names = vars(argparse)
    with _LENDING:
        before = names["_"], names["ngettext"]
        names["_"], names["ngettext"] = words.gettext, words.ngettext
        try:
            yield
        finally:
            names["_"], names["ngettext"] = before
