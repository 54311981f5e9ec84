"""Deleting a session: its rows, overwritten on disk, and the log emptied after them.

`Store.delete_session` deletes on the store's own connection (a command, which may wait).
A page of the app must never wait on its event loop for another program's lock: there the
store prepares a `Deletion` (what it holds in memory is checked on its own thread), which a
worker thread makes on a connection of its own, waiting a bounded time for the lock. What
cannot be deleted in that time is not deleted at all (one transaction): nothing is lost,
and the person is told to try again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flooding.io.store.errors import StillWaitingError, as_store_error
from flooding.io.store.journal import SessionHeader, waiting_sessions

# a session as it began, to know it in a waiting file by its header: started, source,
# mode, settings (None: no such session stored)
Identity = tuple[float, str, str, str] | None
IDENTITY = "SELECT started_s, source, mode, settings_json FROM sessions WHERE id=?"


@dataclass(frozen=True)
class DeletedCounts:
    """What `delete_session` removed."""

    sessions: int
    samples: int
    events: int
    scrubbed: bool = True  # the log was emptied too (False: a reader held it; `scrub_log`)


def delete_rows(db: sqlite3.Connection, session_id: int) -> tuple[bool, int, int]:
    """Delete a stored session's rows (in the caller's transaction): whether it was there,
    and how many samples and events went."""
    found = db.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone()
    samples = db.execute("DELETE FROM samples WHERE session_id=?", (session_id,)).rowcount
    events = db.execute("DELETE FROM events WHERE session_id=?", (session_id,)).rowcount
    db.execute("DELETE FROM session_people WHERE session_id=?", (session_id,))
    # also gone by ON DELETE CASCADE; said here too, as the other tables are
    db.execute("DELETE FROM sample_columns WHERE session_id=?", (session_id,))
    db.execute("DELETE FROM replayed_alerts WHERE session_id=?", (session_id,))
    db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
    return found is not None, samples, events


def identity(db: sqlite3.Connection, stored: int) -> Identity:
    """How a stored session began (`Identity`)."""
    row = db.execute(IDENTITY, (stored,)).fetchone()
    return None if row is None else (float(row[0]), str(row[1]), str(row[2]), str(row[3]))


def waits_on_disk(path: Path, ids: tuple[int, int], began: Identity) -> bool:
    """Whether lines of a session wait in the database's waiting files (this program's or
    another's): matched by the id they carry (`ids`: as handed out and as stored) or, when
    the session was stored under another id, by their header (`began`)."""
    for sid, header in waiting_sessions(path):
        if sid in ids:
            return True
        if header is not None and began is not None and began == _began(header):
            return True
    return False


def _began(header: SessionHeader) -> Identity:
    """How the session a waiting file's header names began (`Identity`)."""
    return (header.started_s, header.source, header.mode, header.settings_json)


def still_waiting(session_id: int) -> StillWaitingError:
    """The refusal of a delete while some of the session's data waits to be saved."""
    from flooding.io.locale_files import load_catalogue

    values: dict[str, object] = {"id": session_id}
    said = load_catalogue()("store.delete_waiting", **values)
    return StillWaitingError(said, "store.delete_waiting", **values)


def scrub(db: sqlite3.Connection, wait_ms: int = 0) -> bool:
    """Copy the write-ahead log into the database file and empty it (a TRUNCATE checkpoint),
    so that what a delete overwrote is gone from both; whether it was done. Another program
    reading the file holds it off (False): waited for `wait_ms`."""
    (before_ms,) = db.execute("PRAGMA busy_timeout").fetchone()
    db.execute(f"PRAGMA busy_timeout = {wait_ms}")
    try:
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.OperationalError:
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(before_ms)}")
    return bool(busy == 0)


@dataclass(frozen=True)
class Deletion:
    """A session's delete, prepared by its store (`Store.deletion`) and made by `run` on any
    thread, through a connection of its own."""

    path: Path  # the database
    session_id: int  # as the store handed it out (and the person knows it)
    stored: int  # as stored
    began: Identity
    connect: Callable[[int], sqlite3.Connection]  # a writing connection that waits that many ms
    # the store's queued writes saved within that many seconds: None, else what holds them
    saved: Callable[[float], sqlite3.Error | None]

    def run(self, wait_s: float) -> DeletedCounts:
        """Delete the session, waiting up to `wait_s` for the store's own queued writes and
        for another program's lock. StillWaitingError while some of its data waits on disk;
        a StoreError naming the cause (busy: another program holds the database) when it
        cannot be deleted now: then nothing of it is deleted."""
        deadline_s = time.monotonic() + wait_s
        if waits_on_disk(self.path, (self.session_id, self.stored), self.began):
            raise still_waiting(self.session_id)
        held = self.saved(wait_s)  # this store's writes come first (they may name it)
        if held is not None:
            raise as_store_error(held, self.path)
        left_ms = max(0, int((deadline_s - time.monotonic()) * 1000))
        try:
            db = self.connect(left_ms)
            try:
                db.execute("BEGIN IMMEDIATE")  # another program's lock: waited `left_ms`
                try:
                    found, samples, events = delete_rows(db, self.stored)
                    db.commit()
                except BaseException:
                    db.rollback()
                    raise
                scrubbed = scrub(db)
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise as_store_error(exc, self.path) from None
        return DeletedCounts(1 if found else 0, samples, events, scrubbed)
