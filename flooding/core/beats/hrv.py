"""Heart-rate variability: the RMSSD of the corrected beats, the one figure every view shows.

Each unbroken run of samples has its RR intervals corrected (`correct_rr`: a range gate, then
Lipponen & Tarvainen 2019: missed beats split, extra beats merged, ectopic beats evened out);
RMSSD is the root mean square of the successive differences of the corrected beats, over all
runs together and over each complete window (5 minutes by convention) of a run. It measures
relaxation (vagal tone) only in a sinus rhythm: when many beats still jump by more than a fifth
after the correction (frequent premature beats in a pattern, as in bigeminy, which the
correction takes for the rhythm), it measures those jumps instead (`Rmssd.irregular`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from flooding.core.beats.artifacts import Label, correct_rr
from flooding.core.models import Sample

MS_PER_S = 1000.0
RMSSD_WINDOW_S = 300.0  # RMSSD is conventionally reported over 5-minute windows
JUMP_FRACTION = 0.20  # a beat more than 20 % away from the one before is no sinus beat (Malik)
IRREGULAR_SHARE = 0.10  # more such jumps than this share of the pairs: not a sinus rhythm, its
#                         RMSSD no measure of relaxation (HRV guidance sets recordings with more
#                         than a few % ectopic beats aside; clean straps here: 0-1 %, a wrist's
#                         pulse 5 %, a strap on frequent premature beats 85 %)


@dataclass(frozen=True)
class Rmssd:
    """RMSSD of corrected beats over some runs of samples."""

    rmssd_ms: float | None  # over every run together (None: no pair of beats)
    window_ms: tuple[float, ...]  # each complete window's RMSSD, in order
    pairs_used: int  # successive pairs of corrected beats that went in
    pairs_set_aside: int  # pairs across a beat outside the plausible range (never differenced)
    beats_corrected: int  # beats the correction repaired (missed, extra, ectopic, long, short)
    pairs_jumping: int = 0  # pairs used whose later beat is `JUMP_FRACTION` or more away
    # every window's, the last one of each run too (however short): every pair that went
    # into `rmssd_ms` is in one of them, so `rmssd_ms` lies between their lowest and highest
    part_ms: tuple[float, ...] = ()

    @property
    def irregular(self) -> bool:
        """Whether too many beats still jump for the RMSSD to measure relaxation."""
        return self.pairs_jumping > IRREGULAR_SHARE * self.pairs_used


def _windows(run: Sequence[Sample], window_s: float) -> np.ndarray:
    """Each sample's window number in its run; a window closes at the first sample
    `window_s` or more after its start, which starts the next one."""
    out = np.empty(len(run), dtype=np.int64)
    start = run[0].t_s
    number = 0
    for index, sample in enumerate(run):
        if sample.t_s - start >= window_s:
            number += 1
            start = sample.t_s
        out[index] = number
    return out


def corrected_rmssd(runs: Iterable[Sequence[Sample]], window_s: float = RMSSD_WINDOW_S) -> Rmssd:
    """RMSSD (ms) of the corrected beats of unbroken runs of samples, overall and per window.

    No difference is taken between two runs, nor across a beat outside the plausible range.
    A window counts only when complete (the run went on past it).
    """
    squares: list[np.ndarray] = []
    window_ms: list[float] = []
    part_ms: list[float] = []
    set_aside = corrected = jumping = 0
    for run in runs:
        counts = np.fromiter((len(s.rr_s) for s in run), dtype=np.int64, count=len(run))
        rr = np.fromiter((rr for s in run for rr in s.rr_s), dtype=np.float64)
        if rr.size < 2:
            continue
        result = correct_rr(rr)
        labels = result.labels
        corrected += int(
            np.count_nonzero((labels != Label.NORMAL) & (labels != Label.OUT_OF_RANGE))
        )
        if result.rr_s.size < 2:
            continue
        src = result.source
        # out-of-range input beats before each index: a pair spanning one is set aside
        dropped = np.concatenate(([0], np.cumsum(labels == Label.OUT_OF_RANGE)))
        whole = dropped[src[1:]] == dropped[src[:-1]]
        set_aside += int(np.count_nonzero(~whole))
        step = np.diff(result.rr_s * MS_PER_S)[whole]
        earlier = result.rr_s[:-1][whole] * MS_PER_S
        jumping += int(np.count_nonzero(np.abs(step) > JUMP_FRACTION * earlier))
        square = step**2
        squares.append(square)
        # a pair belongs to the window of the sample that brought its later beat
        beat_window = np.repeat(_windows(run, window_s), counts)
        pair_window = beat_window[src[1:]][whole]
        complete = int(beat_window[-1])  # the last window of a run is not complete
        sums = np.bincount(pair_window, weights=square, minlength=complete + 1)
        n = np.bincount(pair_window, minlength=complete + 1)
        window_ms += [math.sqrt(sums[w] / n[w]) for w in range(complete) if n[w] > 0]
        part_ms += [math.sqrt(sums[w] / n[w]) for w in range(complete + 1) if n[w] > 0]
    every = np.concatenate(squares) if squares else np.empty(0)
    return Rmssd(
        rmssd_ms=float(np.sqrt(np.mean(every))) if every.size else None,
        window_ms=tuple(window_ms),
        part_ms=tuple(part_ms),
        pairs_used=int(every.size),
        pairs_set_aside=set_aside,
        beats_corrected=corrected,
        pairs_jumping=jumping,
    )
