"""Replays' alert times kept in the database: read back as kept, a few keys a session at most,
written without waiting for a busy database, through a connection of their own for a store
opened only to read, and deleted with the session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from flooding.core.models import Sample
from flooding.io.store import Store
from flooding.io.store.replays import KEPT_PER_SESSION, pack, unpack
from tests.session_factory import flooding, store_readings

START_S = 1.7e9


def record(store: Store, minutes: int = 2) -> int:
    """An ended session of one sample a second."""
    readings = [Sample(START_S + k, 70.0, (0.85,), True) for k in range(60 * minutes)]
    return store_readings(store, readings, source="sim")


def kept_keys(store: Store, session_id: int) -> set[str]:
    rows = store.db.execute("SELECT key FROM replayed_alerts WHERE session_id=?", (session_id,))
    return {row[0] for row in rows}


class TestKeptAlerts:
    def test_alert_times_read_back_exactly(self, store: Store) -> None:
        """Kept times come back bit for bit (none, one, many; fractions of a second); another
        key or another session has none."""
        sid = record(store)
        times = {"none": (), "one": (START_S + 0.1,), "many": (START_S + 1 / 3, START_S + 7e3)}
        assert store.keep_replayed_alerts([(sid, key, t) for key, t in times.items()])
        for key, t in times.items():
            assert store.replayed_alerts(sid, key) == t
        assert store.replayed_alerts(sid, "other") is None
        assert store.replayed_alerts(sid + 1, "none") is None

    def test_packing_is_little_endian_floats_and_refuses_damage(self) -> None:
        """The bytes are the times as little-endian float64s (no pickle); bytes they cannot
        be read as give None."""
        assert pack((1.0, -2.5)) == bytes.fromhex("000000000000f03f00000000000004c0")
        assert unpack(pack((1.0, -2.5))) == (1.0, -2.5)
        assert unpack(b"\x00" * 9) is None

    def test_a_value_that_is_not_bytes_is_not_used(self, store: Store) -> None:
        """Kept alerts whose value was damaged into text or a number read as none kept (the
        session is replayed again), never as made-up times."""
        sid = record(store)
        assert store.keep_replayed_alerts([(sid, "key", (START_S + 1.0,))])
        for damaged in ("0.5", 16):
            with store.db:
                store.db.execute("UPDATE replayed_alerts SET alert_s=?", (damaged,))
            assert store.replayed_alerts(sid, "key") is None

    def test_a_session_keeps_its_most_recently_used_keys(self, store: Store) -> None:
        """Past `KEPT_PER_SESSION` keys the least recently used go: a key kept again counts as
        used now, and another session's keys are not touched."""
        sid, other = record(store), record(store)
        assert store.keep_replayed_alerts([(other, "theirs", (START_S,))])
        assert store.keep_replayed_alerts([(sid, "current", (START_S,))])
        for n in range(KEPT_PER_SESSION + 2):
            # each what-if keeps the current settings' alerts again with a new candidate's
            assert store.keep_replayed_alerts([(sid, "current", (START_S,)), (sid, f"c{n}", ())])
        newest = {f"c{n}" for n in range(3, KEPT_PER_SESSION + 2)}
        assert kept_keys(store, sid) == {"current"} | newest
        assert len(kept_keys(store, sid)) == KEPT_PER_SESSION
        assert kept_keys(store, other) == {"theirs"}

    def test_alerts_of_a_session_that_is_gone_are_not_kept(self, store: Store) -> None:
        """A session deleted while it was replayed keeps no alerts (and the rest are kept)."""
        sid, gone = record(store), record(store)
        store.delete_session(gone)
        assert store.keep_replayed_alerts([(gone, "key", (START_S,)), (sid, "key", ())])
        assert kept_keys(store, gone) == set()
        assert kept_keys(store, sid) == {"key"}

    def test_deleting_a_session_deletes_its_kept_alerts(self, store: Store) -> None:
        """`delete_session` leaves no kept alerts of the session; another keeps its own."""
        gone, stays = record(store), record(store)
        assert store.keep_replayed_alerts([(gone, "key", (START_S,)), (stays, "key", ())])
        store.delete_session(gone)
        assert kept_keys(store, gone) == set()
        assert kept_keys(store, stays) == {"key"}

    def test_kept_alerts_go_with_their_session_row(self, store: Store) -> None:
        """The schema deletes kept alerts with their session (ON DELETE CASCADE), whoever
        deletes the session."""
        sid = record(store)
        assert store.keep_replayed_alerts([(sid, "key", (START_S,))])
        with store.db:
            store.db.execute("DELETE FROM samples WHERE session_id=?", (sid,))
            store.db.execute("DELETE FROM sample_columns WHERE session_id=?", (sid,))
            store.db.execute("DELETE FROM sessions WHERE id=?", (sid,))
        assert kept_keys(store, sid) == set()


class TestNothingLingers:
    TIMES = (START_S + 0.123456789, START_S + 17.987654321, START_S + 3600.5551212)

    def bytes_in_files(self, folder: Path) -> bytes:
        """The database and its write-ahead log as they are on disk."""
        paths = (folder / "flooding.db", folder / "flooding.db-wal")
        return b"".join(path.read_bytes() for path in paths if path.exists())

    def test_flooding_delete_leaves_no_kept_alerts_in_the_file(self, tmp_path: Path) -> None:
        """`flooding delete` removes the session's kept alerts, and their bytes are not left
        behind in the database file (deleted rows are overwritten)."""
        store = Store.open(tmp_path)
        sid = record(store)
        reader = Store.open_read_only(tmp_path)  # as the what-if keeps them
        assert reader.keep_replayed_alerts([(sid, "key", self.TIMES)])
        reader.close()
        store.close()
        assert pack(self.TIMES) in self.bytes_in_files(tmp_path)
        done = flooding("delete", str(sid), "--yes", "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stdout + done.stderr
        assert pack(self.TIMES) not in self.bytes_in_files(tmp_path)

    def test_dropped_alerts_leave_no_bytes_in_the_file(self, tmp_path: Path) -> None:
        """Alerts dropped as the least recently used are overwritten in the file, not only
        unlinked from it."""
        store = Store.open(tmp_path)
        sid = record(store)
        reader = Store.open_read_only(tmp_path)
        assert reader.keep_replayed_alerts([(sid, "oldest", self.TIMES)])
        for n in range(KEPT_PER_SESSION):
            assert reader.keep_replayed_alerts([(sid, f"newer {n}", ())])
        assert reader.replayed_alerts(sid, "oldest") is None
        reader.close()
        store.close()  # the last connection: the log is written into the file
        assert pack(self.TIMES) not in self.bytes_in_files(tmp_path)


class TestWhereTheyAreWritten:
    def test_a_store_opened_to_read_keeps_them_through_its_own_connection(
        self, tmp_path: Path
    ) -> None:
        """A store opened only to read (the what-if's, tune's) keeps alerts when the file can
        be written, and every other connection reads them."""
        writer = Store.open(tmp_path)
        sid = record(writer)
        reader = Store.open_read_only(tmp_path)
        try:
            assert reader.keep_replayed_alerts([(sid, "key", (START_S + 5,))])
            assert reader.replayed_alerts(sid, "key") == (START_S + 5,)
            assert writer.replayed_alerts(sid, "key") == (START_S + 5,)
        finally:
            reader.close()
            writer.close()

    def test_a_busy_database_keeps_nothing_and_waits_for_nothing(self, tmp_path: Path) -> None:
        """While another program holds the write lock (the monitor saving samples), keeping
        gives up at once, changes nothing, and the lock's holder commits as usual; kept
        again once the lock is free."""
        store = Store.open(tmp_path)
        sid = record(store)
        reader = Store.open_read_only(tmp_path)
        other = sqlite3.connect(tmp_path / "flooding.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE sessions SET note='saved' WHERE id=?", (sid,))
            for keeping in (store, reader):
                assert not keeping.keep_replayed_alerts([(sid, "key", (START_S,))])
            other.execute("COMMIT")
            assert kept_keys(store, sid) == set()
            assert store.session(sid) is not None
            assert store.db.execute("SELECT note FROM sessions").fetchone() == ("saved",)
            assert reader.keep_replayed_alerts([(sid, "key", (START_S,))])
            assert kept_keys(store, sid) == {"key"}
            # the store's own connection waits for a busy database as before
            (waits_ms,) = store.db.execute("PRAGMA busy_timeout").fetchone()
            assert waits_ms > 0
        finally:
            other.close()
            reader.close()
            store.close()
