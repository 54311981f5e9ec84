"""A live session on a disk that fills up: it says once that the samples wait and will be
saved (what to do, where), not with every save, says when saving works again, and keeps them.

A real session runner on a real SQLite file; the disk is full for the database the way the
import and column tests make it so (a trigger in the file refuses every new sample with
SQLite's own words for a full disk), and has space again when the trigger goes. The source is
paced by the test, so what is checked is the order of things, not how fast they run.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flooding.app.saving_notice import SavingNotice
from flooding.app.session import SessionRunner
from flooding.core.models import LinkChanged, LinkState, Sample, SourceItem
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue
from flooding.io.store import DB_NAME, Store, StoreError
from flooding.io.store.writer import WARN_EVERY_S
from tests.fakes import RecordingView

START = 1_700_000_000.0
INTERVAL_S = 0.05  # the runner's flush interval here; the test feeds a sample this often
MOST_STEPS = 400  # a phase that has not come about after this many samples never will
FULL = "CREATE TRIGGER disk_full BEFORE INSERT ON samples BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"  # noqa: E501


class FedSource:
    """A strap whose samples the test hands in one at a time (`feed`)."""

    description = "fed test strap"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Sample | None] = asyncio.Queue()
        self.count = 0

    async def feed(self) -> None:
        """Hand in the next sample and give the runner an interval to take and save it."""
        await self.queue.put(Sample(t_s=START + self.count, bpm=70.0, rr_s=(0.85,), contact=True))
        self.count += 1
        await asyncio.sleep(INTERVAL_S)

    async def stream(self) -> AsyncIterator[SourceItem]:
        yield LinkChanged(START, LinkState.CONNECTED, strap_name="test strap")
        while (sample := await self.queue.get()) is not None:
            yield sample


def change_the_file(folder: Path, statement: str) -> None:
    """Run one statement on the database as another program would (the disk fills or frees)."""
    db = sqlite3.connect(folder / DB_NAME, timeout=10)
    try:
        db.execute(statement)
        db.commit()
    finally:
        db.close()


class TestDiskFullWhileRecording:
    def test_said_once_that_samples_wait_then_that_they_are_saved(self, tmp_path: Path) -> None:
        """While the disk is full, one line says the samples are kept and saved when there is
        space and to free space in the data folder; one line says when saving works again;
        every sample is on disk at the end."""
        store = Store.open(tmp_path)
        view = RecordingView()
        source = FedSource()
        runner = SessionRunner(
            source=source,
            settings=default_settings(),
            store=store,
            view=view,
            source_kind="simulated",
            clock=lambda: START,
            flush_interval_s=INTERVAL_S,
        )
        said = load_catalogue("en")
        waiting = said("session.info.samples_wait_full", folder=tmp_path)
        again = said("session.info.samples_saved_again")

        async def feed_until(line: str) -> None:
            for _ in range(MOST_STEPS):
                await source.feed()
                if line in view.infos:
                    return

        async def play() -> None:
            task = asyncio.create_task(runner.run())
            for _ in range(3):
                await source.feed()
            change_the_file(tmp_path, FULL)
            await feed_until(waiting)
            for _ in range(20):  # twenty saves more while the disk stays full
                await source.feed()
            change_the_file(tmp_path, "DROP TRIGGER disk_full")
            await feed_until(again)
            await source.queue.put(None)
            await task

        asyncio.run(play())
        store.close()
        assert view.infos.count(waiting) == 1
        assert view.infos.count(again) == 1
        assert view.infos.index(waiting) < view.infos.index(again)
        assert f"The disk holding {tmp_path} is full" in waiting
        assert "kept and saved as soon as there is space" in waiting
        reader = Store.open_read_only(tmp_path)
        try:
            assert runner.session_id is not None
            assert reader.sample_count(runner.session_id) == source.count
        finally:
            reader.close()


class TestSavingNotice:
    def test_repeated_at_most_once_a_minute_and_afresh_after_it_works(self, tmp_path: Path) -> None:
        """The waiting line comes at the first failed save and again a minute later, not in
        between; after saving worked, the next trouble is said at once."""
        lines: list[str] = []
        full = StoreError("full", "store.full", folder=tmp_path)
        notice = SavingNotice(lines.append, load_catalogue("en"), tmp_path / DB_NAME)
        for now_s in (0.0, 1.0, WARN_EVERY_S - 1.0, WARN_EVERY_S, WARN_EVERY_S + 1.0):
            notice.saw(full, now_s)
        notice.saw(None, WARN_EVERY_S + 2.0)
        notice.saw(None, WARN_EVERY_S + 3.0)
        notice.saw(full, WARN_EVERY_S + 4.0)
        assert [line.split(":")[0] for line in lines] == [
            f"The disk holding {tmp_path} is full",
            f"The disk holding {tmp_path} is full",
            "Saving works again",
            f"The disk holding {tmp_path} is full",
        ]

    def test_other_causes_say_their_own_words_in_german(self, tmp_path: Path) -> None:
        """A database that cannot be written for another reason names it (in the person's
        language), and still says the samples are kept."""
        lines: list[str] = []
        notice = SavingNotice(lines.append, load_catalogue("de"), tmp_path / DB_NAME)
        notice.saw(sqlite3.OperationalError("attempt to write a readonly database"), 0.0)
        assert lines[0].startswith("Neue Werte lassen sich gerade nicht speichern:")
        assert "schreibgeschützt" in lines[0]
        assert "werden behalten" in lines[0]


class TestStoreWhileFull:
    def test_handing_over_never_fails_and_says_why_samples_wait(self, tmp_path: Path) -> None:
        """In live use a full disk never makes handing samples over fail (a page read or a
        false alarm marked meanwhile goes on); the store says why they wait, and saves them
        all once there is space."""
        store = Store.open(tmp_path)

        async def record() -> tuple[str | None, int, int]:
            sid = store.begin_session(START, source="simulated", mode="talk")
            change_the_file(tmp_path, FULL)
            added = 0
            while added < MOST_STEPS and store.saving_trouble is None:
                store.add_sample(sid, Sample(START + added, 70.0, (0.85,), True))
                added += 1
                store.flush()
                await asyncio.sleep(INTERVAL_S)
            trouble = store.saving_trouble
            store.add_sample(sid, Sample(START + added, 70.0, (0.85,), True))
            store.flush()  # once more, with the trouble known
            change_the_file(tmp_path, "DROP TRIGGER disk_full")
            return (None if trouble is None else trouble.key), sid, added + 1

        key, sid, added = asyncio.run(record())
        try:
            assert key == "store.full"
            assert store.wait_saved(30.0)
            assert store.saving_trouble is None
        finally:
            store.close()
        reader = Store.open_read_only(tmp_path)
        try:
            assert reader.sample_count(sid) == added
        finally:
            reader.close()

    def test_the_waiting_file_names_the_cause_not_another_program(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """When samples wait in the file beside the database because the disk is full (memory
        holding the most it may), the log says they are saved once there is space, not to end
        another program."""
        store = Store.open(tmp_path, max_waiting_rows=1, journal_after_s=0.0)

        async def record() -> None:
            sid = store.begin_session(START, source="simulated", mode="talk")
            change_the_file(tmp_path, FULL)
            for added in range(MOST_STEPS):
                store.add_sample(sid, Sample(START + added, 70.0, (0.85,), True))
                store.flush()
                if store.waiting_rows and (tmp_path / f"{DB_NAME}-waiting.jsonl").exists():
                    break
                await asyncio.sleep(INTERVAL_S)
            change_the_file(tmp_path, "DROP TRIGGER disk_full")

        with caplog.at_level(logging.WARNING):
            asyncio.run(record())
            store.close()
        told = [r.getMessage() for r in caplog.records if "waiting.jsonl" in r.getMessage()]
        assert told
        assert "end the program using it" not in told[0]
        assert f"the disk holding {tmp_path} is full" in told[0]
