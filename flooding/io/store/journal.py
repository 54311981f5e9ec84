"""The waiting file: what a live session records while the database is held waits on disk.

While another program holds the database (for `JOURNAL_AFTER_S`, or past `MAX_WAITING_ROWS`),
a live session's samples and events are appended in the order they came (one JSON line each,
flushed to disk as written) to `flooding.db-waiting.jsonl` beside the database, so memory stays
bounded and nothing is lost, even to a crash. A sample is a JSON list (`ROW_FIELDS`), an event a
JSON object with an `event` key (`WaitingEvent`). Ahead of a session's first line in each file
goes a line with the session's details (`SessionHeader`), so that the next open saves the rows
to the session they were recorded in, whatever id it has then. A file written before events
waited here holds rows (and headers) only, and reads the same.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import itertools
import json
import logging
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flooding.core.settings import masked_settings_json
from flooding.io.files import PRIVATE_FILE_MODE, UnsafeFileError

JOURNAL_SUFFIX = "-waiting.jsonl"  # samples waiting, appended as they come
SAVING_SUFFIX = "-waiting.saving.jsonl"  # the same, handed to the writer to be saved
ROW_FIELDS = 8  # a sample's row: session, time, rate, RR, contact, energy, person, movement
READ_CHUNK_ROWS = 20_000  # rows read back at a time: saving a long journal stays small

log = logging.getLogger(__name__)

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# a partner in a header line, the fields in the order of `SessionHeader.people`
_PERSON_FIELDS = ("person", "mode", "strap_name", "strap_address", "settings_json")


@dataclass(frozen=True)
class SessionHeader:
    """A session as it began, written once ahead of its rows in each journal file: with it the
    rows are saved to that session even if its id now names another program's session (the id
    was handed out before the session's row was written, see `Store.begin_session`). It holds
    what was known of the session when the file's first row of it was written.

    `people`: the partners of a couple session, each (person, mode, strap name, strap address,
    settings JSON) in the order of the conversation."""

    session: int  # the id handed out for it, which the rows carry
    started_s: float
    source: str
    mode: str
    strap_name: str | None = None
    strap_address: str | None = None
    settings_json: str = "{}"
    people: tuple[tuple[str, str, str | None, str | None, str], ...] = ()

    def line(self) -> str:
        """The header as one journal line (a JSON object; a row is a JSON list)."""
        fields = asdict(self)
        fields["people"] = [dict(zip(_PERSON_FIELDS, p, strict=True)) for p in self.people]
        return json.dumps(fields) + "\n"

    @classmethod
    def parse(cls, fields: dict[str, Any]) -> SessionHeader | None:
        """The header a journal line holds, None if it is not a well-formed one."""
        texts = ("source", "mode", "settings_json")
        maybe = ("strap_name", "strap_address")
        people = fields.get("people", [])
        if not (
            _is_id(fields.get("session"))
            and _is_number(fields.get("started_s"))
            and all(isinstance(fields.get(name), str) for name in texts)
            and all(isinstance(fields.get(name), str | None) for name in maybe)
            and isinstance(people, list)
            and all(_is_person(p) for p in people)
        ):
            return None
        return cls(
            session=fields["session"],
            started_s=float(fields["started_s"]),
            source=fields["source"],
            mode=fields["mode"],
            strap_name=fields.get("strap_name"),
            strap_address=fields.get("strap_address"),
            # masked as the store keeps them: a file an older flooding wrote held them whole
            settings_json=masked_settings_json(fields["settings_json"]),
            people=tuple(
                (
                    p["person"],
                    p["mode"],
                    p.get("strap_name"),
                    p.get("strap_address"),
                    _masked(p.get("settings_json", "{}")),
                )
                for p in people
            ),
        )


@dataclass(frozen=True)
class WaitingEvent:
    """An event of a live session waiting to be saved, with the id handed out for it (an
    alert's id is known at once: a false-alarm mark names it). A mark taken back waits as
    one too, in its place after the mark, though it stores no row (`store.UNDONE_KIND`)."""

    id: int
    session: int
    t_s: float
    kind: str
    data: dict[str, Any]
    person: str

    def line(self) -> str:
        """The event as one journal line (a JSON object with an `event` key)."""
        fields = {
            "event": self.id,
            "session": self.session,
            "t_s": self.t_s,
            "kind": self.kind,
            "data": self.data,
            "person": self.person,
        }
        return json.dumps(fields) + "\n"

    @classmethod
    def parse(cls, fields: dict[str, Any]) -> WaitingEvent | None:
        """The event a journal line holds, None if it is not a well-formed one."""
        if not (
            _is_id(fields.get("event"))
            and _is_id(fields.get("session"))
            and _is_number(fields.get("t_s"))
            and isinstance(fields.get("kind"), str)
            and isinstance(fields.get("data"), dict)
            and isinstance(fields.get("person"), str)
        ):
            return None
        return cls(
            fields["event"],
            fields["session"],
            float(fields["t_s"]),
            fields["kind"],
            fields["data"],
            fields["person"],
        )


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _masked(settings_json: Any) -> Any:
    return masked_settings_json(settings_json) if isinstance(settings_json, str) else settings_json


def _is_person(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("person"), str)
        and isinstance(value.get("mode"), str)
        and all(isinstance(value.get(name), str | None) for name in _PERSON_FIELDS[2:])
    )


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


@dataclass
class Chunk:
    """A part of a journal file: its sample rows and events, in the order written, with the
    session headers read since the part before (a session's header comes before its lines)."""

    headers: dict[int, SessionHeader] = field(default_factory=dict)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[WaitingEvent] = field(default_factory=list)

    def sessions(self) -> dict[int, float]:
        """The session ids its rows and events carry, each with its first time in it."""
        first: dict[int, float] = {}
        for sid, t_s in itertools.chain(
            ((r[0], float(r[1])) for r in self.rows), ((e.session, e.t_s) for e in self.events)
        ):
            first[sid] = min(t_s, first.get(sid, t_s))
        return first


def read_chunks(path: Path) -> Iterator[Chunk]:
    """A journal file in the order written, `READ_CHUNK_ROWS` lines at a time (`Chunk`).

    A last line cut short by a crash is skipped (it never finished being written); a line
    that is neither a sample's row, an event nor a session's header is a ValueError naming
    it (the file was changed). A file written before headers were kept has none, and one
    written before events waited here has no events."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    with open(fd, encoding="utf-8") as lines:
        chunk = Chunk()
        for number, line in enumerate(lines, 1):
            if not line.endswith("\n"):
                break
            entry = json.loads(line)
            if isinstance(entry, dict):
                if "event" in entry:
                    event = WaitingEvent.parse(entry)
                    if event is None:
                        raise ValueError(f"line {number} is not a waiting event")
                    chunk.events.append(event)
                else:
                    header = SessionHeader.parse(entry)
                    if header is None:
                        raise ValueError(f"line {number} is not a waiting sample")
                    chunk.headers[header.session] = header
                    continue
            elif (
                isinstance(entry, list)
                and len(entry) == ROW_FIELDS
                and _is_id(entry[0])
                and _is_number(entry[1])
            ):
                chunk.rows.append(tuple(entry))
            else:
                raise ValueError(f"line {number} is not a waiting sample")
            if len(chunk.rows) + len(chunk.events) >= READ_CHUNK_ROWS:
                yield chunk
                chunk = Chunk()
        if chunk.rows or chunk.events or chunk.headers:
            yield chunk


def identity(path: Path) -> str:
    """What tells this journal file from any other: the SHA-256 of its bytes (a file once
    saved, then left by a crash before it was removed, is known again by it)."""
    digest = hashlib.sha256()
    with open(os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC), "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Saving:
    """A journal handed over to be saved: still locked by us until `remove`."""

    def __init__(self, path: Path, fd: int, count: int = 0) -> None:
        self.path = path
        self._fd = fd
        self.count = count  # rows in it, as far as this program wrote them
        self.saved = False
        self.given_up = False  # could not be read back: left on disk for the next open

    def chunks(self) -> Iterator[Chunk]:
        """The journal's rows and events, in chunks, with its session headers (see
        `read_chunks`)."""
        return read_chunks(self.path)

    def identity(self) -> str:
        """What tells this file from any other (`identity`)."""
        return identity(self.path)

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
    """The append-only waiting file of one live store."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = journal_path(db_path)
        self.rows = 0  # sample rows written since the last hand-over
        self.events = 0  # events written since the last hand-over
        self._headed: set[int] = set()  # sessions whose header this file holds
        self._fd = -1

    @property
    def waiting(self) -> int:
        """Lines (samples and events) written since the last hand-over."""
        return self.rows + self.events

    def append(
        self,
        rows: Sequence[tuple[Any, ...]],
        sessions: Mapping[int, SessionHeader] | None = None,
        events: Sequence[WaitingEvent] = (),
    ) -> None:
        """Write rows, then events, at the end of the file and flush them to disk (fsync)
        before returning; ahead of a session's first line in the file, its header from
        `sessions` (a session missing there gets none: its lines are saved by id alone).

        Raises `UnsafeFileError` for a planted link or a file not ours, OSError for a disk
        that cannot take them (the caller keeps them in memory then)."""
        if self._fd < 0:
            self._fd = _open_own(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        lines: list[str] = []
        headed = set(self._headed)
        for sid, line in itertools.chain(
            ((row[0], json.dumps(list(row)) + "\n") for row in rows),
            ((event.session, event.line()) for event in events),
        ):
            header = (sessions or {}).get(sid)
            if header is not None and sid not in headed:
                headed.add(sid)
                lines.append(header.line())
            lines.append(line)
        data = "".join(lines).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self.rows += len(rows)
        self.events += len(events)
        self._headed = headed

    def hand_over(self) -> Saving:
        """Rename the journal to its saving name and start a new one for later rows."""
        saving = journal_path(self.db_path, SAVING_SUFFIX)
        if os.path.lexists(saving):
            raise FileExistsError(f"{saving} is still there, not saved yet")
        os.rename(self.path, saving)  # the same file (and our lock on it), a new name
        handed = Saving(saving, self._fd, self.rows)
        self._fd = -1
        self.rows = self.events = 0
        self._headed = set()  # the next file heads its sessions again
        return handed

    def close(self) -> None:
        """Let go of the file (left on disk if it holds lines: the next open saves them)."""
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


def waiting_sessions(db_path: Path) -> Iterator[tuple[int, SessionHeader | None]]:
    """The sessions whose lines wait in the database's waiting files, whichever program
    writes them (read without taking them): each id the lines carry, with its header (None
    for a file written before headers were kept). A file that cannot be read (gone
    meanwhile, changed by someone) names none: it is never saved either."""
    for suffix in (SAVING_SUFFIX, JOURNAL_SUFFIX):
        path = journal_path(db_path, suffix)
        if not os.path.lexists(path):
            continue
        headers: dict[int, SessionHeader] = {}
        found: dict[int, SessionHeader | None] = {}
        try:
            for chunk in read_chunks(path):
                headers.update(chunk.headers)
                for sid in chunk.sessions():
                    found.setdefault(sid, headers.get(sid))
        except (OSError, ValueError):
            continue
        yield from found.items()


def left_waiting(db_path: Path) -> list[Path]:
    """The journals a stopped session left (those `leftovers` would give), only named."""
    found = []
    for saving in leftovers(db_path):
        found.append(saving.path)
        saving.close()
    return found
