"""RMSSD of the corrected beats: strap samples in, each reading's rolling RMSSD out.

Each sample's RR values are timed (`BeatClock`) and corrected (`StreamingCorrector`); the RMSSD
of the corrected beats of the last `RMSSD_WINDOW_S` seconds is kept. A beat is final 6 beats
after it arrived (see `flooding.core.beats.stream`), so the RMSSD describes the beats of up to a few
seconds before the packet. The detector's heart rate does not come from here but from
`FastRate` (see `flooding.core.beats.fast`).

`rmssd_batch` gives exactly what `feed` gives, sample for sample, with vectorised work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from flooding.core.beats.artifacts import LOOKAHEAD_BEATS, correct_rr
from flooding.core.beats.clock import BeatClock
from flooding.core.beats.rolling import (
    RMSSD_WINDOW_S,
    US_PER_S,
    RollingRmssd,
    rolling_rmssd_ms,
    to_us,
)
from flooding.core.beats.stream import StreamingCorrector
from flooding.core.models import Sample


class BeatProcessor:
    """Streaming: `feed` one strap sample at a time; bounded memory, O(1) amortised per beat."""

    def __init__(self) -> None:
        self._clock = BeatClock()
        self._corrector = StreamingCorrector()
        self._rmssd = RollingRmssd(RMSSD_WINDOW_S)

    @property
    def rmssd_ms(self) -> float | None:
        """RMSSD of the corrected beats of the last 30 s, in ms (None before two final beats)."""
        return self._rmssd.rmssd_ms()

    def feed(self, sample: Sample) -> None:
        """Time and correct the sample's beats; the final ones update `rmssd_ms`."""
        rr_s = sample.rr_s
        if not rr_s:
            self._clock.push(sample.t_s, ())
            return
        add = self._rmssd.add
        for t_s, rr in zip(self._clock.push(sample.t_s, rr_s), rr_s, strict=True):
            for decision in self._corrector.push(rr, t_s):
                for value in decision.rr_s:
                    add(decision.t_s, to_us(value))


def rmssd_batch(samples: Sequence[Sample]) -> list[float | None]:
    """`BeatProcessor.rmssd_ms` after each sample, as feeding them in order would give it."""
    if not samples:
        return []
    clock = BeatClock()
    beat_t: list[float] = []
    packet_beats = np.empty(len(samples), dtype=np.int64)  # beats received up to each sample
    for index, sample in enumerate(samples):
        beat_t.extend(clock.push(sample.t_s, sample.rr_s))
        packet_beats[index] = len(beat_t)
    rr = np.array([rr for sample in samples for rr in sample.rr_s], dtype=np.float64)
    times = np.array(beat_t, dtype=np.float64)

    result = correct_rr(rr)
    out_t = times[result.source]
    out_us = np.rint(result.rr_s * US_PER_S).astype(np.int64)  # as to_us: round half to even
    # Beat i is final once beat i + 6 has arrived, so after sample k the final corrected beats
    # are those whose source is below packet_beats[k] - 6.
    final_inputs = np.maximum(packet_beats - LOOKAHEAD_BEATS, 0)
    n_final = np.searchsorted(result.source, final_inputs, side="left")
    rmssd = rolling_rmssd_ms(out_t, out_us / US_PER_S)
    padded = np.concatenate(([np.nan], rmssd))
    return [None if math.isnan(v) else v for v in padded[n_final].tolist()]
