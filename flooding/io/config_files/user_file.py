"""The person's own config file: a commented template to start it, and writing values into
it without losing their comments, order or other keys (tomlkit round-trips). Where the file
is, is `loading.user_config_path`.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import tomlkit
from tomlkit.items import InlineTable, Table
from tomlkit.toml_document import TOMLDocument

from flooding.io.config_files.loading import default_toml_text
from flooding.io.config_files.place import read_settings_text
from flooding.io.files import make_private_dir, write_private
from flooding.io.locale_files import message_texts

log = logging.getLogger(__name__)

TEMPLATE_HEADER = """\
# flooding - your own settings.
#
# A key with "# " in front of it is commented out: it has its default value (shown). To
# change one, remove the "# " in front of the key (and of every line of its value) and edit
# the value. A key without "# " is set: by you, or by `flooding pair` or `calibrate`.
# `flooding config check` checks this file; `flooding config show` shows what is in effect.
"""
# a line for a file made in another language: the descriptions stay English
TEMPLATE_NOTE = {
    "de": (
        "#\n# Deine Einstellungen. Die Beschreibungen sind englisch, die Texte unter [messages]\n"
        '# deutsch; "flooding config check" erklärt jeden Fehler auf Deutsch.\n'
    ),
}
# the header of files made before values were written into them: replaced when one is
OLD_TEMPLATE_HEADER = """\
# flooding - your own settings.
#
# Every key below is commented out, so it has its default value (shown). To change one,
# remove the "# " in front of the key (and of every line of its value) and edit the value.
# `flooding config check` checks this file; `flooding config show` shows what is in effect.
"""


def _value_end(lines: list[str], start: int) -> int:
    """The index of the last line of the key/value that starts at `lines[start]`."""
    for end in range(start, len(lines)):
        try:
            tomllib.loads("\n".join(lines[start : end + 1]))
        except tomllib.TOMLDecodeError:
            continue
        return end
    return start


def _in_language(lines: list[str], language: str) -> list[str]:
    """The shipped defaults' lines with each `[messages]` text in `language` (its shipped
    translation; a text it has none for stays as it is)."""
    texts = message_texts(language)
    out: list[str] = []
    index, section = 0, ""
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        if section != "[messages]" or not stripped or stripped[0] in "#[":
            out.append(line)
            index += 1
            continue
        end = _value_end(lines, index)
        key = stripped.split("=", 1)[0].strip()
        if key in texts:
            out.extend(tomlkit.dumps({key: texts[key]}).rstrip("\n").splitlines())
        else:
            out.extend(lines[index : end + 1])
        index = end + 1
    return out


def template_text(default_text: str | None = None, language: str = "en") -> str:
    """The shipped defaults with every key commented out, each under its own documentation;
    in another `language` than English, the messages are that language's and `language` is
    set to it.

    Section headers stay, so removing a "# " is all it takes to set a key.
    """
    text = default_toml_text() if default_text is None else default_text
    lines = text.splitlines() if language == "en" else _in_language(text.splitlines(), language)
    # skip the shipped file's own header comment: the template has its own
    body_start = next(i for i, line in enumerate(lines) if line.strip() and line[0] != "#")
    while body_start > 0 and lines[body_start - 1].startswith("#"):
        body_start -= 1
    out: list[str] = []
    index = body_start
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("["):
            out.append(line)
            index += 1
            continue
        end = _value_end(lines, index)
        out.extend(f"# {line}" if line else "#" for line in lines[index : end + 1])
        index = end + 1
    body = "\n".join(out).lstrip("\n") + "\n"
    if language == "en":
        return TEMPLATE_HEADER + "\n" + body
    body = body.replace('\n# language = "en"\n', f'\nlanguage = "{language}"\n', 1)
    return TEMPLATE_HEADER + TEMPLATE_NOTE.get(language, "") + "\n" + body


def _write_private(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically, readable by the owner only, its folder made
    owner-only if missing; the person's own symbolic link stays a link (see write_private)."""
    make_private_dir(path.parent)
    write_private(path, text.encode("utf-8"))


def ensure_user_file(path: Path, language: str = "en") -> bool:
    """Create the person's file from the commented template if it is missing (in `language`,
    see `template_text`); True if created."""
    if path.exists():
        return False
    _write_private(path, template_text(language=language))
    log.info("created %s from the commented template", path)
    return True


def set_user_values(path: Path, values: dict[str, object]) -> None:
    """Set dotted keys (e.g. `{"strap.address": "C0:..."}`) in the TOML file at `path`.

    Creates the file (and its folder) if missing. Missing sections are added; every other
    key, comment and blank line stays where it was. The file is replaced atomically, so a
    crash never leaves half a file.
    """
    document: TOMLDocument = (
        tomlkit.parse(read_settings_text(path)) if path.exists() else tomlkit.document()
    )
    for dotted, value in values.items():
        *sections, key = dotted.split(".")
        if not key or not all(sections):
            raise ValueError(f"not a setting key: {dotted!r}")
        node: TOMLDocument | Table | InlineTable = document
        for section in sections:
            child = node.get(section)
            if child is None:
                child = tomlkit.table()
                node[section] = child
            elif not isinstance(child, Table | InlineTable):  # `detection = { ... }` too
                raise ValueError(
                    f"{path}: {section!r} is a value, not a section; cannot set {dotted}"
                )
            node = child
        node[key] = value
    text = tomlkit.dumps(document)
    if text.startswith(OLD_TEMPLATE_HEADER):  # it says no key is set: no longer true
        text = TEMPLATE_HEADER + text.removeprefix(OLD_TEMPLATE_HEADER)
    _write_private(path, text)
