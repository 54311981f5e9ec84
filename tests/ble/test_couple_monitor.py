"""Couple mode over the real Bleak code path: two emulated straps on one emulated air."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pytest

from flooding.app.session import SessionRunner
from flooding.app.sources import MergedSource
from flooding.cli.view import TerminalView
from flooding.core.hrm import HeartRateMeasurement
from flooding.core.models import Alert, PauseExtended, PauseStarted, ReadyToReturn
from flooding.core.settings import Settings
from flooding.io.config_files.loading import load_config
from flooding.io.store import Store
from flooding.lab.emulator import EmulatedAir, EmulatedStrap, emulated_straps
from tests.ble.emulated import accelerated_clock, fast_source, wait_for

INTERVAL_S = 0.01  # each strap notifies 100 times a second
SESSION_S_PER_PACKET = 5.0  # and each packet stands for 5 session seconds: a 20-minute
#                             pause takes 2.4 s
SECOND_ADDRESS = "C0:FF:EE:00:00:02"

T = TypeVar("T")


def fast_settings() -> Settings:
    """Defaults with a gap long enough for 5-s packets (and loop hiccups) not to be gaps."""
    return load_config(
        env={}, use_default_user_file=False, overrides=["detection.gap_s=60"]
    ).settings


def beats(*stretches: tuple[int, float]) -> Iterable[HeartRateMeasurement]:
    """(packets, bpm) stretches, then a calm heart for ever; no RR, so the detector reads
    the strap's value (the packets are 5 session seconds apart)."""
    for count, bpm in stretches:
        for _ in range(count):
            yield HeartRateMeasurement(bpm=round(bpm), contact=True)
    while True:
        yield HeartRateMeasurement(bpm=68, contact=True)


def run_couple(
    scenario: Callable[[EmulatedAir, EmulatedStrap, EmulatedStrap], Awaitable[T]],
    first: Iterable[HeartRateMeasurement] | None = None,
    second: Iterable[HeartRateMeasurement] | None = None,
) -> T:
    """Two straps of two partners on one air (no feed: a strap's default heart); checks the
    shutdown left nothing behind."""

    async def main() -> T:
        async with emulated_straps(interval_s=INTERVAL_S, feed=first) as (air, anna_strap, _):
            ben_strap = await EmulatedStrap(
                air,
                name="Polar H10 B0B0B0B0",
                address=SECOND_ADDRESS,
                interval_s=INTERVAL_S,
                feed=second,
            ).start()
            result = await scenario(air, anna_strap, ben_strap)
        assert air.controller_count == 0, "a controller was left on the link"
        await asyncio.sleep(0)
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, f"tasks left pending: {leftover}"
        return result

    return asyncio.run(main())


def couple_runner(
    air: EmulatedAir, anna: EmulatedStrap, ben: EmulatedStrap, store: Store
) -> SessionRunner:
    clock = accelerated_clock(SESSION_S_PER_PACKET, INTERVAL_S)
    source = MergedSource(
        {
            "Anna": fast_source(air, address=anna.address, clock=clock),
            "Ben": fast_source(air, address=ben.address, clock=clock),
        }
    )
    return SessionRunner(
        source=source,
        settings=fast_settings(),
        store=store,
        view=TerminalView(),
        people=("Anna", "Ben"),
        source_kind="ble-couple",
    )


@pytest.mark.timeout(60)
class TestTwoStraps:
    def test_both_straps_stream_into_one_session_with_two_tracks(self, tmp_path: Path) -> None:
        """Both partners' straps connect at once and fill one session, a track each."""
        store = Store.open(tmp_path)

        async def scenario(air: EmulatedAir, anna: EmulatedStrap, ben: EmulatedStrap) -> int:
            runner = couple_runner(air, anna, ben, store)
            task = asyncio.create_task(runner.run())
            await wait_for(lambda: min(runner.samples_of.values()) >= 20)
            runner.stop()
            await task
            assert runner.session_id is not None
            return runner.session_id

        sid = run_couple(scenario)
        try:
            people = store.people(sid)
            assert [p.person for p in people] == ["Anna", "Ben"]
            assert [p.strap_name for p in people] == ["Polar H10 E1A2B3C4", "Polar H10 B0B0B0B0"]
            assert len(list(store.iter_samples(sid, "Anna"))) >= 20
            assert len(list(store.iter_samples(sid, "Ben"))) >= 20
            assert len(store.sessions()) == 1
        finally:
            store.close()

    def test_one_strap_drops_and_returns_while_the_other_goes_on(self, tmp_path: Path) -> None:
        """While Anna's strap is gone, Ben's samples keep coming; Anna's come back after."""
        store = Store.open(tmp_path)

        async def scenario(
            air: EmulatedAir, anna: EmulatedStrap, ben: EmulatedStrap
        ) -> tuple[int, int, int, int]:
            runner = couple_runner(air, anna, ben, store)
            task = asyncio.create_task(runner.run())
            await wait_for(lambda: min(runner.samples_of.values()) >= 20)
            await anna.drop()
            await asyncio.sleep(0.05)
            anna_at_drop, ben_at_drop = runner.samples_of["Anna"], runner.samples_of["Ben"]
            await asyncio.sleep(0.4)
            anna_during, ben_during = runner.samples_of["Anna"], runner.samples_of["Ben"]
            await anna.come_back()
            await wait_for(lambda: runner.samples_of["Anna"] >= anna_during + 20)
            runner.stop()
            await task
            return anna_during - anna_at_drop, ben_during - ben_at_drop, anna_during, ben_during

        anna_gained, ben_gained, _, _ = run_couple(scenario)
        try:
            links = [
                (e.person, e.data["state"]) for e in store.events(1, "link") if e.person == "Anna"
            ]
        finally:
            store.close()
        assert anna_gained == 0
        assert ben_gained >= 10
        assert ("Anna", "disconnected") in links
        assert links[-1] == ("Anna", "connected")

    def test_one_alert_a_pause_for_both_and_ready_only_after_both_recover(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Anna floods first (one alert for both), Ben floods during the pause (no second
        alert); Anna settles soon, Ben only after 25 minutes: "not yet" at 20, then ready."""
        store = Store.open(tmp_path)
        # 5 session seconds a packet: Anna calm 50 s, flooded 10 min, then calm;
        # Ben calm 2 min, flooded until 25 min in, then calm
        anna = beats((10, 70), (120, 125))
        ben = beats((24, 70), (276, 112))

        async def scenario(
            air: EmulatedAir, anna_strap: EmulatedStrap, ben_strap: EmulatedStrap
        ) -> SessionRunner:
            runner = couple_runner(air, anna_strap, ben_strap, store)
            task = asyncio.create_task(runner.run())
            await wait_for(lambda: runner.outcome is not None and runner.outcome.ready >= 1, 30)
            runner.stop()
            await task
            return runner

        runner = run_couple(scenario, anna, ben)
        assert isinstance(runner, SessionRunner)
        assert runner.outcome is not None
        events = runner.outcome.events
        alerts = [e for e in events if isinstance(e, Alert)]
        pauses = [e for e in events if isinstance(e, PauseStarted)]
        (extended,) = [e for e in events if isinstance(e, PauseExtended)]
        (ready,) = [e for e in events if isinstance(e, ReadyToReturn)]
        try:
            ben_episodes = store.events(runner.session_id or 0, "episode-started", person="Ben")
            ben_samples = list(store.iter_samples(runner.session_id or 0, "Ben"))
        finally:
            store.close()
        assert len(alerts) == 1
        assert alerts[0].person == "Anna"
        assert len(pauses) == 1
        assert ben_episodes
        assert ben_episodes[0].t_s > pauses[0].t_s
        assert extended.waiting == ("Ben",)
        ben_calm_from = next(s.t_s for s in ben_samples if s.t_s > pauses[0].t_s and s.bpm < 80)
        assert ready.t_s >= pauses[0].until_s
        assert ready.t_s >= ben_calm_from + 60
        out = capsys.readouterr().out
        assert out.count("One of you is flooded") == 1
        assert "Not quite settled yet" in out
        assert "you're both back near your calm" in out
