"""Strap samples in, samples with a beat-derived heart rate out: the beat-level path.

Each sample's RR values are timed (`BeatClock`), corrected (`StreamingCorrector`), and the
sample's `bpm` becomes the rate of the corrected beats of the last `HR_WINDOW_S` seconds
(beats per minute = beats / their total duration, so a missed or extra beat the correction put
right cannot make a spike). Everything else in the sample is kept, `rr_s` too (the raw beats).

Latency: a beat is final 6 beats after it arrived (see `flooding.beats.stream`), so the rate
describes the beats of roughly 5-11 s before the packet. When beats stop coming (no RR for
`RR_STALE_S`, or no final beat for `FINAL_STALE_S`), and for the first `WARMUP_BEATS` final
beats, the strap's own bpm is passed on.

`process_batch` gives exactly what `feed` gives, sample for sample, with vectorised work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from flooding.beats.artifacts import LOOKAHEAD_BEATS, correct_rr
from flooding.beats.clock import BeatClock
from flooding.beats.rolling import (
    RMSSD_WINDOW_S,
    SECONDS_PER_MINUTE,
    US_PER_S,
    RollingRmssd,
    WindowMean,
    rolling_rmssd_ms,
    to_us,
)
from flooding.beats.stream import StreamingCorrector
from flooding.models import Sample

HR_WINDOW_S = 5.0  # seconds of corrected beats behind each heart rate: a few beats, no spikes
RR_STALE_S = 5.0  # no RR values for this long: use the strap's bpm
WARMUP_BEATS = 10  # final beats before the first beat-derived rate: the first beats lack context
FINAL_STALE_S = 15.0  # newest final beat older than this (6 beats at 25 bpm): strap's bpm


class BeatProcessor:
    """Streaming: `feed` one strap sample at a time; bounded memory, O(1) amortised per beat."""

    def __init__(self) -> None:
        self._clock = BeatClock()
        self._corrector = StreamingCorrector()
        self._hr = WindowMean(HR_WINDOW_S)
        self._rmssd = RollingRmssd(RMSSD_WINDOW_S)
        self._last_rr_packet_s: float | None = None
        self._final_beats = 0

    @property
    def rmssd_ms(self) -> float | None:
        """RMSSD of the corrected beats of the last 30 s, in ms (None before two final beats)."""
        return self._rmssd.rmssd_ms()

    def feed(self, sample: Sample) -> Sample:
        """The sample with `bpm` from the corrected beats (or the strap's, when beats stalled)."""
        if sample.rr_s:
            self._last_rr_packet_s = sample.t_s
            for t_s, rr_s in zip(
                self._clock.push(sample.t_s, sample.rr_s), sample.rr_s, strict=True
            ):
                for decision in self._corrector.push(rr_s, t_s):
                    for value in decision.rr_s:
                        self._final_beats += 1
                        rr_us = to_us(value)
                        self._hr.add(decision.t_s, rr_us)
                        self._rmssd.add(decision.t_s, rr_us)
        else:
            self._clock.push(sample.t_s, ())
        bpm = self._hr.bpm()
        newest = self._hr.newest_s
        if (
            bpm is None
            or newest is None
            or self._final_beats < WARMUP_BEATS
            or self._last_rr_packet_s is None
            or sample.t_s - self._last_rr_packet_s > RR_STALE_S
            or sample.t_s - newest > FINAL_STALE_S
        ):
            return sample
        return Sample(sample.t_s, bpm, sample.rr_s, sample.contact, sample.energy_kj)


def _final_beats(
    samples: Sequence[Sample],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Corrected beat times and intervals (whole us), and per sample: how many corrected beats
    are final, its time, and whether it carried RR values."""
    clock = BeatClock()
    beat_t: list[float] = []
    packet_beats = np.empty(len(samples), dtype=np.int64)  # beats received up to each sample
    for index, sample in enumerate(samples):
        beat_t.extend(clock.push(sample.t_s, sample.rr_s))
        packet_beats[index] = len(beat_t)
    rr = np.array([rr for sample in samples for rr in sample.rr_s], dtype=np.float64)
    times = np.array(beat_t, dtype=np.float64)
    t_sample = np.array([sample.t_s for sample in samples], dtype=np.float64)
    has_rr = np.array([bool(sample.rr_s) for sample in samples])

    result = correct_rr(rr)
    out_t = times[result.source]
    out_us = np.rint(result.rr_s * US_PER_S).astype(np.int64)  # as to_us: round half to even
    # Beat i is final once beat i + 6 has arrived, so after sample k the final corrected beats
    # are those whose source is below packet_beats[k] - 6.
    final_inputs = np.maximum(packet_beats - LOOKAHEAD_BEATS, 0)
    n_final = np.searchsorted(result.source, final_inputs, side="left")
    return out_t, out_us, n_final, t_sample, has_rr


def rmssd_batch(samples: Sequence[Sample]) -> list[float | None]:
    """`BeatProcessor.rmssd_ms` after each sample, as feeding them in order would give it."""
    if not samples:
        return []
    out_t, out_us, n_final, _, _ = _final_beats(samples)
    rmssd = rolling_rmssd_ms(out_t, out_us / US_PER_S)
    padded = np.concatenate(([np.nan], rmssd))
    return [None if math.isnan(v) else v for v in padded[n_final].tolist()]


def process_batch(samples: Sequence[Sample]) -> list[Sample]:
    """What a fresh `BeatProcessor` fed these samples in order would return, vectorised."""
    if not samples:
        return []
    out_t, out_us, n_final, t_sample, has_rr = _final_beats(samples)

    cum = np.concatenate(([0], np.cumsum(out_us)))
    padded_t = np.concatenate(([np.nan], out_t))
    newest = padded_t[n_final]  # NaN before the first final beat
    first = np.searchsorted(out_t, newest - HR_WINDOW_S, side="left")
    # WindowMean drops beats only as new ones arrive, so its window starts no later than the
    # newest beat's own window: beats kept are those at or after newest - window.
    count = n_final - first
    with np.errstate(divide="ignore", invalid="ignore"):
        bpm = SECONDS_PER_MINUTE * US_PER_S * count / (cum[n_final] - cum[first])

    rr_index = np.where(has_rr, np.arange(len(samples)), -1)
    np.maximum.accumulate(rr_index, out=rr_index)
    last_rr_s = np.where(rr_index >= 0, t_sample[np.maximum(rr_index, 0)], np.nan)
    use = (
        (n_final >= WARMUP_BEATS)
        & (rr_index >= 0)
        & ~(t_sample - last_rr_s > RR_STALE_S)
        & ~(t_sample - newest > FINAL_STALE_S)
    )
    return [
        Sample(sample.t_s, value, sample.rr_s, sample.contact, sample.energy_kj) if ok else sample
        for sample, value, ok in zip(samples, bpm.tolist(), use.tolist(), strict=True)
    ]
