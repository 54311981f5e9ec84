"""The activity level: near zero when still at any tilt, high when moving."""

from __future__ import annotations

import math

from flooding.core.activity import ActivityMeter, activity_levels


def test_still_body_reads_near_zero_at_any_tilt() -> None:
    """A still strap gives a level near 0 g however it is tilted (gravity is removed)."""
    meter = ActivityMeter()
    for i in range(25):
        angle = 0.3 + 0.001 * i
        meter.add(math.sin(angle), 0.0, math.cos(angle))
    level = meter.take()
    assert level is not None
    assert level < 0.01


def test_walking_reads_well_above_still() -> None:
    """A 2-Hz bounce of 0.3 g (a walking step) gives a level above 0.1 g."""
    meter = ActivityMeter()
    for i in range(25):
        meter.add(0.0, 0.0, 1.0 + 0.3 * math.sin(2 * math.pi * 2 * i / 25))
    level = meter.take()
    assert level is not None
    assert level > 0.1


def test_too_few_samples_give_no_level_and_take_starts_over() -> None:
    """Fewer than five samples since the last reading give None, and each take starts afresh."""
    meter = ActivityMeter()
    for _ in range(3):
        meter.add(0.0, 0.0, 1.0)
    assert meter.take() is None
    assert meter.take() is None


def test_batch_levels_equal_the_streaming_meter() -> None:
    """`activity_levels` gives at each tick what the meter gives when taken at that tick."""
    times = [i / 25 for i in range(100)]
    zs = [1.0 + 0.2 * math.sin(i) for i in range(100)]
    xs = [0.0] * 100
    meter = ActivityMeter()
    expected: list[float | None] = []
    for second in range(1, 5):
        for i, t in enumerate(times):
            if second - 1 < t <= second or (second == 1 and t == 0):
                meter.add(0.0, 0.0, zs[i])
        expected.append(meter.take())
    assert activity_levels(times, xs, xs, zs, [1.0, 2.0, 3.0, 4.0]) == expected


def test_a_spread_beyond_what_an_accelerometer_reads_is_no_level() -> None:
    """Samples swinging between 1 g and 40 g (no chest accelerometer reads that) give no
    level, so nothing beyond what an import takes back is ever stored."""
    meter = ActivityMeter()
    for k in range(25):
        meter.add(0.0, 0.0, 40.0 if k % 2 else 1.0)
    assert meter.take() is None
    for _ in range(25):
        meter.add(0.0, 0.0, math.nan)
    assert meter.take() is None
