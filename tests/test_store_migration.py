"""The store's schema: version 1 files upgrade to 2 keeping every row; privacy; concurrency."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from flooding.core.engine import run_batch
from flooding.core.models import Sample
from flooding.io.config_files.loading import default_settings
from flooding.io.store import SCHEMA_VERSION, Store, StoreError, event_data, event_kind
from flooding.lab.simulate import hard_talk, samples
from tests.schemas import (
    SCHEMA_V1_DDL,
    SCHEMA_V3_DDL,
    SCHEMA_V4_DDL,
    SCHEMA_V5_DDL,
    SCHEMA_V6_DDL,
    SCHEMA_V8_DDL,
    SCHEMA_V9_DDL,
    old_database,
    rows_after_a_false_alarm,
)
from tests.session_factory import START_S, flooding, record


def make_v1_database(data_dir: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A version 1 file with two recorded sessions (one ended, one cut off) and a false alarm;
    returns every sample row and event row as written."""
    db = old_database(data_dir, SCHEMA_V1_DDL)
    settings = default_settings()
    for session_id, ended in ((1, True), (2, False)):
        start = START_S + session_id * 86_400
        recorded = samples(hard_talk(seed=session_id), start)
        db.execute(
            "INSERT INTO sessions(id, started_s, ended_s, source, mode, note) VALUES (?,?,?,?,?,?)",
            (session_id, start, recorded[-1].t_s if ended else None, "live", "talk", "old"),
        )
        db.executemany(
            "INSERT INTO samples VALUES (?,?,?,?,?,?)",
            [
                (session_id, s.t_s, s.bpm, ",".join(f"{r:.6g}" for r in s.rr_s), 1, None)
                for s in recorded
            ],
        )
        for event in run_batch(recorded, settings).events:
            t = getattr(event, "t_s", None) or getattr(event, "start_s", 0.0)
            db.execute(
                "INSERT INTO events(session_id, t_s, kind, data_json) VALUES (?,?,?,?)",
                (session_id, t, event_kind(event), json.dumps(event_data(event))),
            )
    return rows_after_a_false_alarm(db, START_S + 90_000)


def schema_of(path: Path) -> set[tuple[str, str]]:
    """The (type, name) of every table, index and view in a database file."""
    db = sqlite3.connect(path)
    try:
        return set(
            db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        )
    finally:
        db.close()


class TestMigrationFromVersion1:
    def test_upgrade_keeps_every_sample_and_event(self, tmp_path: Path) -> None:
        """Opening a version 1 file upgrades it to the current version with every sample and
        event intact (schema 3 adds the person column: '' for the one person; schema 4 the
        activity level: none for these samples)."""
        data = tmp_path / "data"
        samples_before, events_before = make_v1_database(data)
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            assert store.db.execute("SELECT * FROM samples ORDER BY rowid").fetchall() == [
                (*row, "", None) for row in samples_before
            ]
            assert store.db.execute("SELECT * FROM events ORDER BY id").fetchall() == [
                (*row, "") for row in events_before
            ]
        finally:
            store.close()

    def test_upgrade_fills_summaries_of_ended_sessions_only(self, tmp_path: Path) -> None:
        """The upgrade stores sample count and peak for ended sessions; the cut-off one is
        still summarised, on the fly, with the same figures as a full count."""
        data = tmp_path / "data"
        make_v1_database(data)
        store = Store.open(data)
        try:
            stored = dict(
                store.db.execute("SELECT id, sample_count FROM sessions ORDER BY id").fetchall()
            )
            assert stored[1] is not None
            assert stored[1] > 1000
            assert stored[2] is None
            stats = store.session_stats()
            for session_id in (1, 2):
                count, peak = store.db.execute(
                    "SELECT COUNT(*), MAX(bpm) FROM samples WHERE session_id=?", (session_id,)
                ).fetchone()
                assert stats[session_id].samples == count
                assert stats[session_id].peak_bpm == peak
        finally:
            store.close()

    def test_false_alarms_view_points_at_the_alert(self, tmp_path: Path) -> None:
        """After the upgrade the false_alarms view joins the old mark to its alert."""
        data = tmp_path / "data"
        make_v1_database(data)
        store = Store.open(data)
        try:
            (row,) = store.db.execute(
                "SELECT session_id, alert_event_id, alert_s FROM false_alarms"
            ).fetchall()
            alert = store.events(1, "alert")[0]
            assert row == (1, alert.id, alert.t_s)
        finally:
            store.close()

    def test_upgraded_and_fresh_files_have_the_same_schema(self, tmp_path: Path) -> None:
        """A new database and an upgraded version 1 database have the same tables, indexes
        and views."""
        make_v1_database(tmp_path / "old")
        Store.open(tmp_path / "old").close()
        Store.open(tmp_path / "new").close()
        old = schema_of(tmp_path / "old" / "flooding.db")
        assert old == schema_of(tmp_path / "new" / "flooding.db")
        assert ("index", "sessions_by_start") in old
        assert ("view", "false_alarms") in old

    def test_failed_upgrade_leaves_the_file_at_version_1(self, tmp_path: Path) -> None:
        """An upgrade that fails at its last step is rolled back whole: still version 1, no
        new column, index or view; once the cause is gone the same file upgrades."""
        data = tmp_path / "data"
        samples_before, _ = make_v1_database(data)
        db = sqlite3.connect(data / "flooding.db")
        # a trigger of the person's own that refuses the upgrade's last step, the backfill
        db.execute(
            "CREATE TRIGGER keep_sessions BEFORE UPDATE ON sessions "
            "BEGIN SELECT RAISE(ABORT, 'sessions are read-only here'); END"
        )
        db.commit()
        db.close()
        with pytest.raises(StoreError, match="sessions are read-only here"):
            Store.open(data)
        db = sqlite3.connect(data / "flooding.db")
        try:
            columns = {row[1] for row in db.execute("PRAGMA table_info(sessions)")}
            assert db.execute("SELECT value FROM meta").fetchone() == ("1",)
            assert "sample_count" not in columns
            assert schema_of(data / "flooding.db") == {
                ("table", "meta"),
                ("table", "sessions"),
                ("table", "samples"),
                ("table", "events"),
                ("index", "samples_by_session"),
                ("index", "events_by_session"),
                ("trigger", "keep_sessions"),
            }
            assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] == len(samples_before)
            db.execute("DROP TRIGGER keep_sessions")
            db.commit()
        finally:
            db.close()
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION
        finally:
            store.close()


class TestMigrationFromVersion3:
    def test_activity_column_is_added_empty_and_then_kept(self, tmp_path: Path) -> None:
        """A version 3 file gains the activity_g column (empty for its samples, which read
        back as before); samples recorded afterwards keep their activity level."""
        data = tmp_path / "data"
        db = old_database(data, SCHEMA_V3_DDL)
        db.execute(
            "INSERT INTO sessions(id, started_s, source, mode) VALUES (1, ?, 'live', 'talk')",
            (START_S,),
        )
        db.executemany(
            "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact, energy_kj) "
            "VALUES (1, ?, ?, '0.8', 1, NULL)",
            [(START_S + i, 70.0 + i) for i in range(3)],
        )
        db.commit()
        rows_before = db.execute("SELECT * FROM samples ORDER BY rowid").fetchall()
        db.close()
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            assert store.db.execute("SELECT * FROM samples ORDER BY rowid").fetchall() == [
                (*row, None) for row in rows_before
            ]
            assert [s.activity_g for s in store.iter_samples(1)] == [None, None, None]
            store.add_samples(
                1, [Sample(START_S + 3, 80.0, activity_g=0.21), Sample(START_S + 4, 81.0)]
            )
            store.flush()
            assert [s.activity_g for s in store.iter_samples(1)][3:] == [0.21, None]
        finally:
            store.close()
        make_v1_database(tmp_path / "old")
        Store.open(tmp_path / "old").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "old" / "flooding.db")


class TestMigrationFromVersion4:
    def test_ended_sessions_are_kept_as_columns_and_read_as_before(self, tmp_path: Path) -> None:
        """A version 4 file gains the sample_columns table with its ended session's columns
        kept (the cut-off one's are not: it may get more samples); both read back as the rows
        give them."""
        data = tmp_path / "data"
        db = old_database(data, SCHEMA_V4_DDL)
        for session_id, ended in ((1, START_S + 2), (2, None)):
            db.execute(
                "INSERT INTO sessions(id, started_s, ended_s, source, mode) "
                "VALUES (?, ?, ?, 'live', 'talk')",
                (session_id, START_S, ended),
            )
            db.executemany(
                "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact, activity_g) "
                "VALUES (?, ?, ?, '0.8,0.81', 1, ?)",
                [(session_id, START_S + i, 70.0 + i, 0.01 * i or None) for i in range(3)],
            )
        db.commit()
        db.close()
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            kept = "SELECT session_id FROM sample_columns"
            assert store.db.execute(kept).fetchall() == [(1,)]
            for session_id in (1, 2):
                columns = store.sample_columns(session_id)
                assert columns.t_s.tolist() == [START_S + i for i in range(3)]
                assert columns.rr_s.tolist() == [0.8, 0.81] * 3
                assert columns.activity_g is not None
                assert np.isnan(columns.activity_g[0])
            assert store.db.execute(kept).fetchall() == [(1,)]
        finally:
            store.close()
        make_v1_database(tmp_path / "old")
        Store.open(tmp_path / "old").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "old" / "flooding.db")


def version_5_file(data: Path) -> list[tuple[object, ...]]:
    """A version 5 file with one ended session, its samples and its kept columns; returns
    every row of the session, its samples and its columns as written."""
    db = old_database(data, SCHEMA_V5_DDL)
    db.execute(
        "INSERT INTO sessions(id, started_s, ended_s, source, mode, sample_count, last_sample_s)"
        " VALUES (1, ?, ?, 'live', 'talk', 3, ?)",
        (START_S, START_S + 2, START_S + 2),
    )
    db.executemany(
        "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact) VALUES (1, ?, ?, '0.8', 1)",
        [(START_S + i, 70.0 + i) for i in range(3)],
    )
    db.execute(
        "INSERT INTO sample_columns VALUES (1, 3, ?, 1, x'0102')", (START_S + 2,)
    )  # not read here: only kept as it is
    db.commit()
    rows = [
        *db.execute("SELECT * FROM sessions").fetchall(),
        *db.execute("SELECT * FROM samples ORDER BY rowid").fetchall(),
        *db.execute("SELECT * FROM sample_columns").fetchall(),
    ]
    db.close()
    return rows


class TestMigrationFromVersion5:
    def test_every_row_stays_and_replays_alerts_can_be_kept(self, tmp_path: Path) -> None:
        """A version 5 file keeps its session, samples and kept columns as they were and gains
        the empty replayed_alerts table, in which its session's alerts can then be kept; its
        schema is a fresh file's."""
        data = tmp_path / "data"
        before = version_5_file(data)
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            assert [
                *store.db.execute("SELECT * FROM sessions").fetchall(),
                *store.db.execute("SELECT * FROM samples ORDER BY rowid").fetchall(),
                *store.db.execute("SELECT * FROM sample_columns").fetchall(),
            ] == before
            assert store.db.execute("SELECT COUNT(*) FROM replayed_alerts").fetchone() == (0,)
            assert store.keep_replayed_alerts([(1, "key", (START_S + 1,))])
            assert store.replayed_alerts(1, "key") == (START_S + 1,)
        finally:
            store.close()
        Store.open(tmp_path / "new").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "new" / "flooding.db")

    def test_reading_only_upgrades_it_too(self, tmp_path: Path) -> None:
        """A store opened only to read upgrades a version 5 file first (as `open` would), so
        tune and the what-if find the table."""
        data = tmp_path / "data"
        version_5_file(data)
        reader = Store.open_read_only(data)
        try:
            assert reader.schema_version() == 10
            assert reader.replayed_alerts(1, "key") is None
        finally:
            reader.close()

    def test_a_newer_file_is_refused_by_every_opening(self, tmp_path: Path) -> None:
        """A file a newer flooding wrote (schema 11) is refused, for reading too, with the
        words to update flooding, and left as it is: this version never guesses at tables it
        does not know."""
        Store.open(tmp_path).close()
        db = sqlite3.connect(tmp_path / "flooding.db")
        db.execute("UPDATE meta SET value='11' WHERE key='schema_version'")
        db.commit()
        db.close()
        for opening in (Store.open, Store.open_read_only):
            with pytest.raises(
                StoreError, match=r"written by a newer flooding \(schema 11, this one knows 10\)"
            ):
                opening(tmp_path)
        db = sqlite3.connect(tmp_path / "flooding.db")
        version = "SELECT value FROM meta WHERE key='schema_version'"
        assert db.execute(version).fetchone() == ("11",)
        db.close()


def version_6_file(data: Path) -> list[tuple[object, ...]]:
    """A version 6 file with one ended couple session, the two tracks' samples saved one
    track after the other (as an import saves them); returns every sample row as written."""
    db = old_database(data, SCHEMA_V6_DDL)
    db.execute(
        "INSERT INTO sessions(id, started_s, ended_s, source, mode) VALUES (1, ?, ?, 'x', 'talk')",
        (START_S, START_S + 3),
    )
    for person, bpm in (("Alex", 70.0), ("Sam", 80.0)):
        db.executemany(
            "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact, person)"
            " VALUES (1, ?, ?, '', 1, ?)",
            [(START_S + i, bpm + i, person) for i in range(4)],
        )
    db.commit()
    rows = db.execute("SELECT * FROM samples ORDER BY rowid").fetchall()
    db.close()
    return rows


class TestMigrationFromVersion6:
    def test_the_person_index_goes_and_every_track_reads_as_before(self, tmp_path: Path) -> None:
        """A version 6 file loses its second index on samples and keeps every row; each
        person's track and the whole session read back in time order; its schema is a fresh
        file's."""
        data = tmp_path / "data"
        before = version_6_file(data)
        assert ("index", "samples_by_person") in schema_of(data / "flooding.db")
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            assert store.db.execute("SELECT * FROM samples ORDER BY rowid").fetchall() == before
            assert [s.bpm for s in store.iter_samples(1, "Sam")] == [80.0, 81.0, 82.0, 83.0]
            assert [s.bpm for s in store.iter_samples(1)] == [70, 80, 71, 81, 72, 82, 73, 83]
        finally:
            store.close()
        assert ("index", "samples_by_person") not in schema_of(data / "flooding.db")
        Store.open(tmp_path / "new").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "new" / "flooding.db")


class TestMigrationFromVersion8:
    def test_the_refusing_trigger_goes_and_the_highest_id_stays(self, tmp_path: Path) -> None:
        """A version 8 file loses the trigger that refused a session under the highest id
        given, keeps that id, and has a fresh file's schema."""
        data = tmp_path / "data"
        db = old_database(data, SCHEMA_V8_DDL)
        db.execute("INSERT INTO sessions(id, started_s, source, mode) VALUES (7, 0, 'x', 'talk')")
        db.execute("DELETE FROM sessions")
        db.commit()
        db.close()
        Store.open(data).close()
        assert ("trigger", "sessions_keep_last_id") not in schema_of(data / "flooding.db")
        Store.open(tmp_path / "new").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "new" / "flooding.db")
        db = sqlite3.connect(data / "flooding.db")
        try:
            last = "SELECT value FROM meta WHERE key='last_session_id'"
            assert db.execute(last).fetchone() == ("7",)
        finally:
            db.close()


SHARED_TARGET = "json://alice:S3cretPass@127.0.0.1:18765/hook?token=TOPSECRETTOKEN"
PARTNER_TARGET = "ntfys://PARTNERTOPIC@ntfy.example/private"
TARGET_SECRETS = ("S3cretPass", "TOPSECRETTOKEN", "PARTNERTOPIC", "ntfy.example")


def version_9_file_with_targets(data: Path) -> str:
    """A version 9 file (write-ahead log on) whose sessions kept the remote targets whole: a
    session with the shared target and a partner's profile target, a couple session whose
    partner kept both, and a session with no target; returns the last one's stored text."""
    db = old_database(data, SCHEMA_V9_DDL)
    db.execute("PRAGMA journal_mode = WAL")
    kept = default_settings().model_dump(mode="json", exclude={"messages"})
    none_text = json.dumps(kept)
    kept["notify"]["targets"] = [SHARED_TARGET]
    kept["profiles"] = {"anna": {"notify_targets": [PARTNER_TARGET]}}
    # a small row (a page's cell, no overflow page): its old bytes stay in the page's free
    # space unless secure_delete overwrites them
    partner = {"notify": {"targets": [SHARED_TARGET, PARTNER_TARGET]}}
    add = "INSERT INTO sessions(id, started_s, source, mode, settings_json) VALUES (?, ?, ?, ?, ?)"
    db.execute(add, (1, START_S, "ble", "talk", json.dumps(kept)))
    db.execute(add, (2, START_S + 9000, "import:couple", "talk", "{}"))
    db.execute(add, (3, START_S + 99000, "demo", "talk", none_text))
    db.execute(
        "INSERT INTO session_people(session_id, position, person, mode, settings_json)"
        " VALUES (2, 0, 'anna', 'talk', ?)",
        (json.dumps(partner),),
    )
    db.commit()
    db.close()
    return none_text


def target_secrets_in_files(data: Path) -> list[str]:
    """Each target secret found in the bytes of the database and its -wal, as `strings` would."""
    held = b"".join(
        (data / name).read_bytes()
        for name in ("flooding.db", "flooding.db-wal")
        if (data / name).exists()
    )
    return [secret for secret in TARGET_SECRETS if secret.encode() in held]


class TestMigrationFromVersion9:
    def test_the_kept_targets_are_masked_and_their_secrets_leave_the_file(
        self, tmp_path: Path
    ) -> None:
        """Opening a version 9 file masks the target URLs in every session's and partner's
        kept settings as `config show` does, leaves a session without targets as it was, and
        no secret stays in the bytes of the database or its -wal, open or closed."""
        data = tmp_path / "data"
        none_text = version_9_file_with_targets(data)
        assert target_secrets_in_files(data) == list(TARGET_SECRETS)  # there before
        store = Store.open(data)
        try:
            assert store.schema_version() == SCHEMA_VERSION == 10
            kept = json.loads(store.settings_json(1) or "")
            assert kept["notify"]["targets"] == ["json://…"]
            assert kept["profiles"]["anna"]["notify_targets"] == ["ntfys://…"]
            (anna,) = store.people(2)
            assert json.loads(anna.settings_json)["notify"]["targets"] == ["json://…", "ntfys://…"]
            assert store.settings_json(2) == "{}"
            assert store.settings_json(3) == none_text
            assert target_secrets_in_files(data) == []
        finally:
            store.close()
        assert target_secrets_in_files(data) == []
        Store.open(tmp_path / "new").close()
        assert schema_of(data / "flooding.db") == schema_of(tmp_path / "new" / "flooding.db")


class TestPrivacy:
    def test_new_data_dir_database_and_side_files_are_owner_only(self, tmp_path: Path) -> None:
        """A new data directory and every folder made for it are 0700 (the demo's data/demo
        makes the data folder too); the database, -wal and -shm are 0600."""
        data = tmp_path / "new" / "data"
        store = Store.open(data)
        record(store)
        reader = Store.open(data)  # a second connection keeps -wal and -shm in place
        try:
            assert stat.S_IMODE(data.stat().st_mode) == 0o700
            assert stat.S_IMODE(data.parent.stat().st_mode) == 0o700  # as data/demo's data
            for name in ("flooding.db", "flooding.db-wal", "flooding.db-shm"):
                assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
        finally:
            reader.close()
            store.close()

    def test_loose_database_permissions_are_tightened(self, tmp_path: Path) -> None:
        """A database file readable by others is made owner-only when opened."""
        Store.open(tmp_path).close()
        os.chmod(tmp_path / "flooding.db", 0o644)
        Store.open(tmp_path).close()
        assert stat.S_IMODE((tmp_path / "flooding.db").stat().st_mode) == 0o600


class TestDeleteAndFalseAlarm:
    def test_delete_removes_that_session_only(self, tmp_path: Path) -> None:
        """delete_session removes the session, its samples and events, and nothing else."""
        store = Store.open(tmp_path)
        try:
            keep, gone = record(store), record(store, start_s=START_S + 86_400)
            keep_samples = store.sample_count(keep)
            keep_events = len(store.events(keep))
            counts = store.delete_session(gone)
            assert counts.sessions == 1
            assert counts.samples > 1000
            assert counts.events > 3
            assert store.session(gone) is None
            assert store.sample_count(gone) == 0
            assert store.events(gone) == []
            assert store.sample_count(keep) == keep_samples
            assert len(store.events(keep)) == keep_events
        finally:
            store.close()

    def test_mark_false_alarm_once_per_alert(self, tmp_path: Path) -> None:
        """Marking the same alert twice keeps one mark; marking a non-alert is refused."""
        store = Store.open(tmp_path)
        try:
            session_id = record(store)
            alert = store.events(session_id, "alert")[0]
            first = store.mark_false_alarm(session_id, alert.id, alert.t_s + 60)
            assert store.mark_false_alarm(session_id, alert.id, alert.t_s + 90) == first
            assert len(store.events(session_id, "false-alarm")) == 1
            pause = store.events(session_id, "pause-started")[0]
            with pytest.raises(StoreError):
                store.mark_false_alarm(session_id, pause.id, alert.t_s)
        finally:
            store.close()

    def test_a_false_alarm_mark_can_be_taken_back(self, tmp_path: Path) -> None:
        """Undo removes the mark (and only it); undoing an unmarked alert changes nothing."""
        store = Store.open(tmp_path)
        try:
            session_id = record(store)
            alert = store.events(session_id, "alert")[0]
            before = len(store.events(session_id))
            store.mark_false_alarm(session_id, alert.id, alert.t_s + 60)
            assert store.unmark_false_alarm(session_id, alert.id)
            assert not store.is_false_alarm(session_id, alert.id)
            assert len(store.events(session_id)) == before
            assert not store.unmark_false_alarm(session_id, alert.id)
        finally:
            store.close()


@pytest.mark.slow
class TestConcurrentReaders:
    def test_review_and_sessions_while_another_process_records(self, tmp_path: Path) -> None:
        """While a demo records in another process, repeated review and sessions calls all
        succeed and the recording keeps growing."""
        root = Path(__file__).resolve().parent.parent
        writer = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flooding",
                "demo",
                "--speed",
                "10",  # 150 s for the talk: still recording when the reads are done
                "--no-notify",
                "--with-real",  # recorded where the reads below look
                "--data-dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(root)},
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # until the first samples are committed
                listed = flooding("sessions", "--json", "--data-dir", str(tmp_path))
                if listed.returncode == 0 and any(s["samples"] for s in json.loads(listed.stdout)):
                    break
                time.sleep(0.2)
            counts = []
            for _ in range(6):
                for command in ("review", "sessions"):
                    result = flooding(command, "--json", "--data-dir", str(tmp_path))
                    assert result.returncode == 0, result.stdout + result.stderr
                    data = json.loads(result.stdout)
                    if command == "sessions":
                        counts.append(data[0]["samples"])
            assert writer.poll() is None, "the recording stopped while being read"
            assert counts[-1] > counts[0] > 0
        finally:
            writer.send_signal(signal.SIGTERM)
            _, err = writer.communicate(timeout=30)
        assert writer.returncode == 0, err.decode()
        store = Store.open(tmp_path)
        try:
            (session,) = store.sessions()
            assert session.ended_s is not None
        finally:
            store.close()
