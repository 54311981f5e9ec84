"""A deleted session stays gone: nothing of it is left in the file's gaps, even where SQLite's
build leaves secure_delete off by default, nor in the write-ahead log once the other
program reading the file lets go; and a session whose last readings still wait to be saved
is not deleted (they would bring it back), with words that say why and what to do."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from flooding.cli.main import main
from flooding.core.models import Sample
from flooding.io.store import DB_NAME, Store
from tests.test_store_busy import LockHolder

START = 1_700_000_000.0
SAMPLES = 600  # ten minutes at 1 Hz: enough rows to fill and split the samples table's pages

_Entry = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


@pytest.fixture
def secure_delete_off_by_default() -> Iterator[None]:
    """Every SQLite connection this process opens starts with secure_delete off, as on a
    build whose default is off (upstream's): an auto-extension of the SQLite library
    Python's sqlite3 uses, registered for the test and removed after it."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("the SQLite library is not a shared library here")
    library = ctypes.CDLL(name)
    library.sqlite3_exec.argtypes = (
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )

    def turn_off(db: int | None, _error: int | None, _api: int | None) -> int:
        return int(library.sqlite3_exec(db, b"PRAGMA secure_delete = OFF", None, None, None))

    off = _Entry(turn_off)  # kept referenced until it is removed
    pointer = ctypes.cast(off, ctypes.c_void_p)
    library.sqlite3_auto_extension(pointer)
    try:
        probe = sqlite3.connect(":memory:")
        default = probe.execute("PRAGMA secure_delete").fetchone()[0]
        probe.close()
        if default != 0:
            pytest.skip("Python's sqlite3 uses another SQLite library than the shared one")
        yield
    finally:
        library.sqlite3_cancel_auto_extension(pointer)


def _rr(round_: int, mine: bool, k: int) -> float:
    """An RR interval unique to one session (`round_`, `mine`) and reading `k`."""
    return 0.4 + round_ * 0.2 + (0.1 if mine else 0.0) + (k * 7919 % 100_000) / 1e6


def _record_three_rounds(store: Store) -> tuple[int, list[bytes]]:
    """Six sessions, two a round; returns the first one's id and the RR texts unique to it
    (as stored: "first,second")."""
    first: int | None = None
    marks: list[bytes] = []
    for round_ in range(3):
        for mine in (True, False):
            sid = store.begin_session(START + round_ * 10_000, source="import", mode="talk")
            first = sid if first is None else first
            for k in range(SAMPLES):
                rr = _rr(round_, mine, k)
                t_s = START + round_ * 10_000 + k
                store.add_sample(sid, Sample(t_s=t_s, bpm=70.0, rr_s=(rr, rr + 0.0001234)))
                if sid == first:
                    marks.append(f"{rr!r},{rr + 0.0001234!r}".encode())
            store.end_session(sid, START + round_ * 10_000 + SAMPLES)
            store.flush()
    assert first is not None
    return first, marks


def _left_in_files(folder: Path, marks: list[bytes]) -> int:
    """How many of `marks` are in the database file and its write-ahead log."""
    data = b"".join(
        path.read_bytes() for path in (folder / DB_NAME, folder / f"{DB_NAME}-wal") if path.exists()
    )
    return sum(mark in data for mark in marks)


class TestSecureDelete:
    def test_every_connection_the_store_writes_through_overwrites_what_it_frees(
        self, tmp_path: Path, secure_delete_off_by_default: None
    ) -> None:
        """A store opened where SQLite's default is off writes with secure_delete on."""
        store = Store.open(tmp_path)
        try:
            assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        finally:
            store.close()

    def test_a_deleted_sessions_readings_leave_nothing_in_the_file(
        self, tmp_path: Path, secure_delete_off_by_default: None
    ) -> None:
        """After `delete_session`, none of the session's RR texts is in the database or its
        log, though the session was written where SQLite's default leaves old copies of
        moved rows in the pages' gaps."""
        store = Store.open(tmp_path)
        try:
            victim, marks = _record_three_rounds(store)
            assert _left_in_files(tmp_path, marks) == len(marks)  # the marks are findable
            store.delete_session(victim)
            assert _left_in_files(tmp_path, marks) == 0
        finally:
            store.close()
        assert _left_in_files(tmp_path, marks) == 0


def _ended_while_held(folder: Path) -> tuple[Store, int]:
    """A live store whose session ended while another program held the database: its last
    readings wait in the waiting file (the store, still open, holds it). The caller holds
    the lock (`LockHolder`) and closes the store."""
    store = Store.open(folder, max_waiting_rows=5)

    async def record() -> int:
        sid = store.begin_session(START, source="simulated", mode="talk")
        for k in range(5):
            store.add_sample(sid, Sample(START + k, 70.0, (0.8123,)))
        store.flush()
        assert store.wait_saved(10.0)
        return sid

    sid = asyncio.run(record())
    return store, sid


def _wait_in_file(store: Store, folder: Path, sid: int) -> None:
    async def more() -> None:
        for k in range(5, 40):
            store.add_sample(sid, Sample(START + k, 70.0, (0.8123,)))
            store.flush()
        store.end_session(sid, START + 40)
        store.flush()

    asyncio.run(more())
    assert (folder / f"{DB_NAME}-waiting.jsonl").exists()


class TestStillWaiting:
    @pytest.mark.parametrize(
        ("language", "why", "what_to_do"),
        [
            ("en", "are still waiting to be saved", "try again once the database is free"),
            ("de", "warten noch darauf, gespeichert zu werden", "sobald die Datenbank wieder frei"),
        ],
    )
    def test_flooding_delete_refuses_a_session_whose_readings_still_wait(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        language: str,
        why: str,
        what_to_do: str,
    ) -> None:
        """`flooding delete` of a session whose last readings wait in the waiting file (the
        database held by another program) deletes nothing and says why and what to do; once
        the database is free the whole session is saved, under its own number."""
        store, sid = _ended_while_held(tmp_path)
        try:
            with LockHolder(tmp_path / DB_NAME) as holder:
                _wait_in_file(store, tmp_path, sid)
                threading.Timer(1.0, holder.release.set).start()
                code = main(
                    ["delete", str(sid), "--yes", "--data-dir", str(tmp_path), "--lang", language]
                )
            said = capsys.readouterr()
            assert code != 0, said.out
            assert why in said.err
            assert what_to_do in said.err
        finally:
            store.close()
        reopened = Store.open(tmp_path)
        try:
            assert [row.id for row in reopened.sessions()] == [sid]
            assert reopened.sample_count(sid) == 40
        finally:
            reopened.close()
        assert main(["delete", str(sid), "--yes", "--data-dir", str(tmp_path)]) == 0
        after = Store.open_read_only(tmp_path)
        try:
            assert after.sessions() == []
        finally:
            after.close()


class ReaderHolder:
    """Another program reading the database: a connection in a thread that keeps a read
    transaction open until released (a backup, a database browser)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = threading.Event()
        self.release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self) -> ReaderHolder:
        self._thread.start()
        assert self.held.wait(30.0), "the read never began"
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self._thread.join(30.0)

    def _hold(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("BEGIN")
        db.execute("SELECT COUNT(*) FROM samples").fetchone()
        self.held.set()
        self.release.wait(30.0)
        db.execute("COMMIT")
        db.close()


class TestLogScrubbedAfterADelete:
    def test_the_app_empties_the_log_once_a_reader_lets_go(self, tmp_path: Path) -> None:
        """A session deleted from the app while another program reads the file is gone
        from the database and its log soon after that program lets go, while the app runs
        on (its store still open)."""
        from flooding.app.scrub import scrub_soon
        from flooding.app.session_files import delete_session

        store = Store.open(tmp_path)
        try:
            victim, marks = _record_three_rounds(store)

            async def delete_while_read() -> bool:
                with ReaderHolder(tmp_path / DB_NAME) as reader:
                    counts = delete_session(store, tmp_path, victim)
                    assert not counts.scrubbed  # the reader held the log off
                    assert _left_in_files(tmp_path, marks) > 0
                    retrying = scrub_soon(store)
                    threading.Timer(1.5, reader.release.set).start()
                    return await retrying

            assert asyncio.run(delete_while_read())
            assert _left_in_files(tmp_path, marks) == 0
        finally:
            store.close()


class TestTheCommandSaysWhenTheLogStays:
    @pytest.mark.parametrize(
        ("language", "why", "what_to_do"),
        [
            (
                "en",
                "Another program is still reading",
                "Close that program: the next time flooding starts, it removes the copy.",
            ),
            (
                "de",
                "Ein anderes Programm liest gerade",
                "Schließ dieses Programm: Beim nächsten Start von flooding wird die Kopie "
                "entfernt.",
            ),
        ],
    )
    def test_flooding_delete_says_a_copy_stays_while_another_program_reads(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        language: str,
        why: str,
        what_to_do: str,
    ) -> None:
        """`flooding delete` while another program reads the file deletes the session and
        says that a copy stays in the file for now, which file, and what to do."""
        store = Store.open(tmp_path)
        try:
            victim, marks = _record_three_rounds(store)
        finally:
            store.close()
        with ReaderHolder(tmp_path / DB_NAME):
            code = main(
                ["delete", str(victim), "--yes", "--data-dir", str(tmp_path), "--lang", language]
            )
            assert _left_in_files(tmp_path, marks) > 0
        said = capsys.readouterr()
        assert code == 0, said.err
        assert why in said.err
        assert str(tmp_path / DB_NAME) in said.err
        assert what_to_do in said.err

    def test_flooding_delete_says_nothing_of_it_when_nobody_reads(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`flooding delete` with no other program reading says nothing of a copy: none stays."""
        store = Store.open(tmp_path)
        try:
            victim, marks = _record_three_rounds(store)
        finally:
            store.close()
        assert main(["delete", str(victim), "--yes", "--data-dir", str(tmp_path)]) == 0
        assert "Another program" not in capsys.readouterr().err
        assert _left_in_files(tmp_path, marks) == 0

    def test_the_next_start_removes_the_copy_once_the_other_program_lets_go(
        self, tmp_path: Path
    ) -> None:
        """A copy a delete left while another program read is gone from the file once flooding
        next opens it, though that program still has the file open (its read done)."""
        store = Store.open(tmp_path)
        try:
            victim, marks = _record_three_rounds(store)
        finally:
            store.close()
        other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
        try:
            other.execute("BEGIN")
            other.execute("SELECT COUNT(*) FROM samples").fetchone()
            assert main(["delete", str(victim), "--yes", "--data-dir", str(tmp_path)]) == 0
            assert _left_in_files(tmp_path, marks) > 0
            other.execute("COMMIT")  # its read is done; the program stays open
            started = Store.open(tmp_path)
            try:
                assert _left_in_files(tmp_path, marks) == 0
            finally:
                started.close()
        finally:
            other.close()
