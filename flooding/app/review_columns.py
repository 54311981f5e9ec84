"""The review's passes over a session's samples (episode peaks, calm runs and their RMSSD)
done on its columns in whole-array steps: the same figures as the passes over `Sample`
values in `flooding.app.review`, for a month of samples in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flooding.core.beats.columns import SampleColumns
from flooding.core.beats.hrv import Rmssd, corrected_rmssd
from flooding.core.models import PLAUSIBLE_MAX_BPM, PLAUSIBLE_MIN_BPM, Sample
from flooding.io.readers.recording import samples_of, table_rows


def usable(table: SampleColumns) -> npt.NDArray[np.bool_]:
    """`Sample.usable` of every sample: skin contact (or unknown) and a plausible rate."""
    bpm = table.bpm
    result: npt.NDArray[np.bool_] = (
        table.has_contact & (bpm >= PLAUSIBLE_MIN_BPM) & (bpm <= PLAUSIBLE_MAX_BPM)
    )
    return result


def episode_peaks(
    table: SampleColumns, spans: Sequence[tuple[float, float | None]]
) -> list[float | None]:
    """`review.episode_peaks` of a table's samples: the highest usable reading within each
    span from onset to end (None: open to the end), None for a span without one."""
    peaks: list[float | None] = [None] * len(spans)
    if not spans:
        return peaks
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    starts = np.array([spans[i][0] for i in order], np.float64)
    ends = np.array([math.inf if spans[i][1] is None else spans[i][1] for i in order])
    t = table.t_s
    # the latest span begun at each sample is its only candidate (spans do not overlap)
    k = np.searchsorted(starts, t, side="right") - 1
    inside = usable(table) & (k >= 0)
    inside[inside] = t[inside] <= ends[k[inside]]
    which = k[inside]
    best = np.full(len(spans), -np.inf)
    np.maximum.at(best, which, table.bpm[inside])
    found = np.bincount(which, minlength=len(spans))
    for rank, index in enumerate(order):
        if found[rank]:
            peaks[index] = float(best[rank])
    return peaks


def activity_within(
    table: SampleColumns, spans: Sequence[tuple[float, float]], moving_g: float
) -> list[tuple[int, int]]:
    """For each span (both ends included), how many of a table's samples (in time order)
    carry an activity level, and how many of those are `moving_g` or more."""
    activity = table.activity_g
    if activity is None:
        return [(0, 0)] * len(spans)
    out = []
    for start_s, end_s in spans:
        first = int(np.searchsorted(table.t_s, start_s, side="left"))
        last = int(np.searchsorted(table.t_s, end_s, side="right"))
        levels = activity[first:last]
        measured = levels[~np.isnan(levels)]
        out.append((int(measured.size), int(np.count_nonzero(measured >= moving_g))))
    return out


@dataclass(frozen=True)
class CalmPass:
    """What one pass over the calm runs gives: their length in all, their usable readings
    in order, and the RMSSD of their corrected beats."""

    calm_s: float
    values: list[float]
    hrv: Rmssd


def calm_runs(
    table: SampleColumns, spans: Sequence[tuple[float, float]], gap_s: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """`review.iter_calm_runs` as index ranges: where each unbroken run of calm samples
    (skin contact, outside every busy span, no more than `gap_s` after the sample before)
    begins, and where it ends (exclusive)."""
    t = table.t_s
    n = t.size
    calm = table.has_contact.copy()
    if spans:
        ordered = sorted(spans)
        starts = np.array([a for a, _ in ordered], np.float64)
        reach = np.maximum.accumulate(np.array([b for _, b in ordered], np.float64))
        k = np.searchsorted(starts, t, side="right")
        started = k > 0
        busy = np.zeros(n, np.bool_)
        busy[started] = t[started] <= reach[k[started] - 1]
        calm &= ~busy
    broken = np.ones(n, np.bool_)  # the sample before is far, not calm, or there is none
    broken[1:] = (np.diff(t) > gap_s) | ~calm[:-1]
    firsts = np.flatnonzero(calm & broken)
    # a run goes on up to the next sample that is not calm or begins another, or to the end
    stops = np.append(np.flatnonzero(~calm | broken), n)
    return firsts, stops[np.searchsorted(stops, firsts, side="right")]


def calm_pass(table: SampleColumns, spans: Sequence[tuple[float, float]], gap_s: float) -> CalmPass:
    """The calm runs' length, usable readings and corrected-beat RMSSD, as
    `review._calm_in_one_pass` finds them (only runs holding beats become `Sample` values)."""
    firsts, ends = calm_runs(table, spans, gap_s)
    t = table.t_s
    calm_s: float = sum((t[ends - 1] - t[firsts]).tolist())  # run by run, as the pass adds
    in_run = np.zeros(t.size, np.bool_)  # every calm sample is in a run
    in_run[_spans_of(firsts, ends)] = True
    values = table.bpm[in_run & usable(table)].tolist()
    beat_offsets = np.concatenate(([0], np.cumsum(table.rr_counts)))
    beats = beat_offsets[ends] - beat_offsets[firsts]

    def runs() -> Iterator[list[Sample]]:
        for first, end in zip(firsts[beats >= 2].tolist(), ends[beats >= 2].tolist(), strict=True):
            part = table_rows(table, first, end - first, first_beat=int(beat_offsets[first]))
            yield samples_of(part)

    return CalmPass(calm_s, values, corrected_rmssd(runs()))


def _spans_of(firsts: npt.NDArray[np.intp], ends: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """Every index of the ranges `firsts[k]` .. `ends[k]` - 1."""
    lengths = ends - firsts
    where: npt.NDArray[np.intp] = np.arange(int(lengths.sum())) + np.repeat(
        firsts - np.cumsum(lengths) + lengths, lengths
    )
    return where
