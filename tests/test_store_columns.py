"""An ended session's columns kept in the database: read back bit for bit as the rows give them,
used only while the session's samples stay as they are, and deleted with the session."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flooding.core.beats.columns import SampleColumns
from flooding.core.models import SOLO, Sample
from flooding.io.store import Store
from flooding.io.store.columns import FORMAT, as_stored, pack, read_rows, unpack
from tests.session_factory import flooding

FIELDS = ("t_s", "bpm", "contact", "rr_counts", "rr_s", "activity_g")

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
samples_st = st.builds(
    Sample,
    t_s=st.floats(0.0, 1e10, allow_nan=False),
    bpm=finite,
    rr_s=st.lists(st.floats(0.2, 2.5), max_size=300).map(tuple),
    contact=st.none() | st.booleans(),
    activity_g=st.none() | finite,
)
tracks_st = st.lists(st.tuples(st.sampled_from([SOLO, "ana", "ben"]), samples_st), max_size=40)


def same(a: SampleColumns, b: SampleColumns) -> None:
    """Every column of `a` is `b`'s: the same type, shape and bytes (None where None)."""
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype, name
            assert x.shape == y.shape, name
            assert x.tobytes() == y.tobytes(), name
            assert x.flags.writeable, name


def kept_rows(store: Store, session_id: int) -> int:
    return int(
        store.db.execute(
            "SELECT COUNT(*) FROM sample_columns WHERE session_id=?", (session_id,)
        ).fetchone()[0]
    )


def record(store: Store, samples: list[Sample], *, end: bool = True) -> int:
    sid = store.begin_session(0.0, source="sim", mode="talk")
    store.add_samples(sid, samples)
    store.flush()
    if end:
        store.end_session(sid, max((s.t_s for s in samples), default=0.0))
    return sid


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    yield s
    s.close()


SAMPLES = [
    Sample(100.0, 70.0, rr_s=(0.857421875, 0.8583984375), contact=True, activity_g=0.02),
    Sample(101.0, 71.0, rr_s=(), contact=None),
    Sample(102.0, 0.0, rr_s=(), contact=False, activity_g=0.5),
    Sample(103.0, 72.0, rr_s=(0.8330078125,) * 4, contact=True),
]


class TestKeptColumns:
    @settings(max_examples=60, deadline=None)
    @given(tracks=tracks_st)
    def test_kept_columns_are_the_rows_bit_for_bit(self, tracks: list[tuple[str, Sample]]) -> None:
        """Random sessions of one or two hearts (contact unknown, lost or on, activity levels
        or none, RR lists empty or long): the columns read from the kept row, and read again,
        are exactly those the sample rows give, and one person's track is read as before."""
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(Path(folder))
            try:
                sid = store.begin_session(0.0, source="sim", mode="talk")
                for person, sample in tracks:
                    store.add_sample(sid, sample, person)
                store.flush()
                store.end_session(sid, 1e10)
                assert kept_rows(store, sid) == 1
                from_rows = read_rows(store.db, sid)
                same(store.sample_columns(sid), from_rows)
                same(store.sample_columns(sid), from_rows)
                for person in (SOLO, "ana", "ben"):
                    track = sorted((s for p, s in tracks if p == person), key=lambda s: s.t_s)
                    one = store.sample_columns(sid, person)
                    same(one, read_rows(store.db, sid, person))
                    assert one.t_s.tolist() == [s.t_s for s in track]
            finally:
                store.close()

    @settings(max_examples=60, deadline=None)
    @given(
        rows=st.lists(
            st.tuples(
                st.sampled_from([0.0, -0.0, 1.0, 5.5]) | st.floats(0, 1e10),
                st.sampled_from([0.0, -0.0, 70.0]) | finite,
                st.sampled_from([-1, -3, 0, 1]),
                st.lists(st.sampled_from([0.0, -0.0, 0.8]) | st.floats(0.2, 2.5), max_size=4),
                st.sampled_from([math.nan, -0.0, 0.3]) | finite,
            ),
            max_size=30,
        ),
        has_activity=st.booleans(),
    )
    def test_an_import_keeps_the_columns_the_rows_give(
        self,
        rows: list[tuple[float, float, int, list[float], float]],
        has_activity: bool,
    ) -> None:
        """Samples stored as a table (an import: any order, unknown contact as any negative,
        missing or no activity levels, -0.0 anywhere) and handed to `end_session`: what is
        kept is exactly what reading the rows gives."""
        table = SampleColumns(
            np.array([r[0] for r in rows], np.float64),
            np.array([r[1] for r in rows], np.float64),
            np.array([r[2] for r in rows], np.int8),
            np.array([len(r[3]) for r in rows], np.int64),
            np.array([v for r in rows for v in r[3]], np.float64),
            np.array([r[4] for r in rows], np.float64) if has_activity else None,
        )
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(Path(folder))
            try:
                sid = store.begin_session(0.0, source="import:test", mode="talk")
                store.add_sample_table(sid, table)
                store.flush()
                store.end_session(sid, 1e10, table)
                from_rows = read_rows(store.db, sid)
                same(store.sample_columns(sid), from_rows)
                given = as_stored(table)
                if bool(np.all(np.diff(table.t_s) >= 0)):  # in time order: kept as given
                    assert given is not None
                    same(given, from_rows)
                else:
                    assert given is None
            finally:
                store.close()

    def test_packing_keeps_wide_rr_counts_and_no_samples(self) -> None:
        """Columns with more RR values in a sample than a byte can count, and columns of no
        sample at all, unpack to what was packed."""
        wide = SampleColumns.of([Sample(1.0, 60.0, rr_s=(0.001,) * 300), Sample(2.0, 61.0)])
        same(unpack(pack(wide)), wide)
        none = SampleColumns.of([])
        same(unpack(pack(none)), none)

    def test_ending_a_session_keeps_its_columns(self, store: Store) -> None:
        """An ended session has its columns kept; one still recording has none, and reading
        it keeps none (more samples may come)."""
        ended = record(store, SAMPLES)
        recording = record(store, SAMPLES, end=False)
        assert kept_rows(store, ended) == 1
        same(store.sample_columns(recording), SampleColumns.of(SAMPLES))
        assert kept_rows(store, recording) == 0

    def test_a_session_ends_even_when_its_columns_cannot_be_kept(self, store: Store) -> None:
        """When the database refuses the kept columns (as a full disk would), the session's
        end and summary are saved all the same, and its columns are kept when next read."""
        store.db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON sample_columns"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        sid = record(store, SAMPLES)
        row = store.session(sid)
        assert row is not None
        assert row.ended_s == 103.0
        assert store.session_stats(sid)[sid].last_sample_s == 103.0
        assert kept_rows(store, sid) == 0
        store.db.execute("DROP TRIGGER refuse")
        same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
        assert kept_rows(store, sid) == 1

    def test_a_live_session_keeps_its_columns_as_it_ends(self, tmp_path: Path) -> None:
        """A session recorded from the event loop (its writes on the writer thread) has its
        columns kept when it ends, equal to its rows."""
        store = Store.open(tmp_path)

        async def live() -> int:
            sid = store.begin_session(0.0, source="sim", mode="talk")
            for sample in SAMPLES:
                store.add_sample(sid, sample)
                store.flush()
            store.end_session(sid, SAMPLES[-1].t_s)
            return sid

        sid = asyncio.run(live())
        store.close()
        reader = Store.open_read_only(tmp_path)
        try:
            assert kept_rows(reader, sid) == 1
            same(reader.sample_columns(sid), SampleColumns.of(SAMPLES))
        finally:
            reader.close()

    def test_samples_added_after_the_end_are_read(self, store: Store) -> None:
        """Samples added to an ended session make its kept columns stale: the next read has
        them all (from the rows), and keeps the new columns."""
        sid = record(store, SAMPLES[:2])
        more = Sample(104.0, 90.0, rr_s=(0.5,), contact=True)
        store.add_samples(sid, [*SAMPLES[2:], more])
        store.flush()
        same(store.sample_columns(sid), SampleColumns.of([*SAMPLES, more]))
        (count,) = store.db.execute(
            "SELECT sample_count FROM sample_columns WHERE session_id=?", (sid,)
        ).fetchone()
        assert count == len(SAMPLES) + 1

    def test_a_row_of_another_format_is_not_used(self, store: Store) -> None:
        """A kept row of another format (an older or newer packing) is read from the rows
        instead, and replaced."""
        sid = record(store, SAMPLES)
        with store.db:
            store.db.execute(
                "UPDATE sample_columns SET format=?, data=x'00' WHERE session_id=?",
                (FORMAT + 1, sid),
            )
        same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
        assert store.db.execute("SELECT format FROM sample_columns").fetchone() == (FORMAT,)

    def test_a_damaged_row_is_not_used(self, store: Store) -> None:
        """A kept row whose bytes were damaged is read from the rows instead, and replaced."""
        sid = record(store, SAMPLES)
        with store.db:
            store.db.execute("UPDATE sample_columns SET data=substr(data, 1, 40)")
        same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
        same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
        (data,) = store.db.execute("SELECT data FROM sample_columns").fetchone()
        assert len(data) > 40

    def test_a_row_whose_head_was_damaged_is_not_used(self, store: Store) -> None:
        """A kept row whose head (outside the deflated body's checksum) no longer matches its
        body, fewer samples or fewer beats said, is read from the rows instead."""
        sid = record(store, SAMPLES)
        (data,) = store.db.execute("SELECT data FROM sample_columns").fetchone()
        n, n_rr, wide, moved = struct.unpack_from("<4q", data)
        for head in ((n - 1, n_rr, wide, moved), (n, n_rr - 1, wide, moved)):
            with store.db:
                store.db.execute(
                    "UPDATE sample_columns SET data=?", (struct.pack("<4q", *head) + data[32:],)
                )
            same(store.sample_columns(sid), SampleColumns.of(SAMPLES))

    def test_a_session_with_a_damaged_row_still_ends(self, tmp_path: Path) -> None:
        """A sample row whose beats cannot be read (damaged outside flooding) keeps the
        session's columns from being kept, never its end, and the writer of a live store
        goes on saving the samples that come after."""
        store = Store.open(tmp_path)

        async def live() -> tuple[int, int]:
            sid = store.begin_session(0.0, source="sim", mode="talk")
            for sample in SAMPLES:
                store.add_sample(sid, sample)
            store.flush()
            assert store.wait_saved(30.0)
            other = Store.open(tmp_path)
            with other.db:
                other.db.execute("UPDATE samples SET rr_s='0.8,x' WHERE t_s=100.0")
            other.close()
            store.end_session(sid, SAMPLES[-1].t_s)
            later = store.begin_session(200.0, source="sim", mode="talk")
            store.add_sample(later, Sample(200.0, 70.0, rr_s=(0.85,), contact=True))
            store.flush()
            assert store.wait_saved(30.0)
            return sid, later

        sid, later = asyncio.run(live())
        store.close()
        reader = Store.open_read_only(tmp_path)
        try:
            row = reader.session(sid)
            assert row is not None
            assert row.ended_s == SAMPLES[-1].t_s
            assert kept_rows(reader, sid) == 0
            assert reader.sample_count(later) == 1
        finally:
            reader.close()

    def test_deleting_a_session_deletes_its_columns(self, store: Store) -> None:
        """`delete_session` leaves no kept columns of the session; the other session keeps
        its own."""
        gone, stays = record(store, SAMPLES), record(store, SAMPLES)
        store.delete_session(gone)
        assert kept_rows(store, gone) == 0
        assert kept_rows(store, stays) == 1

    def test_flooding_delete_leaves_no_columns_in_the_file(self, tmp_path: Path) -> None:
        """`flooding delete` removes the session's kept columns, and their bytes are not left
        behind in the database file (deleted rows are overwritten)."""
        store = Store.open(tmp_path)
        sid = record(
            store, [Sample(100.0 + i, 60.0 + i % 7, rr_s=(0.8 + i / 1e4,)) for i in range(99)]
        )
        (packed,) = store.db.execute(
            "SELECT data FROM sample_columns WHERE session_id=?", (sid,)
        ).fetchone()
        store.close()
        assert len(packed) > 200
        done = flooding("delete", str(sid), "--yes", "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stdout + done.stderr
        reader = Store.open(tmp_path)
        try:
            assert kept_rows(reader, sid) == 0
        finally:
            reader.close()
        for name in ("flooding.db", "flooding.db-wal"):
            path = tmp_path / name
            if path.exists():
                assert packed[32:] not in path.read_bytes(), name

    def test_columns_go_with_their_session_row(self, store: Store) -> None:
        """The schema deletes kept columns with their session (ON DELETE CASCADE, foreign
        keys on in every connection the store opens), whoever deletes the session."""
        sid = record(store, SAMPLES)
        with store.db:
            store.db.execute("DELETE FROM samples WHERE session_id=?", (sid,))
            store.db.execute("DELETE FROM sessions WHERE id=?", (sid,))
        assert kept_rows(store, sid) == 0

    def test_a_read_only_store_reads_without_keeping(self, tmp_path: Path) -> None:
        """A store opened only to read gives the same columns from the rows and writes
        nothing; one that can write keeps them at the first read."""
        store = Store.open(tmp_path)
        sid = record(store, SAMPLES)
        with store.db:
            store.db.execute("DELETE FROM sample_columns")
        store.close()
        reader = Store.open_read_only(tmp_path)
        try:
            same(reader.sample_columns(sid), SampleColumns.of(SAMPLES))
            assert kept_rows(reader, sid) == 0
        finally:
            reader.close()
        writer = Store.open(tmp_path)
        try:
            same(writer.sample_columns(sid), SampleColumns.of(SAMPLES))
            assert kept_rows(writer, sid) == 1
        finally:
            writer.close()

    def test_a_busy_database_is_read_without_keeping(self, tmp_path: Path) -> None:
        """While another program holds the write lock, the columns are read from the rows
        and the keeping is left for a later read, without an error."""
        store = Store.open(tmp_path)
        sid = record(store, SAMPLES)
        with store.db:
            store.db.execute("DELETE FROM sample_columns")
        other = sqlite3.connect(tmp_path / "flooding.db", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
            other.execute("ROLLBACK")
            assert kept_rows(store, sid) == 0
            same(store.sample_columns(sid), SampleColumns.of(SAMPLES))
            assert kept_rows(store, sid) == 1
        finally:
            other.close()
            store.close()

    def test_kept_columns_hold_no_more_than_the_samples(self, store: Store) -> None:
        """The kept row is the packed arrays (no pickle): a head, then each column's values
        deflated."""
        sid = record(store, SAMPLES)
        (data,) = store.db.execute(
            "SELECT data FROM sample_columns WHERE session_id=?", (sid,)
        ).fetchone()
        n, rr = len(SAMPLES), sum(len(s.rr_s) for s in SAMPLES)
        assert len(zlib.decompress(data[32:])) == n * (8 + 8 + 1 + 1 + 8) + rr * 8
        assert np.array_equal(unpack(data).t_s, [s.t_s for s in SAMPLES])
