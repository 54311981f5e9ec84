"""Workout mode switched in a running session: the end of a workout ends the episode it
raised, in the store as in the engine, and a flood after it alerts. Real session runners on
a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from flooding.app.session import SessionRunner
from flooding.core.models import EpisodeEnded, Mode, Sample, SourceItem
from flooding.io.config_files.loading import default_settings
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
    notifier = RecordingNotifier()
    runner = SessionRunner(
        source=strap,
        settings=default_settings(),
        store=store,
        notifier=notifier,
        view=RecordingView(),
        source_kind="ble",
        clock=lambda: T0,
    )
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
