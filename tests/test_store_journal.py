"""Samples past the in-memory bound wait in an owner-only journal file while the database is held.

A real second connection holds `BEGIN IMMEDIATE` on a real SQLite file while a live store (its
writer thread started from a running event loop) takes samples; the bound is made small through
`Store.open(max_waiting_rows=...)`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flooding.core.models import Sample
from flooding.io.store import DB_NAME, Store
from flooding.io.store.journal import JOURNAL_SUFFIX, Journal, SessionHeader
from tests.test_store_busy import LockHolder

START = 1_700_000_000.0
BOUND_ROWS = 20  # samples a store in these tests keeps in memory at most
SAMPLES = 100
SETTLE_TRIES = 400  # flushes (50 ms apart) waited for the writer to save everything


def sample(k: int) -> Sample:
    return Sample(t_s=START + k, bpm=60.0 + k % 30, rr_s=(0.8 + k / 10_000,), contact=True)


def journal_of(folder: Path) -> Path:
    return folder / (DB_NAME + JOURNAL_SUFFIX)


def stored_times(folder: Path) -> list[float]:
    """The sample times in the database, in the order they were inserted."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return [row[0] for row in db.execute("SELECT t_s FROM samples ORDER BY rowid")]
    finally:
        db.close()


class Observed:
    """What a recording saw while the lock was held."""

    most_in_memory = 0
    journal_lines = 0  # sample rows in the journal
    journal_headers = 0  # the most lines that were not sample rows (the session's details)
    journal_mode = 0


def record_through_lock(store: Store, holder: LockHolder) -> Observed:
    """Record `SAMPLES` samples one flush each while `holder` keeps the lock, then let go and
    flush until everything is saved."""
    seen = Observed()

    async def run() -> None:
        sid = store.begin_session(START, source="simulated", mode="talk")
        for k in range(SAMPLES):
            store.add_sample(sid, sample(k))
            store.flush()
            journal = journal_of(store.path.parent)
            own = journal.exists() and not journal.is_symlink()  # never read through a link
            text = journal.read_text().splitlines() if own else []
            lines = sum(line.startswith("[") for line in text)  # samples' rows
            seen.journal_headers = max(seen.journal_headers, len(text) - lines)
            seen.most_in_memory = max(seen.most_in_memory, store.waiting_rows - lines)
            seen.journal_lines = lines
            if own:
                seen.journal_mode = journal.stat().st_mode & 0o777
            await asyncio.sleep(0)
        holder.release.set()
        for _ in range(SETTLE_TRIES):
            store.flush()
            if store.waiting_rows == 0:
                break
            await asyncio.sleep(0.05)

    asyncio.run(run())
    return seen


def test_overflow_goes_to_an_owner_only_journal_and_memory_stays_bounded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the bound, samples go to a 0600 journal (one warning naming it) headed once by
    their session's details; memory never holds more than the bound."""
    store = Store.open(tmp_path, max_waiting_rows=BOUND_ROWS)
    with caplog.at_level(logging.WARNING), LockHolder(tmp_path / DB_NAME) as holder:
        seen = record_through_lock(store, holder)
    store.close()
    assert seen.most_in_memory <= BOUND_ROWS
    assert seen.journal_lines == SAMPLES - BOUND_ROWS
    assert seen.journal_headers == 1
    assert seen.journal_mode == 0o600
    told = [r.getMessage() for r in caplog.records if JOURNAL_SUFFIX in r.getMessage()]
    assert len(told) == 1
    assert "Nothing is lost" in told[0]
    assert "free the database" in told[0]


def test_after_the_lock_frees_every_sample_is_saved_in_order_and_the_journal_removed(
    tmp_path: Path,
) -> None:
    """Once the database can be written, the memory's rows and then the journal's are saved
    in time order, and the journal file is gone."""
    store = Store.open(tmp_path, max_waiting_rows=BOUND_ROWS)
    with LockHolder(tmp_path / DB_NAME) as holder:
        record_through_lock(store, holder)
        assert not journal_of(tmp_path).exists()
    store.close()
    assert stored_times(tmp_path) == [START + k for k in range(SAMPLES)]


CRASHING_RECORDER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from flooding.core.models import Sample
    from flooding.io.store import Store

    async def main() -> None:
        # the folder, the memory's bound, the samples, and (given) the database's time away
        # before the journal takes them and the seconds between samples (a strap's pace)
        away_s, pace_s = (float(a) for a in (sys.argv[4:] or ["5", "0"]))
        store = Store.open(
            Path(sys.argv[1]), max_waiting_rows=int(sys.argv[2]), journal_after_s=away_s
        )
        sid = store.begin_session(1_700_000_000.0, source="simulated", mode="talk")
        for k in range(int(sys.argv[3])):
            store.add_sample(sid, Sample(t_s=1_700_000_000.0 + k, bpm=70.0, rr_s=(0.85,)))
            store.flush()
            await asyncio.sleep(pace_s)
        print("recorded", flush=True)
        time.sleep(60)  # killed here, the lock still held by another program

    asyncio.run(main())
    """
)


def saved_times(folder: Path) -> list[float]:
    """The sample times of the one session the store in `folder` holds (opening it saves a
    journal a crash left)."""
    store = Store.open(folder)
    try:
        (session,) = store.sessions()
        return [s.t_s for s in store.iter_samples(session.id)]
    finally:
        store.close()


def killed_while_held(folder: Path, *args: str) -> None:
    """`CRASHING_RECORDER` with `args` run on `folder` while another program holds the
    database's write lock, and killed (-9) once it has recorded."""
    Store.open(folder).close()
    with LockHolder(folder / DB_NAME):
        child = subprocess.Popen(
            [sys.executable, "-c", CRASHING_RECORDER, str(folder), *args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "recorded"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def test_a_journal_left_by_a_crash_is_saved_at_the_next_open(tmp_path: Path) -> None:
    """A recorder killed (-9) while the lock is held leaves its journal; the next open saves
    those samples (under a session made for them) and removes the file."""
    killed_while_held(tmp_path, str(BOUND_ROWS), "50")
    assert journal_of(tmp_path).exists()
    times = saved_times(tmp_path)
    # the first BOUND_ROWS were in memory when it died: only the journal's outlive a crash
    assert times == [START + k for k in range(BOUND_ROWS, 50)]
    assert not journal_of(tmp_path).exists()


AWAY_S = 0.5  # a database away this long sends the paced recorder's samples to the journal
PACED = 60  # samples, 50 ms apart: 3 s of a lock held
PACED_ARGS = (str(PACED), str(AWAY_S), "0.05")  # a strap's pace, quickened: 50 ms a sample


def test_a_monitor_killed_during_a_long_lock_loses_only_its_first_seconds(
    tmp_path: Path,
) -> None:
    """A recorder killed (-9) 3 s into a lock, its memory far from full, loses at most the
    samples of the first second: those after the database was away `journal_after_s` went
    to the journal, and the next open saves them in order."""
    killed_while_held(tmp_path, "36000", *PACED_ARGS)
    times = saved_times(tmp_path)
    lost = PACED - len(times)
    assert lost <= 20  # the first second's, at most (AWAY_S and the writer's first tries)
    assert times == [START + k for k in range(lost, PACED)]


def test_a_planted_link_at_the_journal_is_refused_and_nothing_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A symbolic link at the journal's path is never written through: a clear error names
    it, the samples stay in memory and are all saved once the lock frees."""
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    store = Store.open(tmp_path, max_waiting_rows=BOUND_ROWS)
    journal_of(tmp_path).symlink_to(victim)
    with caplog.at_level(logging.ERROR), LockHolder(tmp_path / DB_NAME) as holder:
        seen = record_through_lock(store, holder)
    store.close()
    assert victim.read_text() == "someone else's file\n"
    assert seen.journal_lines == 0
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "is a symbolic link" in errors[0]
    assert stored_times(tmp_path) == [START + k for k in range(SAMPLES)]


def test_a_journal_another_running_program_writes_is_left_alone(tmp_path: Path) -> None:
    """An open of the folder never takes a journal a live program still holds; once that
    program lets go, the next open saves it."""
    Store.open(tmp_path).close()
    live = Journal(tmp_path / DB_NAME)
    live.append([(7, START + k, 70.0, "0.85", 1, None, "solo", None) for k in range(5)])
    try:
        store = Store.open(tmp_path)
        assert store.sessions() == []
        store.close()
        assert journal_of(tmp_path).exists()
    finally:
        live.close()
    store = Store.open(tmp_path)
    try:
        assert [s.t_s for s in store.iter_samples(7)] == [START + k for k in range(5)]
    finally:
        store.close()
    assert not journal_of(tmp_path).exists()


def test_a_link_planted_at_the_journal_does_not_stop_the_store_opening(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """At open, a symbolic link where a left journal would be is named and left alone: the
    store opens, nothing is read or removed through it."""
    Store.open(tmp_path).close()
    victim = tmp_path / "victim.jsonl"
    victim.write_text('[1, 1700000000.0, 70.0, "", 1, null, "solo", null]\n')
    journal_of(tmp_path).symlink_to(victim)
    with caplog.at_level(logging.ERROR):
        store = Store.open(tmp_path)
    try:
        assert store.sessions() == []
    finally:
        store.close()
    assert victim.exists()
    assert journal_of(tmp_path).is_symlink()
    assert any("is a symbolic link" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "line",
    [
        "5",
        "[1, 2.0]",
        '[1, 1700000000.0, 70.0, "", 1, null, "solo", {"a": 1}]',
        "not json",
        '[null, 1700000000.0, 70.0, "", 1, null, "solo", null]',
        '["1", 1700000000.0, 70.0, "", 1, null, "solo", null]',
        '{"session": 1, "started_s": 1700000000.0}',
        '{"session": 1, "started_s": 1700000000.0, "source": "ble", "mode": "talk",'
        ' "settings_json": "{}", "people": [{"person": 5}]}',
    ],
)
def test_a_changed_journal_is_named_and_kept_and_the_store_opens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, line: str
) -> None:
    """A left journal with a line that is not a sample's row does not stop the store
    opening: the error names the file, which is kept for a person to look at."""
    Store.open(tmp_path).close()
    journal_of(tmp_path).write_text(line + "\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        store = Store.open(tmp_path)
    try:
        assert store.sessions() == []
    finally:
        store.close()
    assert journal_of(tmp_path).read_text(encoding="utf-8") == line + "\n"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert str(journal_of(tmp_path)) in errors[0]
    assert "move it aside" in errors[0]


# -- the session a journal's samples belong to ------------------------------------------------

THEIRS_START = START - 86_400.0  # another program's session: yesterday's recording, imported


def stored_sessions(folder: Path) -> dict[int, tuple[float, str, list[float]]]:
    """Every stored session: id -> (start, source, its sample times in order)."""
    db = sqlite3.connect(folder / DB_NAME)
    try:
        return {
            sid: (
                started,
                source,
                [
                    row[0]
                    for row in db.execute(
                        "SELECT t_s FROM samples WHERE session_id=? ORDER BY t_s", (sid,)
                    )
                ],
            )
            for sid, started, source in db.execute("SELECT id, started_s, source FROM sessions")
        }
    finally:
        db.close()


def kill_after(child: subprocess.Popen[str], said: str) -> None:
    """Wait for a recorder to say `said`, then kill it (-9) as a crash would."""
    assert child.stdout is not None
    assert child.stdout.readline().strip() == said
    os.kill(child.pid, signal.SIGKILL)
    child.wait()


def recorder(folder: Path, script: str, samples: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, str(folder), str(BOUND_ROWS), str(samples)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_a_journal_left_by_a_crash_restores_its_session_as_it_began(tmp_path: Path) -> None:
    """A session whose own row never reached the database is restored from the journal with
    the start and source it began with, not guessed from its first waiting sample."""
    Store.open(tmp_path).close()
    with LockHolder(tmp_path / DB_NAME):
        kill_after(recorder(tmp_path, CRASHING_RECORDER, 50), "recorded")
    Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {
        1: (START, "simulated", [START + k for k in range(BOUND_ROWS, 50)])
    }


def test_a_journal_whose_session_id_another_program_took_is_not_saved_to_that_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A recorder killed before its session's row was written leaves a journal naming the id
    it was handed; another program open all along (the web app) then stores its own session
    under that very id. The next open saves the journal to a session of its own, begun when
    the recording began, and says so; the other session keeps only its own samples."""
    Store.open(tmp_path).close()
    other = Store.open(tmp_path)  # open since before the crash: it saved no journal
    with LockHolder(tmp_path / DB_NAME):
        kill_after(recorder(tmp_path, CRASHING_RECORDER, 50), "recorded")
    theirs = other.begin_session(THEIRS_START, source="import:csv", mode="talk")
    other.add_samples(theirs, [Sample(t_s=THEIRS_START + k, bpm=80.0) for k in range(5)])
    other.close()
    assert theirs == 1  # the id the recorder had been handed
    with caplog.at_level(logging.WARNING):
        Store.open(tmp_path).close()
    sessions = stored_sessions(tmp_path)
    assert sessions[1] == (THEIRS_START, "import:csv", [THEIRS_START + k for k in range(5)])
    assert sessions[2] == (START, "simulated", [START + k for k in range(BOUND_ROWS, 50)])
    assert len(sessions) == 2
    told = " ".join(r.getMessage() for r in caplog.records)
    assert "id 1 now belongs to another session" in told
    assert "session 2" in told


MOVED_RECORDER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from flooding.core.models import Sample
    from flooding.io.store import Store

    async def main() -> None:
        store = Store.open(Path(sys.argv[1]), max_waiting_rows=int(sys.argv[2]))
        sid = store.begin_session(1_700_000_000.0, source="simulated", mode="talk")
        print("began", flush=True)
        sys.stdin.readline()  # another program has taken the id meanwhile
        store.add_sample(sid, Sample(t_s=1_700_000_000.0, bpm=70.0, rr_s=(0.85,)))
        store.flush()
        assert store.wait_saved(30.0)
        print("saved", flush=True)
        sys.stdin.readline()  # the database is held again
        for k in range(1, int(sys.argv[3])):
            store.add_sample(sid, Sample(t_s=1_700_000_000.0 + k, bpm=70.0, rr_s=(0.85,)))
            store.flush()
        print("recorded", flush=True)
        time.sleep(60)  # killed here, the lock still held by another program

    asyncio.run(main())
    """
)


def test_a_journal_of_a_session_stored_under_a_new_id_is_saved_to_that_session(
    tmp_path: Path,
) -> None:
    """A recorder whose session row was stored under a new id (another program's transaction
    took the handed-out one first) and which then crashed with samples in the journal: they
    are saved to its own session, not to the one holding the id it was first handed."""
    Store.open(tmp_path).close()
    held = sqlite3.connect(tmp_path / DB_NAME)
    held.execute("BEGIN IMMEDIATE")  # another program, writing a session of its own
    child = recorder(tmp_path, MOVED_RECORDER, 50)
    assert child.stdin is not None
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "began"
    held.execute(
        "INSERT INTO sessions(started_s, source, mode) VALUES (?, 'import:csv', 'talk')",
        (THEIRS_START,),
    )
    held.commit()
    held.close()
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "saved"
    with LockHolder(tmp_path / DB_NAME):
        child.stdin.write("go\n")
        child.stdin.flush()
        kill_after(child, "recorded")
    assert journal_of(tmp_path).exists()
    Store.open(tmp_path).close()
    # the first sample was saved; then BOUND_ROWS waited in memory (lost) and the rest in
    # the journal
    assert stored_sessions(tmp_path) == {
        1: (THEIRS_START, "import:csv", []),
        2: (START, "simulated", [START] + [START + k for k in range(BOUND_ROWS + 1, 50)]),
    }


OLD_ROW = '[1, {t_s}, 70.0, "0.85", 1, null, "", null]\n'  # a row as flooding wrote it before


def write_old_journal(folder: Path, times: list[float]) -> None:
    """A journal as flooding wrote it before sessions' details were kept with it: rows only."""
    journal_of(folder).write_text("".join(OLD_ROW.format(t_s=t) for t in times))
    journal_of(folder).chmod(0o600)


def add_session(folder: Path, started_s: float, ended_s: float | None, source: str) -> None:
    store = Store.open(folder)
    try:
        sid = store.begin_session(started_s, source=source, mode="talk")
        if ended_s is not None:
            store.end_session(sid, ended_s)
    finally:
        store.close()


def test_a_journal_written_before_headers_is_saved_to_its_session_when_the_times_fit(
    tmp_path: Path,
) -> None:
    """A journal of rows only (as earlier versions wrote) is saved to the session its rows
    name when that session began before them and had not ended before them."""
    add_session(tmp_path, START - 60, None, "ble")
    write_old_journal(tmp_path, [START + k for k in range(5)])
    Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {1: (START - 60, "ble", [START + k for k in range(5)])}
    assert not journal_of(tmp_path).exists()


@pytest.mark.parametrize(
    ("started_s", "ended_s"),
    [(START + 3_600, None), (THEIRS_START, THEIRS_START + 600)],
    ids=["began-after-the-samples", "ended-before-the-samples"],
)
def test_a_journal_written_before_headers_never_goes_to_a_session_whose_times_do_not_fit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, started_s: float, ended_s: float | None
) -> None:
    """A journal of rows only whose session id now names a session that began after its
    samples, or ended before them, gets a session of its own; the other is left as it was,
    and the warning says so."""
    add_session(tmp_path, started_s, ended_s, "import:csv")
    write_old_journal(tmp_path, [START + k for k in range(5)])
    with caplog.at_level(logging.WARNING):
        Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {
        1: (started_s, "import:csv", []),
        2: (START, "recovered", [START + k for k in range(5)]),
    }
    told = " ".join(r.getMessage() for r in caplog.records)
    assert "session id 1, which now belongs to another session" in told
    assert "session 2" in told


def test_a_journal_written_before_headers_never_merges_two_sessions(tmp_path: Path) -> None:
    """A journal of rows only holding two sessions' samples, the first one's id now taken by
    another session: the first is saved to a session of its own, and the second's rows never
    join it, though that new session takes the second's id."""
    add_session(tmp_path, THEIRS_START, THEIRS_START + 600, "import:csv")
    rows = [OLD_ROW.format(t_s=START + k) for k in range(3)]
    rows += [OLD_ROW.replace("[1,", "[2,").format(t_s=START + 10 + k) for k in range(3)]
    journal_of(tmp_path).write_text("".join(rows))
    journal_of(tmp_path).chmod(0o600)
    Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {
        1: (THEIRS_START, "import:csv", []),
        2: (START, "recovered", [START + k for k in range(3)]),
        3: (START + 10, "recovered", [START + 10 + k for k in range(3)]),
    }


def test_a_journal_written_before_headers_never_takes_a_deleted_sessions_id(
    tmp_path: Path,
) -> None:
    """A journal of rows only naming a session id that a session since deleted had: its
    rows get a session under a new id, never that one's (a link or note naming the deleted
    session would name them)."""
    add_session(tmp_path, THEIRS_START, THEIRS_START + 600, "import:csv")
    store = Store.open(tmp_path)
    store.delete_session(1)
    store.close()
    write_old_journal(tmp_path, [START + k for k in range(5)])
    Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {2: (START, "recovered", [START + k for k in range(5)])}


def test_a_session_never_stored_is_restored_under_a_new_id_if_its_id_was_given_since(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A journal whose session never reached the database, its handed-out id since given to
    another session that was then deleted: the session is restored under a new id, never
    the deleted one's, and the warning names it."""
    add_session(tmp_path, THEIRS_START, THEIRS_START + 600, "import:csv")
    store = Store.open(tmp_path)
    store.delete_session(1)
    store.close()
    live = Journal(tmp_path / DB_NAME)
    live.append(
        [(1, START + k, 70.0, "0.85", 1, None, "", None) for k in range(3)],
        {1: SessionHeader(session=1, started_s=START, source="ble", mode="talk")},
    )
    live.close()
    with caplog.at_level(logging.WARNING):
        Store.open(tmp_path).close()
    assert stored_sessions(tmp_path) == {2: (START, "ble", [START + k for k in range(3)])}
    assert "restored as session 2" in " ".join(r.getMessage() for r in caplog.records)


def test_a_couple_session_never_stored_is_restored_with_both_partners(tmp_path: Path) -> None:
    """A journal whose couple session never reached the database restores the session with
    its mode, strap, settings and both partners, each track's samples under its person."""
    Store.open(tmp_path).close()
    header = SessionHeader(
        session=3,
        started_s=START,
        source="ble",
        mode="talk",
        strap_name="two straps",
        settings_json='{"mode": "talk"}',
        people=(
            ("ana", "talk", "Polar H10 A", "AA:01", "{}"),
            ("ben", "talk", "Polar H10 B", None, '{"x": 1}'),
        ),
    )
    live = Journal(tmp_path / DB_NAME)
    live.append(
        [
            (3, START + k, 70.0, "0.85", 1, None, who, None)
            for k in range(3)
            for who in ("ana", "ben")
        ],
        {3: header},
    )
    live.close()
    store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        assert (session.id, session.started_s, session.source, session.strap_name) == (
            3,
            START,
            "ble",
            "two straps",
        )
        assert store.settings_json(3) == '{"mode": "talk"}'
        assert [
            (p.person, p.strap_name, p.strap_address, p.settings_json) for p in store.people(3)
        ] == [
            ("ana", "Polar H10 A", "AA:01", "{}"),
            ("ben", "Polar H10 B", None, '{"x": 1}'),
        ]
        assert [s.t_s for s in store.iter_samples(3, "ben")] == [START + k for k in range(3)]
    finally:
        store.close()


COUPLE_RECORDER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from flooding.core.models import Sample
    from flooding.io.store import Store

    async def main() -> None:
        store = Store.open(Path(sys.argv[1]), max_waiting_rows=int(sys.argv[2]))
        sid = store.begin_session(
            1_700_000_000.0, source="ble", mode="talk", settings_json='{"mode": "talk"}'
        )
        store.add_person(sid, "ana", mode="talk", strap_name="Polar H10 A")
        store.add_person(sid, "ben", mode="talk")
        store.set_strap(sid, "two straps", None)
        for k in range(int(sys.argv[3])):
            for who in ("ana", "ben"):
                store.add_sample(sid, Sample(t_s=1_700_000_000.0 + k, bpm=70.0), who)
            store.flush()
        print("recorded", flush=True)
        time.sleep(60)  # killed here, the lock still held by another program

    asyncio.run(main())
    """
)


def test_a_live_couple_session_killed_before_it_was_stored_is_restored_whole(
    tmp_path: Path,
) -> None:
    """A couple session recorded while the database was held and killed (-9) before its
    rows were written is restored at the next open with its strap, settings and both
    partners, each with their own waiting samples."""
    Store.open(tmp_path).close()
    with LockHolder(tmp_path / DB_NAME):
        kill_after(recorder(tmp_path, COUPLE_RECORDER, 30), "recorded")
    store = Store.open(tmp_path)
    try:
        (session,) = store.sessions()
        assert (session.started_s, session.source, session.strap_name) == (
            START,
            "ble",
            "two straps",
        )
        assert store.settings_json(session.id) == '{"mode": "talk"}'
        assert [(p.person, p.strap_name) for p in store.people(session.id)] == [
            ("ana", "Polar H10 A"),
            ("ben", None),
        ]
        # BOUND_ROWS rows (ten samples each) were in memory when it died
        for who in ("ana", "ben"):
            assert [s.t_s for s in store.iter_samples(session.id, who)] == [
                START + k for k in range(BOUND_ROWS // 2, 30)
            ]
    finally:
        store.close()
