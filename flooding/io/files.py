"""Writing the person's files: owner-only, and never half-written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, readable and writable by the owner only.

    The bytes go to a temporary file in the same folder, which then takes the file's
    place: a failure (a full disk) leaves any old file as it was. A symbolic link stays a
    link: the file it points to is the one replaced. The folder must exist (OSError if not).
    """
    target = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o600)  # mkstemp makes it so already; said here, not assumed
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
