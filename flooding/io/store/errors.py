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

from flooding.core.catalogue import Catalogue, SaidError
from flooding.core.os_errors import os_problem

Reason = tuple[str, dict[str, object]]  # a text of the message catalogue (`store.*`) and its values

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


class StoreError(SaidError):
    """The store cannot be opened or written; the message says what to do (in English as
    str(); `said` gives it in any language when it is a text of the message catalogue)."""


class StillWaitingError(StoreError):
    """A session is not deleted while some of its readings still wait to be saved: saved
    later, they would bring it back under a new number."""


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


def explain(exc: BaseException, path: Path, say: Catalogue | None = None) -> str:
    """One sentence naming the real cause of `exc` on the database at `path`, and what to do
    (in the language of `say`, English without)."""
    from flooding.io.locale_files import load_catalogue

    key, values = reason(exc, path)
    return (say or load_catalogue())(key, **values)


def reason(exc: BaseException, path: Path) -> Reason:
    """The catalogue text (and its values) that names the real cause of `exc` at `path`."""
    where = path.parent
    code = primary_code(exc)
    text = str(exc).lower()
    if isinstance(exc, OSError):
        return _explain_os(exc, path)
    if is_busy(exc):
        return "store.busy", {"path": path}
    if code == _FULL or "disk is full" in text:
        return "store.full", {"folder": where}
    if code in (_READONLY, _CANTOPEN) or "readonly database" in text or "unable to open" in text:
        return _explain_unwritable(path, opening=code == _CANTOPEN or "unable to open" in text)
    if code == _PERM or "access permission denied" in text:
        return "store.permission", {"path": path}
    if "no such table" in text or "no such column" in text:
        return "store.incomplete", {"path": path, "error": exc}
    if code in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return "store.damaged", {"path": path, "error": exc}
    if code == _IOERR or "disk i/o error" in text:
        return "store.disk", {"path": path, "error": exc}
    return "store.failed", {"path": path, "error": exc}


def _explain_unwritable(path: Path, *, opening: bool) -> Reason:
    """Read-only or cannot be opened: say which of folder, file system or mode it is."""
    where = path.parent
    if not where.is_dir():
        return "store.folder_missing", {"folder": where}
    read_only_fs = False
    with suppress(OSError):
        read_only_fs = bool(os.statvfs(where).f_flag & os.ST_RDONLY)
    if read_only_fs:
        return "store.read_only_fs", {"folder": where}
    if not os.access(where, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "store.read_only_for_you", {"path": path}
    if opening:
        return "store.cannot_open", {"path": path}
    return "store.read_only", {"path": path}


def _explain_os(exc: OSError, path: Path) -> Reason:
    where = path.parent
    why = os_problem(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "store.os_permission", {"path": exc.filename or where, "error": why}
    if exc.errno == errno.EROFS:
        return "store.os_read_only_fs", {"folder": where}
    if exc.errno == errno.ENOSPC:
        return "store.os_full", {"folder": where}
    return "store.os_failed", {"folder": where, "error": why}


def as_store_error(exc: sqlite3.Error | OSError, path: Path) -> StoreError:
    """A StoreError carrying `explain`'s sentence (and its catalogue text)."""
    key, values = reason(exc, path)
    return StoreError(explain(exc, path), key, **values)
