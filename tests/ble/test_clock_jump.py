"""The live strap's samples through the real Bleak code, stamped on the session clock: setting
the wall clock mid-stream moves no sample time (so nothing downstream can be bent by it)."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable

import pytest

from flooding.app import wiring
from flooding.core.models import Sample, SourceItem
from flooding.io.clock import SessionClock
from flooding.io.config_files.loading import default_settings
from flooding.io.strap.ble import StrapSource
from flooding.lab.emulator import DEFAULT_ADDRESS, EmulatedAir, EmulatedStrap
from tests.ble.emulated import FAST_INTERVAL_S, run_scenario, take

pytestmark = pytest.mark.timeout(30)

HOUR_S = 3600.0


def test_a_wall_clock_set_back_mid_stream_moves_no_sample_time() -> None:
    """The monitor's strap source (built by wiring on its session clock): the wall clock set
    back an hour between two packets leaves the samples in order, a packet apart."""
    wall = [time.time()]
    clock = SessionClock(wall=lambda: wall[0], elapsed=time.monotonic)
    settings = default_settings()
    settings = settings.model_copy(
        update={"strap": settings.strap.model_copy(update={"address": DEFAULT_ADDRESS})}
    )

    def count(n: int) -> Callable[[SourceItem, list[SourceItem]], bool]:
        return lambda item, got: sum(isinstance(i, Sample) for i in got) >= n

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
        source, _straps = wiring.strap_source(
            settings,
            air.scanner_backend,
            air.client_backend,
            couple=False,
            program="flooding",
            clock=clock,
        )
        assert isinstance(source, StrapSource)
        async with contextlib.aclosing(source.stream()) as items:
            got = await take(items, count(10))
            wall[0] -= HOUR_S  # someone sets the clock back an hour
            got += await take(items, count(10))
        return got

    got = run_scenario(scenario)
    times = [i.t_s for i in got if isinstance(i, Sample)]
    assert len(times) == 20
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert all(step > 0 for step in steps), steps
    assert max(steps) < 50 * FAST_INTERVAL_S  # a packet apart (a loaded machine: a few)
    assert clock.wall_offset_s() == pytest.approx(-HOUR_S, abs=5.0)
