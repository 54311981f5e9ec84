"""Why a settings file cannot be read, in the words the import readers use: a folder named as
the file, text that is not UTF-8 (the line, and "save the file as UTF-8"), a key set twice
(which key, on which lines)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from flooding.core.catalogue import Catalogue
from flooding.core.os_errors import os_problem
from flooding.io.config_files.problems import keys_by_line

UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")  # the byte-order marks Windows editors write first


def unreadable_text(path: Path, exc: OSError | UnicodeDecodeError, say: Catalogue) -> str:
    """A settings file that cannot be read as text, in words (a problem line)."""
    if isinstance(exc, IsADirectoryError) or (isinstance(exc, OSError) and path.is_dir()):
        return say("problem.is_folder", path=path)
    if isinstance(exc, UnicodeDecodeError):
        data = bytes(exc.object)
        if data.startswith(UTF16_MARKS) or data[:200].count(0) > len(data[:200]) // 4:
            return say("problem.utf16", path=path)
        line = data[: exc.start].count(b"\n") + 1
        return say("problem.not_utf8", path=path, line=line, byte=f"{data[exc.start]:02x}")
    return say("problem.cannot_read", path=path, error=os_problem(exc))


def set_twice_text(
    path: Path, text: str, exc: tomllib.TOMLDecodeError, say: Catalogue
) -> str | None:
    """A key (or a `[section]`) set twice, named with both lines, or None for another TOML
    mistake."""
    where = re.search(r"\(at line (\d+), column \d+\)", str(exc))
    twice = str(exc).startswith(("Cannot overwrite a value", "Cannot declare"))
    if where is None or not twice:
        return None
    line = int(where.group(1))
    keys = keys_by_line(text)
    key = keys.get(line)
    earlier = [number for number, other in keys.items() if other == key and number < line]
    if key is None or not earlier:
        return None
    return say("problem.set_twice", path=path, line=line, name=key, first=earlier[0])
