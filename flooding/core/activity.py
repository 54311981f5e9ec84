"""How much the body moves: a chest accelerometer's samples turned into one activity level a second.

The level is the standard deviation of the acceleration's magnitude (in g) over the samples
since the last reading. The magnitude does not depend on how the strap sits on the chest, and
its spread removes gravity (a still body reads about 1 g, spread near 0), so one number serves
every strap: sitting or lying still stays under about 0.02 g, standing up or shifting gives a
short burst, walking 0.1-0.3 g, stairs and jogging more.
"""

from __future__ import annotations

import math

MAX_LEVEL_G = 16.0  # no chest accelerometer reads beyond +-16 g: a larger spread is not a level
MIN_SAMPLES = 5  # fewer samples in a second than this cannot tell a step from a jolt: no level
#                  (the slowest stream read is 25 Hz; a dropped packet leaves ~10 per second)


class ActivityMeter:
    """Streaming activity level: add accelerometer samples, take one level a second.

    O(1) work and memory per sample; never reads a clock (the caller decides when a second
    has passed, at each heart-rate reading).
    """

    def __init__(self) -> None:
        self._n = 0
        self._sum = 0.0
        self._sum_sq = 0.0

    def add(self, x_g: float, y_g: float, z_g: float) -> None:
        """Add one accelerometer sample (each axis in g)."""
        magnitude = math.sqrt(x_g * x_g + y_g * y_g + z_g * z_g)
        self._n += 1
        self._sum += magnitude
        self._sum_sq += magnitude * magnitude

    def take(self) -> float | None:
        """The activity level (g) of the samples added since the last call, and start over;
        None when too few samples came to tell, or the spread is beyond `MAX_LEVEL_G` (or not
        a number): no accelerometer reads that, so it is not a level, and what is stored
        stays within what an import takes back."""
        n = self._n
        level: float | None = None
        if n >= MIN_SAMPLES:
            mean = self._sum / n
            spread = self._sum_sq / n - mean * mean
            if spread <= MAX_LEVEL_G * MAX_LEVEL_G:  # False for NaN, like beyond the limit
                level = math.sqrt(max(0.0, spread))
        self._n = 0
        self._sum = 0.0
        self._sum_sq = 0.0
        return level


def activity_levels(
    times_s: list[float], x_g: list[float], y_g: list[float], z_g: list[float], ticks_s: list[float]
) -> list[float | None]:
    """The level at each tick (ascending times) from the samples after the tick before it:
    the batch form of `ActivityMeter`, for recordings that hold an accelerometer."""
    meter = ActivityMeter()
    levels: list[float | None] = []
    i = 0
    n = len(times_s)
    for tick in ticks_s:
        while i < n and times_s[i] <= tick:
            meter.add(x_g[i], y_g[i], z_g[i])
            i += 1
        levels.append(meter.take())
    return levels
