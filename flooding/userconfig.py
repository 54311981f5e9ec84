"""Write settings into the person's own config file, keeping their comments and layout.

Uses tomlkit, which round-trips TOML text: only the keys written change.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import tomlkit
from tomlkit.items import Table
from tomlkit.toml_document import TOMLDocument


def set_user_values(path: Path, values: Mapping[str, object]) -> None:
    """Set dotted keys (e.g. `{"strap.address": "C0:..."}`) in the TOML file at `path`.

    Creates the file (and its folder) if missing; every other key, comment and blank line
    stays as it was. The file is replaced atomically, so a crash never leaves half a file.
    """
    document: TOMLDocument = (
        tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    )
    for dotted, value in values.items():
        *sections, key = dotted.split(".")
        if not key or not all(sections):
            raise ValueError(f"not a setting key: {dotted!r}")
        node: TOMLDocument | Table = document
        for section in sections:
            child = node.get(section)
            if child is None:
                child = tomlkit.table()
                node[section] = child
            elif not isinstance(child, Table):
                raise ValueError(
                    f"{path}: {section!r} is a value, not a section; cannot set {dotted}"
                )
            node = child
        node[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(tomlkit.dumps(document))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
