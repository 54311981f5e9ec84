"""What went wrong with the recordings database, in words a person can act on.

SQLite names the cause (busy, read-only, disk full, damaged...); `explain` turns each into
a sentence that says what happened and what to do, instead of one catch-all message.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import suppress
from pathlib import Path

# SQLite's primary result codes (the low byte of `sqlite_errorcode`)
_PERM = 3
_BUSY = 5
_LOCKED = 6
_READONLY = 8
_IOERR = 10
_CORRUPT = 11
_FULL = 13
_CANTOPEN = 14
_NOTADB = 26


class StoreError(Exception):
    """The store cannot be opened or written; the message says what to do."""


def primary_code(exc: BaseException) -> int | None:
    """SQLite's primary result code of an error (None when it is not an SQLite error)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_busy(exc: BaseException) -> bool:
    """Whether another connection holds the database (retrying later will work)."""
    if primary_code(exc) in (_BUSY, _LOCKED):
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def is_transient(exc: BaseException) -> bool:
    """Whether the same write may work later: busy, a full disk, a read-only or lost file."""
    if is_busy(exc):
        return True
    if primary_code(exc) in (_FULL, _READONLY, _IOERR, _CANTOPEN, _PERM):
        return True
    text = str(exc).lower()
    return any(
        words in text
        for words in ("disk is full", "readonly database", "disk i/o error", "unable to open")
    )


def explain(exc: BaseException, path: Path) -> str:
    """One sentence naming the real cause of `exc` on the database at `path`, and what to do."""
    where = path.parent
    code = primary_code(exc)
    text = str(exc).lower()
    if isinstance(exc, OSError):
        return _explain_os(exc, path)
    if is_busy(exc):
        return (
            f"the recordings database {path} is busy: another program (an import, or another "
            "flooding) is writing to it. Wait for it to finish and try again."
        )
    if code == _FULL or "disk is full" in text:
        return (
            f"the disk holding {where} is full. Free some space there; nothing already saved "
            "is lost."
        )
    if code in (_READONLY, _CANTOPEN) or "readonly database" in text or "unable to open" in text:
        return _explain_unwritable(path, opening=code == _CANTOPEN or "unable to open" in text)
    if code == _PERM or "access permission denied" in text:
        return (
            f"permission denied on the recordings database {path}. It belongs to another "
            "account or its mode forbids you: fix its owner or mode, or choose a writable "
            "folder with --data-dir."
        )
    if "no such table" in text or "no such column" in text:
        return (
            f"the recordings database {path} is missing part of its structure ({exc}): it was "
            "damaged or changed by another program: move it aside (keep it: it holds your "
            "recordings) and start again; a new one is made."
        )
    if code in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return (
            f"the recordings database {path} is damaged ({exc}): move it aside (keep it: it "
            "holds your recordings) and start again; a new one is made."
        )
    if code == _IOERR or "disk i/o error" in text:
        return (
            f"the disk could not read or write {path} ({exc}). Check the disk and that the "
            "folder is still there (a removed USB drive, a network folder gone)."
        )
    return f"the recordings database {path} failed: {exc}."


def _explain_unwritable(path: Path, *, opening: bool) -> str:
    """Read-only or cannot be opened: say which of folder, file system or mode it is."""
    where = path.parent
    fix = "Make it writable, or choose a writable folder with --data-dir or FLOODING_DATA_DIR."
    if not where.is_dir():
        return f"the data folder {where} is missing. Create it, or choose another with --data-dir."
    read_only_fs = False
    with suppress(OSError):
        read_only_fs = bool(os.statvfs(where).f_flag & os.ST_RDONLY)
    if read_only_fs:
        return (
            f"the data folder {where} is on a read-only file system, so recordings cannot be "
            f"saved there (reading them works). {fix}"
        )
    if not os.access(where, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return (
            f"the recordings database {path} is read-only for you (the file or its folder "
            f"cannot be written: its owner or mode). {fix}"
        )
    if opening:
        return f"the recordings database {path} cannot be opened. Check the file and its folder."
    return f"the recordings database {path} is read-only. {fix}"


def _explain_os(exc: OSError, path: Path) -> str:
    where = path.parent
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"permission denied on {exc.filename or where} ({reason}). It belongs to another "
            "account or its mode forbids you: fix its owner or mode, or choose a writable "
            "folder with --data-dir or FLOODING_DATA_DIR."
        )
    if exc.errno == errno.EROFS:
        return (
            f"the data folder {where} is on a read-only file system. Choose a writable folder "
            "with --data-dir or FLOODING_DATA_DIR."
        )
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {where} is full. Free some space there."
    return (
        f"cannot use the data folder {where}: {reason}. Choose a writable folder with "
        "--data-dir or FLOODING_DATA_DIR."
    )


def as_store_error(exc: sqlite3.Error | OSError, path: Path) -> StoreError:
    """A StoreError carrying `explain`'s sentence."""
    return StoreError(explain(exc, path))
