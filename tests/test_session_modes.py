"""What the person does in a running session, at the time they do it: the end of a workout
ends the episode it raised, in the store as in the engine, and a flood after it alerts; a
pause started while the strap is away lasts its minutes from then. Real session runners on a
real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

from flooding.app.live import LiveMonitor
from flooding.app.session import SessionRunner, View
from flooding.app.sources import HeartSource
from flooding.app.status import StatusBoard
from flooding.core.models import (
    EpisodeEnded,
    LinkChanged,
    LinkState,
    Mode,
    PauseStarted,
    Sample,
    SourceItem,
)
from flooding.io.config_files.loading import default_settings
from flooding.io.control import MonitorStatus
from flooding.io.store import Store, stored_kind
from tests.fakes import RecordingNotifier, RecordingView
from tests.traces import Seg, calm, trace

T0 = 1_790_000_000.0
WORKOUT_ON_S, WORKOUT_OFF_S = T0 + 300, T0 + 1200
# calm, a workout to 150 bpm, back down to 100 while still, then a climb while sitting
HEART = trace(
    calm(300),
    Seg(300, 68, 150),
    Seg(600, 150),
    Seg(120, 150, 100),
    Seg(300, 100),
    Seg(60, 100, 125),
    Seg(300, 125),
    start_s=T0,
)


def strap_runner(
    store: Store, source: HeartSource, clock: Callable[[], float], view: View | None = None
) -> SessionRunner:
    """A monitor's session runner on `source`, its clock `clock`, with the default settings
    and the recording notifier (and view, unless given)."""
    return SessionRunner(
        source=source,
        settings=default_settings(),
        store=store,
        notifier=RecordingNotifier(),
        view=view or RecordingView(),
        source_kind="ble",
        clock=clock,
    )


class SwitchingStrap:
    """A strap whose wearer switches the running monitor's mode at given sample times."""

    description = "simulated strap"

    def __init__(self, samples: list[Sample], switches: Mapping[float, Mode]) -> None:
        self.samples = samples
        self.switches = switches
        self.runner: SessionRunner | None = None

    async def stream(self) -> AsyncIterator[SourceItem]:
        """The samples, the mode switched just before each sample named in `switches`."""
        for sample in self.samples:
            mode = self.switches.get(sample.t_s)
            if mode is not None and self.runner is not None:
                self.runner.set_mode(mode)
            yield sample
            await asyncio.sleep(0)


def test_a_flood_after_a_workout_alerts_and_the_workout_episode_ends_with_it(
    tmp_path: Path,
) -> None:
    """Workout off while the heart is up stores the workout's episode end; a climb after alerts."""
    store = Store.open(tmp_path)
    strap = SwitchingStrap(HEART, {WORKOUT_ON_S: Mode.WORKOUT, WORKOUT_OFF_S: Mode.TALK})
    runner = strap_runner(store, strap, lambda: T0)
    strap.runner = runner
    asyncio.run(runner.run())
    try:
        assert runner.outcome is not None
        assert runner.outcome.alerts == 1
        [alert] = store.events(1, "alert")
        assert WORKOUT_OFF_S + 420 < alert.t_s < WORKOUT_OFF_S + 550  # in the climb from 100
        ends = [e.t_s for e in store.events(1, stored_kind(EpisodeEnded))]
        assert ends[0] == WORKOUT_OFF_S - 1  # the last sample's time when it was switched
    finally:
        store.close()


class StrapGoneForMinutes:
    """A strap that sends a minute of calm, then nothing for `away_s` (the wearer out of
    reach), when the person starts a pause by hand."""

    description = "simulated strap"

    def __init__(self, clock: list[float], away_s: float) -> None:
        self.clock = clock
        self.away_s = away_s
        self.runner: SessionRunner | None = None

    async def stream(self) -> AsyncIterator[SourceItem]:
        """A minute of samples, then the clock moves on with none and the pause is asked."""
        for sample in trace(calm(60), start_s=T0):
            self.clock[0] = sample.t_s
            yield sample
        self.clock[0] += self.away_s
        assert self.runner is not None
        self.runner.start_pause()
        await asyncio.sleep(0)


def test_a_pause_started_while_the_strap_is_away_lasts_its_minutes_from_then(
    tmp_path: Path,
) -> None:
    """Four minutes after the last sample, a pause by hand starts then and ends 20 minutes
    later (before, it started at the last sample: four minutes of it were already gone)."""
    store = Store.open(tmp_path)
    clock = [T0]
    strap = StrapGoneForMinutes(clock, away_s=240.0)
    runner = strap_runner(store, strap, lambda: clock[0])
    strap.runner = runner
    asyncio.run(runner.run())
    try:
        assert runner.outcome is not None
        [started] = [e for e in runner.outcome.events if isinstance(e, PauseStarted)]
        assert started.t_s == T0 + 59 + 240
        assert started.until_s == started.t_s + 20 * 60
    finally:
        store.close()


class StrapDropsInABreak:
    """A strap that sends a minute of calm and drops; `flooding status` is asked four
    minutes later, a pause is taken, and status is asked again four minutes into it."""

    description = "simulated strap"

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock
        self.live: LiveMonitor | None = None
        self.seen: list[MonitorStatus] = []

    async def stream(self) -> AsyncIterator[SourceItem]:
        """A minute of samples, the drop, and the two questions with time passing between."""
        assert self.live is not None
        yield LinkChanged(T0, LinkState.CONNECTED, strap_name="Polar H10 1A2B3C4D")
        for sample in trace(calm(60), start_s=T0):
            self.clock[0] = sample.t_s
            yield sample
        yield LinkChanged(self.clock[0], LinkState.DISCONNECTED, reason="out of reach")
        self.clock[0] += 240.0
        self.seen.append(self.live.status())
        assert self.live.runner is not None
        self.live.runner.start_pause()
        self.clock[0] += 240.0
        self.seen.append(self.live.status())


def test_status_says_the_strap_is_away_and_counts_a_break_down_meanwhile(
    tmp_path: Path,
) -> None:
    """With the strap gone, status says it is away (not the heart's last state) and a break
    taken then counts down: 16 minutes left after 4 (before: "starting", and 20 minutes)."""
    store = Store.open(tmp_path)
    clock = [T0]
    board = StatusBoard(RecordingView(), clock=lambda: clock[0])
    strap = StrapDropsInABreak(clock)
    runner = strap_runner(store, strap, lambda: clock[0], board)
    strap.live = LiveMonitor(board, settings=default_settings(), strap="x", headless=True)
    strap.live.runner = runner
    asyncio.run(runner.run())
    store.close()
    away, pausing = strap.seen
    assert (away.state, away.pause, away.heart_bpm) == ("strap-away", None, None)
    assert pausing.state == "pausing"
    assert pausing.pause is not None
    assert pausing.pause.minutes_left == 16.0
