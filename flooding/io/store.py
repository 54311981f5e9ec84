"""The recording store: one SQLite file (`flooding.db`) in the data directory.

- WAL journal, so review can read while the monitor writes; `synchronous=NORMAL`, which in
  WAL mode survives a crash of the program (not of the machine) with every commit intact.
- Samples are buffered and committed by `flush()`, which the session runner calls every
  second: a `kill -9` loses at most the last second.
- The data directory is created owner-only (0700) and the database file 0600: heart data is
  private health data.
- Schema versioned in `meta.schema_version`; `_MIGRATIONS[n]` upgrades version n to n+1. A
  new database is made by running `_SCHEMA_V1` and then every migration, so a fresh file and
  an upgraded one are the same.

Schema 2 adds:
- per-session summary columns (`sample_count`, `peak_bpm`, `last_sample_s`), written when a
  session ends, so `flooding sessions` reads one row per session instead of scanning every
  sample (NULL while a session is recording, or if it never ended cleanly: then they are
  computed on the fly);
- `sessions_by_start`, the index for "the latest session" and the list in time order;
- the `false_alarms` view: each false-alarm mark joined to the alert it marks.

Schema 3 (couple mode: one conversation, two hearts) adds:
- a `person` column to `samples` and `events` (NOT NULL, default `''`). `''` is the
  session's own track: the single person of an ordinary session, or in a couple session
  the conversation's shared events (the one alert, the pause for both, ready-to-return);
  each partner's samples and their own events (episodes, contact, link) carry their
  profile name. Older rows upgrade to `''`, so every earlier query means what it did;
- `session_people`: one row per partner of a couple session (name, strap, mode, the
  person's own settings), in the order of the conversation; ordinary sessions have none;
- `samples_by_person`, the index for one person's track.
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

from flooding.core.models import PLAUSIBLE_MAX_BPM, PLAUSIBLE_MIN_BPM, SOLO, Event, Sample
from flooding.io.files import make_private_dir

log = logging.getLogger(__name__)

DB_NAME = "flooding.db"
SCHEMA_VERSION = 3
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

# What counts as a real reading for a session's peak (the detector's default plausible range):
# a dropped contact reports 0 and a glitch can report 250, neither is the person's heart.

_SESSION_STATS = f"""
    COUNT(*),
    MAX(CASE WHEN contact IS NOT 0 AND bpm BETWEEN {PLAUSIBLE_MIN_BPM} AND {PLAUSIBLE_MAX_BPM}
        THEN bpm END),
    MAX(t_s)
"""

_MIGRATION_1_TO_2 = (
    "ALTER TABLE sessions ADD COLUMN sample_count INTEGER",
    "ALTER TABLE sessions ADD COLUMN peak_bpm REAL",
    "ALTER TABLE sessions ADD COLUMN last_sample_s REAL",
    "CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions(started_s, id)",
    """
    CREATE VIEW IF NOT EXISTS false_alarms AS
    SELECT mark.id AS id,
           mark.session_id AS session_id,
           mark.t_s AS marked_s,
           alert.id AS alert_event_id,
           alert.t_s AS alert_s
    FROM events AS mark
    LEFT JOIN events AS alert
           ON alert.id = json_extract(mark.data_json, '$.alert_event_id')
    WHERE mark.kind = 'false-alarm'
    """,
    # backfill the summaries of sessions that ended
    f"""
    UPDATE sessions SET (sample_count, peak_bpm, last_sample_s) = (
        SELECT {_SESSION_STATS} FROM samples WHERE samples.session_id = sessions.id
    ) WHERE ended_s IS NOT NULL
    """,
)

_MIGRATION_2_TO_3 = (
    "ALTER TABLE samples ADD COLUMN person TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE events ADD COLUMN person TEXT NOT NULL DEFAULT ''",
    """
    CREATE TABLE IF NOT EXISTS session_people (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        person TEXT NOT NULL,
        strap_name TEXT,
        strap_address TEXT,
        mode TEXT NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (session_id, person)
    )
    """,
    "CREATE INDEX IF NOT EXISTS samples_by_person ON samples(session_id, person, t_s)",
)

# _MIGRATIONS[n]: the statements that upgrade schema n to n + 1 (run in one transaction)
_MIGRATIONS: dict[int, tuple[str, ...]] = {1: _MIGRATION_1_TO_2, 2: _MIGRATION_2_TO_3}


class StoreError(Exception):
    """The store cannot be opened or written; the message says what to do."""


# The pause events of a session of two are stored as the couple kinds, with their own fields
# (in this order), as couple mode has always stored them; a session of one stores the rest.
_COUPLE_FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "alert": (
        "couple-alert",
        ("t_s", "person", "bpm", "baseline_bpm", "threshold_bpm", "rule", "absent"),
    ),
    "pause-started": ("couple-pause-started", ("t_s", "until_s", "baselines", "manual")),
    "pause-extended": ("couple-pause-extended", ("t_s", "until_s", "waiting", "absent")),
    "ready-to-return": ("couple-ready", ("t_s", "pause_start_s", "levels", "absent")),
    "pause-ended": ("couple-pause-ended", ("t_s", "pause_start_s")),
}
_COUPLE_ONLY_FIELDS = frozenset({"person", "absent", "baselines", "waiting", "levels"})


def _class_kind(event: Event | Any) -> str:
    name = type(event).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def event_kind(event: Event | Any, couple: bool = False) -> str:
    """The stored name of an event: EpisodeStarted -> 'episode-started'; the pause events
    of a session of two (`couple`): 'couple-alert', 'couple-pause-started', ..."""
    kind = _class_kind(event)
    return _COUPLE_FORMS[kind][0] if couple and kind in _COUPLE_FORMS else kind


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def event_data(event: Any, couple: bool = False) -> dict[str, Any]:
    """An event as a JSON-ready dict, in its stored form (see `event_kind`)."""
    if not dataclasses.is_dataclass(event):
        raise TypeError(f"not an event: {event!r}")
    form = _COUPLE_FORMS.get(_class_kind(event)) if couple else None
    if form is not None:
        names: Sequence[str] = form[1]
    else:
        names = [f.name for f in dataclasses.fields(event) if f.name not in _COUPLE_ONLY_FIELDS]
    return {name: _plain(getattr(event, name)) for name in names}


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
    person: str = SOLO


@dataclass(frozen=True)
class PersonRow:
    """One partner of a couple session."""

    session_id: int
    person: str
    strap_name: str | None
    strap_address: str | None
    mode: str
    settings_json: str


@dataclass(frozen=True)
class SessionStats:
    """A session's samples in brief."""

    samples: int
    peak_bpm: float | None  # the highest plausible reading with skin contact
    last_sample_s: float | None


@dataclass(frozen=True)
class DeletedCounts:
    """What `delete_session` removed."""

    sessions: int
    samples: int
    events: int


class Store:
    """Read and write sessions, samples and events."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        self._pending: list[tuple[int, float, float, str, int | None, int | None, str]] = []
        # events written since the last commit, with their ids: if a commit fails they are
        # written again under the same ids, so ids handed out (alert ids) stay valid
        self._unsaved_events: list[tuple[int, int, float, str, str, str]] = []

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (creating if needed, owner-only) the store in `data_dir`, upgrading its schema."""
        try:
            make_private_dir(data_dir)  # missing parents too: the demo's folder is data/demo
            path = data_dir / DB_NAME
            _make_private(path)
            # SQLite gives -wal and -shm the database file's mode; tighten old loose ones too.
            # By name (chmod), never by opening them: closing any descriptor of a file drops
            # this process's SQLite locks on it.
            for side in (_side_file(path, "-wal"), _side_file(path, "-shm")):
                with suppress(OSError):
                    os.chmod(side, 0o600)
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
        if self.schema_version() == SCHEMA_VERSION:
            return  # the common case: no write lock needed, readers never wait here
        self.db.commit()
        # one writer at a time: two programs opening an old file together upgrade it once
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer flooding (schema {version}, this one "
                    f"knows {SCHEMA_VERSION}); update flooding to read it"
                )
            if version == 0:
                for statement in _statements(_SCHEMA_V1):
                    self.db.execute(statement)
                version = 1
                fresh = True
            else:
                fresh = False
            while version < SCHEMA_VERSION:
                for statement in _MIGRATIONS[version]:
                    self.db.execute(statement)
                version += 1
                if not fresh:
                    log.info("upgraded %s to schema %d", self.path, version)
            self._set_version(version)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise

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

    def add_person(
        self,
        session_id: int,
        person: str,
        *,
        mode: str,
        strap_name: str | None = None,
        strap_address: str | None = None,
        settings_json: str = "{}",
    ) -> None:
        """Name one partner of a couple session (committed at once)."""
        with self.db:
            position = self.db.execute(
                "SELECT COUNT(*) FROM session_people WHERE session_id=?", (session_id,)
            ).fetchone()[0]
            self.db.execute(
                "INSERT INTO session_people(session_id, position, person, strap_name,"
                " strap_address, mode, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, position, person, strap_name, strap_address, mode, settings_json),
            )

    def set_person_strap(
        self, session_id: int, person: str, name: str | None, address: str | None
    ) -> None:
        """Record which strap a partner's track came from, once it is known."""
        with self.db:
            self.db.execute(
                "UPDATE session_people SET strap_name=?, strap_address=COALESCE(?, strap_address)"
                " WHERE session_id=? AND person=?",
                (name, address, session_id, person),
            )

    def add_sample(self, session_id: int, sample: Sample, person: str = SOLO) -> None:
        """Buffer a sample (of one partner, in a couple session); committed by `flush()`."""
        self._pending.append(
            (
                session_id,
                sample.t_s,
                sample.bpm,
                _rr_text(sample.rr_s),
                None if sample.contact is None else int(sample.contact),
                sample.energy_kj,
                person,
            )
        )

    def add_samples(self, session_id: int, samples: Sequence[Sample], person: str = SOLO) -> None:
        """Buffer many samples (an import)."""
        for sample in samples:
            self.add_sample(session_id, sample, person)

    def add_event(
        self, session_id: int, event: Any, person: str = SOLO, *, couple: bool = False
    ) -> int:
        """Record an event (of a session of two: `couple`); returns its id. Committed with
        the next flush."""
        kind, data = event_kind(event, couple), event_data(event, couple)
        return self.add_note_event(session_id, _event_time(event), kind, data, person)

    def add_note_event(
        self, session_id: int, t_s: float, kind: str, data: dict[str, Any], person: str = SOLO
    ) -> int:
        """Record a free-form event such as a false-alarm mark or a link change."""
        text = json.dumps(data)
        cursor = self.db.execute(
            "INSERT INTO events(session_id, t_s, kind, data_json, person) VALUES (?, ?, ?, ?, ?)",
            (session_id, t_s, kind, text, person),
        )
        event_id = int(cursor.lastrowid or 0)
        self._unsaved_events.append((event_id, session_id, t_s, kind, text, person))
        return event_id

    def flush(self) -> None:
        """Commit buffered samples and events, all or nothing.

        On failure (a full disk) nothing of this flush stays half-written: the transaction is
        rolled back, the samples stay buffered for the next try, and the events are written
        again under their ids. The error is raised for the caller to report.
        """
        try:
            self._write_pending()
        except sqlite3.Error:
            with suppress(sqlite3.Error):
                self.db.rollback()
            with suppress(sqlite3.Error):
                self.db.executemany(
                    "INSERT OR IGNORE INTO events(id, session_id, t_s, kind, data_json, person)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    self._unsaved_events,
                )
            raise
        self._pending.clear()
        self._unsaved_events.clear()

    def _write_pending(self) -> None:
        if self._pending:
            self.db.executemany(
                "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact, energy_kj, person)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                self._pending,
            )
            # samples added to an ended session make its stored summary stale
            touched = sorted({row[0] for row in self._pending})
            self.db.execute(
                "UPDATE sessions SET sample_count=NULL, peak_bpm=NULL, last_sample_s=NULL"
                f" WHERE sample_count IS NOT NULL AND id IN ({','.join('?' * len(touched))})",
                touched,
            )
        self.db.commit()

    def end_session(self, session_id: int, ended_s: float) -> None:
        """Mark a session ended, store its summary and commit everything."""
        self.flush()
        with self.db:
            self.db.execute("UPDATE sessions SET ended_s=? WHERE id=?", (ended_s, session_id))
            self.db.execute(
                "UPDATE sessions SET (sample_count, peak_bpm, last_sample_s) ="
                f" (SELECT {_SESSION_STATS} FROM samples WHERE session_id=?) WHERE id=?",
                (session_id, session_id),
            )

    def mark_false_alarm(self, session_id: int, alert_event_id: int, t_s: float) -> int:
        """Mark an alert as a false alarm (committed at once); returns the mark's event id.

        Marking the same alert twice keeps the first mark and returns its id.
        """
        alert = self.db.execute(
            "SELECT kind FROM events WHERE id=? AND session_id=?", (alert_event_id, session_id)
        ).fetchone()
        if alert is None or alert[0] not in ("alert", "couple-alert"):
            raise StoreError(f"session {session_id} has no alert with event id {alert_event_id}")
        existing = self._false_alarm_mark(session_id, alert_event_id)
        if existing is not None:
            return existing
        with self.db:
            return self.add_note_event(
                session_id, t_s, "false-alarm", {"alert_event_id": alert_event_id}
            )

    def unmark_false_alarm(self, session_id: int, alert_event_id: int) -> bool:
        """Take back a false-alarm mark (committed at once); whether there was one."""
        self.flush()
        with self.db:
            removed = self.db.execute(
                "DELETE FROM events WHERE session_id=? AND kind='false-alarm' AND id IN"
                " (SELECT id FROM false_alarms WHERE session_id=? AND alert_event_id=?)",
                (session_id, session_id, alert_event_id),
            ).rowcount
        return removed > 0

    def is_false_alarm(self, session_id: int, alert_event_id: int) -> bool:
        """Whether the person marked this alert as a false alarm."""
        return self._false_alarm_mark(session_id, alert_event_id) is not None

    def _false_alarm_mark(self, session_id: int, alert_event_id: int) -> int | None:
        row = self.db.execute(
            "SELECT id FROM false_alarms WHERE session_id=? AND alert_event_id=?",
            (session_id, alert_event_id),
        ).fetchone()
        return None if row is None else int(row[0])

    def delete_session(self, session_id: int) -> DeletedCounts:
        """Delete a session with all its samples and events; says how much went.

        Deleted rows are overwritten on disk (secure_delete) and the write-ahead log is
        emptied when no reader holds it, so the heart data does not linger in the file.
        """
        self.flush()
        return self._delete_rows(session_id)

    def discard_session(self, session_id: int) -> None:
        """Undo a session that could not be stored whole (an import that failed half-way):
        its buffered samples and events are dropped, so `flush` and `close` never write them,
        and its rows are deleted as `delete_session` deletes them."""
        self._pending = [row for row in self._pending if row[0] != session_id]
        self._unsaved_events = [row for row in self._unsaved_events if row[1] != session_id]
        self._delete_rows(session_id)

    def _delete_rows(self, session_id: int) -> DeletedCounts:
        self.db.execute("PRAGMA secure_delete = ON")
        with self.db:
            found = self.db.execute("SELECT 1 FROM sessions WHERE id=?", (session_id,)).fetchone()
            samples = self.db.execute(
                "DELETE FROM samples WHERE session_id=?", (session_id,)
            ).rowcount
            events = self.db.execute(
                "DELETE FROM events WHERE session_id=?", (session_id,)
            ).rowcount
            self.db.execute("DELETE FROM session_people WHERE session_id=?", (session_id,))
            self.db.execute("DELETE FROM sessions WHERE id=?", (session_id,))
        with suppress(sqlite3.OperationalError):  # a busy reader: the next checkpoint does it
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return DeletedCounts(sessions=1 if found else 0, samples=samples, events=events)

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

    def people(self, session_id: int) -> list[PersonRow]:
        """The partners of a couple session, in order (empty for an ordinary session)."""
        rows = self.db.execute(
            "SELECT session_id, person, strap_name, strap_address, mode, settings_json"
            " FROM session_people WHERE session_id=? ORDER BY position",
            (session_id,),
        ).fetchall()
        return [PersonRow(*row) for row in rows]

    def couple_session_ids(self) -> set[int]:
        """The sessions that hold two hearts (couple sessions)."""
        return {row[0] for row in self.db.execute("SELECT DISTINCT session_id FROM session_people")}

    def iter_samples(self, session_id: int, person: str | None = None) -> Iterator[Sample]:
        """A session's samples in time order: all of them, or one person's track."""
        if person is None:
            cursor = self.db.execute(
                "SELECT t_s, bpm, rr_s, contact, energy_kj FROM samples WHERE session_id=?"
                " ORDER BY t_s, rowid",
                (session_id,),
            )
        else:
            cursor = self.db.execute(
                "SELECT t_s, bpm, rr_s, contact, energy_kj FROM samples"
                " WHERE session_id=? AND person=? ORDER BY t_s, rowid",
                (session_id, person),
            )
        for t_s, bpm, rr, contact, energy in cursor:
            yield Sample(
                t_s=t_s,
                bpm=bpm,
                rr_s=_rr_values(rr),
                contact=None if contact is None else bool(contact),
                energy_kj=energy,
            )

    def count_events(self, kind: str) -> int:
        """How many events of a kind all sessions hold (e.g. alerts, to rotate the texts)."""
        row = self.db.execute("SELECT COUNT(*) FROM events WHERE kind=?", (kind,)).fetchone()
        return int(row[0])

    def sample_count(self, session_id: int) -> int:
        """How many samples a session has."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM samples WHERE session_id=?", (session_id,)
        ).fetchone()
        return int(row[0])

    def session_stats(self, session_id: int | None = None) -> dict[int, SessionStats]:
        """Sample count, peak and last sample time of every session (or of one).

        Ended sessions have them stored; the others (recording now, or cut off) are computed
        here in one grouped query.
        """
        only, params = ("", ()) if session_id is None else (" AND id=?", (session_id,))
        stats = {
            row[0]: SessionStats(row[1] or 0, row[2], row[3])
            for row in self.db.execute(
                "SELECT id, sample_count, peak_bpm, last_sample_s FROM sessions"
                " WHERE sample_count IS NOT NULL" + only,
                params,
            )
        }
        for row in self.db.execute(
            f"SELECT session_id, {_SESSION_STATS} FROM samples WHERE session_id IN"
            " (SELECT id FROM sessions WHERE sample_count IS NULL" + only + ")"
            " GROUP BY session_id",
            params,
        ):
            stats[row[0]] = SessionStats(row[1], row[2], row[3])
        return stats

    def event_counts(self, session_id: int | None = None) -> dict[tuple[int, str], int]:
        """How many events of each kind every session (or one) has, keyed by (session id,
        kind)."""
        only, params = ("", ()) if session_id is None else (" WHERE session_id=?", (session_id,))
        return {
            (session_id, kind): n
            for session_id, kind, n in self.db.execute(
                "SELECT session_id, kind, COUNT(*) FROM events"
                + only
                + " GROUP BY session_id, kind",
                params,
            )
        }

    def settings_json(self, session_id: int) -> str | None:
        """The settings a session was recorded with, as stored (None: no such session)."""
        row = self.db.execute(
            "SELECT settings_json FROM sessions WHERE id=?", (session_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def events(
        self, session_id: int, kind: str | None = None, person: str | None = None
    ) -> list[EventRow]:
        """A session's events in time order, optionally of one kind and of one person."""
        query = "SELECT id, session_id, t_s, kind, data_json, person FROM events WHERE session_id=?"
        params: tuple[Any, ...] = (session_id,)
        if kind is not None:
            query += " AND kind=?"
            params += (kind,)
        if person is not None:
            query += " AND person=?"
            params += (person,)
        rows = self.db.execute(query + " ORDER BY t_s, id", params).fetchall()
        return [EventRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def latest_alert(self, session_id: int) -> EventRow | None:
        """A session's latest flooding alert: one person's (`alert`) or, in a couple
        session, the one for both (`couple-alert`); None when it had none."""
        row = self.db.execute(
            "SELECT id, session_id, t_s, kind, data_json, person FROM events"
            " WHERE session_id=? AND kind IN ('alert', 'couple-alert')"
            " ORDER BY t_s DESC, id DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        if row is None:
            return None
        return EventRow(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])


def _side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _make_private(path: Path) -> None:
    """Create `path` if missing, and make it readable and writable by its owner only.

    An existing file is never opened here: closing a descriptor of a database file would
    drop the SQLite locks this process holds on it through another connection.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    with suppress(OSError):  # not our file (a shared folder): SQLite will say if it cannot
        os.chmod(path, 0o600)


def _statements(script: str) -> list[str]:
    """The statements of a DDL script without triggers (split on semicolons)."""
    return [part.strip() for part in script.split(";") if part.strip()]


def _event_time(event: Any) -> float:
    for name in ("t_s", "start_s"):
        value = getattr(event, name, None)
        if isinstance(value, int | float):
            return float(value)
    raise TypeError(f"event without a time: {event!r}")
