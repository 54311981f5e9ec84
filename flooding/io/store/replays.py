"""The alert times of sessions' replays (tune, the app's what-if), kept in the `replayed_alerts`
table by a key the caller makes of everything they depend on, so that a new process replays
only what no process replayed before.

A session keeps at most `KEPT_PER_SESSION` keys, the least recently used dropped first; the rows
go with their session (ON DELETE CASCADE, and `Store.delete_session` deletes them too).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence

KEPT_PER_SESSION = 4  # the current settings and the last few tried: a slider dragged across
#                       fifty values must not grow the file with each (a row is ~100 bytes)
_TIME = struct.Struct("<d")  # each alert time: a little-endian float64

# a session's alert times under a key: (session id, key, alert times)
Replayed = tuple[int, str, Sequence[float]]


def pack(times: Sequence[float]) -> bytes:
    """Alert times as bytes: little-endian float64s, one after the other (no pickle)."""
    return struct.pack(f"<{len(times)}d", *times)


def unpack(data: bytes) -> tuple[float, ...] | None:
    """The times `pack` made; None for bytes it cannot have made (a damaged row)."""
    if len(data) % _TIME.size:
        return None
    return struct.unpack(f"<{len(data) // _TIME.size}d", data)


def kept(db: sqlite3.Connection, session_id: int, key: str) -> tuple[float, ...] | None:
    """A session's alert times kept under `key`, or None when none are."""
    row = db.execute(
        "SELECT alert_s FROM replayed_alerts WHERE session_id=? AND key=?", (session_id, key)
    ).fetchone()
    if row is None or not isinstance(row[0], bytes):  # a damaged value: replayed again
        return None
    return unpack(row[0])


def keep(db: sqlite3.Connection, rows: Sequence[Replayed]) -> None:
    """Keep alert times (in the caller's transaction), each row the most recently used of its
    session, in the order given; then drop each session's least recently used past
    `KEPT_PER_SESSION`. A row of a session that no longer exists is not kept."""
    for session_id, key, times in rows:
        db.execute(
            "INSERT INTO replayed_alerts(session_id, key, used, alert_s)"
            " SELECT id, ?, (SELECT COALESCE(MAX(used), 0) + 1 FROM replayed_alerts"
            " WHERE session_id=?), ? FROM sessions WHERE id=?"
            " ON CONFLICT(session_id, key) DO UPDATE SET used=excluded.used,"
            " alert_s=excluded.alert_s",
            (key, session_id, pack(times), session_id),
        )
    for session_id in sorted({row[0] for row in rows}):
        db.execute(
            "DELETE FROM replayed_alerts WHERE session_id=? AND key NOT IN (SELECT key FROM"
            " replayed_alerts WHERE session_id=? ORDER BY used DESC LIMIT ?)",
            (session_id, session_id, KEPT_PER_SESSION),
        )
