"""The Store: sessions, samples and events in one SQLite file (`flooding.db`).

Sync use (commands, imports, tests): writes run on the caller's connection; `flush()` commits
the buffered samples in short transactions, or, inside `all_or_nothing` (an import), all of
them together at its end. Live use: a store written to from inside a running event loop hands
every write to a writer thread (`writer.Writer`), so the loop never waits for the disk or for
another program's lock. Policy when the database is busy: nothing is dropped; the samples wait
in memory (a warning after a few seconds, again every minute) and are saved in time order once
the lock frees. Once the database has been away `JOURNAL_AFTER_S`, or past `MAX_WAITING_ROWS`
(ten hours of one strap), later samples and events (an alert, a break) go to an owner-only
journal file beside the database (`journal.Journal`), in the order they came, flushed to disk
as they come, so a stopped or killed monitor loses at most the first moments of a long wait,
and memory stays bounded; it is saved (before newer rows) once the lock frees, or at the next
`Store.open` after a crash, in one transaction that also notes the file as saved (`meta`), so
that a file left by a crash after that commit is never saved twice. A session's id is handed
out before its row is written, so at that open the id may name another program's session: the
journal's session headers say which session the rows belong to (`_recovery_target`).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import itertools
import json
import logging
import math
import operator
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar
from urllib.parse import quote

from flooding.core.models import SOLO, Event, Sample
from flooding.core.settings import masked_settings_json
from flooding.core.timefmt import local_stamp
from flooding.io.files import UnsafeFileError, make_private_dir
from flooding.io.store.deletion import (
    DeletedCounts,
    Deletion,
    delete_rows,
    identity,
    scrub,
    still_waiting,
    waits_on_disk,
)
from flooding.io.store.errors import (
    StoreError,
    as_store_error,
    explain,
    is_busy,
    is_transient,
)
from flooding.io.store.journal import (
    Journal,
    Saving,
    SessionHeader,
    WaitingEvent,
    left_waiting,
    leftovers,
)
from flooding.io.store.schema import (
    COLUMNS_SCHEMA,
    DB_NAME,
    MIGRATIONS,
    NEXT_SESSION_ID,
    SCHEMA_V1,
    SCHEMA_VERSION,
    SESSION_STATS,
    SQL_FUNCTIONS,
    TABLES,
    USABLE,
    USABLE_PEAK,
    statements,
)
from flooding.io.store.unsaved import Unsaved
from flooding.io.store.writer import RETRY_MAX_S, WRITER_BUSY_TIMEOUT_MS, Batch, Ids, Writer

if TYPE_CHECKING:
    import asyncio

    from flooding.core.beats.columns import SampleColumns
    from flooding.io.store.columns import Key
    from flooding.io.store.replays import Replayed

log = logging.getLogger(__name__)
_T = TypeVar("_T")

BUSY_TIMEOUT_MS = 5000  # a reader holding the lock briefly must not fail the writer
OPEN_WAIT_S = 120.0  # opening while another program holds the lock: wait this long for it
LEFT_WAIT_MS = 1000  # a command that only reads waits this long to save a left waiting file:
#                      no longer, as a read is never held up by another program's lock
CLOSE_WAIT_S = 120.0  # closing while the database is busy: keep trying this long to save
SETTLE_WAIT_S = 120.0  # a read outside the event loop waits this long for queued writes
SETTLE_SLICE_S = 0.2  # ...looking this often whether the disk has become unwritable
MAX_WAITING_ROWS = 36_000  # ten hours of one strap at 1 Hz (about 15 MB): past it, to the journal
JOURNAL_AFTER_S = 1.0  # a database away this long: newer samples and events wait on disk, as
#                        a crash may lose at most the last second (DESIGN: reliability)
CHUNK_ROWS = 20_000  # a sync flush (outside `all_or_nothing`) commits this many rows at once...
CHUNK_PAUSE_S = 0.005  # ...and lets go of the lock this long between them, for a live session
LITERAL_MIN_ROWS = 64  # an insert of fewer rows binds every value: a literal in its text
#                       would make a statement to prepare anew, which costs more than it saves
REPLAY_ROWS_PER_TRANSACTION = 500  # replays' alerts written at a time: milliseconds of lock,
#                                    well within the monitor's writer's patience (100 ms)

RECOVERED_NOTE = "saved from the waiting samples after a crash"  # a restored session's note
# a waiting event that stores no row: a false-alarm mark taken back while marks waited on disk,
# saved in its place among them (`unmark_false_alarm`)
UNDONE_KIND = "false-alarm-undone"
# meta keys naming the waiting files saved (by `journal.identity`), written in the transaction
# that saves one: a file left by a crash between that commit and its removal is not saved twice
APPLIED_KEY = "saved-waiting-file:"
APPLIED_KEPT = 8  # the latest kept: one program leaves at most two files (waiting and saving)
_Row = tuple[int, float, float, str, "int | None", "int | None", str, "float | None"]
# the samples table's columns, in a `_Row`'s order, and the defaults of those that have one
_SAMPLE_COLUMNS = (
    "session_id",
    "t_s",
    "bpm",
    "rr_s",
    "contact",
    "energy_kj",
    "person",
    "activity_g",
)
_SAMPLE_DEFAULTS: dict[str, str | None] = {
    "rr_s": "",
    "contact": None,
    "energy_kj": None,
    "person": SOLO,
    "activity_g": None,
}
_PLAIN_SAMPLE_INSERT = (
    f"INSERT INTO samples({', '.join(_SAMPLE_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(_SAMPLE_COLUMNS))})"
)


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
# an alert's stored kinds: one person's, or the one for both of a couple
ALERT_KINDS = frozenset({"alert", _COUPLE_FORMS["alert"][0]})
_COUPLE_ONLY_FIELDS = frozenset({"person", "absent", "baselines", "waiting", "levels"})


@functools.cache
def _type_kind(kind: Any) -> str:
    name = kind.__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def event_kind(event: Event | Any, couple: bool = False) -> str:
    """The stored name of an event: EpisodeStarted -> 'episode-started'; the pause events
    of a session of two (`couple`): 'couple-alert', 'couple-pause-started', ..."""
    return stored_kind(type(event), couple)


def stored_kind(kind: Any, couple: bool = False) -> str:
    """`event_kind` of the events of one type (PauseStarted -> 'pause-started')."""
    name = _type_kind(kind)
    return _COUPLE_FORMS[name][0] if couple and name in _COUPLE_FORMS else name


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def event_data(event: Any, couple: bool = False) -> dict[str, Any]:
    """An event as a JSON-ready dict, in its stored form (see `event_kind`)."""
    return {name: _plain(getattr(event, name)) for name in _fields_of(event, couple)}


def _fields_of(event: Any, couple: bool) -> tuple[str, ...]:
    """The stored fields of an event, in order (`_stored_names` of its type)."""
    if not dataclasses.is_dataclass(event):
        raise TypeError(f"not an event: {event!r}")
    kind: Any = type(event)  # (not narrowed by `is_dataclass`)
    return _stored_names(kind, couple)


@functools.cache
def _stored_names(kind: Any, couple: bool) -> tuple[str, ...]:
    """The stored fields of an event type, in order: a couple form's (`couple`), else the
    type's own outside a couple session (cached: an import stores thousands)."""
    form = _COUPLE_FORMS.get(_type_kind(kind)) if couple else None
    if form is not None:
        return form[1]
    return tuple(f.name for f in dataclasses.fields(kind) if f.name not in _COUPLE_ONLY_FIELDS)


@dataclass(frozen=True)
class _StoredForm:
    """How events of one type are stored (in a session of two or not): worked out once per
    type and call of `_event_rows`, as an import stores tens of thousands (a month's gaps)
    in one go."""

    kind: str  # `event_kind`
    values: Callable[[Any], tuple[Any, ...]]  # the stored fields' values, in order
    template: str  # their JSON text, `%`-formatted, when all are finite floats or integers
    time_field: str  # the field `_event_time` reads first


def _stored_form(kind: Any, couple: bool) -> _StoredForm:
    """The stored form of an event type (`kind`), in a session of two or not (`couple`)."""
    given: object = kind  # (`kind` stays Any: `is_dataclass` would narrow it)
    if not dataclasses.is_dataclass(given):
        raise TypeError(f"not an event type: {kind!r}")
    names = _stored_names(kind, couple)
    getter = operator.attrgetter(*names)
    own = {field.name for field in dataclasses.fields(kind)}
    return _StoredForm(
        kind=stored_kind(kind, couple),
        values=getter if len(names) > 1 else lambda event: (getter(event),),
        template="{" + ", ".join(f'"{field}": %r' for field in names) + "}",
        time_field=next((field for field in ("t_s", "start_s") if field in own), "t_s"),
    )


def _event_rows(
    session_id: int, events: Sequence[Any], person: str, couple: bool
) -> list[tuple[int, float, str, str, str]]:
    """The events' rows as `add_event` writes each: (session, time, kind, text, person), the
    text the one `json.dumps` gives `event_data`. An event whose values are all finite floats
    or plain integers (a gap, most of an import's events) is written out directly through
    its type's template (`json.dumps`'s default separators; `%r` gives `float.__repr__` and
    `int.__repr__` for exactly these two types), at a fraction of the cost."""
    rows = []
    forms: dict[Any, _StoredForm] = {}
    for event in events:
        kind: Any = type(event)
        form = forms.get(kind)
        if form is None:
            form = forms[kind] = _stored_form(kind, couple)
        t_s = getattr(event, form.time_field, None)
        if type(t_s) is not float:
            t_s = _event_time(event)
        values = form.values(event)
        for value in values:
            if type(value) is float:
                if value - value != 0.0:  # inf - inf and NaN - NaN are NaN
                    break
            elif type(value) is not int:
                break
        else:
            rows.append((session_id, t_s, form.kind, form.template % values, person))
            continue
        rows.append((session_id, t_s, form.kind, json.dumps(event_data(event, couple)), person))
    return rows


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


# a session row's columns as a new session gives them (`begin_session`, a journal's header)
_SESSION_COLUMNS = "started_s, source, mode, strap_name, strap_address, settings_json"
# the highest id given so far, by table (live use hands ids out before writing the rows)
_LAST_ID = {
    "sessions": f"SELECT {NEXT_SESSION_ID} - 1",
    "events": "SELECT MAX(id) FROM events",
}


class Store:
    """Read and write sessions, samples and events."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        max_waiting_rows: int = MAX_WAITING_ROWS,
        journal_after_s: float = JOURNAL_AFTER_S,
    ) -> None:
        self.db = connection
        self.path = path
        self.read_only = False  # opened only to read (`open_read_only`): it never writes
        #   (but for the alerts of replays, `keep_replayed_alerts`, when the file can be written)
        self.immutable = False  # read as it stands (a folder nobody can write): nothing written
        self.max_waiting_rows = max_waiting_rows  # samples held in memory at most (live use)
        self.journal_after_s = journal_after_s  # a database away this long: to the journal
        self._journal = Journal(path)  # where later ones wait (made only when needed)
        self._saving: Saving | None = None  # a journal handed to the writer to be saved
        self._full_told = False  # the journal's warning is said once each time it fills
        self._journal_broken = False  # the journal could not be written or handed over: told once
        self._pending: list[_Row] = []
        # events written since the last commit, with their ids: if a commit fails they are
        # written again under the same ids, so ids handed out (alert ids) stay valid
        self._unsaved_events: list[tuple[int, int, float, str, str, str]] = []
        self._writer: Writer | None = None  # started by the first write from an event loop
        self._last_id: dict[str, int] = {}  # the last id handed out per table (live use)
        self._begun: dict[int, SessionHeader] = {}  # sessions begun here, for the journal
        self._alerts: dict[int, int] = {}  # live alerts: id -> session
        self._latest_alerts: dict[int, EventRow] = {}  # live: each session's latest alert
        self._marks: dict[tuple[int, int], int] = {}  # live false-alarm marks -> mark id
        self._notes: Unsaved[int, str] = Unsaved()  # live notes not saved yet, by session
        self._one_transaction = False  # inside `all_or_nothing`: nothing commits before its end
        self._closed = False  # `close` began: nothing more is handed to the writer

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        max_waiting_rows: int = MAX_WAITING_ROWS,
        journal_after_s: float = JOURNAL_AFTER_S,
    ) -> Self:
        """Open (creating if needed, owner-only) the store in `data_dir`, upgrading its schema
        and saving any journal a crashed session left.

        Another program holding the write lock is waited for (up to `OPEN_WAIT_S`)."""
        return _waiting_out(
            lambda: cls._open(data_dir, max_waiting_rows, journal_after_s), data_dir / DB_NAME
        )

    @classmethod
    def _open(
        cls,
        data_dir: Path,
        max_waiting_rows: int = MAX_WAITING_ROWS,
        journal_after_s: float = JOURNAL_AFTER_S,
    ) -> Self:
        make_private_dir(data_dir)  # missing parents too: the demo's folder is data/demo
        path = data_dir / DB_NAME
        _make_private(path)
        # SQLite gives -wal and -shm the database file's mode; tighten old loose ones too.
        # By name (chmod), never by opening them: closing any descriptor of a file drops
        # this process's SQLite locks on it.
        for side in (_side_file(path, "-wal"), _side_file(path, "-shm")):
            with suppress(OSError):
                os.chmod(side, 0o600)
        connection = _connect(path)
        store = cls(connection, path, max_waiting_rows, journal_after_s)
        try:
            if store._migrate() < COLUMNS_SCHEMA:
                store._keep_ended_columns()
            store._save_or_tell(OPEN_WAIT_S)
            # what a delete overwrote while another program read the file (a copy left in
            # the log and the old pages) goes now, if no program reads it any more
            store.scrub_log()
        except BaseException:
            connection.close()
            raise
        return store

    @classmethod
    def open_read_only(cls, data_dir: Path) -> Self:
        """Open the store only to read it: works on a read-only folder or file.

        A missing or older database is opened as `open` does (made, or upgraded first)."""
        path = data_dir / DB_NAME
        if not path.exists():
            return cls.open(data_dir)
        target = quote(str(path.absolute()))
        connection: sqlite3.Connection | None = None
        immutable = False
        try:
            try:
                connection = _read_only(f"file:{target}?mode=ro")
            except sqlite3.OperationalError:
                if os.access(data_dir, os.W_OK):
                    raise
                # WAL readers need the -shm file; in a folder nobody can write, nobody writes
                # either, so the file can be read as it stands
                connection = _read_only(f"file:{target}?mode=ro&immutable=1")
                immutable = True
            store = cls(connection, path)
            store.read_only = True
            store.immutable = immutable
            version = store.schema_version()
        except sqlite3.Error as exc:
            if connection is not None:
                connection.close()
            raise as_store_error(exc, path) from None
        if version > SCHEMA_VERSION:
            connection.close()
            raise _newer(path, version)
        if version < SCHEMA_VERSION:
            connection.close()
            return cls.open(data_dir)
        try:
            store._check_tables()
        except StoreError:
            connection.close()
            raise
        store._save_left_waiting()
        return store

    def _save_left_waiting(self) -> None:
        """For a store opened only to read: save the waiting files a stopped session left
        (`_save_leftovers`), through a connection of its own, so that what is read is the
        whole session, as `open` would; when that cannot be (a folder nobody can write, a
        database another program holds longer than `LEFT_WAIT_MS`), say plainly that some
        recent data waits to be saved, and read what is there."""
        if not left_waiting(self.path):
            return
        if self.immutable:
            unwritable = sqlite3.OperationalError("attempt to write a readonly database")
            self._tell_left_waiting(unwritable)
            return
        try:
            db = _own_writer(self.path, LEFT_WAIT_MS)
        except sqlite3.Error as exc:
            self._tell_left_waiting(exc)
            return
        try:
            type(self)(db, self.path)._save_or_tell(0.0)
        finally:
            db.close()

    def _save_or_tell(self, wait_s: float) -> None:
        """Save the waiting files a stopped session left (`_save_leftovers`), waiting up to
        `wait_s` for another program's lock (said once); if they still cannot be saved (held
        longer, a full disk, a read-only file), say so and go on: the store opens all the
        same, and the next open saves them."""
        deadline_s = time.monotonic() + wait_s
        told = False
        while True:
            try:
                self._save_leftovers()
                return
            except sqlite3.Error as exc:
                if not is_busy(exc) or time.monotonic() >= deadline_s:
                    self._tell_left_waiting(exc)
                    return
                if not told:
                    told = True
                    log.warning("waiting: %s", explain(exc, self.path))
                time.sleep(0.25)

    def _tell_left_waiting(self, trouble: sqlite3.Error) -> None:
        """Say plainly that recent data a stopped session left waits to be saved, and why it
        cannot be now (`trouble`)."""
        from flooding.io.locale_files import load_catalogue

        for path in left_waiting(self.path):
            why = explain(trouble, self.path)
            log.warning(load_catalogue()("store.waiting_left", path=path, why=why))

    def _check_tables(self) -> None:
        """Every table of the schema is there (a file changed by another program may lack one)."""
        found = {
            row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = sorted(set(TABLES) - found)
        if missing:
            raise as_store_error(
                sqlite3.OperationalError(f"no such table: {missing[0]}"), self.path
            )

    def _migrate(self) -> int:
        """Upgrade the file to `SCHEMA_VERSION`; returns the version it had (the current one
        for a new file)."""
        if self.schema_version() == SCHEMA_VERSION:
            self._check_tables()
            return SCHEMA_VERSION  # the common case: no write lock, readers never wait here
        self.db.commit()
        for name, function in SQL_FUNCTIONS.items():  # what the migrations call
            self.db.create_function(name, 1, function, deterministic=True)
        # what a migration rewrites (a stored secret) is overwritten on disk, not left behind
        self.db.execute("PRAGMA secure_delete = ON")
        # one writer at a time: two programs opening an old file together upgrade it once
        self.db.execute("BEGIN IMMEDIATE")
        try:
            version = self.schema_version()
            if version > SCHEMA_VERSION:
                raise _newer(self.path, version)
            found = version
            if version == 0:
                for statement in statements(SCHEMA_V1):
                    self.db.execute(statement)
                version = 1
                fresh = True
            else:
                fresh = False
            while version < SCHEMA_VERSION:
                for statement in MIGRATIONS[version]:
                    self.db.execute(statement)
                version += 1
                if not fresh:
                    log.info("upgraded %s to schema %d", self.path, version)
            self._set_version(version)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        with suppress(sqlite3.OperationalError):  # a busy reader: the next checkpoint does it
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the log
        return SCHEMA_VERSION if fresh else found

    def _keep_ended_columns(self) -> None:
        """Keep the columns of every ended session of a file just upgraded to keep them (once:
        about two seconds for a year of one-hour sessions), so that tune and the what-if,
        which only read, find them; a session at a time, stopping quietly if the database
        becomes busy (the rest are kept when a store that can write reads them)."""
        from flooding.io.store import columns

        ended = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM sessions WHERE ended_s IS NOT NULL AND id NOT IN"
                " (SELECT session_id FROM sample_columns) ORDER BY id"
            )
        ]
        for session_id in ended:
            key = columns.session_key(self.db, session_id)
            if key is None:
                continue
            try:
                with self.db:
                    columns.keep(self.db, session_id, key, columns.read_rows(self.db, session_id))
            except sqlite3.Error as exc:
                log.debug("kept the columns of some sessions only: %s", exc)
                return
            except Exception as exc:  # a damaged row: the columns are only kept for speed
                log.warning("session %d: its columns for tune are not kept: %s", session_id, exc)
        if ended:
            log.info("kept the samples of %d sessions as columns, for tune", len(ended))

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
        """Commit what is pending and close (closed even when the commit fails).

        A busy database is waited for (up to `CLOSE_WAIT_S`) so that no sample is lost."""
        self._closed = True
        try:
            if self._writer is not None:
                self._hand_over()
                deadline_s = time.monotonic() + CLOSE_WAIT_S
                self._close_journal(self._writer, deadline_s)
                unsaved = self._writer.stop(max(0.0, deadline_s - time.monotonic()))
                if self._saving is not None:
                    self._saving.close()
                waits = bool(self._journal.waiting) or (
                    self._saving is not None and not self._saving.saved
                )
                if waits and not unsaved:  # with some lost, the error below says it all
                    log.warning(
                        "some samples still wait in %s; they are saved the next time flooding "
                        "opens this folder. Nothing is lost.",
                        self._journal.path,
                    )
                self._journal.close()
                log.info(
                    "the longest a write of this session waited to be saved: %.2f s",
                    self._writer.longest_wait_s,
                )
                if unsaved:
                    rest = (
                        f"The rest of the session is saved, or waits in {self._journal.path} "
                        "and is saved the next time flooding opens this folder."
                        if waits
                        else "The rest of the session is saved."
                    )
                    raise StoreError(
                        f"could not save the last {unsaved} samples (they were held in memory): "
                        f"{self._writer.trouble_text() or 'the database did not answer'} {rest}"
                    )
            else:
                self.flush()
        except sqlite3.Error as exc:
            raise StoreError(
                f"could not save the last samples ({explain(exc, self.path)}) "
                "The rest of the session is saved."
            ) from None
        finally:
            self.db.close()

    # -- live use: the writer thread ---------------------------------------------------------

    def _live(self) -> Writer | None:
        """The writer thread, started by the first write made inside a running event loop."""
        if self._writer is None and _in_event_loop():
            import asyncio  # loaded: a loop runs

            loop = asyncio.get_running_loop()
            self._writer = Writer(
                self.path,
                lambda: _connect(self.path, WRITER_BUSY_TIMEOUT_MS),
                on_idle=lambda: self._written(loop),
            )
        return self._writer

    def _written(self, loop: asyncio.AbstractEventLoop) -> None:
        """(On the writer's thread.) Its queue is saved: writes that wait on disk are handed
        to it now, on the loop the store is used from, not at the next write or read, which
        may be long in coming (an app nobody looks at): other programs see them at once."""
        if self._journal.waiting and not self._closed:
            with suppress(RuntimeError):  # the loop is closed: `close` saved them, or the next open
                loop.call_soon_threadsafe(self._journal_follows)

    def _journal_follows(self) -> None:
        """Hand what waits on disk to the writer (`_written`), unless the store closed."""
        if self._writer is not None and not self._closed:
            self._save_journal(self._writer)

    def _run(self, job: Any, rows: int = 0) -> None:
        """Queue a job (inside the event loop), or run it and wait for it (outside)."""
        writer = self._writer
        assert writer is not None
        if _in_event_loop():
            writer.submit(job, rows)
        else:
            writer.call(job, SETTLE_WAIT_S)

    def _next_id(self, table: str) -> int:
        """The next free id of `table`, handed out before the row is written (live use)."""
        row = self.db.execute(_LAST_ID[table]).fetchone()
        given = max(int(row[0] or 0), self._last_id.get(table, 0)) + 1
        self._last_id[table] = given
        return given

    def _hand_over(self) -> None:
        """Give the buffered samples to the writer thread (live use)."""
        writer = self._writer
        assert writer is not None
        rows, self._pending = self._pending, []
        if rows and self._journal_takes(writer, len(rows)):
            rows = self._to_journal(rows, writer.waiting_rows + len(rows) > self.max_waiting_rows)
        if rows:

            def write(db: sqlite3.Connection, batch: Batch) -> None:
                _insert_samples(db, [(batch.real("sessions", r[0]), *r[1:]) for r in rows])

            self._run(write, len(rows))
        self._save_journal(writer)

    def _journal_takes(self, writer: Writer, adding: int = 0) -> bool:
        """Whether what is recorded now (`adding` samples, or an event) goes to the journal:
        it already holds lines not handed over (later ones follow them, in order), the
        database has been away `journal_after_s`, or memory holds the most it may."""
        away_since = writer.trouble_since
        return bool(
            self._journal.waiting
            or writer.waiting_rows + adding > self.max_waiting_rows
            or (away_since is not None and time.monotonic() - away_since >= self.journal_after_s)
        )

    def _event_to_journal(self, event: WaitingEvent) -> bool:
        """Write a live event to the journal when that is where writes wait now, after the
        samples recorded before it; whether it went there (if not, the writer takes it)."""
        writer = self._writer
        assert writer is not None
        if not self._journal_takes(writer):
            return False
        self._hand_over()  # the samples before it first (it may hand the journal over)
        if not self._journal_takes(writer):
            return False
        try:
            self._journal.append([], self._begun, [event])
        except OSError as exc:
            self._journal_failed(exc)
            return False
        return True

    def _journal_failed(self, exc: OSError) -> None:
        """Say (once) that the journal cannot be written: what would go there stays in memory."""
        if self._journal_broken:
            return
        self._journal_broken = True
        reason = str(exc) if isinstance(exc, UnsafeFileError) else explain(exc, self.path)
        log.error(
            "could not write the samples waiting to be saved to %s: %s "
            "They are kept in memory instead; %s.",
            self._journal.path,
            reason,
            self._what_saves_them(),
        )

    def _to_journal(self, rows: list[_Row], full: bool) -> list[_Row]:
        """Write rows to the journal; returns those it could not take (kept in memory: never
        lost). `full`: memory holds the most it may (said once: the person can free the
        database; a database away a moment is told by the writer after `WARN_AFTER_S`)."""
        try:
            self._journal.append(rows, self._begun)
        except OSError as exc:
            self._journal_failed(exc)
            return rows
        if full and not self._full_told:
            self._full_told = True
            log.warning(
                "%d samples are waiting for the recordings database, the most kept in memory; "
                "newer ones are written to %s until it can be written again. Nothing is lost: "
                "%s; if flooding stops first, they are saved the next time it starts.",
                self._writer.waiting_rows if self._writer is not None else 0,
                self._journal.path,
                self._what_saves_them(),
            )
        return []

    def _what_saves_them(self) -> str:
        """What gets waiting samples saved, for the log: a busy database freed, or whatever
        keeps it from being written put right (a full disk: space), as the cause says."""
        trouble = None if self._writer is None else self._writer.trouble
        if trouble is None or is_busy(trouble):
            return "free the database (end the program using it) and they are saved"
        why = explain(trouble, self.path).rstrip(".")
        return f"they are saved as soon as it can be written again ({why})"

    def _save_journal(self, writer: Writer, now: bool = False) -> None:
        """Hand the journal to the writer once the rows before it are saved (or `now`, at
        close): its rows are saved in order, in chunks, and the file removed on commit."""
        if self._saving is not None and (self._saving.saved or self._saving.given_up):
            self._saving = None
        if self._saving is not None or not self._journal.waiting:
            return
        if not now and (writer.waiting_rows or writer.trouble is not None):
            return
        try:
            saving = self._saving = self._journal.hand_over()
        except OSError as exc:  # a part not saved is in the way: this one waits for the next open
            if not self._journal_broken:
                self._journal_broken = True
                log.error("could not hand %s over to be saved: %s", self._journal.path, exc)
            return
        self._full_told = False

        def write(db: sqlite3.Connection, batch: Batch) -> None:
            moves = dict(batch.moves)
            db.execute("SAVEPOINT journal")
            try:
                digest = saving.identity()
                if not _applied(db, digest):
                    for chunk in saving.chunks():
                        real = batch.real
                        _insert_samples(db, [(real("sessions", r[0]), *r[1:]) for r in chunk.rows])
                        for event in chunk.events:
                            _insert_waiting_event(db, batch, event, real("sessions", event.session))
                    _mark_applied(db, digest)
            except (OSError, ValueError) as exc:  # gone, or changed by someone: kept as it is
                db.execute("ROLLBACK TO journal")
                batch.moves.clear()
                batch.moves.update(moves)
                log.error(
                    "could not read back the waiting samples in %s (%s); the file is left "
                    "for the next start to save",
                    saving.path,
                    exc,
                )
                saving.give_up()
                return
            finally:
                db.execute("RELEASE journal")
            batch.after.append(saving.remove)

        writer.submit(write)

    def _save_leftovers(self) -> None:
        """Save the journals a crashed session left (oldest first), then remove them. One that
        cannot be read is named and left as it is: the store opens all the same."""
        for saving in leftovers(self.path):
            try:
                saved, events = self._save_leftover(saving)
            except (OSError, ValueError, sqlite3.Error) as exc:
                if isinstance(exc, sqlite3.Error) and is_transient(exc):
                    raise  # busy, or not writable now: waited for, or said (`_save_or_tell`)
                log.error(
                    "could not save the waiting samples in %s (%s); move it aside and tell "
                    "the people who make flooding",
                    saving.path,
                    exc,
                )
                continue
            finally:
                saving.close()
            if saved or events:
                log.warning(
                    "saved %d samples and %d events that were waiting in %s when flooding "
                    "last stopped",
                    saved,
                    events,
                    saving.path,
                )

    def _save_leftover(self, saving: Saving) -> tuple[int, int]:
        """Save a left journal's samples and events in one transaction, unless it was saved
        before (then only remove it); returns how many of each were saved."""
        saved = events = 0
        digest = saving.identity()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if _applied(self.db, digest):
                log.info("%s was saved already; it is removed", saving.path)
            else:
                saved, events = self._insert_leftover(saving)
                _mark_applied(self.db, digest)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        saving.remove()
        return saved, events

    def _insert_leftover(self, saving: Saving) -> tuple[int, int]:
        """Insert a left journal's samples and events, each to the session it was recorded
        in (`_recovery_target`); returns how many of each."""
        saved = events = 0
        batch = Batch(Ids())  # events whose id another program took since, and their new ids
        headers: dict[int, SessionHeader] = {}
        targets: dict[int, int] = {}  # the id a line carries -> the session it is saved to
        restored: set[int] = set()  # sessions this recovery gave a new id (made or moved)
        for chunk in saving.chunks():
            headers.update(chunk.headers)
            for sid, first_s in sorted(chunk.sessions().items()):
                if sid in targets:
                    continue
                target = self._recovery_target(sid, headers.get(sid), first_s, saving, restored)
                targets[sid] = target
                if target != sid:
                    restored.add(target)
            _insert_samples(self.db, [(targets[int(r[0])], *r[1:]) for r in chunk.rows])
            for event in chunk.events:
                events += _insert_waiting_event(self.db, batch, event, targets[event.session])
            saved += len(chunk.rows)
        return saved, events

    def _recovery_target(
        self,
        sid: int,
        header: SessionHeader | None,
        first_s: float,
        saving: Saving,
        restored: AbstractSet[int] = frozenset(),
    ) -> int:
        """The session a left journal's rows with id `sid` belong to: the one they were recorded
        in, matched by its id and how it began (`header`), under whatever id it was stored.
        If it was never stored, it is restored from the header (under `sid` if no session
        ever had it), never saved to another program's session that took the id.

        A journal written before headers were kept (`header` None) is matched by id and by
        time: the session must have begun by `first_s` (its first waiting sample) and not
        ended before it; else the rows get a session of their own, as when the id is free.
        `restored`: sessions this recovery gave another journal id's rows, never matched by
        their id (the rows of two sessions would become one)."""
        if header is not None:
            return self._headed_target(header, saving)
        row = self.db.execute(
            "SELECT started_s, ended_s FROM sessions WHERE id=?", (sid,)
        ).fetchone()
        fits = row is not None and row[0] <= first_s and (row[1] is None or first_s <= row[1])
        if fits and sid not in restored:
            return sid
        made = _insert_session(
            self.db,
            "started_s, source, mode, note",
            (first_s, "recovered", "talk", RECOVERED_NOTE),
            wanted=None if row is not None else sid,
        )
        if row is not None:
            log.warning(
                "the samples waiting in %s from %s on were recorded under session id %d, which "
                "now belongs to another session (begun %s); they were saved to a session "
                "of their own, session %d, and that other session is left as it was",
                saving.path,
                local_stamp(first_s),
                sid,
                local_stamp(row[0]),
                made,
            )
        return made

    def _headed_target(self, header: SessionHeader, saving: Saving) -> int:
        sid = header.session
        same = "started_s=? AND source=? AND mode=? AND settings_json=?"
        identity = (header.started_s, header.source, header.mode, header.settings_json)
        if self.db.execute(
            f"SELECT 1 FROM sessions WHERE id=? AND {same}", (sid, *identity)
        ).fetchone():
            return sid
        taken = self.db.execute("SELECT started_s FROM sessions WHERE id=?", (sid,)).fetchone()
        # the session's row took a new id when it was written (`_insert_session`): a higher one
        moved = self.db.execute(
            f"SELECT id FROM sessions WHERE id>? AND {same} ORDER BY id LIMIT 1", (sid, *identity)
        ).fetchone()
        if moved is not None:
            log.warning(
                "the samples waiting in %s of the session begun %s were saved to it, session "
                "%d (it was stored under that id; id %d belongs to another session)",
                saving.path,
                local_stamp(header.started_s),
                moved[0],
                sid,
            )
            return int(moved[0])
        made = _insert_session(
            self.db,
            f"{_SESSION_COLUMNS}, note",
            (
                header.started_s,
                header.source,
                header.mode,
                header.strap_name,
                header.strap_address,
                header.settings_json,
                RECOVERED_NOTE,
            ),
            wanted=None if taken is not None else sid,
        )
        self.db.executemany(
            "INSERT INTO session_people(session_id, position, person, mode, strap_name,"
            " strap_address, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(made, position, *person) for position, person in enumerate(header.people)],
        )
        if taken is None:
            log.warning(
                "the session begun %s had not been stored when flooding stopped; it was "
                "restored as session %d with the samples that were waiting in %s",
                local_stamp(header.started_s),
                made,
                saving.path,
            )
        else:
            log.warning(
                "the session begun %s had not been stored when flooding stopped, and its id "
                "%d now belongs to another session (begun %s), which is left as it was; it was "
                "restored as session %d with the samples that were waiting in %s",
                local_stamp(header.started_s),
                sid,
                local_stamp(taken[0]),
                made,
                saving.path,
            )
        return made

    def _close_journal(self, writer: Writer, deadline_s: float) -> None:
        """At close, hand the journal (each part of it) to the writer, waiting while a part
        is being saved; what cannot be saved by `deadline_s` stays on disk for the next open,
        as all of it does while the database cannot be written at all (a full disk: waiting
        would only hold up the end)."""
        while self._journal.waiting or self._saving is not None:
            if writer.unwritable:
                return
            self._save_journal(writer, now=True)
            if self._saving is None:
                return
            left_s = deadline_s - time.monotonic()
            if left_s <= 0:
                return
            if writer.wait_idle(min(RETRY_MAX_S, left_s)) and not self._saving.saved:
                return  # the writer gave up on it: it stays on disk

    def _settle(self) -> None:
        """Outside the event loop, let queued writes land before reading (live use)."""
        writer = self._writer
        if writer is not None and not _in_event_loop():
            self._hand_over()
            # a busy database is waited out; one that cannot be written (a full disk) is not:
            # what is saved is read now, and the writer keeps the rest
            deadline_s = time.monotonic() + SETTLE_WAIT_S
            while not writer.wait_idle(SETTLE_SLICE_S) or self._journal_waits():
                if writer.unwritable or time.monotonic() >= deadline_s:
                    break
                self._save_journal(writer)

    def _journal_waits(self) -> bool:
        """Whether rows in the journal are not saved yet."""
        saving = self._saving
        if saving is not None:
            return not (saving.saved or saving.given_up)
        return bool(self._journal.waiting) and not self._journal_broken

    def _sid(self, session_id: int) -> int:
        """The stored id of a session this store handed out."""
        writer = self._writer
        return session_id if writer is None else writer.ids.real("sessions", session_id)

    def _eid(self, event_id: int) -> int:
        writer = self._writer
        return event_id if writer is None else writer.ids.real("events", event_id)

    def wait_saved(self, timeout_s: float) -> bool:
        """Wait until every write handed to the writer thread is saved (True), or `timeout_s`
        passed (False). Safe from any thread: a session's end awaits it off the event loop,
        so that the ended session is on disk before anyone else reads it."""
        writer = self._writer
        return True if writer is None else writer.wait_idle(timeout_s)

    @property
    def waiting_rows(self) -> int:
        """A live session's samples not yet saved: still buffered, or in the writer thread."""
        if self._writer is None:
            return 0
        saving = self._saving
        journal = self._journal.rows + (saving.count if saving and not saving.saved else 0)
        return self._writer.waiting_rows + len(self._pending) + journal

    @property
    def saving_trouble(self) -> StoreError | None:
        """Why a live session's samples wait to be saved when the database cannot be written
        (a full disk, a read-only file): they are kept, and saved once it can be. None while
        it can be written, or is only busy (waited out quietly; the log tells it after a few
        seconds)."""
        trouble = None if self._writer is None else self._writer.trouble
        if trouble is None or is_busy(trouble):
            return None
        return as_store_error(trouble, self.path)

    @property
    def held_elsewhere(self) -> bool:
        """Whether writes of a live store wait because another program holds the database:
        kept (in memory or on disk) and saved once it lets go. A database that cannot be
        written at all is `saving_trouble`'s."""
        writer = self._writer
        if writer is None:
            return False
        trouble = writer.trouble
        if trouble is not None:
            return is_busy(trouble)
        return self._journal_waits()  # the lock just freed: what waited on disk follows

    def wait_tried(self, timeout_s: float) -> bool:
        """Wait until the writes handed to the writer thread are saved (True), or it found the
        database away meanwhile (False: `held_elsewhere`, `saving_trouble`), or `timeout_s`
        passed (False). Safe from any thread: a page that made a change awaits it off the
        event loop before it says whether the change is saved."""
        writer = self._writer
        return True if writer is None else writer.wait_tried(timeout_s)

    @property
    def longest_wait_s(self) -> float:
        """The longest a write waited from handed over to saved (live use), so far."""
        return 0.0 if self._writer is None else self._writer.longest_wait_s

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """Sync writes inside the block (an import) are committed together at its end, or
        none of them: an error, Ctrl-C or a killed process leaves no part of them in the file
        (SQLite drops a transaction that never committed), and nobody reads them before the
        end. The write lock is taken at the start, waited for as `open` waits (another
        program's import); a failure inside raises StoreError, naming its cause."""
        if self._one_transaction or self._live() is not None:
            raise RuntimeError("all_or_nothing: sync use only, not nested")
        self.flush()  # what came before is committed on its own
        _waiting_out(lambda: self.db.execute("BEGIN IMMEDIATE"), self.path)
        self._one_transaction = True
        try:
            yield
            self.flush()
            self.db.commit()
        except BaseException as exc:
            self._pending.clear()
            self._unsaved_events.clear()
            with suppress(sqlite3.Error):
                self.db.rollback()
            if isinstance(exc, sqlite3.Error):
                raise as_store_error(exc, self.path) from None
            raise
        finally:
            self._one_transaction = False

    def _sync(self, write: Callable[[sqlite3.Connection], _T]) -> _T:
        """A small sync write, committed at once (inside `all_or_nothing`: at its end); a busy
        database is waited out as `open` waits (another program's import), another failure
        raised as StoreError, naming its cause."""
        if self._one_transaction:
            return write(self.db)

        def attempt() -> _T:
            with self.db:
                return write(self.db)

        return _waiting_out(attempt, self.path)

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
        """Create a session and return its id (committed at once). `settings_json`: the
        settings it was recorded with, kept with every target URL masked (`config show`'s way)."""
        masked = masked_settings_json(settings_json)
        values = (started_s, source, mode, strap_name, strap_address, masked)
        if self._live() is None:
            return self._sync(lambda db: _insert_session(db, _SESSION_COLUMNS, values))
        given = self._next_id("sessions")
        self._begun[given] = SessionHeader(given, *values)

        def write(db: sqlite3.Connection, batch: Batch) -> None:
            stored = _insert_session(db, _SESSION_COLUMNS, values, wanted=given)
            if stored != given:
                _moved(batch, "sessions", given, stored)

        self._run(write)
        return given

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
        """Name one partner of a couple session (committed at once); their settings are kept
        with every target URL masked, as a session's are (`begin_session`)."""
        settings_json = masked_settings_json(settings_json)
        header = self._begun.get(session_id)
        if header is not None:
            partner = (person, mode, strap_name, strap_address, settings_json)
            self._begun[session_id] = dataclasses.replace(header, people=(*header.people, partner))

        def write(db: sqlite3.Connection, batch: Batch | None = None) -> None:
            sid = session_id if batch is None else batch.real("sessions", session_id)
            position = db.execute(
                "SELECT COUNT(*) FROM session_people WHERE session_id=?", (sid,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO session_people(session_id, position, person, strap_name,"
                " strap_address, mode, settings_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sid, position, person, strap_name, strap_address, mode, settings_json),
            )

        self._write(write)

    def set_person_strap(
        self, session_id: int, person: str, name: str | None, address: str | None
    ) -> None:
        """Record which strap a partner's track came from, once it is known."""

        def write(db: sqlite3.Connection, batch: Batch | None = None) -> None:
            sid = session_id if batch is None else batch.real("sessions", session_id)
            db.execute(
                "UPDATE session_people SET strap_name=?, strap_address=COALESCE(?, strap_address)"
                " WHERE session_id=? AND person=?",
                (name, address, sid, person),
            )

        self._write(write)

    def _write(self, write: Any) -> None:
        """Run a small write now (sync use, committed at once) or on the writer (live use)."""
        if self._live() is None:
            self._sync(write)
        else:
            self._run(write)

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
                sample.activity_g,
            )
        )

    def add_samples(self, session_id: int, samples: Sequence[Sample], person: str = SOLO) -> None:
        """Buffer many samples (an import)."""
        for sample in samples:
            self.add_sample(session_id, sample, person)

    def add_sample_table(self, session_id: int, table: SampleColumns, person: str = SOLO) -> None:
        """Buffer samples given as columns (an import), as `add_sample` buffers each one."""
        import numpy as np  # an import's need: `flooding sessions` loads no numpy

        n = table.t_s.size
        if not n:
            return
        counts = table.rr_counts
        values = table.rr_s.tolist()
        if int(counts.max()) <= 1:  # one interval a sample or none: no joining
            rr_texts = [""] * n
            at = np.flatnonzero(counts).tolist()
            for index, value in zip(at, map(repr, values), strict=True):
                rr_texts[index] = value
        else:
            ends = np.cumsum(counts).tolist()
            rr_texts = [
                _rr_text(values[end - count : end])
                for end, count in zip(ends, counts.tolist(), strict=True)
            ]
        contact = [None if c < 0 else c for c in table.contact.tolist()]
        moved: Iterable[float | None] = (
            itertools.repeat(None, n)
            if table.activity_g is None
            else [None if a != a else a for a in table.activity_g.tolist()]  # NaN: none
        )
        self._pending.extend(
            zip(
                itertools.repeat(session_id, n),
                table.t_s.tolist(),
                table.bpm.tolist(),
                rr_texts,
                contact,
                itertools.repeat(None, n),
                itertools.repeat(person, n),
                moved,
                strict=False,
            )
        )

    def add_events(
        self, session_id: int, events: Sequence[Any], person: str = SOLO, *, couple: bool = False
    ) -> None:
        """Record many events (an import), as `add_event` records each; committed with the
        next flush."""
        if self._live() is not None or not events:
            for event in events:
                self.add_event(session_id, event, person, couple=couple)
            return
        rows = _event_rows(session_id, events, person, couple)
        self.db.executemany(
            "INSERT INTO events(session_id, t_s, kind, data_json, person) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        # this connection holds the write lock since the first insert: the ids are consecutive
        last = int(self.db.execute("SELECT last_insert_rowid()").fetchone()[0])
        first = last - len(rows) + 1
        self._unsaved_events += [(first + i, *row) for i, row in enumerate(rows)]

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
        if self._live() is None:
            text = json.dumps(data)
            cursor = self.db.execute(
                "INSERT INTO events(session_id, t_s, kind, data_json, person)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, t_s, kind, text, person),
            )
            event_id = int(cursor.lastrowid or 0)
            self._unsaved_events.append((event_id, session_id, t_s, kind, text, person))
            return event_id
        given = self._next_id("events")
        if kind in ALERT_KINDS:
            self._alerts[given] = session_id
            # known at once, even while the database is busy (`flooding ok` marks it)
            self._latest_alerts[session_id] = EventRow(given, session_id, t_s, kind, data, person)
        event = WaitingEvent(given, session_id, t_s, kind, data, person)
        if self._event_to_journal(event):
            return given

        def write(db: sqlite3.Connection, batch: Batch) -> None:
            _insert_waiting_event(db, batch, event, batch.real("sessions", session_id))

        self._run(write)
        return given

    def flush(self) -> None:
        """Commit buffered samples and events.

        Live use: hands them to the writer thread and returns at once; the writer keeps them
        until it can save them, whatever keeps the database from being written (busy, a full
        disk, read-only: `saving_trouble` says which, for the person to hear of), and this
        never raises for it: a page or a false alarm marked meanwhile goes on as usual.
        Sync use: writes them, committed at the end of `all_or_nothing` when inside it (an
        import: a failure raises, and the block undoes it all); else commits them in
        transactions of `CHUNK_ROWS`; on failure (a full disk)
        nothing committed is written twice: the failed part is rolled back, its samples stay
        buffered for the next try, and its events are written again under their ids. The
        error is raised for the caller to report.
        """
        if self._live() is not None:
            self._hand_over()
            return
        if self._one_transaction:  # a failure undoes it all (`all_or_nothing`)
            _insert_samples(self.db, self._pending)
            self._pending.clear()
            return
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
        while len(self._pending) > CHUNK_ROWS:
            _insert_samples(self.db, self._pending[:CHUNK_ROWS])
            self.db.commit()
            del self._pending[:CHUNK_ROWS]
            self._unsaved_events.clear()  # committed with the first chunk
            time.sleep(CHUNK_PAUSE_S)  # a live session's writer gets its turn
        if self._pending:
            _insert_samples(self.db, self._pending)
        self.db.commit()

    def end_session(
        self, session_id: int, ended_s: float, stored: SampleColumns | None = None
    ) -> None:
        """Mark a session ended, store its summary and its columns (`columns`), and commit
        everything. `stored`: every sample of the session as given to `add_sample_table` (an
        import), kept as they are rather than read back."""
        self.flush()
        self._begun.pop(session_id, None)  # its rows are handed over: no journal needs it now

        def write(db: sqlite3.Connection, batch: Batch | None = None) -> None:
            from flooding.io.store.columns import keep_ended  # numpy: a recording has it

            sid = session_id if batch is None else batch.real("sessions", session_id)
            db.execute("UPDATE sessions SET ended_s=? WHERE id=?", (ended_s, sid))
            db.execute(
                "UPDATE sessions SET (sample_count, peak_bpm, last_sample_s) ="
                f" (SELECT {SESSION_STATS} FROM samples WHERE session_id=?) WHERE id=?",
                (sid, sid),
            )
            # its columns, for the replays of tune and the what-if: never at the cost of the
            # session's end (a full disk may refuse them; they are kept when next read)
            db.execute("SAVEPOINT keep_columns")
            try:
                keep_ended(db, sid, stored)
            except Exception as exc:  # a full disk, a damaged row: never the writer's stop
                db.execute("ROLLBACK TO keep_columns")
                log.warning("session %d: its columns for tune are not kept now: %s", sid, exc)
            db.execute("RELEASE keep_columns")

        self._write(write)

    def mark_false_alarm(self, session_id: int, alert_event_id: int, t_s: float) -> int:
        """Mark an alert as a false alarm (committed at once); returns the mark's event id.

        Marking the same alert twice keeps the first mark and returns its id.
        """
        if self._alerts.get(alert_event_id) != session_id:
            self._settle()
            alert = self.db.execute(
                "SELECT kind FROM events WHERE id=? AND session_id=?",
                (self._eid(alert_event_id), self._sid(session_id)),
            ).fetchone()
            if alert is None or alert[0] not in ALERT_KINDS:
                raise StoreError(
                    f"session {session_id} has no alert with event id {alert_event_id}"
                )
        existing = self._marks.get((session_id, alert_event_id))
        if existing is None:
            existing = self._false_alarm_mark(session_id, alert_event_id)
        if existing is not None:
            return existing
        data = {"alert_event_id": alert_event_id}
        if self._live() is not None:
            mark = self.add_note_event(session_id, t_s, "false-alarm", data)
            self._marks[(session_id, alert_event_id)] = mark
            return mark
        return self._sync(lambda db: self.add_note_event(session_id, t_s, "false-alarm", data))

    def unmark_false_alarm(self, session_id: int, alert_event_id: int) -> bool:
        """Take back a false-alarm mark (committed at once); whether there was one.

        Live use: saved after every mark made before it, wherever that waits. While writes
        wait on disk (the database away), a mark made then is saved only once the writer's
        queue is done: the undo waits on disk after it (`UNDONE_KIND`), so that it is never
        saved before the mark it takes back, nor lost to a crash while the mark is not."""
        self.flush()
        had = self._marks.pop((session_id, alert_event_id), None) is not None
        had = self._false_alarm_mark(session_id, alert_event_id) is not None or had
        if self._live() is None:
            removed: int = self._sync(lambda db: _unmark(db, session_id, alert_event_id))
            return removed > 0
        writer = self._writer
        assert writer is not None
        alert_s = self._alert_time(session_id, alert_event_id)
        if alert_s is not None and self._journal_takes(writer):
            undo = WaitingEvent(
                self._next_id("events"),
                session_id,
                alert_s,  # within its session, as the mark's time: a crash's next open
                UNDONE_KIND,  # finds the session by it (`_recovery_target`)
                {"alert_event_id": alert_event_id},
                SOLO,
            )
            if self._event_to_journal(undo):
                return had

        def write(db: sqlite3.Connection, batch: Batch) -> None:
            _unmark(db, batch.real("sessions", session_id), batch.real("events", alert_event_id))

        self._run(write)
        return had

    def _alert_time(self, session_id: int, alert_event_id: int) -> float | None:
        """When an alert was given: as this store recorded it live, or as stored (None: no
        such alert of that session)."""
        live = self._latest_alerts.get(session_id)
        if live is not None and live.id == alert_event_id:
            return live.t_s
        row = self.db.execute(
            "SELECT t_s FROM events WHERE id=? AND session_id=?",
            (self._eid(alert_event_id), self._sid(session_id)),
        ).fetchone()
        return None if row is None else float(row[0])

    def is_false_alarm(self, session_id: int, alert_event_id: int) -> bool:
        """Whether the person marked this alert as a false alarm."""
        if (session_id, alert_event_id) in self._marks:
            return True
        return self._false_alarm_mark(session_id, alert_event_id) is not None

    def _false_alarm_mark(self, session_id: int, alert_event_id: int) -> int | None:
        self._settle()
        row = self.db.execute(
            "SELECT id FROM false_alarms WHERE session_id=? AND alert_event_id=?",
            (self._sid(session_id), self._eid(alert_event_id)),
        ).fetchone()
        return None if row is None else int(row[0])

    def delete_session(self, session_id: int) -> DeletedCounts:
        """Delete a session with all its samples and events; says how much went.

        Deleted rows are overwritten on disk (secure_delete, on for every connection that
        writes: `_set_up_writing`) and the write-ahead log is
        emptied when no reader holds it, so the heart data does not linger in the file.

        Refused (`StillWaitingError`) while some of the session's data waits to be saved, in
        this store's memory or in a waiting file (this program's or another's): saved after
        the delete, it would bring the session back. What waits is saved once the database
        is free, and the delete can be made then. Another program's lock is waited for as
        `open` waits: from an event loop, delete through `deletion` instead.
        """
        self.flush()
        self._settle()
        stored = self._sid(session_id)
        if self._held_here(session_id) or waits_on_disk(
            self.path, (session_id, stored), identity(self.db, stored)
        ):
            raise still_waiting(session_id)
        found, samples, events = self._sync(lambda db: delete_rows(db, stored))
        # the event loop never waits for a reader: the app tries again soon (`app.scrub`)
        scrubbed = self.scrub_log(0 if _in_event_loop() else BUSY_TIMEOUT_MS)
        return DeletedCounts(
            sessions=1 if found else 0, samples=samples, events=events, scrubbed=scrubbed
        )

    def deletion(self, session_id: int) -> Deletion:
        """A delete of a session to make on another thread (`Deletion.run`), so that the
        event loop never waits for the lock (the app's pages, the live heart beside them);
        `delete_session`'s refusal while the data this store holds in memory waits to be
        saved is made here (StillWaitingError), that of a waiting file by `run`."""
        self.flush()
        if self._held_here(session_id):
            raise still_waiting(session_id)
        stored = self._sid(session_id)

        def saved(timeout_s: float) -> sqlite3.Error | None:
            if self.wait_saved(timeout_s):
                return None
            writer = self._writer
            trouble = None if writer is None else writer.trouble
            return trouble or sqlite3.OperationalError("database is locked")

        return Deletion(
            path=self.path,
            session_id=session_id,
            stored=stored,
            began=identity(self.db, stored),
            connect=lambda wait_ms: _own_writer(self.path, wait_ms),
            saved=saved,
        )

    def _held_here(self, session_id: int) -> bool:
        """Whether some of a session's data waits in this store (a live session it recorded):
        buffered, with the writer thread, or in its waiting file."""
        if any(row[0] == session_id for row in self._pending):
            return True
        return session_id in self._begun and bool(self.waiting_rows)

    def scrub_log(self, wait_ms: int = 0) -> bool:
        """Copy the write-ahead log into the database file and empty it (a TRUNCATE
        checkpoint), so that what a delete overwrote is gone from both; whether it was done.
        Another program reading the file holds it off (False): waited for `wait_ms`."""
        return scrub(self.db, wait_ms)

    def set_strap(self, session_id: int, name: str | None, address: str | None) -> None:
        """Record which strap a session came from, once it is known."""
        header = self._begun.get(session_id)
        if header is not None:
            self._begun[session_id] = dataclasses.replace(
                header, strap_name=name, strap_address=address or header.strap_address
            )

        def write(db: sqlite3.Connection, batch: Batch | None = None) -> None:
            sid = session_id if batch is None else batch.real("sessions", session_id)
            db.execute(
                "UPDATE sessions SET strap_name=?, strap_address=COALESCE(?, strap_address)"
                " WHERE id=?",
                (name, address, sid),
            )

        self._write(write)

    def set_note(self, session_id: int, note: str) -> None:
        """Set what the talk was about. Live use: read back as set (`sessions`, `session`)
        while it waits to be saved."""
        turn = self._notes.set(session_id, note) if self._live() is not None else None

        def write(db: sqlite3.Connection, batch: Batch | None = None) -> None:
            sid = session_id if batch is None else batch.real("sessions", session_id)
            db.execute("UPDATE sessions SET note=? WHERE id=?", (note, sid))
            if batch is not None and turn is not None:
                batch.after.append(lambda: self._notes.saved(session_id, turn))

        self._write(write)

    def _as_set(self, rows: list[SessionRow]) -> list[SessionRow]:
        """Sessions as this store set them: a note that waits to be saved is the one read."""
        notes = {self._sid(sid): note for sid, note in self._notes.now().items()}
        if not notes:
            return rows
        return [
            dataclasses.replace(row, note=notes[row.id]) if row.id in notes else row for row in rows
        ]

    # -- reading ---------------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        """All sessions, oldest first."""
        self._settle()
        rows = self.db.execute(
            "SELECT id, started_s, ended_s, source, strap_name, strap_address, mode, note"
            " FROM sessions ORDER BY started_s, id"
        ).fetchall()
        return self._as_set([SessionRow(*row) for row in rows])

    def session(self, session_id: int) -> SessionRow | None:
        """One session, or None."""
        self._settle()
        row = self.db.execute(
            "SELECT id, started_s, ended_s, source, strap_name, strap_address, mode, note"
            " FROM sessions WHERE id=?",
            (self._sid(session_id),),
        ).fetchone()
        return self._as_set([SessionRow(*row)])[0] if row else None

    def latest_session_id(self) -> int | None:
        """The id of the session added last (a just-imported old recording included: "the
        latest" is the one the person has just made, not the one that began last)."""
        self._settle()
        (latest,) = self.db.execute("SELECT MAX(id) FROM sessions").fetchone()
        return None if latest is None else int(latest)

    def people(self, session_id: int) -> list[PersonRow]:
        """The partners of a couple session, in order (empty for an ordinary session)."""
        self._settle()
        rows = self.db.execute(
            "SELECT session_id, person, strap_name, strap_address, mode, settings_json"
            " FROM session_people WHERE session_id=? ORDER BY position",
            (self._sid(session_id),),
        ).fetchall()
        return [PersonRow(*row) for row in rows]

    def couple_session_ids(self) -> set[int]:
        """The sessions that hold two hearts (couple sessions)."""
        self._settle()
        return {row[0] for row in self.db.execute("SELECT DISTINCT session_id FROM session_people")}

    def iter_samples(self, session_id: int, person: str | None = None) -> Iterator[Sample]:
        """A session's samples in time order: all of them, or one person's track."""
        self._settle()
        if person is None:
            cursor = self.db.execute(
                "SELECT t_s, bpm, rr_s, contact, energy_kj, activity_g FROM samples"
                " WHERE session_id=? ORDER BY t_s, rowid",
                (self._sid(session_id),),
            )
        else:
            cursor = self.db.execute(
                "SELECT t_s, bpm, rr_s, contact, energy_kj, activity_g FROM samples"
                " WHERE session_id=? AND person=? ORDER BY t_s, rowid",
                (self._sid(session_id), person),
            )
        for t_s, bpm, rr, contact, energy, activity in cursor:
            yield Sample(
                t_s=t_s,
                bpm=bpm,
                rr_s=_rr_values(rr),
                contact=None if contact is None else bool(contact),
                energy_kj=energy,
                activity_g=activity,
            )

    def peaks_within(
        self, session_id: int, spans: Sequence[tuple[float, float | None]], person: str = SOLO
    ) -> list[float | None]:
        """The highest usable reading of one track within each span, from its start to its
        end (None: to the end of the session), both included; None for a span without one.
        A reading where one span ends and the next begins is the later span's, as in
        `review.episode_peaks`. Asked of the database, a span at a time: no sample is read
        into memory."""
        self._settle()
        sid = self._sid(session_id)
        order = sorted(range(len(spans)), key=lambda i: spans[i][0])
        peaks: list[float | None] = [None] * len(spans)
        for rank, i in enumerate(order):
            start_s, end_s = spans[i]
            before_s = spans[order[rank + 1]][0] if rank + 1 < len(order) else math.inf
            peaks[i] = self.db.execute(
                f"SELECT {USABLE_PEAK} FROM samples"
                " WHERE session_id=? AND person=? AND t_s >= ? AND t_s <= ? AND t_s < ?",
                (sid, person, start_s, math.inf if end_s is None else end_s, before_s),
            ).fetchone()[0]
        return peaks

    def seconds_above(
        self, session_id: int, limit_bpm: float, cap_s: float, person: str = SOLO
    ) -> float:
        """How long one track's readings lay above `limit_bpm`: each until the next reading,
        at most `cap_s` (as `core.set_aside.seconds_above`). Asked of the database."""
        self._settle()
        sid = self._sid(session_id)
        row = self.db.execute(
            "SELECT SUM(MAX(0.0, MIN(next_s - t_s, ?))) FROM (SELECT t_s, bpm,"
            " LEAD(t_s) OVER (ORDER BY t_s) AS next_s FROM samples"
            " WHERE session_id=? AND person=?) WHERE bpm > ? AND next_s IS NOT NULL",
            (cap_s, sid, person, limit_bpm),
        ).fetchone()
        return float(row[0] or 0.0)

    def activity_within(
        self,
        session_id: int,
        spans: Sequence[tuple[float, float]],
        moving_g: float,
        person: str = SOLO,
    ) -> list[tuple[int, int]]:
        """For each span (both ends included), how many readings of one track carry an
        activity level, and how many of those are `moving_g` or more. Asked of the database,
        a span at a time: no sample is read into memory."""
        self._settle()
        sid = self._sid(session_id)
        return [
            self.db.execute(
                "SELECT COUNT(activity_g), COUNT(CASE WHEN activity_g >= ? THEN 1 END)"
                " FROM samples WHERE session_id=? AND person=? AND t_s >= ? AND t_s <= ?",
                (moving_g, sid, person, start_s, end_s),
            ).fetchone()
            for start_s, end_s in spans
        ]

    def next_usable(
        self, session_id: int, times_s: Sequence[float], person: str = SOLO
    ) -> list[float | None]:
        """For each time, when the first usable reading of one track (`Sample.usable`) after
        it came (None: none did). Asked of the database, a time at a time."""
        self._settle()
        sid = self._sid(session_id)
        return [
            (
                self.db.execute(
                    "SELECT t_s FROM samples WHERE session_id=? AND person=? AND t_s > ?"
                    f" AND {USABLE} ORDER BY t_s LIMIT 1",
                    (sid, person, t_s),
                ).fetchone()
                or (None,)
            )[0]
            for t_s in times_s
        ]

    def sample_columns(self, session_id: int, person: str | None = None) -> SampleColumns:
        """A session's samples (all, or one person's track) as columns, in the order of
        `iter_samples` (`columns.read_rows`).

        An ended session's columns are kept packed in the database (`columns`) and read from
        there while its samples stay as they are; a store that can write keeps them the first
        time they are read (one that cannot, or a busy database, just reads the rows)."""
        # a plot's need: `flooding sessions` loads no numpy
        from flooding.io.store import columns

        self._settle()
        sid = self._sid(session_id)
        if person is not None:
            return columns.read_rows(self.db, sid, person)
        key = columns.session_key(self.db, sid)
        if key is not None:
            found = columns.kept(self.db, sid, key)
            if found is not None:
                return found
        table = columns.read_rows(self.db, sid)
        if key is not None and self._may_keep():
            self._keep_columns(sid, key, table)
        return table

    def _may_keep(self) -> bool:
        """Whether reading may also write a session's kept columns: a store opened to write,
        not in live use (its connection is the event loop's), outside any transaction."""
        return not self.read_only and self._writer is None and not self.db.in_transaction

    def _keep_columns(self, session_id: int, key: Key, table: SampleColumns) -> None:
        """Keep a session's columns, without waiting: a busy database is left for next time."""
        from flooding.io.store import columns

        (waited_ms,) = self.db.execute("PRAGMA busy_timeout").fetchone()
        try:
            self.db.execute("PRAGMA busy_timeout = 0")
            with self.db:
                columns.keep(self.db, session_id, key, table)
        except Exception as exc:  # busy, or a damaged row: the columns are only kept for speed
            log.debug("did not keep the columns of session %d: %s", session_id, exc)
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(waited_ms)}")

    def replayed_alerts(self, session_id: int, key: str) -> tuple[float, ...] | None:
        """The alert times kept for a session under `key` by `keep_replayed_alerts`, or None
        when none are."""
        from flooding.io.store import replays

        self._settle()
        return replays.kept(self.db, self._sid(session_id), key)

    def keep_replayed_alerts(self, rows: Sequence[Replayed]) -> bool:
        """Keep the alert times of replays, (session id, key, times) each, for
        `replayed_alerts` (at most `replays.KEPT_PER_SESSION` keys a session, the least
        recently used dropped); whether all were kept.

        Never waits and never costs the monitor a sample: a few short transactions that give
        up at once when another program (the monitor) is writing; what is not kept is
        replayed again next time. A store opened only to read keeps them through a connection
        of its own, when the file can be written; one read as it stands, or in live use (its
        connection is the event loop's), keeps nothing."""
        if not rows:
            return True
        if self.immutable or self._writer is not None or self.db.in_transaction:
            log.debug("replays' alerts not kept: this store does not write them")
            return False
        if not self.read_only:
            (waited_ms,) = self.db.execute("PRAGMA busy_timeout").fetchone()
            try:
                return self._keep_replays(self.db, rows)
            finally:
                self.db.execute(f"PRAGMA busy_timeout = {int(waited_ms)}")
        try:
            db = _own_writer(self.path)
        except sqlite3.Error as exc:
            log.debug("replays' alerts not kept: %s", explain(exc, self.path))
            return False
        try:
            return self._keep_replays(db, rows)
        finally:
            db.close()

    def _keep_replays(self, db: sqlite3.Connection, rows: Sequence[Replayed]) -> bool:
        """Write `rows` on `db` in transactions of `REPLAY_ROWS_PER_TRANSACTION`, waiting for
        no lock; stop at the first that cannot be written (busy, read-only, a full disk),
        keeping what was."""
        from flooding.io.store import replays

        try:
            db.execute("PRAGMA busy_timeout = 0")
            # a replaced or dropped row's bytes are overwritten: alerts are heart data too
            db.execute("PRAGMA secure_delete = ON")
            for at in range(0, len(rows), REPLAY_ROWS_PER_TRANSACTION):
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    replays.keep(db, rows[at : at + REPLAY_ROWS_PER_TRANSACTION])
        except sqlite3.Error as exc:
            log.debug("replays' alerts kept in part only: %s", explain(exc, self.path))
            return False
        return True

    def has_activity(self, session_id: int) -> bool:
        """Whether any sample of a session carries an activity level (a strap's accelerometer)."""
        self._settle()
        row = self.db.execute(
            "SELECT 1 FROM samples WHERE session_id=? AND activity_g IS NOT NULL LIMIT 1",
            (self._sid(session_id),),
        ).fetchone()
        return row is not None

    def count_events(self, kind: str) -> int:
        """How many events of a kind all sessions hold (e.g. alerts, to rotate the texts)."""
        self._settle()
        row = self.db.execute("SELECT COUNT(*) FROM events WHERE kind=?", (kind,)).fetchone()
        return int(row[0])

    def sample_count(self, session_id: int) -> int:
        """How many samples a session has."""
        self._settle()
        row = self.db.execute(
            "SELECT COUNT(*) FROM samples WHERE session_id=?", (self._sid(session_id),)
        ).fetchone()
        return int(row[0])

    def session_stats(self, session_id: int | None = None) -> dict[int, SessionStats]:
        """Sample count, peak and last sample time of every session (or of one).

        Ended sessions have them stored; the others (recording now, or cut off) are computed
        here in one grouped query.
        """
        self._settle()
        only, params = ("", ()) if session_id is None else (" AND id=?", (self._sid(session_id),))
        stats = {
            row[0]: SessionStats(row[1] or 0, row[2], row[3])
            for row in self.db.execute(
                "SELECT id, sample_count, peak_bpm, last_sample_s FROM sessions"
                " WHERE sample_count IS NOT NULL" + only,
                params,
            )
        }
        for row in self.db.execute(
            f"SELECT session_id, {SESSION_STATS} FROM samples WHERE session_id IN"
            " (SELECT id FROM sessions WHERE sample_count IS NULL" + only + ")"
            " GROUP BY session_id",
            params,
        ):
            stats[row[0]] = SessionStats(row[1], row[2], row[3])
        return stats

    def event_counts(self, session_id: int | None = None) -> dict[tuple[int, str], int]:
        """How many events of each kind every session (or one) has, keyed by (session id,
        kind)."""
        self._settle()
        only, params = (
            ("", ()) if session_id is None else (" WHERE session_id=?", (self._sid(session_id),))
        )
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
        self._settle()
        row = self.db.execute(
            "SELECT settings_json FROM sessions WHERE id=?", (self._sid(session_id),)
        ).fetchone()
        return None if row is None else str(row[0])

    def events(
        self, session_id: int, kind: str | AbstractSet[str] | None = None, person: str | None = None
    ) -> list[EventRow]:
        """A session's events in time order, optionally of one kind (or of a few: a set of
        them) and of one person."""
        self._settle()
        query = "SELECT id, session_id, t_s, kind, data_json, person FROM events WHERE session_id=?"
        params: tuple[Any, ...] = (self._sid(session_id),)
        if isinstance(kind, str):
            query += " AND kind=?"
            params += (kind,)
        elif kind is not None:
            query += f" AND kind IN ({','.join('?' * len(kind))})"
            params += tuple(sorted(kind))
        if person is not None:
            query += " AND person=?"
            params += (person,)
        rows = self.db.execute(query + " ORDER BY t_s, id", params).fetchall()
        return [EventRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5]) for r in rows]

    def imported_as(self, sha256: str) -> int | None:
        """The session a file with this content hash was imported as (its `imported-file`
        event), None if none was. A session an import never ended (stopped half-way by an
        earlier version, which did not store it all or nothing) does not count."""
        self._settle()
        row = self.db.execute(
            "SELECT session_id FROM events WHERE kind='imported-file'"
            " AND json_extract(data_json, '$.sha256')=?"
            " AND session_id IN (SELECT id FROM sessions WHERE ended_s IS NOT NULL)"
            " ORDER BY session_id LIMIT 1",
            (sha256,),
        ).fetchone()
        return None if row is None else int(row[0])

    def latest_alert(self, session_id: int) -> EventRow | None:
        """A session's latest flooding alert: one person's (`alert`) or, in a couple
        session, the one for both (`couple-alert`); None when it had none."""
        self._settle()
        row = self.db.execute(
            "SELECT id, session_id, t_s, kind, data_json, person FROM events"
            " WHERE session_id=? AND kind IN ('alert', 'couple-alert')"
            " ORDER BY t_s DESC, id DESC LIMIT 1",
            (self._sid(session_id),),
        ).fetchone()
        stored = (
            None
            if row is None
            else EventRow(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])
        )
        live = self._latest_alerts.get(session_id)
        if live is None or (stored is not None and (stored.t_s, stored.id) > (live.t_s, live.id)):
            return stored
        return live


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


def _waiting_out(action: Callable[[], _T], path: Path) -> _T:
    """`action` (opening the store, taking its write lock), tried again while another
    program holds the database, up to `OPEN_WAIT_S` (said once, as a warning); a StoreError
    naming the cause when it still fails."""
    deadline = time.monotonic() + OPEN_WAIT_S
    told = False
    while True:
        try:
            return action()
        except sqlite3.Error as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise as_store_error(exc, path) from None
            if not told:
                told = True
                log.warning("waiting: %s", explain(exc, path))
            time.sleep(0.25)
        except OSError as exc:
            raise as_store_error(exc, path) from None


def _connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A read-write connection in WAL mode (owner-only files made by `_make_private`)."""
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, check_same_thread=True)
    try:
        connection.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
        connection.execute("PRAGMA journal_mode = WAL")
        _set_up_writing(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _set_up_writing(db: sqlite3.Connection) -> None:
    """What every connection the store writes through is set to (`_connect`, `_own_writer`):
    a row goes with its session (foreign keys), WAL's usual sync, and whatever it frees (a
    deleted session's rows, the old copy of a row moved as a page fills) overwritten with
    zeros (secure_delete), also where SQLite's build leaves that off by default: heart data
    deleted later leaves nothing behind in the file's gaps."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")  # WAL: a crash may lose the last commit only
    db.execute("PRAGMA secure_delete = ON")


def _own_writer(path: Path, busy_timeout_ms: int = 0) -> sqlite3.Connection:
    """A connection of its own that writes for a store opened only to read (replays' alerts,
    a left waiting file): the file must exist (never made here); foreign keys on, so a row
    goes with its session. Another program's lock is waited for `busy_timeout_ms`."""
    db = sqlite3.connect(
        f"file:{quote(str(path.absolute()))}?mode=rw", uri=True, timeout=busy_timeout_ms / 1000
    )
    try:
        _set_up_writing(db)  # as the store's own connections
    except BaseException:
        db.close()
        raise
    return db


def _read_only(uri: str) -> sqlite3.Connection:
    """A connection that can only read (`mode=ro`), checked by reading the schema once."""
    connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def _newer(path: Path, version: int) -> StoreError:
    """The error for a database a newer flooding wrote."""
    from flooding.io.locale_files import load_catalogue

    values: dict[str, object] = {"path": path, "version": version, "known": SCHEMA_VERSION}
    return StoreError(load_catalogue()("store.newer", **values), "store.newer", **values)


def _in_event_loop() -> bool:
    """Whether this thread is running an asyncio event loop (which must never wait here).
    A process that never loaded asyncio runs none: a command need not load it (30 ms)."""
    events = sys.modules.get("asyncio.events")
    if events is None:
        return False
    try:
        events.get_running_loop()
    except RuntimeError:
        return False
    return True


def _insert_samples(db: sqlite3.Connection, rows: Sequence[_Row]) -> None:
    """Insert sample rows; samples added to an ended session make its summary stale."""
    if not rows:
        return
    _insert_sample_rows(db, rows)
    touched = sorted({row[0] for row in rows})
    db.execute(
        "UPDATE sessions SET sample_count=NULL, peak_bpm=NULL, last_sample_s=NULL"
        f" WHERE sample_count IS NOT NULL AND id IN ({','.join('?' * len(touched))})",
        touched,
    )


def _insert_sample_rows(db: sqlite3.Connection, rows: Sequence[_Row]) -> None:
    """Insert sample rows, in `_SAMPLE_COLUMNS`' order.

    In an insert of many rows, a column that holds one value in every row (the session, the
    person, an import's empty RR texts and unknown contact) is not bound row by row: it is
    left to its default (`_SAMPLE_DEFAULTS`), or written once as SQLite's own literal of it
    (`quote`). The rows stored are the same; binding is most of an insert's cost, and an
    import binds two values a sample instead of eight. Floats (times, rates) are always
    bound: no stored float passes through text. A few rows (a live second's) are the plain
    insert, the one statement SQLite keeps prepared.
    """
    if len(rows) < LITERAL_MIN_ROWS:
        db.executemany(_PLAIN_SAMPLE_INSERT, rows)
        return
    given: list[str] = []
    values: list[str] = []
    bound: list[tuple[Any, ...]] = []
    for name, column in zip(_SAMPLE_COLUMNS, zip(*rows, strict=True), strict=True):
        value = column[0]
        if not _same_in_all(column):
            given.append(name)
            values.append("?")
            bound.append(column)
        elif name not in _SAMPLE_DEFAULTS or value != _SAMPLE_DEFAULTS[name]:
            given.append(name)
            values.append(db.execute("SELECT quote(?)", (value,)).fetchone()[0])
        # else: the column's default
    db.executemany(
        f"INSERT INTO samples({', '.join(given)}) VALUES ({', '.join(values)})",
        zip(*bound, strict=True) if bound else itertools.repeat((), len(rows)),
    )


def _same_in_all(column: tuple[Any, ...]) -> bool:
    """Whether every value of a column is its first, of the first's own type, and one that
    SQLite's literal gives back exactly: None, an integer, a text without a NUL (not a
    float, not a bool)."""
    value = column[0]
    kind = type(value)
    if value is not None and kind is not int and (kind is not str or "\0" in value):
        return False
    if column.count(value) != len(column):
        return False
    return kind is not int or set(map(type, column)) == {int}  # 1 == 1.0 == True


def _insert_with_id(
    db: sqlite3.Connection,
    batch: Batch,
    table: str,
    given: int,
    insert: str,
    values: tuple[Any, ...],
) -> None:
    """Insert a row (an event; a session is `_insert_session`'s) under the id handed out for
    it; if another program took that id since, under a new one that the batch records
    (`Batch.real`)."""
    taken = db.execute(f"SELECT 1 FROM {table} WHERE id=?", (given,)).fetchone()
    if taken is None:
        db.execute(insert, (given, *values))
        return
    columns = insert[insert.index("(") + 1 : insert.index(")")].split(",")[1:]
    cursor = db.execute(
        f"INSERT INTO {table}({','.join(c.strip() for c in columns)})"
        f" VALUES ({','.join('?' * len(values))})",
        values,
    )
    _moved(batch, table, given, int(cursor.lastrowid or 0))


def _moved(batch: Batch, table: str, given: int, stored: int) -> None:
    """Record that the row handed out id `given` was stored as `stored` (`Batch.real`)."""
    batch.moves[(table, given)] = stored
    log.warning(
        "%s id %d was taken by another program (or given before); stored as %d",
        table,
        given,
        stored,
    )


def _insert_session(
    db: sqlite3.Connection, columns: str, values: tuple[Any, ...], wanted: int | None = None
) -> int:
    """Store a session row (`columns`: its columns but the id, named as in SQL) and return
    its id: `wanted` (an id handed out before the row was written) while no session ever
    had it, else the next id never given (`schema.NEXT_SESSION_ID`). Every session is
    stored through here, in one statement: two programs storing sessions at once never get
    one id, and a deleted session's id is never given again."""
    cursor = db.execute(
        f"INSERT INTO sessions(id, {columns})"
        f" VALUES (MAX(COALESCE(?, 0), {NEXT_SESSION_ID}), {', '.join('?' * len(values))})",
        (wanted, *values),
    )
    return int(cursor.lastrowid or 0)


def _event_time(event: Any) -> float:
    for name in ("t_s", "start_s"):
        value = getattr(event, name, None)
        if isinstance(value, int | float):
            return float(value)
    raise TypeError(f"event without a time: {event!r}")


def _insert_waiting_event(
    db: sqlite3.Connection, batch: Batch, event: WaitingEvent, session_id: int
) -> bool:
    """Store a live event under the id handed out for it (`_insert_with_id`), in the session
    stored as `session_id`; a false-alarm mark names its alert by the id that alert got. An
    undo (`UNDONE_KIND`) stores nothing: it takes back the marks saved before it. Whether a
    row was stored."""
    data = dict(event.data)
    alert = data.get("alert_event_id")
    if event.kind in ("false-alarm", UNDONE_KIND) and isinstance(alert, int):
        data["alert_event_id"] = batch.real("events", alert)
    if event.kind == UNDONE_KIND:
        if not isinstance(alert, int):
            raise ValueError("a false-alarm mark taken back names no alert")
        _unmark(db, session_id, data["alert_event_id"])
        return False
    _insert_with_id(
        db,
        batch,
        "events",
        event.id,
        "INSERT INTO events(id, session_id, t_s, kind, data_json, person)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, event.t_s, event.kind, json.dumps(data), event.person),
    )
    return True


def _unmark(db: sqlite3.Connection, session_id: int, alert_event_id: int) -> int:
    """Delete the false-alarm marks of an alert (by its stored ids); how many there were."""
    return db.execute(
        "DELETE FROM events WHERE session_id=? AND kind='false-alarm' AND id IN"
        " (SELECT id FROM false_alarms WHERE session_id=? AND alert_event_id=?)",
        (session_id, session_id, alert_event_id),
    ).rowcount


def _applied(db: sqlite3.Connection, digest: str) -> bool:
    """Whether the waiting file `digest` names (`journal.identity`) was saved already."""
    key = APPLIED_KEY + digest
    return db.execute("SELECT 1 FROM meta WHERE key=?", (key,)).fetchone() is not None


def _mark_applied(db: sqlite3.Connection, digest: str) -> None:
    """Note, in the transaction that saves it, that the waiting file `digest` names is saved
    (the latest `APPLIED_KEPT` notes are kept)."""
    db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
        (APPLIED_KEY + digest, repr(time.time())),
    )
    db.execute(
        "DELETE FROM meta WHERE substr(key, 1, ?) = ? AND rowid NOT IN (SELECT rowid FROM meta"
        " WHERE substr(key, 1, ?) = ? ORDER BY rowid DESC LIMIT ?)",
        (len(APPLIED_KEY), APPLIED_KEY, len(APPLIED_KEY), APPLIED_KEY, APPLIED_KEPT),
    )
