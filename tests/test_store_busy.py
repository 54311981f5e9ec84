"""A database held by another program: a live session loses nothing, stalls never, dies never.

Another connection (in a thread: SQLite's own file locks, as between two programs) holds
the write lock while a real session runner records; reads work on a read-only database;
each way the database can fail is told by its real cause.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from flooding.app.session import SessionRunner
from flooding.cli.main import main
from flooding.core.models import (
    Alert,
    GapDetected,
    LinkChanged,
    LinkState,
    Rule,
    Sample,
    SourceItem,
)
from flooding.io.store import DB_NAME, Store, StoreError
from flooding.io.store.errors import explain
from tests.session_factory import runner_on

START = 1_700_000_000.0
HOLD_TIMEOUT_S = 30.0  # a test that goes wrong lets go of the lock after this long


class LockHolder:
    """Another connection that takes the database's write lock and keeps it until released
    (`how`: `BEGIN IMMEDIATE`, or `BEGIN EXCLUSIVE` as a program that means to keep the
    file to itself)."""

    def __init__(self, path: Path, how: str = "IMMEDIATE") -> None:
        self.path = path
        self.how = how
        self.held = threading.Event()
        self.release = threading.Event()
        self._thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self) -> LockHolder:
        self._thread.start()
        assert self.held.wait(HOLD_TIMEOUT_S), "the lock was never taken"
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self._thread.join(HOLD_TIMEOUT_S)

    def _hold(self) -> None:
        db = sqlite3.connect(self.path, timeout=HOLD_TIMEOUT_S)
        db.execute(f"BEGIN {self.how}")
        self.held.set()
        self.release.wait(HOLD_TIMEOUT_S)
        db.rollback()
        db.close()


def still_locked(path: Path) -> bool:
    """Whether another connection holds the write lock now."""
    probe = sqlite3.connect(path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
    return False


class PacedSource:
    """A strap that sends `before` samples, then `during` samples while `holder` keeps the
    lock (the event loop must keep running for them to arrive), then lets go and sends
    `after` more (`let_go=False`: keeps it held)."""

    description = "a strap while the database is held"

    def __init__(
        self, holder: LockHolder, before: int, during: int, after: int, let_go: bool = True
    ) -> None:
        self.holder = holder
        self.let_go = let_go
        self.counts = (before, during, after)
        self.sent_while_held = 0
        self.flushes_seen_while_held = 0

    async def stream(self) -> AsyncIterator[SourceItem]:
        before, during, after = self.counts
        yield LinkChanged(START, LinkState.CONNECTED, strap_name="test strap")
        k = 0
        for _ in range(before):
            yield Sample(t_s=START + k, bpm=70.0 + k % 7, rr_s=(0.85,), contact=True)
            k += 1
        if not self.holder.held.is_set():
            self.holder.__enter__()
        for _ in range(during):
            yield Sample(t_s=START + k, bpm=70.0 + k % 7, rr_s=(0.85,), contact=True)
            k += 1
            await asyncio.sleep(0.005)  # the runner's flusher runs many times meanwhile
            if still_locked(self.holder.path):
                self.sent_while_held += 1
        if self.let_go:
            self.holder.release.set()
        for _ in range(after):
            yield Sample(t_s=START + k, bpm=70.0 + k % 7, rr_s=(0.85,), contact=True)
            k += 1


def record(store: Store, source: PacedSource) -> SessionRunner:
    runner = runner_on(store, source, flush_interval_s=0.02, clock_s=START)
    asyncio.run(runner.run())
    return runner


@pytest.fixture
def data(tmp_path: Path) -> Path:
    Store.open(tmp_path).close()  # an existing database, as on any day but the first
    return tmp_path


class TestLockHeldByAnotherProgram:
    def test_mid_run_no_sample_lost_no_gap(self, data: Path) -> None:
        """A write lock held mid-session costs no sample and no gap; the loop keeps running."""
        store = Store.open(data)
        holder = LockHolder(data / DB_NAME)
        source = PacedSource(holder, before=50, during=300, after=50)
        try:
            runner = record(store, source)
        finally:
            holder.__exit__()
        assert source.sent_while_held == 300  # every one arrived while the lock was held
        store.close()
        check = Store.open_read_only(data)
        assert runner.session_id is not None
        assert check.sample_count(runner.session_id) == 400
        stored = [s.t_s for s in check.iter_samples(runner.session_id)]
        assert stored == [START + k for k in range(400)]
        assert check.events(runner.session_id, "gap-detected") == []
        assert not any(isinstance(e, GapDetected) for e in runner.outcome.events)  # type: ignore[union-attr]
        assert [e.data["state"] for e in check.events(runner.session_id, "link")] == ["connected"]
        row = check.session(runner.session_id)
        assert row is not None
        assert row.ended_s == START + 399
        check.close()

    def test_held_at_start(self, data: Path) -> None:
        """A lock already held when the session starts: it starts, records and saves all."""
        holder = LockHolder(data / DB_NAME)
        with holder:
            store = Store.open(data)  # waits for nothing: reading needs no lock
            source = PacedSource(holder, before=0, during=200, after=20)
            runner = record(store, source)
        assert source.sent_while_held == 200
        store.close()
        check = Store.open_read_only(data)
        assert runner.session_id is not None
        assert check.sample_count(runner.session_id) == 220
        assert [r.started_s for r in check.sessions()] == [START]
        check.close()

    def test_close_waits_for_the_lock(self, data: Path) -> None:
        """Closing while the lock is still held waits for it and then saves everything."""
        store = Store.open(data)
        holder = LockHolder(data / DB_NAME)
        holder.__enter__()
        source = PacedSource(holder, before=0, during=100, after=0, let_go=False)
        runner = record(store, source)
        assert source.sent_while_held == 100
        assert store.waiting_rows == 100  # all of them still waiting, none dropped
        threading.Timer(0.5, holder.release.set).start()
        store.close()
        holder.__exit__()
        check = Store.open_read_only(data)
        assert runner.session_id is not None
        assert check.sample_count(runner.session_id) == 100
        check.close()

    def test_a_new_database_waits_for_the_lock(self, tmp_path: Path) -> None:
        """Opening while another program is creating the database waits instead of failing."""
        db = sqlite3.connect(tmp_path / DB_NAME, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        db.execute("CREATE TABLE scratch (x)")
        threading.Timer(0.5, db.rollback).start()
        store = Store.open(tmp_path)
        assert store.sessions() == []
        store.close()
        db.close()


class TestAlertWhileHeld:
    def test_alert_marked_while_the_database_is_held(self, data: Path) -> None:
        """An alert recorded while another program holds the database is found at once and can
        be marked a false alarm; both are saved, linked, once the lock is let go."""
        store = Store.open(data)
        alert = Alert(START + 5, 104.0, 70.0, 80.0, Rule.RELATIVE)

        async def live() -> tuple[int, int, int]:
            sid = store.begin_session(START, source="sim", mode="talk")
            alert_id = store.add_event(sid, alert)
            latest = store.latest_alert(sid)
            assert latest is not None
            assert latest.id == alert_id
            mark = store.mark_false_alarm(sid, alert_id, START + 9)
            assert store.mark_false_alarm(sid, alert_id, START + 10) == mark  # once only
            assert store.is_false_alarm(sid, alert_id)
            return sid, alert_id, mark

        with LockHolder(data / DB_NAME):
            sid, alert_id, mark = asyncio.run(live())
            assert store.waiting_rows == 0  # no samples; the events wait in the writer
        store.close()
        check = Store.open_read_only(data)
        assert check.is_false_alarm(sid, alert_id)
        [stored] = check.events(sid, "false-alarm")
        assert (stored.id, stored.data) == (mark, {"alert_event_id": alert_id})
        check.close()

    def test_events_read_after_the_loop_wait_for_the_writer(self, data: Path) -> None:
        """Events written live and read outside the event loop are there once the lock frees,
        as samples and sessions are (the read waits for the writer thread)."""
        store = Store.open(data)
        alert = Alert(START + 5, 104.0, 70.0, 80.0, Rule.RELATIVE)

        async def live() -> int:
            sid = store.begin_session(START, source="sim", mode="talk")
            store.add_event(sid, alert)
            return sid

        holder = LockHolder(data / DB_NAME)
        with holder:
            sid = asyncio.run(live())
            threading.Timer(0.3, holder.release.set).start()
            alerts = store.events(sid, "alert")
        assert [e.t_s for e in alerts] == [START + 5]
        store.close()


class TestCommandsWhileHeld:
    def test_note_ok_and_delete_wait_for_another_program_and_then_write(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """`flooding note`, `ok` and `delete`, run while another program holds the write lock
        longer than a busy wait (6 s), say they are waiting, then write what they were
        asked (no SQLite traceback)."""
        store = Store.open(tmp_path)
        kept = store.begin_session(START, source="sim", mode="talk")
        gone = store.begin_session(START + 60, source="sim", mode="talk")
        store.add_event(kept, Alert(START + 5, 110.0, 70.0, 80.0, Rule.RELATIVE))
        for sid in (kept, gone):
            store.add_sample(sid, Sample(START, 70.0))
            store.end_session(sid, START + 60)
        store.close()
        folder = ["--data-dir", str(tmp_path)]
        commands = (
            ["note", str(kept), "money, again"],
            ["ok", str(kept)],
            ["delete", str(gone), "--yes"],
        )
        for command in commands:
            caplog.clear()
            with LockHolder(tmp_path / DB_NAME) as holder:
                threading.Timer(6.0, holder.release.set).start()
                assert main([*command, *folder]) == 0, capsys.readouterr().err
            assert any("is busy" in r.getMessage() for r in caplog.records), command
        store = Store.open(tmp_path)
        try:
            row = store.session(kept)
            assert row is not None
            assert row.note == "money, again"
            alert = store.latest_alert(kept)
            assert alert is not None
            assert store.is_false_alarm(kept, alert.id)
            assert store.session(gone) is None
        finally:
            store.close()


class TestReadOnly:
    def test_read_only_open_reads_and_never_writes(self, tmp_path: Path) -> None:
        """The read-only store reads the sessions; a write through it is refused as read-only."""
        store = Store.open(tmp_path)
        sid = store.begin_session(START, source="sim", mode="talk")
        store.add_sample(sid, Sample(START, 70.0))
        store.end_session(sid, START)
        store.close()
        reader = Store.open_read_only(tmp_path)
        assert [s.id for s in reader.sessions()] == [sid]
        assert reader.sample_count(sid) == 1
        with pytest.raises(StoreError, match="read-only"):
            reader.set_note(sid, "a note")
        reader.close()

    def test_immutable_fallback_reads_without_side_files(self, tmp_path: Path) -> None:
        """With no -shm file to use (a folder nobody can write), the file is read as it is."""
        store = Store.open(tmp_path)
        sid = store.begin_session(START, source="sim", mode="talk")
        store.close()
        uri = f"file:{tmp_path / DB_NAME}?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True)
        assert db.execute("SELECT id FROM sessions").fetchall() == [(sid,)]
        db.close()


class TestCauses:
    def test_missing_table_is_named(self, tmp_path: Path) -> None:
        """A database with a table gone says its structure is missing, not a traceback."""
        Store.open(tmp_path).close()
        db = sqlite3.connect(tmp_path / DB_NAME)
        db.execute("DROP TABLE samples")
        db.commit()
        db.close()
        for opening in (Store.open, Store.open_read_only):
            with pytest.raises(StoreError) as caught:
                opening(tmp_path)
            message = str(caught.value)
            assert "missing part of its structure (no such table: samples)" in message
            assert "move it aside" in message

    @pytest.mark.parametrize(
        ("error", "words"),
        [
            (sqlite3.OperationalError("database is locked"), "busy"),
            (sqlite3.OperationalError("database or disk is full"), "full"),
            (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
            (sqlite3.OperationalError("access permission denied"), "permission denied"),
            (sqlite3.OperationalError("no such table: samples"), "missing part"),
            (sqlite3.DatabaseError("file is not a database"), "damaged"),
            (PermissionError(13, "Permission denied", "/x/flooding.db"), "permission denied"),
            (OSError(30, "Read-only file system"), "read-only file system"),
            (OSError(28, "No space left on device"), "full"),
        ],
    )
    def test_each_cause_has_its_own_words(
        self, error: Exception, words: str, tmp_path: Path
    ) -> None:
        """Busy, full, read-only, permission, missing table and damage each say what they are;
        only damage and a missing table say to move the file aside."""
        message = explain(error, tmp_path / DB_NAME)
        assert words in message
        assert ("aside" in message) == (words in ("missing part", "damaged"))

    def test_unopenable_store_is_a_store_error(self, tmp_path: Path) -> None:
        """A database path that is a folder gives a StoreError, not a traceback."""
        (tmp_path / DB_NAME).mkdir()
        with pytest.raises(StoreError, match=r"flooding\.db"):
            Store.open(tmp_path)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A data folder holding one recorded session, mounted read-only (a real read-only file
    system: as root, a chmod'ed folder would still be writable). Skipped where mounting is
    not allowed."""
    source, mounted = tmp_path / "data", tmp_path / "read-only"
    store = Store.open(source)
    sid = store.begin_session(START, source="sim", mode="talk")
    store.add_samples(sid, [Sample(START + k, 70.0 + k % 9, (0.85,), True) for k in range(120)])
    store.end_session(sid, START + 119)
    store.close()
    mounted.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only folder needs root")
    bind = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True)
    if bind.returncode:
        pytest.skip(f"mount is not allowed here: {bind.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], check=True)
        yield mounted
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


class TestReadOnlyFolder:
    def test_read_commands_work(
        self, read_only_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """sessions, review and export read a session from a read-only data folder."""
        with pytest.raises(OSError, match="Read-only file system"):
            (read_only_folder / "probe").touch()
        folder = ["--data-dir", str(read_only_folder)]
        assert main(["sessions", *folder]) == 0
        assert "sim" in capsys.readouterr().out
        assert main(["review", *folder]) == 0
        capsys.readouterr()
        out = tmp_path / "out.csv"
        assert main(["export", "-o", str(out), *folder]) == 0
        assert len(out.read_text().splitlines()) == 121  # the header and every sample

    def test_tune_answers_and_keeps_nothing(
        self, read_only_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`tune --all` compares the sessions of a read-only data folder (keeping their
        replays' alerts is skipped, silently) and answers the same a second time."""
        own = tmp_path / "own.toml"
        own.write_text("", encoding="utf-8")
        tune = ["tune", "--all", "--set", "detection.margin_bpm=15", "--json", "--config"]
        answers = []
        for _ in range(2):
            assert main([*tune, str(own), "--data-dir", str(read_only_folder)]) == 0
            captured = capsys.readouterr()
            assert captured.err == ""
            answers.append(json.loads(captured.out)["sessions"])
        assert answers[0] == answers[1]
        assert [row["session_id"] for row in answers[0]] == [1]

    def test_a_write_names_the_read_only_folder(
        self, read_only_folder: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A command that writes says the folder is read-only and what to do, no traceback."""
        assert main(["note", "1", "a talk about money", "--data-dir", str(read_only_folder)]) == 1
        err = capsys.readouterr().err
        assert "read-only file system" in err
        assert "--data-dir" in err
