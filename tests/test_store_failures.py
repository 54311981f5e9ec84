"""A flush that fails (a full disk, an I/O error) leaves nothing half-written and loses nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flooding.core.models import Alert, Rule, Sample
from flooding.io.store import Store


class CommitFailsOnce(sqlite3.Connection):
    """A real SQLite connection whose next commit fails, as with a full disk."""

    fail_next_commit = False

    def commit(self) -> None:
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise sqlite3.OperationalError("database or disk is full")
        super().commit()


def samples(n: int, start_s: float = 1_800_000_000.0) -> list[Sample]:
    """`n` one-second samples with RR intervals."""
    return [Sample(start_s + i, 70.0 + i % 5, (0.85,), True) for i in range(n)]


def stored(path: Path) -> tuple[int, list[int]]:
    """(sample count, event ids) as another connection sees them."""
    with sqlite3.connect(path) as other:
        count = other.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        ids = [row[0] for row in other.execute("SELECT id FROM events ORDER BY id")]
    return count, ids


def test_a_batch_that_fails_part_way_is_not_stored_twice(tmp_path: Path) -> None:
    """Samples of a flush that aborted half-way are stored exactly once after the retry."""
    store = Store.open(tmp_path)
    session = store.begin_session(1_800_000_000.0, source="test", mode="talk")
    store.db.execute(
        "CREATE TEMP TRIGGER refuse_74 BEFORE INSERT ON samples WHEN NEW.bpm = 74"
        " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    store.add_samples(session, samples(10))
    with pytest.raises(sqlite3.Error):
        store.flush()
    assert stored(store.path)[0] == 0
    store.db.execute("DROP TRIGGER refuse_74")
    store.flush()
    assert stored(store.path)[0] == 10
    store.close()


def test_a_failed_commit_keeps_samples_and_event_ids_for_the_retry(tmp_path: Path) -> None:
    """After a failed commit, the retry stores every sample once and the event keeps its id."""
    Store.open(tmp_path).close()  # create the schema
    path = tmp_path / "flooding.db"
    connection = sqlite3.connect(path, factory=CommitFailsOnce)
    store = Store(connection, path)
    session = store.begin_session(1_800_000_000.0, source="test", mode="talk")
    store.add_samples(session, samples(5))
    alert_id = store.add_event(session, Alert(1_800_000_004.0, 104.0, 70.0, 80.0, Rule.RELATIVE))
    connection.fail_next_commit = True
    with pytest.raises(sqlite3.Error):
        store.flush()
    assert stored(path) == (0, [])
    store.add_samples(session, samples(3, start_s=1_800_000_005.0))
    store.flush()
    assert stored(path) == (8, [alert_id])
    store.close()


class CountsCommits(sqlite3.Connection):
    """A real SQLite connection that counts its commits."""

    commits = 0

    def commit(self) -> None:
        self.commits += 1
        super().commit()


def test_a_large_flush_commits_in_short_transactions(tmp_path: Path) -> None:
    """An import's flush commits a chunk at a time (letting go of the lock between chunks),
    and stores every sample once."""
    from flooding.io.store.store import CHUNK_ROWS

    Store.open(tmp_path).close()
    path = tmp_path / "flooding.db"
    connection = sqlite3.connect(path, factory=CountsCommits)
    store = Store(connection, path)
    session = store.begin_session(1_800_000_000.0, source="test", mode="talk")
    before = connection.commits
    store.add_samples(session, samples(2 * CHUNK_ROWS + 7))
    store.flush()
    assert connection.commits - before == 3
    assert stored(path)[0] == 2 * CHUNK_ROWS + 7
    store.close()
