"""A live session's events wait on disk with its samples while the database is held.

Real SQLite files; another connection holds `BEGIN EXCLUSIVE` as the busy program; a real
recorder process is killed (-9) as a crash would, and the next open of the folder saves what
waited, events and samples, once and in the session they were recorded in.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from flooding.app.unfinished_break import unfinished_break
from flooding.cli.main import main
from flooding.core.models import Alert, PauseStarted, Rule, Sample
from flooding.io.store import DB_NAME, Store
from tests.test_store_busy import LockHolder
from tests.test_store_journal import journal_of, kill_after

START = 1_700_000_000.0
BOUND_ROWS = 20  # samples the recorder keeps in memory at most
BREAK_S = 1500.0  # the break the alert gave: 25 minutes

# what a recorder killed while the database is held (a script of its own) starts with
RECORDER_START = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from flooding.core.models import Alert, PauseStarted, Rule, Sample
    from flooding.io.store import Store

    T = 1_700_000_000.0
    """
)

EVENTS_RECORDER = RECORDER_START + textwrap.dedent(
    """
    async def main() -> None:
        # the folder, the memory's bound, the samples, the seconds between them; an alert,
        # its break and a false-alarm mark of it come five samples before the end
        folder, bound, count, pace_s = sys.argv[1:5]
        store = Store.open(Path(folder), max_waiting_rows=int(bound))
        sid = store.begin_session(T, source="ble", mode="talk")
        for k in range(int(count)):
            store.add_sample(sid, Sample(t_s=T + k, bpm=120.0, rr_s=(0.5,), contact=True))
            if k == int(count) - 5:
                alert = store.add_event(sid, Alert(T + k, 120.0, 70.0, 100.0, Rule.ABSOLUTE))
                store.add_event(sid, PauseStarted(T + k, T + k + 1500.0, 70.0))
                store.mark_false_alarm(sid, alert, T + k + 1)
            store.flush()
            await asyncio.sleep(float(pace_s))
        print("recorded", flush=True)
        time.sleep(60)  # killed here, the lock still held by another program

    asyncio.run(main())
    """
)


def killed_recorder(folder: Path, bound: int, count: int, pace_s: float) -> None:
    """`EVENTS_RECORDER` run on `folder` while another program holds the database with
    `BEGIN EXCLUSIVE`, killed (-9) once it has recorded."""
    Store.open(folder).close()
    with LockHolder(folder / DB_NAME, "EXCLUSIVE"):
        child = subprocess.Popen(
            [sys.executable, "-c", EVENTS_RECORDER, *map(str, (folder, bound, count, pace_s))],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        kill_after(child, "recorded")


def stored_events(folder: Path) -> list[tuple[int, int, float, str, dict[str, object]]]:
    """Every stored event: (id, session, time, kind, data), in id order."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return [
            (row[0], row[1], row[2], row[3], json.loads(row[4]))
            for row in db.execute("SELECT id, session_id, t_s, kind, data_json FROM events")
        ]
    finally:
        db.close()


def test_a_crash_while_held_keeps_the_alert_and_its_break_and_the_break_goes_on(
    tmp_path: Path,
) -> None:
    """A recorder killed (-9) while the database is held, after an alert, its break and a
    false-alarm mark: the next open saves the three events with the waiting samples, the mark
    naming the alert, and a monitor started then finds the break to go on with."""
    killed_recorder(tmp_path, BOUND_ROWS, 50, 0.0)
    store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        kinds = [e.kind for e in store.events(session.id)]
        assert kinds == ["alert", "pause-started", "false-alarm"]
        [alert] = store.events(session.id, "alert")
        assert (alert.t_s, alert.data["rule"]) == (START + 45, "absolute")
        assert store.is_false_alarm(session.id, alert.id)
        going_on = unfinished_break(store, 0, "ble", START + 600)
        assert going_on is not None
        assert going_on.until_s == START + 45 + BREAK_S
        assert store.sample_count(session.id) == 50 - BOUND_ROWS
    finally:
        store.close()
    assert not journal_of(tmp_path).exists()


PACED = 60  # samples, 50 ms apart: 3 s of a lock held
PACE_S = 0.05
AT_MOST_LOST = 30  # samples: the first second and a half of the lock (the target: one second)


def test_a_crash_three_seconds_into_a_lock_loses_only_about_its_first_second(
    tmp_path: Path,
) -> None:
    """With the store's own waiting time, a recorder killed (-9) 3 s into a lock loses at
    most about the first second of it: later samples and the alert waited on disk."""
    killed_recorder(tmp_path, 36_000, PACED, PACE_S)
    store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        times = [s.t_s for s in store.iter_samples(session.id)]
        assert [e.kind for e in store.events(session.id)] == [
            "alert",
            "pause-started",
            "false-alarm",
        ]
    finally:
        store.close()
    lost = PACED - len(times)
    assert lost <= AT_MOST_LOST
    assert times == [START + k for k in range(lost, PACED)]


async def let_go_and_save(store: Store, holder: LockHolder, folder: Path) -> None:
    """Let go of the lock, then flush as a live session does until nothing waits to be
    saved (for 20 s at most)."""
    holder.release.set()
    for _ in range(400):
        store.flush()
        if not journal_of(folder).exists() and store.waiting_rows == 0:
            return
        await asyncio.sleep(0.05)


def test_events_recorded_while_held_wait_on_disk_and_are_saved_once_in_order(
    tmp_path: Path,
) -> None:
    """While the database is held, a live session's alert and break are on disk in the
    waiting file after the samples before them; once it frees, each is saved once, under
    the id handed out, and the false-alarm mark names that alert."""
    store = Store.open(tmp_path, max_waiting_rows=BOUND_ROWS)
    waiting: list[str] = []

    async def run() -> tuple[int, int]:
        sid = store.begin_session(START, source="ble", mode="talk")
        for k in range(30):
            store.add_sample(sid, Sample(t_s=START + k, bpm=120.0, rr_s=(0.5,)))
            store.flush()
        alert = store.add_event(sid, Alert(START + 29, 120.0, 70.0, 100.0, Rule.ABSOLUTE))
        store.add_event(sid, PauseStarted(START + 29, START + 29 + BREAK_S, 70.0))
        store.mark_false_alarm(sid, alert, START + 30)
        waiting.extend(journal_of(tmp_path).read_text().splitlines())
        await let_go_and_save(store, holder, tmp_path)
        return sid, alert

    with LockHolder(tmp_path / DB_NAME, "EXCLUSIVE") as holder:
        sid, alert = asyncio.run(run())
    store.close()
    kinds = [json.loads(line).get("kind") for line in waiting if line.startswith("{")]
    assert kinds[-3:] == ["alert", "pause-started", "false-alarm"]
    assert json.loads(waiting[-4])[:3] == [sid, START + 29, 120.0]  # the sample before them
    assert [(e[0], e[1], e[3]) for e in stored_events(tmp_path)] == [
        (alert, sid, "alert"),
        (alert + 1, sid, "pause-started"),
        (alert + 2, sid, "false-alarm"),
    ]
    assert stored_events(tmp_path)[2][4] == {"alert_event_id": alert}


def test_what_waits_on_disk_is_saved_once_the_lock_frees_with_nothing_written_after(
    tmp_path: Path,
) -> None:
    """An alert that waits on disk (the database held a while) is saved once the lock frees,
    for other programs to read, though nothing is written or flushed after it (an app nobody
    uses meanwhile): not only at the next write or at close."""
    store = Store.open(tmp_path, journal_after_s=0.1)

    async def run() -> tuple[int, int, bool]:
        sid = store.begin_session(START, source="ble", mode="talk")
        store.add_sample(sid, Sample(t_s=START, bpm=120.0, rr_s=(0.5,)))
        store.flush()
        await asyncio.sleep(1.0)  # the writer finds the database away this long
        alert = store.add_event(sid, Alert(START, 120.0, 70.0, 100.0, Rule.ABSOLUTE))
        on_disk = journal_of(tmp_path).exists()
        holder.release.set()
        for _ in range(400):  # 20 s at most
            if not journal_of(tmp_path).exists():
                break
            await asyncio.sleep(0.05)
        return sid, alert, on_disk

    try:
        with LockHolder(tmp_path / DB_NAME, "EXCLUSIVE") as holder:
            sid, alert, on_disk = asyncio.run(run())
        assert on_disk
        assert not journal_of(tmp_path).exists()
        assert [(e[0], e[1], e[3]) for e in stored_events(tmp_path)] == [(alert, sid, "alert")]
    finally:
        store.close()


# a waiting file as the previous version wrote it: its session's details, then sample rows
PREVIOUS_FORMAT = (
    '{"session": 1, "started_s": 1700000000.0, "source": "ble", "mode": "talk",'
    ' "strap_name": "Polar H10", "strap_address": null, "settings_json": "{}", "people": []}\n'
    + "".join(f'[1, {START + k}, 70.0, "0.85", 1, null, "solo", null]\n' for k in range(20, 50))
)


def test_a_waiting_file_of_the_previous_version_is_saved_and_never_twice(
    tmp_path: Path,
) -> None:
    """A waiting file in the previous version's format is saved to the session it names; the
    same file left again (a crash after its save, before its removal) is removed, not saved
    a second time."""
    Store.open(tmp_path).close()
    journal_of(tmp_path).write_text(PREVIOUS_FORMAT)
    journal_of(tmp_path).chmod(0o600)
    shutil.copy(journal_of(tmp_path), tmp_path / "copy.jsonl")
    Store.open(tmp_path).close()
    assert not journal_of(tmp_path).exists()
    shutil.copy(tmp_path / "copy.jsonl", journal_of(tmp_path))
    store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        assert (session.id, session.source, session.strap_name) == (1, "ble", "Polar H10")
        assert [s.t_s for s in store.iter_samples(1)] == [START + k for k in range(20, 50)]
    finally:
        store.close()
    assert not journal_of(tmp_path).exists()


def test_sessions_right_after_a_crash_shows_the_whole_session_with_its_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flooding sessions`, the first command after a crash while the database was held,
    saves the waiting file and lists the session with every waiting sample, its alert, its
    break and the false-alarm mark."""
    killed_recorder(tmp_path, BOUND_ROWS, 50, 0.0)
    assert main(["sessions", "--json", "--data-dir", str(tmp_path)]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["samples"], listed["alerts"], listed["pauses"]) == (50 - BOUND_ROWS, 1, 1)
    assert listed["false_alarms"] == 1
    assert not journal_of(tmp_path).exists()


def test_sessions_while_still_held_says_that_recent_data_waits_to_be_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """`flooding sessions` after a crash, with the database still held by another program,
    answers with what is stored and says plainly that recent data waits in the waiting
    file, which stays there for the next open to save."""
    killed_recorder(tmp_path, BOUND_ROWS, 50, 0.0)
    with caplog.at_level(logging.WARNING), LockHolder(tmp_path / DB_NAME, "EXCLUSIVE"):
        assert main(["sessions", "--json", "--data-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    [told] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    waits = (
        f"some recent data, from when flooding last stopped, still waits in {journal_of(tmp_path)}"
    )
    assert told.startswith(waits)
    assert "is busy" in told
    assert journal_of(tmp_path).exists()


HELD_S = 7.0  # longer than a connection's own busy wait (5 s)


def test_an_open_that_finds_a_waiting_file_while_held_waits_and_then_saves_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A writing open (a monitor started again after a crash) that finds a waiting file while
    another program holds the database for longer than a busy wait says it is waiting, then
    saves the file's samples and events before it is used, so a break it holds is known."""
    killed_recorder(tmp_path, BOUND_ROWS, 50, 0.0)
    with caplog.at_level(logging.WARNING), LockHolder(tmp_path / DB_NAME, "EXCLUSIVE") as holder:
        threading.Timer(HELD_S, holder.release.set).start()
        store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        assert store.sample_count(session.id) == 50 - BOUND_ROWS
        assert unfinished_break(store, 0, "ble", START + 600) is not None
    finally:
        store.close()
    assert any(r.getMessage().startswith("waiting: ") for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


def an_ended_talk_with_an_alert(folder: Path) -> tuple[int, int]:
    """An ended session with one alert, stored as a page of the app later finds it: its
    id and the alert's."""
    store = Store.open(folder)
    try:
        sid = store.begin_session(START, source="ble", mode="talk")
        alert = store.add_event(sid, Alert(START + 20, 120.0, 70.0, 100.0, Rule.ABSOLUTE))
        store.end_session(sid, START + 60)
    finally:
        store.close()
    return sid, alert


def test_a_mark_taken_back_while_held_stays_taken_back_once_the_lock_frees(
    tmp_path: Path,
) -> None:
    """A false-alarm mark made and taken back while another program holds the database, at a
    time when writes wait on disk (a live session's samples past the memory's bound), stays
    taken back once the lock frees: the undo is saved after the mark, not before it."""
    earlier, alert = an_ended_talk_with_an_alert(tmp_path)
    store = Store.open(tmp_path, max_waiting_rows=BOUND_ROWS)

    async def run() -> None:
        live = store.begin_session(START + 3600, source="ble", mode="talk")
        for k in range(BOUND_ROWS + 10):
            store.add_sample(live, Sample(t_s=START + 3600 + k, bpm=70.0, rr_s=(0.85,)))
            store.flush()
        assert journal_of(tmp_path).exists()  # what comes now waits on disk
        store.mark_false_alarm(earlier, alert, START + 20)  # as the app marks it
        assert store.unmark_false_alarm(earlier, alert)
        assert not store.is_false_alarm(earlier, alert)
        await let_go_and_save(store, holder, tmp_path)

    with LockHolder(tmp_path / DB_NAME, "EXCLUSIVE") as holder:
        asyncio.run(run())
    store.close()
    check = Store.open_read_only(tmp_path)
    try:
        assert not check.is_false_alarm(earlier, alert)
        assert check.events(earlier, "false-alarm") == []
    finally:
        check.close()


MARK_AND_UNDO = RECORDER_START + textwrap.dedent(
    """
    async def main() -> None:
        # the folder, the memory's bound, an earlier session and its alert: a live session's
        # samples fill memory and wait on disk, then the alert is marked and taken back
        folder, bound, earlier, alert = sys.argv[1:5]
        store = Store.open(Path(folder), max_waiting_rows=int(bound))
        live = store.begin_session(T + 3600, source="ble", mode="talk")
        for k in range(int(bound) + 10):
            store.add_sample(live, Sample(t_s=T + 3600 + k, bpm=70.0, rr_s=(0.85,)))
            store.flush()
        given = store.latest_alert(int(earlier))
        store.mark_false_alarm(int(earlier), int(alert), given.t_s)  # as the app marks it
        store.unmark_false_alarm(int(earlier), int(alert))
        print("recorded", flush=True)
        time.sleep(60)  # killed here, the lock still held by another program

    asyncio.run(main())
    """
)


def test_a_mark_taken_back_before_a_crash_while_held_stays_taken_back(tmp_path: Path) -> None:
    """A program killed (-9) while the database is held, after a false-alarm mark of an
    earlier talk's alert and its undo waited on disk: the next open saves the live session's
    samples and leaves the alert unmarked, in its own session (none is restored for it)."""
    earlier, alert = an_ended_talk_with_an_alert(tmp_path)
    with LockHolder(tmp_path / DB_NAME, "EXCLUSIVE"):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                MARK_AND_UNDO,
                *map(str, (tmp_path, BOUND_ROWS, earlier, alert)),
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        kill_after(child, "recorded")
    store = Store.open(tmp_path)
    try:
        earlier_row, live = store.sessions()
        assert earlier_row.id == earlier
        assert store.sample_count(live.id) == 10
        assert not store.is_false_alarm(earlier, alert)
        assert store.events(earlier, "false-alarm") == []
    finally:
        store.close()
    assert not journal_of(tmp_path).exists()
