"""The recording store: round trips, flushing, WAL, permissions, schema versions, clear errors."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from flooding.core.beats.columns import CONTACT_UNKNOWN, SampleColumns
from flooding.core.models import (
    SOLO,
    Alert,
    ContactChanged,
    GapDetected,
    PauseEnded,
    PauseExtended,
    ReadyToReturn,
    Rule,
    Sample,
)
from flooding.io.store import DB_NAME, SCHEMA_VERSION, Store, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    yield s
    s.db.close()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


SAMPLES = [
    Sample(t_s=100.0, bpm=70.0, rr_s=(0.857421875, 0.8583984375), contact=True, energy_kj=12),
    Sample(t_s=101.0, bpm=71.0, rr_s=(), contact=None),
    Sample(t_s=102.0, bpm=0.0, rr_s=(), contact=False),
    Sample(t_s=103.0, bpm=72.0, rr_s=(0.8330078125,) * 4, contact=True),
]


class TestRoundTrip:
    def test_session(self, store: Store) -> None:
        """A session is stored with its source, mode and strap, and ended with its end time."""
        sid = store.begin_session(100.0, source="strap", mode="talk", strap_name="Polar H10 X")
        store.set_note(sid, "money")
        store.end_session(sid, 200.0)
        [row] = store.sessions()
        assert (row.id, row.started_s, row.ended_s, row.source, row.mode, row.note) == (
            sid,
            100.0,
            200.0,
            "strap",
            "talk",
            "money",
        )
        assert row.strap_name == "Polar H10 X"
        assert store.session(sid) == row
        assert store.latest_session_id() == sid

    def test_samples(self, store: Store) -> None:
        """Samples come back equal: RR lists of any length, contact None/True/False, energy."""
        sid = store.begin_session(100.0, source="sim", mode="talk")
        store.add_samples(sid, SAMPLES)
        store.flush()
        assert list(store.iter_samples(sid)) == SAMPLES
        assert store.sample_count(sid) == len(SAMPLES)

    def test_sample_columns_hold_every_field_the_detector_reads(self, store: Store) -> None:
        """A session read as columns equals its samples made into columns: contact unknown,
        lost or on, RR lists of any length and the movement level where there is one."""
        sid = store.begin_session(100.0, source="sim", mode="talk")
        moving = [replace(s, activity_g=0.01 * i if i % 2 else None) for i, s in enumerate(SAMPLES)]
        store.add_samples(sid, moving)
        store.flush()
        read, made = store.sample_columns(sid), SampleColumns.of(moving)
        for name in ("t_s", "bpm", "contact", "rr_counts", "rr_s", "activity_g"):
            assert np.array_equal(getattr(read, name), getattr(made, name), equal_nan=True), name
        assert set(read.contact.tolist()) == {1, 0, CONTACT_UNKNOWN}

    @pytest.mark.parametrize("person", [SOLO, "Sam", "O'Brien", "Zoë\0"])
    @pytest.mark.parametrize("given", ["import", "constant", "mixed", "one"])
    def test_samples_keep_their_values_and_types_whatever_is_the_same(
        self, store: Store, given: str, person: str
    ) -> None:
        """Samples come back equal and with the SQLite types of each column, whether their
        contact, RR, energy and person are the same in a hundred rows (an import's unknown
        contact and empty RR, a constant energy) or not, or in one row, and whatever the
        person's name."""
        sid = store.begin_session(100.0, source="sim", mode="talk")
        samples = {
            "import": [Sample(t_s=100.0 + 5 * i, bpm=60.0 + i, contact=None) for i in range(100)],
            "constant": [
                Sample(100.0 + i, 70.0, (0.8,), contact=True, energy_kj=7, activity_g=0.02)
                for i in range(100)
            ],
            "mixed": [replace(s, activity_g=0.01 * i or None) for i, s in enumerate(SAMPLES)],
            "one": SAMPLES[:1],
        }[given]
        if given == "import":
            store.add_sample_table(sid, SampleColumns.of(samples), person)
        else:
            store.add_samples(sid, samples, person)
        store.flush()
        assert list(store.iter_samples(sid, person)) == samples
        types = store.db.execute(
            "SELECT DISTINCT typeof(session_id), typeof(t_s), typeof(bpm), typeof(rr_s),"
            " typeof(contact), typeof(energy_kj), person, typeof(activity_g) FROM samples"
        ).fetchall()
        assert {row[:4] for row in types} == {("integer", "real", "real", "text")}
        assert {row[6] for row in types} == {person}
        typed = {"contact": (4, "integer"), "energy_kj": (5, "integer"), "activity_g": (7, "real")}
        for name, (at, kind) in typed.items():
            expected = {"null" if getattr(s, name) is None else kind for s in samples}
            assert {row[at] for row in types} == expected, name

    def test_samples_in_time_order_per_session(self, store: Store) -> None:
        """Each session reads back only its own samples, in time order."""
        a = store.begin_session(100.0, source="sim", mode="talk")
        b = store.begin_session(100.0, source="sim", mode="talk")
        store.add_samples(a, list(reversed(SAMPLES)))
        store.add_sample(b, SAMPLES[0])
        store.flush()
        assert [s.t_s for s in store.iter_samples(a)] == [100.0, 101.0, 102.0, 103.0]
        assert store.sample_count(b) == 1

    def test_events(self, store: Store) -> None:
        """Events are stored by kind with their fields; enums as text, NaN as null."""
        sid = store.begin_session(100.0, source="sim", mode="talk")
        store.add_event(
            sid, Alert(t_s=150, bpm=110, baseline_bpm=None, threshold_bpm=100, rule=Rule.ABSOLUTE)
        )
        store.add_event(sid, PauseExtended(t_s=170, until_s=770, bpm=float("nan"), baseline_bpm=68))
        store.add_event(sid, GapDetected(start_s=160, end_s=165))
        store.add_note_event(sid, 140, "battery", {"percent": 80})
        store.flush()
        rows = store.events(sid)
        assert [(r.t_s, r.kind) for r in rows] == [
            (140, "battery"),
            (150, "alert"),
            (160, "gap-detected"),
            (170, "pause-extended"),
        ]
        assert rows[1].data == {
            "t_s": 150,
            "bpm": 110,
            "baseline_bpm": None,
            "threshold_bpm": 100,
            "rule": "absolute",
        }
        assert rows[3].data["bpm"] is None
        assert [r.kind for r in store.events(sid, "alert")] == ["alert"]

    @pytest.mark.parametrize("couple", [False, True], ids=["one", "two"])
    def test_many_events_are_stored_as_one_by_one(self, store: Store, couple: bool) -> None:
        """Events added together (an import) are stored with the same kinds, text and person
        as events added one by one, whatever their values, each at its own time (a gap's
        start), in a session of one and in the couple forms of a session of two."""
        events = [
            Alert(t_s=150.0, bpm=110, baseline_bpm=None, threshold_bpm=100.5, rule=Rule.RELATIVE),
            PauseExtended(t_s=170.0, until_s=770.0, bpm=float("nan"), baseline_bpm=68.25),
            PauseExtended(t_s=171.0, until_s=float("inf"), bpm=-0.0, baseline_bpm=2**70),
            GapDetected(start_s=160.0, end_s=165.1),
            GapDetected(start_s=5e-324, end_s=1e300),
            GapDetected(start_s=np.float64(180.5), end_s=True),
            Alert(150.5, 121.0, 70.0, 98.0, Rule.RELATIVE, "b", (("a", "no-contact"),)),
            ReadyToReturn(190.0, 72.0, 70.0, 150.5, levels=(("a", 71.5), ("b", 72.0))),
            PauseEnded(t_s=195, pause_start_s=150.5),
            ContactChanged(t_s=196.0, contact=False),
        ]
        person = "Sam's" if couple else SOLO
        one_by_one = store.begin_session(100.0, source="sim", mode="talk")
        for event in events:
            store.add_event(one_by_one, event, person, couple=couple)
        together = store.begin_session(100.0, source="sim", mode="talk")
        store.add_events(together, events, person, couple=couple)
        store.flush()

        def stored(session_id: int) -> list[tuple[float, str, str]]:
            rows = store.db.execute(
                "SELECT t_s, kind, data_json, person FROM events WHERE session_id=? ORDER BY id",
                (session_id,),
            ).fetchall()
            assert {row[3] for row in rows} == {person}
            return [(float(t_s), str(kind), str(text)) for t_s, kind, text, _ in rows]

        assert stored(together) == stored(one_by_one)
        assert stored(together)[3][2] == '{"start_s": 160.0, "end_s": 165.1}'
        assert [t_s for t_s, _, _ in stored(together)] == [
            *(150, 170, 171, 160, 5e-324, 180.5, 150.5, 190, 195, 196)
        ]
        assert stored(together)[8][1] == ("couple-pause-ended" if couple else "pause-ended")

    def test_something_not_an_event_is_refused_with_the_others(self, store: Store) -> None:
        """Adding events together refuses anything that is not an event, naming it."""
        session = store.begin_session(100.0, source="sim", mode="talk")
        with pytest.raises(TypeError, match="not an event"):
            store.add_events(session, [GapDetected(160.0, 165.0), {"t_s": 170.0}])


class TestFlushing:
    def test_unflushed_samples_are_not_visible_elsewhere(self, tmp_path: Path) -> None:
        """Buffered samples are invisible to a second connection until flush(), then visible."""
        writer = Store.open(tmp_path)
        reader = Store.open(tmp_path)
        try:
            sid = writer.begin_session(100.0, source="sim", mode="talk")
            writer.add_samples(sid, SAMPLES)
            writer.add_event(sid, GapDetected(start_s=101, end_s=109))
            assert reader.sample_count(sid) == 0
            assert reader.events(sid) == []
            writer.flush()
            assert reader.sample_count(sid) == len(SAMPLES)
            assert len(reader.events(sid)) == 1
        finally:
            writer.db.close()
            reader.db.close()

    def test_close_flushes(self, tmp_path: Path) -> None:
        """close() commits what is still buffered."""
        store = Store.open(tmp_path)
        sid = store.begin_session(100.0, source="sim", mode="talk")
        store.add_samples(sid, SAMPLES)
        store.close()
        again = Store.open(tmp_path)
        assert again.sample_count(sid) == len(SAMPLES)
        again.close()

    def test_unflushed_samples_are_lost_on_a_crash(self, tmp_path: Path) -> None:
        """Samples not yet flushed are lost when the program dies; flushed ones survive."""
        store = Store.open(tmp_path)
        sid = store.begin_session(100.0, source="sim", mode="talk")
        store.add_samples(sid, SAMPLES[:2])
        store.flush()
        store.add_samples(sid, SAMPLES[2:])
        store.db.close()  # no flush: the process died (sqlite rolls back the open transaction)
        again = Store.open(tmp_path)
        assert again.sample_count(sid) == 2
        again.close()

    def test_reader_while_writer_writes(self, tmp_path: Path) -> None:
        """A second Store reads consistent data while the first keeps writing (WAL)."""
        writer = Store.open(tmp_path)
        reader = Store.open(tmp_path)
        try:
            sid = writer.begin_session(0.0, source="sim", mode="talk")
            for second in range(30):
                writer.add_sample(sid, Sample(t_s=float(second), bpm=70.0))
                if second % 10 == 9:
                    writer.flush()
                count = reader.sample_count(sid)
                assert count == (second + 1) // 10 * 10
                assert [s.t_s for s in reader.iter_samples(sid)] == [float(i) for i in range(count)]
            # a reader in the middle of a read does not block the writer
            cursor = reader.db.execute("SELECT t_s FROM samples")
            cursor.fetchone()
            writer.add_sample(sid, Sample(t_s=99.0, bpm=70.0))
            writer.flush()
            cursor.close()
            assert reader.sample_count(sid) == 31
        finally:
            writer.db.close()
            reader.db.close()


class TestFiles:
    def test_wal_mode(self, store: Store) -> None:
        """The database runs in WAL journal mode."""
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_unwritable_data_dir(self, tmp_path: Path) -> None:
        """A data directory that cannot be made gives a StoreError naming it and what to do."""
        blocker = tmp_path / "a-file"
        blocker.write_text("not a folder")
        with pytest.raises(StoreError) as caught:
            Store.open(blocker / "data")
        message = str(caught.value)
        assert str(blocker / "data") in message
        assert "--data-dir" in message

    def test_not_a_database(self, tmp_path: Path) -> None:
        """A file that is not SQLite gives a StoreError naming it and saying to keep it."""
        (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
        with pytest.raises(StoreError) as caught:
            Store.open(tmp_path)
        assert str(tmp_path / DB_NAME) in str(caught.value)
        assert "move it aside" in str(caught.value)


class TestSchema:
    def test_schema_version_recorded(self, tmp_path: Path) -> None:
        """A new database records the current schema version, and keeps it when reopened."""
        store = Store.open(tmp_path)
        assert store.schema_version() == SCHEMA_VERSION
        store.close()
        raw = sqlite3.connect(tmp_path / DB_NAME)
        [(value,)] = raw.execute("SELECT value FROM meta WHERE key='schema_version'").fetchall()
        raw.close()
        assert int(value) == SCHEMA_VERSION
        again = Store.open(tmp_path)
        assert again.schema_version() == SCHEMA_VERSION
        again.close()

    def test_newer_schema_is_refused(self, tmp_path: Path) -> None:
        """A database written by a newer version is refused with a StoreError saying to update."""
        store = Store.open(tmp_path)
        sid = store.begin_session(0.0, source="sim", mode="talk")
        with store.db:
            store.db.execute(
                "UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),)
            )
        store.close()
        with pytest.raises(StoreError) as caught:
            Store.open(tmp_path)
        message = str(caught.value)
        assert "newer flooding" in message
        assert f"schema {SCHEMA_VERSION + 1}" in message
        assert "update flooding" in message
        raw = sqlite3.connect(tmp_path / DB_NAME)  # and nothing was changed
        assert raw.execute("SELECT id FROM sessions").fetchall() == [(sid,)]
        raw.close()
