"""The overflow journal: samples past the in-memory bound wait in an owner-only file on disk.

While another program holds the database, a live session's samples beyond `MAX_WAITING_ROWS`
are appended (one JSON line each, flushed to disk as written) to `flooding.db-waiting.jsonl`
beside the database, so memory stays bounded and nothing is lost, even to a crash.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from flooding.io.files import PRIVATE_FILE_MODE, UnsafeFileError

JOURNAL_SUFFIX = "-waiting.jsonl"  # samples waiting, appended as they come
SAVING_SUFFIX = "-waiting.saving.jsonl"  # the same, handed to the writer to be saved
ROW_FIELDS = 8  # a sample's row: session, time, rate, RR, contact, energy, person, movement
READ_CHUNK_ROWS = 20_000  # rows read back at a time: saving a long journal stays small

log = logging.getLogger(__name__)

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def journal_path(db_path: Path, suffix: str = JOURNAL_SUFFIX) -> Path:
    """The journal file of the database at `db_path`."""
    return db_path.with_name(db_path.name + suffix)


def _open_own(path: Path, flags: int) -> int:
    """Open `path` without following a link; only a regular file of ours, locked for us.

    Raises `UnsafeFileError` (a link, not a regular file, another user's) or
    `BlockingIOError` (another running program holds it)."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC, PRIVATE_FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeFileError(
                f"{path} is a symbolic link; the samples waiting to be saved are not written "
                "through it. Remove the link."
            ) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise UnsafeFileError(
                f"{path} is not a regular file of yours; the samples waiting to be saved are "
                "not written to it. Move it aside."
            )
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # one program at a time owns it
        if flags & os.O_WRONLY:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_rows(path: Path) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a journal file in the order written, `READ_CHUNK_ROWS` at a time.

    A last line cut short by a crash is skipped (its sample never finished being written);
    a line that is not a sample's row is a ValueError naming it (the file was changed)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    with open(fd, encoding="utf-8") as lines:
        chunk: list[tuple[Any, ...]] = []
        for number, line in enumerate(lines, 1):
            if not line.endswith("\n"):
                break
            row = json.loads(line)
            if not isinstance(row, list) or len(row) != ROW_FIELDS:
                raise ValueError(f"line {number} is not a waiting sample")
            chunk.append(tuple(row))
            if len(chunk) >= READ_CHUNK_ROWS:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


class Saving:
    """A journal handed over to be saved: still locked by us until `remove`."""

    def __init__(self, path: Path, fd: int, count: int = 0) -> None:
        self.path = path
        self._fd = fd
        self.count = count  # rows in it, as far as this program wrote them
        self.saved = False
        self.given_up = False  # could not be read back: left on disk for the next open

    def rows(self) -> Iterator[list[tuple[Any, ...]]]:
        """The journal's rows, in chunks (see `read_rows`)."""
        return read_rows(self.path)

    def remove(self) -> None:
        """Delete the file once its rows are committed, and let go of it."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:  # saved already: a copy left would be saved twice next time
            log.error(
                "could not remove %s (%s); move it aside before flooding starts again",
                self.path,
                exc.strerror,
            )
        self.saved = True
        self.close()

    def give_up(self) -> None:
        """Leave the file on disk, unsaved, for the next open."""
        self.given_up = True
        self.close()

    def close(self) -> None:
        """Let go of the file (left on disk if not saved: the next open saves it)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class Journal:
    """The append-only overflow file of one live store."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = journal_path(db_path)
        self.rows = 0  # rows written since the last hand-over
        self._fd = -1

    def append(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write rows at the end of the file and flush them to disk (fsync) before returning.

        Raises `UnsafeFileError` for a planted link or a file not ours, OSError for a disk
        that cannot take them (the caller keeps them in memory then)."""
        if self._fd < 0:
            self._fd = _open_own(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        data = "".join(json.dumps(list(row)) + "\n" for row in rows).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self.rows += len(rows)

    def hand_over(self) -> Saving:
        """Rename the journal to its saving name and start a new one for later rows."""
        saving = journal_path(self.db_path, SAVING_SUFFIX)
        if os.path.lexists(saving):
            raise FileExistsError(f"{saving} is still there, not saved yet")
        os.rename(self.path, saving)  # the same file (and our lock on it), a new name
        handed = Saving(saving, self._fd, self.rows)
        self._fd = -1
        self.rows = 0
        return handed

    def close(self) -> None:
        """Let go of the file (left on disk if it holds rows: the next open saves them)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def leftovers(db_path: Path) -> Iterator[Saving]:
    """Journals a crashed session left, oldest first, each locked for us (to save, then
    `remove`). A journal another running program is writing is left alone, as is an
    empty one (its program may have just made it)."""
    for suffix in (SAVING_SUFFIX, JOURNAL_SUFFIX):
        path = journal_path(db_path, suffix)
        if not os.path.lexists(path):
            continue
        try:
            fd = _open_own(path, os.O_RDONLY)
        except BlockingIOError:
            continue
        except UnsafeFileError as exc:
            log.error("%s", exc)
            continue
        if os.fstat(fd).st_size == 0:
            os.close(fd)
            continue
        yield Saving(path, fd)
