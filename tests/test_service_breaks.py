"""A break is part of the talk it interrupted: the background service keeps the session open
through it when no heart comes for longer than the session gap (the suggested walk out of the
strap's range, a closed laptop), and the ready-to-return check comes when the heart is heard
again, in the same stored session. The real BackgroundMonitor, SessionRunner and SQLite, on a
session clock the test steers."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from flooding.app.review import episodes
from flooding.core.models import Alert, PauseStarted, ReadyToReturn
from flooding.core.pause import CHECK_WAITS_S
from flooding.core.settings import Settings
from flooding.io.config_files.loading import default_settings
from flooding.io.store import Store
from tests.test_clocks import HOUR_S, PAUSE_S, Service, sample_times

GAP_S = 600.0  # the default session gap: ten minutes
IN_PAUSE_S = 120.0  # the strap goes away two minutes into the pause


@pytest.fixture(scope="module")
def settings() -> Settings:
    return default_settings()


async def flooded(service: Service) -> None:
    """Calm for five minutes, a rise, flooded (the alert and its pause), then two minutes of
    the pause with the heart back near calm."""
    await service.wear(300, 68.0)
    for second in range(60):
        await service.wear(1, 68.0 + second * 0.7)
    await service.wear(150, 110.0)
    await service.wear(int(IN_PAUSE_S), 70.0)


def away_then_calm(
    tmp_path: Path, settings: Settings, away_s: float, *, wall_set_s: float = 0.0
) -> tuple[Store, Service]:
    """The service through `flooded`, then no packet for `away_s` (the wall clock set by
    `wall_set_s` as the strap went), then ten calm minutes; its store, to read."""
    store = Store.open(tmp_path)
    service = Service(store, settings, gap_s=GAP_S)

    async def talk() -> None:
        task = asyncio.create_task(service.monitor.run())
        await flooded(service)
        service.wall[0] += wall_set_s
        service.boot[0] += away_s
        await service.wear(600, 66.0)
        await asyncio.sleep(0.05)
        service.monitor.stop()
        await task

    asyncio.run(talk())
    return store, service


def outcome_events(service: Service) -> list[object]:
    return [e for outcome in service.monitor.outcomes for e in outcome.events]


class TestABreakOutlastingTheGap:
    def test_the_check_comes_when_the_heart_is_back_in_the_same_session(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """Away 25 minutes (past the gap and the break's planned end): one session, and about
        a minute after the heart is heard again, ready to return, counted from the alert."""
        store, service = away_then_calm(tmp_path, settings, 25 * 60.0)
        try:
            [session] = store.sessions()
            [episode] = episodes(store, session.id)
        finally:
            store.close()
        events = outcome_events(service)
        [alert] = [e for e in events if isinstance(e, Alert)]
        [ready] = [e for e in events if isinstance(e, ReadyToReturn)]
        woke_s = alert.t_s + 150 + IN_PAUSE_S + 25 * 60.0
        assert woke_s < ready.t_s <= woke_s + 120.0
        assert ready.pause_start_s == alert.t_s
        assert [m.kind for m in service.view.messages] == ["alert", "ready"]
        assert episode.ready_s == ready.t_s
        assert episode.pause_start_s == alert.t_s

    def test_a_clock_set_back_while_away_neither_stretches_the_break_nor_splits_it(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The wall clock set back an hour as the strap went away for 12 minutes: ready to
        return comes at the planned end, 20 minutes after the alert (not an hour later), the
        words say 20 minutes, and the session's samples stay in order."""
        store, service = away_then_calm(tmp_path, settings, 12 * 60.0, wall_set_s=-HOUR_S)
        try:
            [times] = sample_times(store)
        finally:
            store.close()
        events = outcome_events(service)
        [alert] = [e for e in events if isinstance(e, Alert)]
        [ready] = [e for e in events if isinstance(e, ReadyToReturn)]
        assert alert.t_s + PAUSE_S <= ready.t_s <= alert.t_s + PAUSE_S + 60.0
        [_, said] = service.view.messages
        assert said.title.startswith("20 min")
        assert times == sorted(times)

    def test_a_break_not_checked_long_after_its_end_ends_the_session(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """Away for longer than `CHECK_WAITS_S` after the planned end: that session ends, and
        the next wearing is a session of its own."""
        away_s = PAUSE_S + CHECK_WAITS_S + GAP_S
        store, service = away_then_calm(tmp_path, settings, away_s)
        try:
            first, second = sample_times(store)
        finally:
            store.close()
        assert second[0] > first[-1] + away_s - 60.0
        later = service.monitor.outcomes[1].events
        assert not any(isinstance(e, PauseStarted | ReadyToReturn) for e in later)


class TestTheNextWearing:
    def test_a_sample_after_the_gap_is_stored_on_the_clock_lined_up_again(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The wall clock set back an hour, then the laptop suspended past the gap: the next
        session's first sample, which came before the clock was lined up again, is stored at
        the time the computer showed, one second before the next one (not an hour away)."""
        store = Store.open(tmp_path)
        service = Service(store, settings, gap_s=GAP_S)

        async def two_wearings() -> None:
            task = asyncio.create_task(service.monitor.run())
            await service.wear(10)
            await service.until_running()
            service.wall[0] -= HOUR_S
            service.boot[0] += 2 * GAP_S
            await service.wear(10)
            await service.until_sessions(1)
            await service.until_running()
            while (runner := service.live.runner) is not None and (
                runner.outcome is None or runner.outcome.samples < 10
            ):
                await asyncio.sleep(0.01)  # every sample of the second wearing is in
            service.monitor.stop()
            await task

        try:
            asyncio.run(two_wearings())
            first, second = sample_times(store)
        finally:
            store.close()
        assert [b - a for a, b in itertools.pairwise(second)] == [1.0] * 9
        assert second[0] == pytest.approx(first[-1] + 2 * GAP_S + 1.0 - HOUR_S)
