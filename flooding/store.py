"""The recording store: one SQLite file (`flooding.db`) in the data directory.

- WAL journal, so review can read while the monitor writes; `synchronous=NORMAL`, which in
  WAL mode survives a crash of the program (not of the machine) with every commit intact.
- Samples are buffered and committed by `flush()`, which the session runner calls every
  second: a `kill -9` loses at most the last second.
- The data directory is created owner-only (0700) and the database file 0600: heart data is
  private health data.
- Schema versioned in `meta.schema_version`; `_MIGRATIONS[n]` upgrades version n to n+1.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flooding.models import Event, Sample

log = logging.getLogger(__name__)

DB_NAME = "flooding.db"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000  # a reader holding the lock briefly must not fail the writer

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_s REAL NOT NULL,
    ended_s REAL,
    source TEXT NOT NULL,
    strap_name TEXT,
    strap_address TEXT,
    mode TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS samples (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    bpm REAL NOT NULL,
    rr_s TEXT NOT NULL DEFAULT '',
    contact INTEGER,
    energy_kj INTEGER
);
CREATE INDEX IF NOT EXISTS samples_by_session ON samples(session_id, t_s);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_session ON events(session_id, kind, t_s);
"""

_MIGRATIONS: dict[int, str] = {}


class StoreError(Exception):
    """The store cannot be opened or written; the message says what to do."""


def event_kind(event: Event | Any) -> str:
    """The stored name of an event type: EpisodeStarted -> 'episode-started'."""
    name = type(event).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def event_data(event: Any) -> dict[str, Any]:
    """An event as a JSON-ready dict."""
    if not dataclasses.is_dataclass(event):
        raise TypeError(f"not an event: {event!r}")
    return {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}


def _rr_text(rr_s: Sequence[float]) -> str:
    # repr is the shortest text that reads back as the same float: a replay sees exactly
    # the RR intervals the live session saw (1/1024 s values need up to 10 decimals)
    return ",".join(repr(float(rr)) for rr in rr_s)


def _rr_values(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",")) if text else ()


@dataclass(frozen=True)
class SessionRow:
    """A stored session."""

    id: int
    started_s: float
    ended_s: float | None
    source: str
    strap_name: str | None
    strap_address: str | None
    mode: str
    note: str


@dataclass(frozen=True)
class EventRow:
    """A stored event."""

    id: int
    session_id: int
    t_s: float
    kind: str
    data: dict[str, Any]


class Store:
    """Read and write sessions, samples and events."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self._pending: list[tuple[int, float, float, str, int | None, int | None]] = []

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (creating if needed, owner-only) the store in `data_dir`, upgrading its schema."""
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = data_dir / DB_NAME
            if not path.exists():
                path.touch(mode=0o600)
            with suppress(OSError):
                os.chmod(path, 0o600)
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            store = cls(connection, path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the recordings database {data_dir / DB_NAME}: {exc}. "
                "If the file is damaged, move it aside (keep it: it holds your recordings) "
                "and start again."
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot use the data directory {data_dir}: {exc.strerror or exc}. "
                "Choose a writable folder with --data-dir or FLOODING_DATA_DIR."
            ) from None
        return store

    def _migrate(self) -> None:
        version = self.schema_version()
        if version == 0:
            with self.db:
                self.db.executescript(_SCHEMA_V1)
                self._set_version(SCHEMA_VERSION)
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer flooding (schema {version}, this one "
                f"knows {SCHEMA_VERSION}); update flooding to read it"
            )
        while version < SCHEMA_VERSION:
            with self.db:
                self.db.executescript(_MIGRATIONS[version])
                version += 1
                self._set_version(version)
            log.info("upgraded %s to schema %d", self.path, version)

    def schema_version(self) -> int:
        """The stored schema version (0 for an empty database)."""
        has_meta = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not has_meta:
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _set_version(self, version: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(version),)
        )

    def close(self) -> None:
        """Commit what is pending and close (closed even when the commit fails)."""
        try:
            self.flush()
        except sqlite3.Error as exc:
            raise StoreError(
                f"could not save the last samples to {self.path}: {exc}. "
                "Is the disk full? The rest of the session is saved."
            ) from None
        finally:
            self.db.close()

    # -- writing ---------------------------------------------------------------------------

    def begin_session(
        self,
        started_s: float,
        *,
        source: str,
        mode: str,
        strap_name: str | None = None,
        strap_address: str | None = None,
        settings_json: str = "{}",
    ) -> int:
        """Create a session and return its id (committed at once)."""
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO sessions(started_s, source, mode, strap_name, strap_address,"
                " settings_json) VALUES (?, ?, ?, ?, ?, ?)",
                (started_s, source, mode, strap_name, strap_address, settings_json),
            )
        return int(cursor.lastrowid or 0)

    def add_sample(self, session_id: int, sample: Sample) -> None:
        """Buffer a sample; it is committed by the next `flush()`."""
        self._pending.append(
            (
                session_id,
                sample.t_s,
                sample.bpm,
                _rr_text(sample.rr_s),
                None if sample.contact is None else int(sample.contact),
                sample.energy_kj,
            )
        )

    def add_samples(self, session_id: int, samples: Sequence[Sample]) -> None:
        """Buffer many samples (an import)."""
        for sample in samples:
            self.add_sample(session_id, sample)

    def add_event(self, session_id: int, event: Any) -> int:
        """Record an event; returns its id. Committed with the next flush."""
        cursor = self.db.execute(
            "INSERT INTO events(session_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)",
            (
                session_id,
                _event_time(event),
                event_kind(event),
                json.dumps(event_data(event)),
            ),
        )
        return int(cursor.lastrowid or 0)

    def add_note_event(self, session_id: int, t_s: float, kind: str, data: dict[str, Any]) -> int:
        """Record a free-form event such as a false-alarm mark or a link change."""
        cursor = self.db.execute(
            "INSERT INTO events(session_id, t_s, kind, data_json) VALUES (?, ?, ?, ?)",
            (session_id, t_s, kind, json.dumps(data)),
        )
        return int(cursor.lastrowid or 0)

    def flush(self) -> None:
        """Commit buffered samples and events."""
        if self._pending:
            self.db.executemany(
                "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact, energy_kj)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                self._pending,
            )
            self._pending.clear()
        self.db.commit()

    def end_session(self, session_id: int, ended_s: float) -> None:
        """Mark a session ended and commit everything."""
        self.flush()
        with self.db:
            self.db.execute("UPDATE sessions SET ended_s=? WHERE id=?", (ended_s, session_id))

    def set_strap(self, session_id: int, name: str | None, address: str | None) -> None:
        """Record which strap a session came from, once it is known."""
        with self.db:
            self.db.execute(
                "UPDATE sessions SET strap_name=?, strap_address=COALESCE(?, strap_address)"
                " WHERE id=?",
                (name, address, session_id),
            )

    def set_note(self, session_id: int, note: str) -> None:
        """Set what the talk was about."""
        with self.db:
            self.db.execute("UPDATE sessions SET note=? WHERE id=?", (note, session_id))

    # -- reading ---------------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        """All sessions, oldest first."""
        rows = self.db.execute(
            "SELECT id, started_s, ended_s, source, strap_name, strap_address, mode, note"
            " FROM sessions ORDER BY started_s, id"
        ).fetchall()
        return [SessionRow(*row) for row in rows]

    def session(self, session_id: int) -> SessionRow | None:
        """One session, or None."""
        row = self.db.execute(
            "SELECT id, started_s, ended_s, source, strap_name, strap_address, mode, note"
            " FROM sessions WHERE id=?",
            (session_id,),
        ).fetchone()
        return SessionRow(*row) if row else None

    def latest_session_id(self) -> int | None:
        """The most recent session's id."""
        row = self.db.execute("SELECT id FROM sessions ORDER BY started_s DESC, id DESC").fetchone()
        return int(row[0]) if row else None

    def iter_samples(self, session_id: int) -> Iterator[Sample]:
        """A session's samples in time order."""
        cursor = self.db.execute(
            "SELECT t_s, bpm, rr_s, contact, energy_kj FROM samples WHERE session_id=?"
            " ORDER BY t_s, rowid",
            (session_id,),
        )
        for t_s, bpm, rr, contact, energy in cursor:
            yield Sample(
                t_s=t_s,
                bpm=bpm,
                rr_s=_rr_values(rr),
                contact=None if contact is None else bool(contact),
                energy_kj=energy,
            )

    def sample_count(self, session_id: int) -> int:
        """How many samples a session has."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM samples WHERE session_id=?", (session_id,)
        ).fetchone()
        return int(row[0])

    def events(self, session_id: int, kind: str | None = None) -> list[EventRow]:
        """A session's events in time order, optionally of one kind."""
        query = "SELECT id, session_id, t_s, kind, data_json FROM events WHERE session_id=?"
        params: tuple[Any, ...] = (session_id,)
        if kind is not None:
            query += " AND kind=?"
            params += (kind,)
        rows = self.db.execute(query + " ORDER BY t_s, id", params).fetchall()
        return [EventRow(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]


def _event_time(event: Any) -> float:
    for name in ("t_s", "start_s"):
        value = getattr(event, name, None)
        if isinstance(value, int | float):
            return float(value)
    raise TypeError(f"event without a time: {event!r}")
