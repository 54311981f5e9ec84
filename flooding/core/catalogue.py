"""The words on screen (live line, breathing guide, review, session summaries), found by key.

English is the source (`flooding/locales/en.toml`, table `[screen]`); a language's own table
(`flooding/locales/de.toml`) replaces the texts it has. The notifications are not here: they
are settings (`[messages]`), rendered by `flooding.core.messages`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field

DECIMAL_MARK = "web.decimal_mark"  # the text that is the language's decimal mark


def placeholders(text: str) -> set[str]:
    """The names in braces that `text` needs filled in."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@dataclass(frozen=True)
class Phrase:
    """A part of a message that is itself a text of the catalogue: `key` and its `values`
    (a value may be a Phrase too); the catalogue fills it in, in its own language."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


def phrase(key: str, **values: object) -> Phrase:
    """The text `key` with `values`, to be said as part of another text."""
    return Phrase(key, values)


@dataclass(frozen=True)
class Figure:
    """A number with a fraction, to be said in a text: the catalogue writes it with its
    language's decimal mark ("1.5", "1,5"), to `places` decimals (None: as short as it goes,
    "2.2", "25")."""

    value: float
    places: int | None = None

    def written(self, mark: str) -> str:
        """The number as text, `mark` between the whole and the fraction."""
        text = f"{self.value:g}" if self.places is None else f"{self.value:.{self.places}f}"
        return text.replace(".", mark)


def percent(share: float) -> Phrase:
    """A share (0.09) as a whole percentage in the catalogue's language ("9%", "9 %")."""
    return Phrase("number.percent", {"n": round(share * 100)})


def plural_key(key: str, n: int) -> str:
    """`key.one` for exactly one, `key.many` for any other number: English and German count
    that way (a language with more plural forms would need its own rule here)."""
    return f"{key}.{'one' if n == 1 else 'many'}"


def counted(key: str, n: int, **values: object) -> Phrase:
    """A number with its noun, `key.one` or `key.many` with `n` filled in ("1 alert",
    "3 alerts"), to be said as part of another text."""
    return Phrase(plural_key(key, n), {"n": n, **values})


class Catalogue:
    """Screen texts of one language, English where that language has no text."""

    def __init__(
        self,
        english: Mapping[str, str],
        translated: Mapping[str, str] | None = None,
        language: str = "en",
    ) -> None:
        self.language = language
        self.english = dict(english)
        self.texts = {**self.english, **(translated or {})}

    def __call__(self, key: str, **values: object) -> str:
        """The text `key` with its placeholders filled in (KeyError: no such text); a value
        that is a Phrase is said first, in this catalogue's language, and a Figure written
        with its decimal mark."""
        text = self.texts[key]
        if not values:
            return text
        filled = {name: self._said(value) for name, value in values.items()}
        return text.format(**filled)

    def _said(self, value: object) -> object:
        """A value as it goes into a text of this catalogue's language."""
        if isinstance(value, Phrase):
            return self(value.key, **value.values)
        if isinstance(value, Figure):
            return value.written(self.decimal_mark)
        return value

    @property
    def decimal_mark(self) -> str:
        """The mark between a number's whole part and its fraction ("." in English, ","
        in German)."""
        return self.texts.get(DECIMAL_MARK, ".")

    def count(self, key: str, n: int, **values: object) -> str:
        """The text `key.one` or `key.many`, as `n` asks (`plural_key`), with `n` filled in."""
        return self(plural_key(key, n), n=n, **values)

    def choice(self, prefix: str, name: str) -> str:
        """The text `prefix.name`, or `name` itself when there is none (a value that has no
        words of its own, such as a state a newer program wrote)."""
        return self.texts.get(f"{prefix}.{name}", name)


def whose_strap(say: Catalogue, person: str, strap: str | None) -> str:
    """A partner's strap in words, in couple mode: "Anna's H10 A1", or "Anna's strap" for a
    strap that gives no name."""
    if strap:
        return say("session.info.whose_strap", name=person, strap=strap)
    return say("session.info.whose_unnamed_strap", name=person)


class SaidError(Exception):
    """An error whose message is a text of the catalogue: `key` and its `values` (None: a
    message of its own). str() is the English message; `said` gives it in any language."""

    def __init__(self, message: str, key: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.key = key
        self.values = values

    def said(self, say: Catalogue) -> str:
        """The message in the language of `say` (as it is when it has no catalogue text)."""
        return str(self) if self.key is None else say(self.key, **self.values)
