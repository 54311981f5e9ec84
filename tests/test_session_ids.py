"""Session ids are never given twice: after the newest session is deleted, the next one gets a
new id (a link, a note or a file that named the deleted one never points at another talk),
whoever stores it: a recording, an import, a live session's writer, another program."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from flooding.io.store import DB_NAME, Store
from tests.schemas import SCHEMA_V6_DDL, old_database
from tests.session_factory import START_S, calm_talk, record


def ids_in(folder: Path) -> list[int]:
    """The ids of the sessions stored in `folder`, in order."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return [row[0] for row in db.execute("SELECT id FROM sessions ORDER BY id")]
    finally:
        db.close()


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


def test_the_database_refuses_an_id_given_before(tmp_path: Path) -> None:
    """A session row stored under a deleted session's id, by whatever writes the file, is
    refused: the rule holds in the database, not only in the store's code."""
    store = Store.open(tmp_path)
    newest = record(store, calm_talk(), start_s=START_S)
    store.delete_session(newest)
    store.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="a session id is never given twice"):
            db.execute(
                "INSERT INTO sessions(id, started_s, source, mode) VALUES (?, ?, 'x', 'talk')",
                (newest, START_S),
            )
    finally:
        db.close()


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
