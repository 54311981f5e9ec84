"""Physiological linkage: how much two hearts move together during a conversation.

The measure (pure numpy, no I/O):

1. Each heart rate is put on a common 1-s grid (the mean of the readings in each second; a
   second without a usable reading - no skin contact, implausible - is missing).
2. A 5-s moving mean smooths it: m(t) = mean(hr(t-4) .. hr(t)) (missing if any is missing).
3. Its first difference is the 1-s change: d(t) = m(t) - m(t-1), bpm per second. Changes,
   not levels: two hearts that are both simply higher than usual, or drift the same way
   over minutes, are not "linked" by that alone.
4. In sliding 60-s windows (every 10 s) where both have at least 80 % of their changes,
   Pearson's r of the two change series, over the seconds both have:
       r = sum((a - mean a)(b - mean b)) / sqrt(sum((a - mean a)^2) * sum((b - mean b)^2))
   (a window where either heart does not change at all has no r).
5. Summary: the median r over the windows, the share of windows with r > 0.3, and the
   number of windows.

Caveats - read these before reading anything into the number:
- Correlation is not influence: both hearts also answer the same room (standing up, a
  door, the same breathing pace while talking), which links them without any "contagion".
- Lag 0 only: one heart following the other by a few seconds counts only in part.
- The 5-s smoothing makes neighbouring changes alike, so an r in one window rests on far
  fewer independent values than its 60 points; single windows are noisy, and no p-value is
  given because it would mislead. The share above 0.3 is a description, not a test.
- Straps report a few-second average already; with beats (RR) the rate is finer. Linkage
  from two very different devices is less comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from flooding.core.models import Sample

SMOOTH_S = 5  # the moving mean whose 1-s changes are compared
WINDOW_S = 60  # each correlation window
STEP_S = 10  # windows start this far apart
MIN_COVERAGE = 0.8  # a window counts when both have at least this share of their changes
LINKED_R = 0.3  # "moving together" in a window


@dataclass(frozen=True)
class Linkage:
    """The summary of the sliding-window correlations (None: no window had enough data)."""

    median_r: float | None
    share_above: float | None  # of windows with r > LINKED_R
    windows: int
    # no window had enough data although both recordings ran together for one: their
    # readings are too far apart (a watch's export) or too often unusable
    sparse: bool = False
    window_s: int = WINDOW_S
    step_s: int = STEP_S
    smooth_s: int = SMOOTH_S
    threshold_r: float = LINKED_R

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (`sparse` only where it is so: other output stays as it was)."""
        data = asdict(self)
        if not self.sparse:
            del data["sparse"]
        return data


def per_second(samples: Sequence[Sample], start_s: float, seconds: int) -> np.ndarray:
    """Usable heart rates averaged into 1-s bins from `start_s` (NaN: nothing usable)."""
    sums = np.zeros(seconds)
    counts = np.zeros(seconds)
    if samples:
        t = np.array([s.t_s for s in samples])
        bpm = np.array([s.bpm for s in samples])
        ok = np.array([s.usable for s in samples])
        index = np.floor(t - start_s).astype(int)
        ok &= (index >= 0) & (index < seconds)
        np.add.at(sums, index[ok], bpm[ok])
        np.add.at(counts, index[ok], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: np.ndarray = np.where(counts > 0, sums / counts, np.nan)
    return result


def changes(hr: np.ndarray, smooth_s: int = SMOOTH_S) -> np.ndarray:
    """1-s changes of the `smooth_s`-second moving mean (NaN where any input is missing)."""
    if hr.size < smooth_s + 1:
        return np.full(max(hr.size - 1, 0), np.nan)
    kernel = np.ones(smooth_s) / smooth_s
    smooth = np.convolve(hr, kernel, mode="valid")  # NaN spreads over its window
    out = np.full(hr.size - 1, np.nan)
    out[smooth_s - 1 :] = np.diff(smooth)
    return out


def window_correlations(
    a: np.ndarray, b: np.ndarray, window_s: int = WINDOW_S, step_s: int = STEP_S
) -> list[float]:
    """Pearson's r of two change series in each sliding window with enough data in both."""
    found: list[float] = []
    n = min(a.size, b.size)
    for start in range(0, n - window_s + 1, step_s):
        x = a[start : start + window_s]
        y = b[start : start + window_s]
        both = ~np.isnan(x) & ~np.isnan(y)
        if np.count_nonzero(both) < MIN_COVERAGE * window_s:  # then each has enough too
            continue
        x = x[both] - x[both].mean()
        y = y[both] - y[both].mean()
        denominator = float(np.sqrt(np.sum(x * x) * np.sum(y * y)))
        if denominator <= 0.0:
            continue
        found.append(float(np.sum(x * y)) / denominator)
    return found


def linkage(first: Sequence[Sample], second: Sequence[Sample]) -> Linkage:
    """The linkage of two tracks on one clock (see the module docstring)."""
    if not first or not second:
        return Linkage(None, None, 0)
    start = min(first[0].t_s, second[0].t_s)
    end = max(first[-1].t_s, second[-1].t_s)
    seconds = int(end - start) + 1
    a = changes(per_second(first, start, seconds))
    b = changes(per_second(second, start, seconds))
    rs = window_correlations(a, b)
    if not rs:
        together_s = min(first[-1].t_s, second[-1].t_s) - max(first[0].t_s, second[0].t_s)
        return Linkage(None, None, 0, sparse=together_s >= WINDOW_S)
    values = np.array(rs)
    return Linkage(
        median_r=float(np.median(values)),
        share_above=float(np.mean(values > LINKED_R)),
        windows=len(rs),
    )
