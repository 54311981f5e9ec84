"""The artifact correction of `artifacts.correct_rr`, one beat at a time, for a live strap.

Look-ahead: beat i is labelled once beat i + 5 has arrived (its local median is centred on it,
5 beats each side) and corrected once beat i + 6 has arrived (an ectopic pair or an extra beat
needs the next beat's label). `LOOKAHEAD_BEATS` = 6. The batch function uses the very same
windows and the same per-beat code, so `push` for every beat followed by `flush` gives exactly
`correct_rr` (tested on the real recordings).

Memory is bounded (two 91-value windows and a few 16-slot rings); each beat costs a constant
amount of work (sorting-free selection over 91 values).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from flooding.core.beats.artifacts import (
    MEDIAN_HALF_BEATS,
    QD_WINDOW_BEATS,
    RR_MAX_S,
    RR_MIN_S,
    Label,
    classify,
    deviation,
    median_rows,
    step,
    threshold_rows,
)

_RING = 16  # slots kept per beat-indexed quantity; more than the 11 beats any rule looks across


@dataclass(frozen=True, slots=True)
class Decision:
    """The final word on one input beat: its label and the corrected beats it stands for.

    `rr_s` is empty for a dropped beat (out of range, or an extra beat merged into the next)
    and holds two halves for a missed beat.
    """

    source: int
    t_s: float
    label: Label
    rr_s: tuple[float, ...]


class StreamingCorrector:
    """Feed RR intervals one by one; get each beat's `Decision` once it is final."""

    def __init__(self) -> None:
        self._n = 0
        self._last_ok: float | None = None
        self._x = [0.0] * _RING
        self._ok = [True] * _RING
        self._t = [0.0] * _RING
        self._s11 = [0.0] * _RING
        self._med = [0.0] * _RING
        self._m = [0.0] * _RING
        self._th2 = [0.0] * _RING
        self._label = [0] * _RING
        self._abs_d: deque[float] = deque(maxlen=QD_WINDOW_BEATS)
        self._abs_m: deque[float] = deque(maxlen=QD_WINDOW_BEATS)
        self._medianed = 0  # beats with a local median so far
        self._labelled = 0
        self._stepped = 0
        self._pending: float | None = None

    def push(self, rr_s: float, t_s: float = 0.0) -> list[Decision]:
        """Add one RR interval (seconds, ending at time `t_s`); returns the decisions now final."""
        k = self._n
        slot = k % _RING
        ok = RR_MIN_S <= rr_s <= RR_MAX_S
        if ok:
            x = rr_s
            self._last_ok = rr_s
        elif self._last_ok is not None:
            x = self._last_ok
        else:
            x = min(max(rr_s, RR_MIN_S), RR_MAX_S)
        d = 0.0 if k == 0 else x - self._x[(k - 1) % _RING]
        self._x[slot], self._ok[slot], self._t[slot] = x, ok, t_s
        self._abs_d.append(abs(d))
        th1 = threshold_rows(np.array(self._abs_d)[None, :])
        self._s11[slot] = float((np.array([d]) / th1)[0])
        self._n = k + 1
        out: list[Decision] = []
        if k - MEDIAN_HALF_BEATS >= 0:
            self._median(k - MEDIAN_HALF_BEATS, final_n=None)
            self._classify(k - MEDIAN_HALF_BEATS, final_n=None)
        if k - MEDIAN_HALF_BEATS - 1 >= 0:
            self._step(k - MEDIAN_HALF_BEATS - 1, out, final_n=None)
        return out

    def flush(self) -> list[Decision]:
        """Decide the last beats as if the series ended here (what `correct_rr` does at its end)."""
        n = self._n
        out: list[Decision] = []
        for j in range(self._medianed, n):
            self._median(j, final_n=n)
        for c in range(self._labelled, n):
            self._classify(c, final_n=n)
        for i in range(self._stepped, n):
            self._step(i, out, final_n=n)
        return out

    def _median(self, j: int, final_n: int | None) -> None:
        stop = self._n if final_n is None else min(final_n, j + MEDIAN_HALF_BEATS + 1)
        window = [self._x[i % _RING] for i in range(max(0, j - MEDIAN_HALF_BEATS), stop)]
        med = float(median_rows(np.array(window)[None, :])[0])
        m = float(deviation(np.array([self._x[j % _RING]]), np.array([med]))[0])
        self._abs_m.append(abs(m))
        th2 = float(threshold_rows(np.array(self._abs_m)[None, :])[0])
        self._med[j % _RING], self._m[j % _RING], self._th2[j % _RING] = med, m, th2
        self._medianed = j + 1

    def _s11_at(self, i: int, n: int | None) -> float:
        if i < 0 or (n is not None and i >= n):
            return 0.0
        return self._s11[i % _RING]

    def _classify(self, c: int, final_n: int | None) -> None:
        n = final_n
        has_next = n is None or c + 1 < n
        r = c % _RING

        def one(value: float) -> np.ndarray:
            return np.array([value])

        label = classify(
            one(self._s11_at(c - 1, n)),
            one(self._s11[r]),
            one(self._s11_at(c + 1, n)),
            one(self._s11_at(c + 2, n)),
            one(self._m[r]),
            one(self._th2[r]),
            one(self._x[r]),
            one(self._x[(c + 1) % _RING] if has_next else 0.0),
            one(self._med[r]),
            np.array([self._ok[r]]),
            np.array([c >= 2 and (n is None or c < n - 2)]),
            np.array([c >= 1 and (n is None or c < n - 1)]),
        )
        self._label[r] = int(label[0])
        self._labelled = c + 1

    def _step(self, i: int, out: list[Decision], final_n: int | None) -> None:
        has_next = final_n is None or i + 1 < final_n
        r, r1 = i % _RING, (i + 1) % _RING
        count, value, self._pending = step(
            self._label[r],
            self._label[r1] if has_next else None,
            self._x[r],
            self._x[r1] if has_next else 0.0,
            self._med[r],
            self._pending,
        )
        out.append(Decision(i, self._t[r], Label(self._label[r]), (value,) * count))
        self._stepped = i + 1


__all__ = ["Decision", "Label", "StreamingCorrector"]
