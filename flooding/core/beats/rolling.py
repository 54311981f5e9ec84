"""RMSSD from corrected beats over a time window, with exact running sums.

Intervals are summed as whole microseconds (Python ints in the live path, int64 in the batch
path), so a day of adding and removing never drifts and live and batch results are identical.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt

US_PER_S = 1_000_000
MS_PER_S = 1000.0
SECONDS_PER_MINUTE = 60.0
RMSSD_WINDOW_S = 30.0  # the usual ultra-short RMSSD window


def to_us(rr_s: float) -> int:
    """An interval in whole microseconds."""
    return round(rr_s * US_PER_S)


class RollingRmssd:
    """RMSSD (ms) of successive corrected beats whose later beat lies in the last `window_s`."""

    def __init__(self, window_s: float = RMSSD_WINDOW_S) -> None:
        self.window_s = window_s
        self._diffs: deque[tuple[float, int]] = deque()
        self._sum_sq_us2 = 0
        self._previous_us: int | None = None

    def add(self, t_s: float, rr_us: int) -> None:
        """Add a corrected beat at time `t_s` (non-decreasing)."""
        if self._previous_us is not None:
            square = (rr_us - self._previous_us) ** 2
            self._diffs.append((t_s, square))
            self._sum_sq_us2 += square
        self._previous_us = rr_us
        oldest_s = t_s - self.window_s
        while self._diffs and self._diffs[0][0] < oldest_s:
            self._sum_sq_us2 -= self._diffs.popleft()[1]

    def rmssd_ms(self) -> float | None:
        """The current RMSSD in ms, or None with no successive pair in the window."""
        if not self._diffs:
            return None
        return math.sqrt(self._sum_sq_us2 / len(self._diffs)) / US_PER_S * MS_PER_S


def rolling_rmssd_ms(
    t_s: npt.ArrayLike, rr_s: npt.ArrayLike, window_s: float = RMSSD_WINDOW_S
) -> npt.NDArray[np.float64]:
    """RMSSD (ms) after each beat, as `RollingRmssd` gives it; NaN before the second beat."""
    times = np.asarray(t_s, dtype=np.float64)
    rr_us = np.rint(np.asarray(rr_s, dtype=np.float64) * US_PER_S).astype(np.int64)
    out = np.full(times.size, np.nan)
    if times.size < 2:
        return out
    squares = np.diff(rr_us) ** 2  # pair k ends at beat k + 1
    cum = np.concatenate(([0], np.cumsum(squares)))
    pair_t = times[1:]
    first = np.searchsorted(pair_t, pair_t - window_s, side="left")
    last = np.arange(1, pair_t.size + 1)
    count = last - first
    out[1:] = np.sqrt((cum[last] - cum[first]) / count) / US_PER_S * MS_PER_S
    return out
