"""What is wrong with a configuration, in words: each problem names the file and line (or the
environment variable, or the command line), the key, the value and what is allowed, in the
language of the catalogue it is given (`problem.*` and `allowed.*` texts).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flooding.core.catalogue import Catalogue
from flooding.core.settings import ConfigError, Settings, masked_value
from flooding.core.settings_keys import allowed_values, keys_under
from flooding.io.config_files.place import read_settings_text
from flooding.io.locale_files import load_catalogue

_HEADER_RE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')"""
_KEY_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_SHORT_CHARS = 60  # a value longer than this is cut in a problem, so each stays one line


def _dotted(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def line_of(text: str, path: str) -> int | None:
    """The 1-based line where `path` (or, failing that, its nearest parent) is set in TOML text.

    Knows `[section]` headers, dotted keys (`detection.absolute_bpm = 90`) and list items
    (`messages.suggestions.0` is the line of `suggestions`).
    """
    parts = path.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    found: dict[str, int] = {}
    for number, full in keys_by_line(text).items():
        found.setdefault(full, number)
    while parts:
        line_number = found.get(".".join(parts))
        if line_number is not None:
            return line_number
        parts.pop()
    return None


def keys_by_line(text: str) -> dict[int, str]:
    """The key path each line of TOML text sets or opens (a `[section]` header: the section),
    by 1-based line number."""
    found: dict[int, str] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header:
            current = found[number] = _dotted(header.group(1))
            continue
        key = _KEY_RE.match(line)
        if key:
            found[number] = (
                f"{current}.{_dotted(key.group(1))}" if current else _dotted(key.group(1))
            )
    return found


def where_set(path: str, origins: Mapping[str, str]) -> tuple[str, str]:
    """The layer that set `path`, and the key path it set: the path itself, a parent set as
    a whole (an item of a list), or a key under it (a whole misspelt section)."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in origins:
            return origins[prefix], prefix
    below = [origin for key, origin in origins.items() if key.startswith(f"{path}.")]
    return (below[-1] if below else "default"), path


# what the TOML reader says (English), and the catalogue's plain words for it (`toml.*`)
_TOML_SAYS = (
    (re.compile(r"Expected '\]' at the end of a table declaration"), "toml.closing_bracket"),
    (re.compile(r"Expected '\]\]' at the end of an array declaration"), "toml.closing_brackets"),
    (re.compile(r"Expected '=' after a key in a key/value pair"), "toml.equals"),
    (
        re.compile(r"Unterminated string|Illegal character '\\n'|Expected [\"'][\"']"),
        "toml.unclosed_quote",
    ),
    (re.compile(r"Invalid value"), "toml.value"),
    (re.compile(r"Invalid statement"), "toml.statement"),
    (re.compile(r"Expected newline or end of document after a statement"), "toml.one_per_line"),
    (re.compile(r"Cannot declare .* twice|Cannot redefine namespace"), "toml.section_twice"),
    (
        re.compile(
            r"Cannot overwrite a value|Duplicate inline table key|Cannot mutate immutable namespace"
        ),
        "toml.key_twice",
    ),
    (re.compile(r"Unclosed array"), "toml.unclosed_list"),
    (re.compile(r"Unclosed inline table"), "toml.unclosed_braces"),
    (re.compile(r"Invalid initial character for a key part"), "toml.name"),
    (
        re.compile(
            r"Unescaped '\\' in a string|Invalid hex value|Escaped character is not a Unicode"
        ),
        "toml.backslash",  # "C:\Users\me" in double quotes
    ),
    (re.compile(r"Invalid date or datetime"), "toml.value"),
    (re.compile(r"Illegal character|Found invalid character"), "toml.character"),
)


def toml_problem(message: str, say: Catalogue) -> str:
    """What the TOML reader's `message` means, in plain words of `say`'s language (the
    reader's own English for what has none)."""
    for pattern, key in _TOML_SAYS:
        if pattern.match(message):
            return say(key)
    return message


def toml_error_text(
    path: Path | str, exc: tomllib.TOMLDecodeError, say: Catalogue | None = None
) -> str:
    """A TOML syntax error as `file:line:column: the file cannot be read here (why)`, why
    in plain words (`toml_problem`)."""
    say = say or load_catalogue()
    message = str(exc)
    where = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if where:
        message = toml_problem(message[: where.start()] + message[where.end() :], say)
        line, column = where.group(1), where.group(2)
        return say("problem.not_toml", path=path, line=line, column=column, message=message)
    message = toml_problem(re.sub(r"\s*\(at end of document\)", "", message), say)
    lines = read_settings_text(Path(path)).count("\n") + 1 if Path(path).is_file() else 1
    return say("problem.not_toml_at_end", path=path, line=lines, message=message)


MAX_GUESSES = 4  # close keys offered for an unknown one: enough for margin_pct and margin_bpm


def close_keys(key: str, siblings: list[str]) -> list[str]:
    """The keys beside an unknown `key` it may have meant: every close spelling, and every
    key that starts with it (`margin` -> `margin_pct`, `margin_bpm`)."""
    close = difflib.get_close_matches(key, siblings, n=MAX_GUESSES)
    starting = [name for name in siblings if key and name.startswith(key) and name not in close]
    return (close + starting)[:MAX_GUESSES]


def _validator_words(kind: str, ctx: Mapping[str, Any], say: Catalogue) -> str | None:
    """The words for a settings validator's own error (placeholders, target URLs, profile
    names: `flooding.core.settings`), or None for another error."""
    if kind in ("placeholder_unknown", "placeholder_broken", "placeholder_not_plain"):
        item = say("problem.in_item", text=ctx["item"]) if ctx.get("item") else ""
        allowed = ctx.get("allowed") or say("problem.no_placeholders")
        return item + say(
            f"problem.{kind}",
            placeholder=ctx.get("placeholder", ""),
            allowed=allowed,
        )
    if kind == "target_url":
        return say("problem.target_url")
    if kind == "profile_name":
        return say("problem.profile_name", name=ctx["name"])
    return None


def _describe(error: Mapping[str, Any], path: str, say: Catalogue) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        parent = path.rpartition(".")[0]
        siblings = list(keys_under(parent))
        close = close_keys(path.rpartition(".")[2], siblings)
        if close:
            guesses = say("problem.or").join(repr(key) for key in close)
            return say("problem.unknown_key_guess", guesses=guesses)
        where = f"[{parent}]" if parent else say("problem.top_level")
        return say("problem.unknown_key", where=where, keys=", ".join(siblings))
    if kind == "missing":
        return say("problem.missing")
    if kind == "string_too_long":  # a message text (`settings.MAX_TEXT_CHARS`)
        value = error.get("input")
        length = len(value) if isinstance(value, str) else 0
        return say("problem.text_too_long", length=length, max=ctx["max_length"])
    if kind == "too_long":  # a list of message texts (`settings.MAX_TEXTS`)
        count, most = ctx["actual_length"], ctx["max_length"]
        return say("problem.too_many_texts", count=count, max=most, extra=count - most)
    if kind == "texts_too_long":  # a list's texts together (`settings.MAX_LIST_CHARS`)
        return say("problem.texts_too_long", length=ctx["length"], max=ctx["max"])
    validator = _validator_words(kind, ctx, say)
    if validator is not None:
        return validator
    if kind == "value_error":  # another validator's own words
        return str(error.get("msg", "")).removeprefix("Value error, ")
    allowed = allowed_values(path, say)
    if allowed is not None:
        return say("problem.allowed", allowed=allowed)
    bounds = [
        f"{word} {ctx[name]}"
        for name, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
        if name in ctx
    ]
    if bounds:
        return say("problem.allowed", allowed=say("problem.and").join(bounds))
    if "expected" in ctx:
        return say("problem.allowed", allowed=ctx["expected"])
    if kind in ("dict_type", "model_type"):
        return say("problem.allowed", allowed=say("allowed.a_table", path=path))
    # a kind of error no text names yet: pydantic's own (English) detail, framed
    return say("problem.other", detail=str(error.get("msg", kind)))


def _short(path: str, value: Any) -> str:
    """The value set at `path` as a problem shows it: target URLs masked, cut to one line."""
    shown = masked_value(path, value)
    text = ("true" if shown else "false") if isinstance(shown, bool) else repr(shown)
    return text if len(text) <= _SHORT_CHARS else text[: _SHORT_CHARS - 3] + "..."


def origin_words(origin: str, say: Catalogue) -> str:
    """A layer in words: a file's name as it is; `default`, `command line`, `environment
    NAME` and `language LANG` in the language of `say`."""
    kind, _, name = origin.partition(" ")
    if kind == "environment" and name:
        return say("config.from_environment", variable=name)
    if kind == "language" and name:
        return say("config.from_language", language=name)
    return say.choice("config.origin", origin)


def _where(path: str, origins: Mapping[str, str], texts: Mapping[str, str], say: Catalogue) -> str:
    """The layer that set `path`, with the line when it is a file (`file:line`)."""
    origin, set_path = where_set(path, origins)
    text = texts.get(origin)
    if text is not None:
        line = line_of(text, set_path)
        if line is not None:
            return f"{origin}:{line}"
        return origin
    return origin_words(origin, say)


def problem_text(
    path: str,
    value: Any,
    what: str,
    origins: Mapping[str, str],
    texts: Mapping[str, str],
    say: Catalogue | None = None,
) -> str:
    """One problem as `where: key = value: what is allowed`."""
    where = _where(path, origins, texts, say or load_catalogue())
    return f"{where}: {path} = {_short(path, value)}: {what}"


def validate_tree(
    tree: Mapping[str, Any],
    origins: Mapping[str, str],
    texts: Mapping[str, str],
    found: list[str] | None = None,
    say: Catalogue | None = None,
) -> Settings:
    """Validate a merged tree; each problem names its origin, key, value and what is allowed,
    in the language of `say` (English without).

    `origins` maps each key path set to the layer that set it; `texts` maps a file's name to
    its text, for the line numbers. `found`: problems found before (a language that does not
    exist), reported with the others, in one ConfigError.
    """
    say = say or load_catalogue()
    problems = list(found or [])
    try:
        settings = Settings.model_validate(tree)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            value = error.get("input")
            shown = "" if error.get("type") == "missing" else f" = {_short(path, value)}"
            where = _where(path, origins, texts, say)
            problems.append(f"{where}: {path}{shown}: {_describe(error, path, say)}")
        raise ConfigError(problems, say.language) from None
    if problems:
        raise ConfigError(problems, say.language)
    return settings
