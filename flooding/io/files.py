"""Writing the person's files and folders: owner-only, never half-written, never through a trap.

One writer for every file the program creates (exports, plots, settings, service files,
control requests): a temporary file in the target's folder renamed over it, so nothing is
followed that someone else planted, and only regular files are ever replaced.
"""

from __future__ import annotations

import hashlib
import io
import logging.handlers
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_FILE_MODE = 0o600  # heart data and settings are for the person alone
PRIVATE_DIR_MODE = 0o700
MAX_LINK_HOPS = 40  # the kernel's own limit on symbolic links in one lookup


class UnsafeFileError(OSError):
    """A path that must not be written: a link someone else planted, a device, a pipe."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _own_uid() -> int | None:
    return os.getuid() if hasattr(os, "getuid") else None


def writable_target(path: Path) -> Path:
    """The path a write to `path` replaces, after checking it is safe to replace.

    A symbolic link is followed only when it is the person's own (their dotfiles), hop by
    hop, never with realpath: a link made by another user (planted in a shared folder) is
    refused, as the kernel's protected-symlinks rule would. Whatever exists at the end must
    be a regular file: a device, a named pipe, a socket or a folder is refused.
    Raises `UnsafeFileError` saying what was found and what to do.
    """
    me = _own_uid()
    current = path
    for _hop in range(MAX_LINK_HOPS):
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return current
        if stat.S_ISLNK(info.st_mode):
            if me is not None and info.st_uid != me:
                raise UnsafeFileError(
                    f"{current} is a symbolic link made by another user (uid {info.st_uid}); "
                    "not writing through it. Remove the link, or choose another file name."
                )
            current = current.parent / os.readlink(current)
            continue
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(
                f"{current} is {_kind(info.st_mode)}, not a regular file; only regular files "
                "are replaced. Choose another file name."
            )
        return current
    raise UnsafeFileError(f"{path}: too many symbolic links; choose another file name.")


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically, readable and writable by the owner only.

    The bytes go to a new temporary file (exclusive creation, mode 0600) in the target's
    folder, are flushed to disk, and then take the file's place by rename: a failure (a
    full disk) leaves any old file as it was and no temporary file behind. See
    `writable_target` for links and non-regular files. The folder must exist (OSError if
    not).
    """
    target = writable_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, PRIVATE_FILE_MODE)  # mkstemp makes it so already; said here, not assumed
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tighten_private(path: Path, mode: int) -> int | None:
    """Make `path` (this user's; a link followed) exactly `mode`: its mode before when it had
    to be changed, None when it was so already. Raises `UnsafeFileError` when it belongs to
    another user, who could change it back or swap it: nothing is changed then."""
    info = os.stat(path)
    me = _own_uid()
    if me is not None and info.st_uid != me:
        raise UnsafeFileError(
            f"{path} belongs to another user (uid {info.st_uid}), who could read or replace "
            f"it. Have it removed (by that user or an administrator), or choose another data "
            f"folder (--data-dir)."
        )
    before = stat.S_IMODE(info.st_mode)
    if before == mode:
        return None
    os.chmod(path, mode)
    return before


def make_private_dir(folder: Path) -> Path:
    """Create `folder` (and any missing parents) owner-only (0700); existing ones stay as
    they are. Returns `folder`."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for part in reversed(missing):
        try:
            part.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else (another of our processes)
        os.chmod(part, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask
    return folder


def open_private_append(path: Path) -> io.TextIOWrapper:
    """Open a log file for appending, creating it owner-only (0600); links and non-regular
    files are refused as in `writable_target`. An existing file of ours is tightened to 0600."""
    target = writable_target(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, PRIVATE_FILE_MODE)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped in after the check
            raise UnsafeFileError(f"{target} is not a regular file; choose another file name.")
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE_MODE)
        return open(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file (`--log-file`) that is owner-only (0600) from its first byte,
    including every file a rotation starts."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")

    def _open(self) -> io.TextIOWrapper:
        return open_private_append(Path(self.baseFilename))


HASH_CHUNK_BYTES = 1 << 20  # read a file to hash in 1 MiB pieces: memory stays flat


def content_sha256(paths: list[Path]) -> str:
    """The SHA-256 of the files' contents one after the other (hex): the same bytes give the
    same hash whatever the files are called."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()
