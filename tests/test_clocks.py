"""No clock can bend a pause or delay an alert: wall-clock jumps and a suspend, played through
the live pipeline (wiring, the real SessionRunner, engine and store) with injected clocks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flooding.app.background import BackgroundMonitor
from flooding.app.live import LiveMonitor
from flooding.app.session import SessionRunner
from flooding.app.sources import HeartSource
from flooding.app.status import StatusBoard
from flooding.core.models import Mode, Sample, SourceItem
from flooding.core.settings import Settings
from flooding.core.timefmt import clock_time
from flooding.io.clock import SessionClock, elapsed_s, wall_offset_of
from flooding.io.config_files.loading import default_settings
from flooding.io.control import PauseReply, PauseRequest
from flooding.io.store import Store
from flooding.lab.clock_jumps import (
    START_S,
    ClockChange,
    Played,
    SteeredClocks,
    SteeredStrap,
    long_talk,
)
from flooding.lab.clock_jumps import play as play_talk
from tests.fakes import RecordingView

PAUSE_S = 20 * 60.0
HOUR_S = 3600.0
RISE_S = 250.0  # talk time: the heart is on its way up (the alert comes at about 4:35)
IN_PAUSE_S = 400.0  # talk time: two minutes into the pause


@pytest.fixture(scope="module")
def settings() -> Settings:
    return default_settings()


@pytest.fixture(scope="module")
def untouched(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Played:
    """The talk with nobody touching the clock."""
    played = play_talk(tmp_path_factory.mktemp("untouched"), (), settings)
    assert played.alert_s is not None
    assert played.ready_s is not None
    return played


def play(tmp_path: Path, settings: Settings, *changes: ClockChange) -> Played:
    return play_talk(tmp_path, changes, settings)


class TestWallClockJumps:
    def test_clock_back_10_min_during_the_rise_does_not_delay_the_alert(
        self, tmp_path: Path, settings: Settings, untouched: Played
    ) -> None:
        """The wall clock set back 10 minutes as the heart rises: the alert comes as without."""
        played = play(tmp_path, settings, ClockChange(RISE_S, wall_s=-600.0))
        assert played.alert_s == untouched.alert_s
        assert played.stored_in_order

    def test_clock_back_an_hour_during_the_rise_does_not_delay_the_alert(
        self, tmp_path: Path, settings: Settings, untouched: Played
    ) -> None:
        """The wall clock set back an hour as the heart rises: the same alert, same calm."""
        played = play(tmp_path, settings, ClockChange(RISE_S, wall_s=-HOUR_S))
        assert played.alert_s == untouched.alert_s
        assert "(calm for you: 67 bpm)" in played.alert_body
        assert played.stored_in_order

    def test_clock_forward_an_hour_in_the_pause_keeps_the_20_minutes(
        self, tmp_path: Path, settings: Settings, untouched: Played
    ) -> None:
        """The wall clock set forward an hour in the pause: ready to return still comes only
        after 20 real minutes, at the same moment as without the jump."""
        played = play(tmp_path, settings, ClockChange(IN_PAUSE_S, wall_s=HOUR_S))
        assert played.pause_s is not None
        assert played.pause_s >= PAUSE_S
        assert played.ready_s == untouched.ready_s

    def test_clock_back_an_hour_in_the_pause_does_not_make_it_longer(
        self, tmp_path: Path, settings: Settings, untouched: Played
    ) -> None:
        """The wall clock set back an hour in the pause: ready to return comes as without."""
        played = play(tmp_path, settings, ClockChange(IN_PAUSE_S, wall_s=-HOUR_S))
        assert played.ready_s == untouched.ready_s
        assert played.stored_in_order

    def test_back_at_names_the_time_on_the_clock_the_computer_shows(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """After the wall clock was set forward an hour, the words for the partner name the
        return time on the clock as the computer shows it now (20 minutes after the alert)."""
        played = play(tmp_path, settings, ClockChange(200.0, wall_s=HOUR_S))
        assert played.alert_wall_s is not None
        assert f"come back at {clock_time(played.alert_wall_s + PAUSE_S)}" in played.alert_body

    def test_stamping_samples_with_the_wall_clock_lets_the_jump_cut_the_pause_short(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The attack as it was (samples stamped with wall time): the same jump forward ends
        the pause early, so the tests above would see it."""
        played = play_talk(
            tmp_path, (ClockChange(IN_PAUSE_S, wall_s=HOUR_S),), settings, stamp="wall"
        )
        assert played.pause_s is not None
        assert played.pause_s < PAUSE_S


class TestSuspend:
    def test_a_suspend_in_the_pause_counts_as_pause_time_and_never_shortens_it(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The laptop closed for 20 minutes in the pause: those minutes were the break (ready
        to return within two minutes of waking, once the calm heart is seen), never less than
        20 minutes after the alert."""
        asleep = ClockChange(900.0, suspend_s=PAUSE_S)
        played = play(tmp_path, settings, asleep)
        assert played.pause_s is not None
        assert played.pause_s >= PAUSE_S
        assert played.ready_s is not None
        woke_s = asleep.at_s + asleep.suspend_s
        assert woke_s < played.ready_s <= woke_s + 120.0

    def test_a_clock_that_stops_in_a_suspend_would_stretch_the_pause(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The same suspend on a session clock built on CLOCK_MONOTONIC (stops while asleep):
        the 20 minutes asleep would be added to the pause, so the test above would see it."""
        asleep = ClockChange(900.0, suspend_s=PAUSE_S)
        played = play_talk(tmp_path, (asleep,), settings, stamp="monotonic")
        assert played.ready_s is not None
        assert played.ready_s > asleep.at_s + asleep.suspend_s + 120.0

    def test_a_short_suspend_early_in_the_pause_does_not_shorten_it(
        self, tmp_path: Path, settings: Settings, untouched: Played
    ) -> None:
        """Five minutes suspended early in the pause: still at least 20 minutes of pause."""
        played = play(tmp_path, settings, ClockChange(IN_PAUSE_S, suspend_s=300.0))
        assert played.pause_s is not None
        assert played.pause_s >= PAUSE_S
        assert untouched.ready_s is not None
        assert played.ready_s is not None
        assert played.ready_s <= untouched.ready_s + 300.0

    @pytest.mark.skipif(not hasattr(time, "CLOCK_BOOTTIME"), reason="Linux's CLOCK_BOOTTIME")
    def test_elapsed_time_is_the_boot_clock_that_runs_through_suspend(self) -> None:
        """On Linux the session clock's elapsed time is CLOCK_BOOTTIME (CLOCK_MONOTONIC stops
        while suspended, which would stretch a pause by the time asleep)."""
        before = time.clock_gettime(time.CLOCK_BOOTTIME)
        now = elapsed_s()
        after = time.clock_gettime(time.CLOCK_BOOTTIME)
        assert before <= now <= after


class TestSessionClock:
    def test_a_wall_jump_moves_no_session_time_but_the_display_offset(self) -> None:
        """Setting the wall clock changes only what a session time reads as on the wall."""
        wall, boot = [1000.0], [5.0]
        clock = SessionClock(wall=lambda: wall[0], elapsed=lambda: boot[0])
        boot[0], wall[0] = 15.0, 1010.0
        assert clock() == 1010.0
        wall[0] -= HOUR_S
        assert clock() == 1010.0
        assert clock.wall_offset_s() == -HOUR_S
        clock.rebase()  # between sessions: lined up again
        assert clock() == wall[0]
        assert clock.wall_offset_s() == 0.0

    def test_a_time_shown_after_the_zone_changed_is_in_the_new_zone(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A laptop that travels from Berlin to London while the monitor runs is told the
        return time in London's hours, not Berlin's (the C library read the zone only once)."""
        moment = 1_790_000_000.0  # 21 September 2026: Berlin is UTC+2, London UTC+1
        clock = SessionClock(wall=lambda: moment, elapsed=lambda: 0.0)
        try:
            with monkeypatch.context() as zone:
                zone.setenv("TZ", "Europe/Berlin")
                time.tzset()
                berlin = clock_time(moment + clock.wall_offset_s())
                zone.setenv("TZ", "Europe/London")  # the computer's zone changes, nothing else
                london = clock_time(moment + clock.wall_offset_s())
        finally:
            time.tzset()  # the other tests in this process keep the machine's own zone
        assert (berlin, london) == ("16:13", "15:13")

    def test_plain_clocks_have_no_display_offset(self) -> None:
        """A simulated or replayed session shows its own times as they are."""
        assert wall_offset_of(lambda: 12.0)() == 0.0

    def test_status_and_pause_replies_name_the_end_on_the_wall_clock(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """`flooding status` and `pause` say "until" on the wall clock as set now, and the
        minutes left from session times (which the jump did not move)."""
        clocks = SteeredClocks([ClockChange(100.0, wall_s=-HOUR_S)])
        clock = SessionClock(wall=clocks.wall, elapsed=clocks.elapsed)
        store = Store.open(tmp_path)
        board = StatusBoard(RecordingView())
        runner = SessionRunner(
            source=SteeredStrap(long_talk(), clocks, clock),
            settings=settings.model_copy(
                update={"notify": settings.notify.model_copy(update={"enabled": False})}
            ),
            store=store,
            view=board,
            source_kind="test",
            clock=clock,
        )
        live = LiveMonitor(board, settings=settings, strap="test", headless=True)
        live.runner = runner

        async def until_then() -> None:
            task = asyncio.create_task(runner.run())
            while clocks.talk_s < 150.0:
                await asyncio.sleep(0)
            reply = live.handle(PauseRequest(minutes=20))
            status = live.status()
            runner.stop()
            await task
            assert isinstance(reply, PauseReply)
            assert reply.until_s == pytest.approx(clocks.wall() + PAUSE_S, abs=2.0)
            assert reply.minutes_left == pytest.approx(20.0, abs=0.1)
            assert status.pause is not None
            assert status.pause.until_s == reply.until_s

        try:
            asyncio.run(until_then())
        finally:
            store.close()


class QueuedStrap:
    """A source fed by the test: each heart rate given to `arrive` is stamped on `clock` as it
    comes (as the live strap stamps a notification when it arrives)."""

    description = "queued strap"

    def __init__(self, clock: SessionClock) -> None:
        self.clock = clock
        self.queue: asyncio.Queue[Sample] = asyncio.Queue()

    def arrive(self, bpm: float, *, contact: bool = True) -> None:
        self.queue.put_nowait(Sample(self.clock(), bpm, (60.0 / bpm,), contact=contact))

    async def stream(self) -> AsyncIterator[SourceItem]:
        while True:
            yield await self.queue.get()


class Service:
    """A BackgroundMonitor on a `QueuedStrap`, its session clock steered by the test."""

    def __init__(self, store: Store, settings: Settings, gap_s: float) -> None:
        self.wall, self.boot = [START_S], [0.0]
        self.clock = clock = SessionClock(
            wall=lambda: self.wall[0] + self.boot[0], elapsed=lambda: self.boot[0]
        )
        self.view = RecordingView()  # what the person was told
        board = StatusBoard(self.view)
        quiet = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"enabled": False})}
        )
        self.live = LiveMonitor(board, settings=quiet, strap="test", headless=True)
        self.source = QueuedStrap(clock)

        def make_runner(wearing: HeartSource, mode: Mode | None) -> SessionRunner:
            return SessionRunner(
                source=wearing,
                settings=quiet,
                store=store,
                view=board,
                source_kind="test",
                clock=clock,
            )

        self.monitor = BackgroundMonitor(
            source=self.source,
            live=self.live,
            make_runner=make_runner,
            session_gap_s=gap_s,
            clock=clock,
        )

    async def wear(self, samples: int, bpm: float = 70.0) -> None:
        """The strap on skin for `samples` seconds, a packet a second, the heart at `bpm`."""
        for _ in range(samples):
            self.boot[0] += 1.0
            self.source.arrive(bpm)
            await asyncio.sleep(0)

    async def until_sessions(self, count: int) -> None:
        """Wait until `count` sessions have ended."""
        while len(self.monitor.outcomes) < count:
            await asyncio.sleep(0.01)

    async def until_running(self) -> None:
        while self.live.runner is None or self.live.runner.outcome is None:
            await asyncio.sleep(0.01)


def sample_times(store: Store) -> list[list[float]]:
    """Each stored session's sample times, oldest session first."""
    return [
        [s.t_s for s in store.iter_samples(row.id)]
        for row in sorted(store.sessions(), key=lambda row: row.id)
    ]


class TestBackgroundService:
    def test_each_wearing_starts_on_the_wall_clock_as_set_then(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The service lines its session clock up with the wall clock between sessions (never
        within one): the clock set back half an hour within the first session leaves its times
        in order; set back again between the sessions, the next one is stored at the time the
        computer shows."""
        store = Store.open(tmp_path)
        service = Service(store, settings, gap_s=5.0)

        async def two_wearings() -> None:
            task = asyncio.create_task(service.monitor.run())
            await service.wear(10)
            service.wall[0] -= HOUR_S / 2  # within the first session
            await service.wear(10)
            service.boot[0] += 10.0  # past the gap: the strap lies on the table
            service.source.arrive(70.0, contact=False)
            await service.until_sessions(1)
            service.wall[0] -= HOUR_S / 2  # between the sessions
            service.boot[0] += 1.0
            service.source.arrive(70.0, contact=False)
            await asyncio.sleep(0.05)
            await service.wear(10)
            await service.until_running()
            service.monitor.stop()
            await task

        try:
            asyncio.run(two_wearings())
            first, second = sample_times(store)
        finally:
            store.close()
        assert first == [START_S + n for n in range(1, 21)]
        # the wall clock then, an hour back: the second session's samples are at its times
        assert second == [START_S - HOUR_S + n for n in range(32, 42)]

    def test_asleep_for_longer_than_the_session_gap_starts_a_new_session(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """The laptop suspended for an hour (the session gap is ten minutes): the strap's
        first sample after waking starts a new session instead of continuing the old one
        across the hour (the event loop's clock stood still while asleep; the boot clock
        did not)."""
        store = Store.open(tmp_path)
        service = Service(store, settings, gap_s=600.0)

        async def asleep_between() -> None:
            task = asyncio.create_task(service.monitor.run())
            await service.wear(10)
            await service.until_running()
            service.boot[0] += HOUR_S  # suspended: no packets, the boot clock runs on
            await service.wear(10)
            await service.until_sessions(1)
            await service.until_running()
            service.monitor.stop()
            await task

        try:
            asyncio.run(asleep_between())
            sessions = sample_times(store)
        finally:
            store.close()
        assert [len(times) for times in sessions] == [10, 10]
        assert sessions[1][0] == sessions[0][-1] + HOUR_S + 1.0
