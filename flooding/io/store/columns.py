"""A session's samples as columns (`SampleColumns`): read out of the sample rows, and kept packed
in the `sample_columns` table beside them once the session has ended, so that replays that
repeat (tune, the app's what-if) read one row a session instead of every sample.

A kept row is used only while its sample count and last sample time are the session's own and
its format is `FORMAT`; it lives in the same database and goes with its session (ON DELETE
CASCADE), so no copy of the heart data outlives it. Only whole sessions are kept (`person`
None): one person's track is always read from the rows.
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from flooding.core.beats.columns import CONTACT_UNKNOWN, SampleColumns

if TYPE_CHECKING:
    import numpy.typing as npt

READ_CHUNK_ROWS = 50_000  # samples read at a time into columns (a plot of a long session)
FORMAT = 1  # the packing of `pack`; a kept row of another format is made again
ZLIB_LEVEL = 1  # the fastest: a year of sessions packs to a few MB (the planes do the most)
_HEAD = struct.Struct("<qqqq")  # samples, RR values, bytes per RR count, has activity levels

# what a kept row is valid for: the session's sample count and last sample time
Key = tuple[int, "float | None"]


def read_rows(db: sqlite3.Connection, session_id: int, person: str | None = None) -> SampleColumns:
    """A session's samples (all, or one person's track) as columns, in the order of
    `Store.iter_samples`, read `READ_CHUNK_ROWS` at a time: a long session costs a few bytes
    a sample, never a `Sample` value each."""
    only, params = ("", ()) if person is None else (" AND person=?", (person,))
    cursor = db.execute(
        "SELECT t_s, bpm, rr_s, contact, activity_g FROM samples WHERE session_id=?"
        + only
        + " ORDER BY t_s, rowid",
        (session_id, *params),
    )
    n = int(
        db.execute(
            "SELECT COUNT(*) FROM samples WHERE session_id=?" + only, (session_id, *params)
        ).fetchone()[0]
    )
    t_s = np.empty(n)
    bpm = np.empty(n)
    contact = np.empty(n, np.int8)
    counts = np.empty(n, np.int64)
    activity: npt.NDArray[np.float64] | None = None  # made when a level first appears
    rr_parts: list[npt.NDArray[np.float64]] = []
    at = 0
    while rows := cursor.fetchmany(READ_CHUNK_ROWS):
        stop = at + len(rows)
        times, rates, rr, flags, moved = zip(*rows, strict=True)
        if activity is None and any(a is not None for a in moved):
            activity = np.full(n, np.nan)
        if activity is not None:
            activity[at:stop] = [np.nan if a is None else a for a in moved]
        t_s[at:stop] = times
        bpm[at:stop] = rates
        contact[at:stop] = [CONTACT_UNKNOWN if c is None else c for c in flags]
        counts[at:stop] = [text.count(",") + 1 if text else 0 for text in rr]
        values = ",".join(text for text in rr if text)
        rr_parts.append(np.array(list(map(float, values.split(","))) if values else []))
        at = stop
    rr_s = np.concatenate(rr_parts) if rr_parts else np.zeros(0)
    levels = None if activity is None else activity[:at]
    return SampleColumns(t_s[:at], bpm[:at], contact[:at], counts[:at], rr_s, levels)


def session_key(db: sqlite3.Connection, session_id: int) -> Key | None:
    """The sample count and last sample time a kept row must carry to be used, or None for a
    session that has not ended (still recording, or cut off): its columns are not kept."""
    row = db.execute(
        "SELECT ended_s, sample_count, last_sample_s FROM sessions WHERE id=?", (session_id,)
    ).fetchone()
    if row is None or row[0] is None:
        return None
    if row[1] is not None:  # the summary stored when it ended (cleared when samples come)
        return int(row[1]), row[2]
    count, last = db.execute(
        "SELECT COUNT(*), MAX(t_s) FROM samples WHERE session_id=?", (session_id,)
    ).fetchone()
    return int(count), last


def kept(db: sqlite3.Connection, session_id: int, key: Key) -> SampleColumns | None:
    """The session's kept columns, if a row is kept for `key` in this format."""
    row = db.execute(
        "SELECT sample_count, last_sample_s, format, data FROM sample_columns WHERE session_id=?",
        (session_id,),
    ).fetchone()
    if row is None or (row[0], row[1]) != key or row[2] != FORMAT:
        return None
    try:
        found = unpack(row[3])
    except (ValueError, TypeError, struct.error, zlib.error):  # damaged: the rows say
        return None
    return found if found.t_s.size == key[0] else None  # a damaged head: the rows say


def keep(db: sqlite3.Connection, session_id: int, key: Key, columns: SampleColumns) -> bool:
    """Keep a session's columns for `key` (in the caller's transaction); False, keeping
    nothing, when they are not the samples `key` describes (some came while they were read)."""
    n = columns.t_s.size
    if (n, float(columns.t_s.max()) if n else None) != key:
        return False
    db.execute(
        "INSERT OR REPLACE INTO sample_columns(session_id, sample_count, last_sample_s, format,"
        " data) VALUES (?, ?, ?, ?, ?)",
        (session_id, key[0], key[1], FORMAT, pack(columns)),
    )
    return True


def keep_ended(
    db: sqlite3.Connection, session_id: int, stored: SampleColumns | None = None
) -> None:
    """Keep the columns of a session that has just ended (in the caller's transaction).

    `stored`: every sample of the session as the caller stored them (`Store.add_sample_table`,
    an import), kept as the rows would give them instead of read back, when they can be."""
    key = session_key(db, session_id)
    if key is None:
        return
    given = None if stored is None else as_stored(stored)
    if given is None or not keep(db, session_id, key, given):
        keep(db, session_id, key, read_rows(db, session_id))


def as_stored(table: SampleColumns) -> SampleColumns | None:
    """The columns `read_rows` gives for samples stored from `table` by
    `Store.add_sample_table`, or None when they cannot be told without reading them (the
    samples are not in time order: the rows come back sorted).

    What storing changes: a negative contact reads back as CONTACT_UNKNOWN, a missing
    activity level as the one NaN, no level at all as None, a -0.0 time, rate or level as 0.0
    (SQLite keeps whole numbers as integers); RR values are stored as their shortest exact text."""
    t_s = table.t_s + 0.0
    if t_s.size > 1 and not bool(np.all(t_s[1:] >= t_s[:-1])):
        return None
    if bool(np.isnan(table.rr_s).any()):  # NaN reads back as the one NaN: rare, read them
        return None
    activity = table.activity_g
    if activity is not None:
        missing = np.isnan(activity)
        activity = None if bool(missing.all()) else np.where(missing, np.nan, activity + 0.0)
    return SampleColumns(
        t_s,
        table.bpm + 0.0,
        np.where(table.contact < 0, CONTACT_UNKNOWN, table.contact).astype(np.int8),
        table.rr_counts.astype(np.int64),
        table.rr_s.astype(np.float64),  # as text: -0.0 stays
        activity,
    )


def pack(columns: SampleColumns) -> bytes:
    """The columns as bytes: a head of four little-endian integers (samples, RR values, bytes
    per RR count, whether there are activity levels), then every column's little-endian
    values, each column split into its byte planes (the first byte of every value, then the
    second...: alike bytes side by side) and all of it deflated. No pickle."""
    n, counts = columns.t_s.size, columns.rr_counts
    narrow = n == 0 or int(counts.max()) <= np.iinfo(np.uint8).max
    arrays = [
        columns.t_s.astype("<f8"),
        columns.bpm.astype("<f8"),
        columns.contact.astype("i1"),
        counts.astype("u1" if narrow else "<i8"),
        columns.rr_s.astype("<f8"),
    ]
    if columns.activity_g is not None:
        arrays.append(columns.activity_g.astype("<f8"))
    body = b"".join(_planes(array) for array in arrays)
    head = _HEAD.pack(n, columns.rr_s.size, 1 if narrow else 8, columns.activity_g is not None)
    return head + zlib.compress(body, ZLIB_LEVEL)


def unpack(data: bytes) -> SampleColumns:
    """The columns `pack` made, each a new array of the type the rows give."""
    n, n_rr, count_bytes, has_activity = _HEAD.unpack_from(data)
    body = zlib.decompress(memoryview(data)[_HEAD.size :])
    layout = [("<f8", n), ("<f8", n), ("i1", n), ("u1" if count_bytes == 1 else "<i8", n)]
    layout += [("<f8", n_rr)] + ([("<f8", n)] if has_activity else [])
    arrays: list[npt.NDArray[Any]] = []
    at = 0
    for dtype, count in layout:
        size = np.dtype(dtype).itemsize
        planes = np.frombuffer(body, np.uint8, size * count, at).reshape(size, count)
        arrays.append(planes.T.copy().view(dtype).reshape(count))
        at += size * count
    t_s, bpm, contact, counts, rr_s = arrays[:5]
    if at != len(body) or int(counts.sum()) != n_rr:
        raise ValueError("the packed columns do not match their head")
    return SampleColumns(
        t_s.astype(np.float64, copy=False),
        bpm.astype(np.float64, copy=False),
        contact.astype(np.int8, copy=False),
        counts.astype(np.int64, copy=False),
        rr_s.astype(np.float64, copy=False),
        arrays[5].astype(np.float64, copy=False) if has_activity else None,
    )


def _planes(array: npt.NDArray[Any]) -> bytes:
    """An array's bytes plane by plane: every value's first byte, then every second one..."""
    return array.view(np.uint8).reshape(array.size, array.itemsize).T.tobytes()
