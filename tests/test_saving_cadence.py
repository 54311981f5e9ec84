"""When a live session hands what it recorded to the store: within the flush interval, and for a
strap's sample a second in the same step that took the sample (no wake-up of its own).

A real session runner on a real SQLite file; the source is paced by the test, so what is
checked is the order of things, not how fast they run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from flooding.app.session import SessionRunner
from flooding.core.models import SOLO, LinkChanged, LinkState, Sample, SourceItem
from flooding.io.store import Store
from flooding.io.store.store import JOURNAL_AFTER_S, MAX_WAITING_ROWS
from tests.session_factory import runner_on

START = 1_700_000_000.0
INTERVAL_S = 0.05  # the runner's flush interval in these tests
SAMPLES = 8


class CountingStore(Store):
    """A real store that counts the hand-overs (flushes) and the samples taken before each."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        max_waiting_rows: int = MAX_WAITING_ROWS,
        journal_after_s: float = JOURNAL_AFTER_S,
    ) -> None:
        super().__init__(connection, path, max_waiting_rows, journal_after_s)
        self.taken = 0
        self.flushed_after: list[int] = []  # samples taken at each hand-over

    def add_sample(self, session_id: int, sample: Sample, person: str = SOLO) -> None:
        """Count the sample, then record it as the store does."""
        self.taken += 1
        super().add_sample(session_id, sample, person)

    def flush(self) -> None:
        """Note how many samples came before this hand-over, then hand them over."""
        self.flushed_after.append(self.taken)
        super().flush()


class PacedSource:
    """A strap that sends a sample every `every_s`, then goes quiet until `done` is set."""

    description = "paced test strap"

    def __init__(self, every_s: float, count: int) -> None:
        self.every_s = every_s
        self.count = count
        self.quiet = asyncio.Event()
        self.done = asyncio.Event()

    async def stream(self) -> AsyncIterator[SourceItem]:
        yield LinkChanged(START, LinkState.CONNECTED, strap_name="test strap")
        for k in range(self.count):
            await asyncio.sleep(self.every_s)
            yield Sample(t_s=START + k, bpm=70.0, rr_s=(0.85,), contact=True)
        self.quiet.set()
        await self.done.wait()


def runner_for(store: Store, source: PacedSource) -> SessionRunner:
    """A real session runner on `store`, handing over every `INTERVAL_S` at most."""
    return runner_on(store, source, flush_interval_s=INTERVAL_S, clock_s=START)


def saved(folder: Path, session_id: int) -> tuple[int, int]:
    """Samples and started pauses of the session on disk, read by another connection."""
    check = Store.open_read_only(folder)
    try:
        return check.sample_count(session_id), len(check.events(session_id, "pause-started"))
    finally:
        check.close()


class TestSampleASecond:
    def test_each_sample_handed_over_as_it_is_taken(self, tmp_path: Path) -> None:
        """Samples an interval apart are each handed to the store in the step that took them."""
        store = CountingStore.open(tmp_path)
        source = PacedSource(every_s=INTERVAL_S, count=SAMPLES)
        runner = runner_for(store, source)

        async def play() -> list[int]:
            task = asyncio.create_task(runner.run())
            await source.quiet.wait()
            seen = list(store.flushed_after)
            runner.stop()
            source.done.set()
            await task
            return seen

        seen = asyncio.run(play())
        assert seen[-SAMPLES:] == list(range(1, SAMPLES + 1))
        store.close()


class TestBetweenSamples:
    def test_pause_started_while_the_strap_is_quiet_is_saved_within_the_interval(
        self, tmp_path: Path
    ) -> None:
        """A pause started by hand with no sample after it is on disk one interval later."""
        store = CountingStore.open(tmp_path)
        source = PacedSource(every_s=0.0, count=2)
        runner = runner_for(store, source)

        async def play() -> tuple[int, int]:
            task = asyncio.create_task(runner.run())
            await source.quiet.wait()
            await asyncio.sleep(0)  # the last sample is handled
            runner.start_pause()
            assert runner.session_id is not None
            await asyncio.sleep(INTERVAL_S * 4)  # no sample comes meanwhile
            on_disk = await asyncio.to_thread(store.wait_saved, 5.0) and saved(
                tmp_path, runner.session_id
            )
            runner.stop()
            source.done.set()
            await task
            assert on_disk
            return on_disk

        assert asyncio.run(play()) == (2, 1)
        store.close()
