"""A fingerprint of the code that computes alerts: every module of `flooding.core` as installed
(a checkout or a wheel), and numpy's version, hashed once per process. Alerts kept from a
replay (`replayed_alerts`) are used only under the same fingerprint, so a release whose
detector changed never reuses what an older one computed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from functools import cache
from importlib import metadata, resources
from importlib.resources.abc import Traversable

import numpy as np

log = logging.getLogger(__name__)

FINGERPRINT_CHARS = 32  # 128 bits of sha256: no two versions of the code ever meet on one


@cache
def detector_fingerprint() -> str:
    """The fingerprint of `flooding.core`'s source and numpy's version (hex; read once)."""
    digest = hashlib.sha256(f"numpy {np.__version__}\0".encode())
    core = resources.files("flooding").joinpath("core")
    sources = sorted(_sources(core, "core"))
    for name, source in sources:
        digest.update(f"{name}\0{len(source)}\0".encode())
        digest.update(source)
    if not sources:  # installed without its sources: the release must tell
        version = _version()
        log.debug("no source of flooding.core found: its fingerprint is flooding %s", version)
        digest.update(f"flooding {version}".encode())
    return digest.hexdigest()[:FINGERPRINT_CHARS]


def _sources(folder: Traversable, name: str) -> Iterator[tuple[str, bytes]]:
    """Every `.py` file under `folder` (its name under the package, and its bytes)."""
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _sources(entry, f"{name}/{entry.name}")
        elif entry.name.endswith(".py"):
            yield f"{name}/{entry.name}", entry.read_bytes()


def _version() -> str:
    try:
        return metadata.version("flooding")
    except metadata.PackageNotFoundError:
        return "unknown"
