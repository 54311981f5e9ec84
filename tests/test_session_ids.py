"""Session ids are never given twice: after the newest session is deleted, the next one gets a
new id (a link, a note or a file that named the deleted one never points at another talk),
whoever stores it here: a recording, an import, a live session's writer. A session another
program (an older flooding) stores under an id given before is kept, never refused."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from flooding.io.store import DB_NAME, Store
from tests.schemas import SCHEMA_V6_DDL, SCHEMA_V8_DDL, old_database
from tests.session_factory import START_S, calm_talk, record


def ids_in(folder: Path) -> list[int]:
    """The ids of the sessions stored in `folder`, in order."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return [row[0] for row in db.execute("SELECT id FROM sessions ORDER BY id")]
    finally:
        db.close()


def samples_of(folder: Path) -> dict[int, int]:
    """How many samples each session in `folder` holds, by id (sessions without any left out)."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        query = "SELECT session_id, COUNT(*) FROM samples GROUP BY session_id"
        return {row[0]: row[1] for row in db.execute(query)}
    finally:
        db.close()


def recorded_by_another_program(
    db: sqlite3.Connection, started_s: float, sid: int | None = None
) -> int:
    """Store a session with five samples through `db` as flooding before schema 8 did (and
    still does while it runs as the background service during an upgrade): under the highest
    id + 1, or under `sid`; returns the session's id."""
    db.execute("PRAGMA foreign_keys=ON")
    given = db.execute(
        "INSERT INTO sessions(id, started_s, source, mode)"
        " VALUES (COALESCE(?, (SELECT COALESCE(MAX(id), 0) + 1 FROM sessions)), ?, 'ble', 'talk')",
        (sid, started_s),
    ).lastrowid
    db.executemany(
        "INSERT INTO samples(session_id, t_s, bpm, rr_s, contact) VALUES (?, ?, 70, '', 1)",
        [(given, started_s + k) for k in range(5)],
    )
    db.commit()
    return int(given or 0)


def test_the_id_of_a_deleted_newest_session_is_never_given_again(tmp_path: Path) -> None:
    """Deleting the newest session and recording again gives the new session the next id,
    also when the store is opened again in between."""
    store = Store.open(tmp_path)
    first = record(store, calm_talk(), start_s=START_S)
    newest = record(store, calm_talk(), start_s=START_S + 3_600)
    store.delete_session(newest)
    again = record(store, calm_talk(), start_s=START_S + 7_200)
    store.delete_session(again)
    store.close()
    store = Store.open(tmp_path)
    try:
        later = store.begin_session(START_S + 9_000, source="import:csv", mode="talk")
    finally:
        store.close()
    assert (first, newest, again, later) == (1, 2, 3, 4)
    assert ids_in(tmp_path) == [1, 4]


def test_a_live_session_after_a_deletion_gets_a_new_id_at_once(tmp_path: Path) -> None:
    """A live session (its id handed out before its row is written) begun after the newest
    session was deleted is handed a new id, and stored under that very id."""
    store = Store.open(tmp_path)
    record(store, calm_talk(), start_s=START_S)
    store.delete_session(record(store, calm_talk(), start_s=START_S + 3_600))

    async def live() -> int:
        return store.begin_session(START_S + 7_200, source="ble", mode="talk")

    try:
        given = asyncio.run(live())
    finally:
        store.close()
    assert given == 3
    assert ids_in(tmp_path) == [1, 3]


def test_an_id_another_program_gave_and_deleted_meanwhile_is_not_taken(tmp_path: Path) -> None:
    """A live session's id handed out while another program holds the database, which then
    stores a session under that id and deletes it: the live session is stored under a new
    id, and still found under the id it was handed."""
    store = Store.open(tmp_path)
    record(store, calm_talk(), start_s=START_S)
    other = sqlite3.connect(tmp_path / DB_NAME)
    other.execute("BEGIN IMMEDIATE")

    async def live() -> int:
        return store.begin_session(START_S + 7_200, source="ble", mode="talk")

    try:
        given = asyncio.run(live())  # its row waits for the other program's lock
        theirs = other.execute(
            "INSERT INTO sessions(started_s, source, mode) VALUES (?, 'import:csv', 'talk')",
            (START_S + 3_600,),
        ).lastrowid
        other.execute("DELETE FROM sessions WHERE id=?", (theirs,))
        other.commit()
        mine = store.session(given)
    finally:
        other.close()
        store.close()
    assert given == theirs == 2
    assert mine is not None
    assert (mine.id, mine.source) == (3, "ble")
    assert ids_in(tmp_path) == [1, 3]


def test_a_session_stored_under_an_id_given_before_is_kept(tmp_path: Path) -> None:
    """A session row another program stores under an id given before (a deleted session's,
    lower than the highest given) is kept with its samples, and this store still gives only
    ids never given before."""
    store = Store.open(tmp_path)
    first = record(store, calm_talk(), start_s=START_S)
    record(store, calm_talk(), start_s=START_S + 1_800)
    newest = record(store, calm_talk(), start_s=START_S + 3_600)
    store.delete_session(newest)
    store.delete_session(first)
    store.close()
    other = sqlite3.connect(tmp_path / DB_NAME)
    try:
        theirs = recorded_by_another_program(other, START_S + 7_200, sid=first)
    finally:
        other.close()
    store = Store.open(tmp_path)
    try:
        later = store.begin_session(START_S + 9_000, source="import:csv", mode="talk")
    finally:
        store.close()
    assert (theirs, newest, later) == (1, 3, 4)
    assert ids_in(tmp_path) == [1, 2, 4]
    assert samples_of(tmp_path)[1] == 5


def test_an_upgraded_file_keeps_its_highest_id_given(tmp_path: Path) -> None:
    """A file of an earlier version, once upgraded, never gives its newest session's id
    again after that session is deleted."""
    db = old_database(tmp_path, SCHEMA_V6_DDL)
    db.executemany(
        "INSERT INTO sessions(id, started_s, ended_s, source, mode) VALUES (?, ?, ?, 'x', 'talk')",
        [(1, START_S, START_S + 60), (2, START_S + 600, START_S + 660)],
    )
    db.commit()
    db.close()
    store = Store.open(tmp_path)
    try:
        store.delete_session(2)
        given = store.begin_session(START_S + 3_600, source="ble", mode="talk")
    finally:
        store.close()
    assert given == 3
    assert ids_in(tmp_path) == [1, 3]


def test_an_older_flooding_still_running_keeps_its_session_after_an_upgrade(
    tmp_path: Path,
) -> None:
    """A schema 8 file whose newest session was deleted, upgraded while an older flooding
    still runs (the background service during an upgrade): the session that older program
    then stores under the highest id + 1 is kept with every sample, and this store goes on
    giving ids never given before."""
    db = old_database(tmp_path, SCHEMA_V8_DDL)
    db.executemany(
        "INSERT INTO sessions(id, started_s, ended_s, source, mode) VALUES (?, ?, ?, 'x', 'talk')",
        [(1, START_S, START_S + 60), (2, START_S + 600, START_S + 660)],
    )
    db.execute("DELETE FROM sessions WHERE id=2")
    db.commit()
    older = db  # the older program keeps its connection through the upgrade
    try:
        Store.open(tmp_path).close()  # any command of the new version upgrades the file
        theirs = recorded_by_another_program(older, START_S + 3_600)
    finally:
        older.close()
    store = Store.open(tmp_path)

    async def live() -> int:
        return store.begin_session(START_S + 9_000, source="ble", mode="talk")

    try:
        recorded = store.begin_session(START_S + 7_200, source="import:csv", mode="talk")
        handed = asyncio.run(live())
    finally:
        store.close()
    assert (theirs, recorded, handed) == (2, 3, 4)
    assert ids_in(tmp_path) == [1, 2, 3, 4]
    assert samples_of(tmp_path) == {2: 5}
