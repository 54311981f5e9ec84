"""RR artifact correction: a range gate, then Lipponen & Tarvainen (2019) beat classification.

Lipponen, J. A. & Tarvainen, M. P. (2019). A robust algorithm for heart rate variability time
series artefact correction using novel beat classification. J Med Eng Technol 43(3):173-181.

The classification follows the vectorised reading of the paper in systole's
`systole.detection.rr_artefacts` (embodied-computation-group/systole): dRR normalised by
5.2 x the quartile deviation of |dRR| over 91 beats (subspace S11), S12 / S22 from the
neighbouring dRRs, mRR = RR - median of 11 beats (negative side doubled) normalised the same way,
then ectopic (S11/S12 with c1 = 0.13, c2 = 0.17), long/short (S11/S22, or |mRR| > 3), missed
(long and |RR/2 - medRR| < th2) and extra (short and |RR + RR_next - medRR| < th2).
Differences from systole, each so that a beat is final after a bounded look-ahead, as a live
strap needs (`LOOKAHEAD_BEATS`):
- the 91-beat quartile windows end at the beat instead of being centred on it (systole and the
  paper centre them, which would hold every beat back 45 beats, about a minute);
- long vs short by the beat's own local median, not the median of the whole series;
- dRR of the first beat is 0 (systole uses the mean of all later dRRs);
- thresholds have a floor, `THRESHOLD_FLOOR_S`, so a very regular stretch (exercise) or the
  first few beats do not make every small change an artifact.
Correction (as systole and Kubios): a missed beat is split in two halves, an extra beat merged
with the next, an ectopic pair (the flagged beat and the one before it: short-long or
long-short) set to its mean, which keeps the beat times, and a lone long, short or ectopic beat
set to the local median of 11 beats. Beats outside the range gate are dropped.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

RR_MIN_S = 0.3  # 200 bpm: faster than an adult heart in a conversation, so not a heartbeat
RR_MAX_S = 2.0  # 30 bpm: slower than a waking adult heart, so a gap or several missed beats
ALPHA = 5.2  # threshold = ALPHA x quartile deviation (paper: covers 99.95 % of normal beats)
QD_WINDOW_BEATS = 91  # beats in the quartile-deviation window (paper)
MEDIAN_WINDOW_BEATS = 11  # beats in the local median window, centred (paper)
MEDIAN_HALF_BEATS = MEDIAN_WINDOW_BEATS // 2
C1 = 0.13  # slope of the ectopic decision boundary in (S11, S12) (paper)
C2 = 0.17  # intercept of the ectopic decision boundary (paper)
LONG_SHORT_MRR = 3.0  # |normalised mRR| above this: long or short (paper)
THRESHOLD_FLOOR_S = 0.02  # 20 ms: below this a beat-to-beat change is ordinary variability
LOOKAHEAD_BEATS = MEDIAN_HALF_BEATS + 1  # beat i is final once beat i + 6 has arrived


class Label(enum.IntEnum):
    """What the correction decided about one input beat."""

    NORMAL = 0
    ECTOPIC = 1
    MISSED = 2
    EXTRA = 3
    LONG = 4
    SHORT = 5
    OUT_OF_RANGE = 6


@dataclass(frozen=True, eq=False)
class CorrectionResult:
    """Corrected beats and what happened to each input beat.

    `rr_s` is the corrected series (missed beats split, extra beats merged, out-of-range beats
    dropped); `source` gives, for each corrected beat, the index of the input beat it stands
    for; `labels` has one `Label` value per input beat.
    """

    rr_s: FloatArray
    source: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int8]


def gate(rr_s: FloatArray, last_ok_s: float | None = None) -> tuple[FloatArray, np.ndarray]:
    """In-range mask, and the series with out-of-range beats replaced by the last good one.

    Before any good beat, an out-of-range value is clipped to the range.
    """
    ok = (rr_s >= RR_MIN_S) & (rr_s <= RR_MAX_S)
    index = np.where(ok, np.arange(rr_s.size), -1)
    np.maximum.accumulate(index, out=index)
    fallback = (
        np.clip(rr_s, RR_MIN_S, RR_MAX_S) if last_ok_s is None else np.full_like(rr_s, last_ok_s)
    )
    held = np.where(index >= 0, rr_s[np.maximum(index, 0)], fallback)
    return held, ok


def _interpolated(order_stat: Callable[[int], FloatArray], position: float) -> FloatArray:
    """The linear-interpolated order statistic at `position` (0 .. width-1), per window.

    `order_stat(k)` gives the k-th smallest value of each window.
    """
    lo = int(np.floor(position))
    frac = position - lo
    below = order_stat(lo)
    if frac == 0.0:
        return below.copy()
    return below + frac * (order_stat(lo + 1) - below)


def _kth(width: int, fraction: float) -> tuple[float, list[int]]:
    position = fraction * (width - 1)
    lo = int(np.floor(position))
    return position, [lo, min(lo + 1, width - 1)]


def _threshold(order_stat: Callable[[int], FloatArray], width: int) -> FloatArray:
    p1, _ = _kth(width, 0.25)
    p3, _ = _kth(width, 0.75)
    qd = (_interpolated(order_stat, p3) - _interpolated(order_stat, p1)) / 2.0
    return np.maximum(ALPHA * qd, THRESHOLD_FLOOR_S)


def threshold_rows(windows: FloatArray) -> FloatArray:
    """ALPHA x quartile deviation of each row (numpy's linear quantiles), floored."""
    width = windows.shape[1]
    _, k1 = _kth(width, 0.25)
    _, k3 = _kth(width, 0.75)
    parted = np.partition(windows, sorted(set(k1 + k3)), axis=1)
    return _threshold(lambda k: parted[:, k], width)


def median_rows(windows: FloatArray) -> FloatArray:
    """The median of each row."""
    position, kth = _kth(windows.shape[1], 0.5)
    parted = np.partition(windows, kth, axis=1)
    return _interpolated(lambda k: parted[:, k], position)


def _rank_filter(values: FloatArray, rank: int, width: int, origin: int) -> FloatArray:
    """The rank-th smallest of each width-wide window (a running selection, O(n log width))."""
    # imported here: scipy costs the live service ~30 MB, and only corrections (reviews,
    # exports, plots) need it
    from scipy import ndimage

    result: FloatArray = ndimage.rank_filter(values, rank, size=width, origin=origin)
    return result


def trailing_thresholds(values: FloatArray) -> FloatArray:
    """threshold_rows over the QD_WINDOW_BEATS values ending at each index (fewer at the start).

    Full windows use running order statistics (scipy.ndimage.rank_filter) instead of sorting
    every window; the values and the arithmetic on them are the same as `threshold_rows`.
    """
    n = values.size
    out = np.empty(n)
    head = min(n, QD_WINDOW_BEATS - 1)
    for k in range(head):
        out[k] = threshold_rows(values[None, : k + 1])[0]
    if n > head:
        trailing = (QD_WINDOW_BEATS - 1) // 2  # origin that puts the window's end at the index
        out[head:] = _threshold(
            lambda k: _rank_filter(values, k, QD_WINDOW_BEATS, trailing)[head:], QD_WINDOW_BEATS
        )
    return out


def centred_medians(x: FloatArray) -> FloatArray:
    """median_rows over the MEDIAN_WINDOW_BEATS values centred on each index, clipped at ends."""
    n = x.size
    out = np.empty(n)
    h = MEDIAN_HALF_BEATS
    edge = [k for k in range(n) if k < h or k >= n - h]
    for k in edge:
        out[k] = median_rows(x[None, max(0, k - h) : min(n, k + h + 1)])[0]
    if n >= MEDIAN_WINDOW_BEATS:
        out[h : n - h] = _rank_filter(x, h, MEDIAN_WINDOW_BEATS, 0)[h : n - h]
    return out


def deviation(x: FloatArray, med: FloatArray) -> FloatArray:
    """mRR: the beat minus its local median, with the negative side doubled (paper)."""
    m = x - med
    return np.where(m < 0, 2.0 * m, m)


def classify(
    s11_prev: FloatArray,
    s11: FloatArray,
    s11_next: FloatArray,
    s11_next2: FloatArray,
    m: FloatArray,
    th2: FloatArray,
    x: FloatArray,
    x_next: FloatArray,
    med: FloatArray,
    ok: np.ndarray,
    may_be_ectopic: np.ndarray,
    may_be_long_short: np.ndarray,
) -> npt.NDArray[np.int8]:
    """Labels of beats from their subspace coordinates (all arrays aligned, elementwise)."""
    s12 = np.where(s11 > 0, np.maximum(s11_prev, s11_next), np.minimum(s11_prev, s11_next))
    s12 = np.where(s11 == 0, np.maximum(s11_prev, s11_next), s12)
    s22 = np.where(s11 >= 0, np.minimum(s11_next, s11_next2), np.maximum(s11_next, s11_next2))
    sm = m / th2
    ectopic = ((s11 > 1) & (s12 < -C1 * s11 - C2)) | ((s11 < -1) & (s12 > -C1 * s11 + C2))
    outlier = np.abs(sm) > LONG_SHORT_MRR
    long_ = ((s11 > 1) & (s22 < -1)) | (outlier & (m > 0))
    short = ((s11 < -1) & (s22 > 1)) | (outlier & (m <= 0))
    ectopic &= may_be_ectopic
    long_ &= may_be_long_short
    short &= may_be_long_short
    missed = long_ & (np.abs(x / 2.0 - med) < th2)
    extra = short & (np.abs(x + x_next - med) < th2)
    labels = np.full(s11.shape, Label.NORMAL, dtype=np.int8)
    for mask, label in (
        (short, Label.SHORT),
        (long_, Label.LONG),
        (extra, Label.EXTRA),
        (missed, Label.MISSED),
        (ectopic, Label.ECTOPIC),
        (~ok, Label.OUT_OF_RANGE),
    ):
        labels[mask] = label
    return labels


def step(
    label: int,
    label_next: int | None,
    rr: float,
    rr_next: float,
    med: float,
    pending: float | None,
) -> tuple[int, float, float | None]:
    """Correct one beat: (how many corrected beats it becomes, their value, value owed to the next).

    `pending` is what the previous beat decided for this one (the second half of an ectopic
    pair, or an extra beat merged into this one). `label_next` is None for the last beat.
    """
    if pending is not None:
        return 1, pending, None
    if label == Label.OUT_OF_RANGE:
        return 0, 0.0, None
    next_usable = label_next is not None and label_next != Label.OUT_OF_RANGE
    if label == Label.EXTRA and next_usable:
        return 0, 0.0, rr + rr_next
    if label == Label.MISSED:
        return 2, rr / 2.0, None
    # An ectopic label at i (NPN: short then long; PNP: long then short) names the pair (i-1, i).
    if next_usable and label_next == Label.ECTOPIC:
        mean = (rr + rr_next) / 2.0
        return 1, mean, mean
    if label != Label.NORMAL:
        return 1, med, None
    return 1, rr, None


def correct_rr(rr_s: FloatArray) -> CorrectionResult:
    """Label and correct a whole RR series (seconds)."""
    rr = np.asarray(rr_s, dtype=np.float64)
    n = rr.size
    if n == 0:
        empty = np.empty(0)
        return CorrectionResult(empty, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8))
    x, ok = gate(rr)
    d = np.diff(x, prepend=x[0])
    s11 = d / trailing_thresholds(np.abs(d))
    med = centred_medians(x)
    m = deviation(x, med)
    th2 = trailing_thresholds(np.abs(m))
    pad = np.concatenate(([0.0], s11, [0.0, 0.0]))
    index = np.arange(n)
    x_next = np.append(x[1:], 0.0)
    labels = classify(
        pad[:n], s11, pad[2 : n + 2], pad[3 : n + 3], m, th2, x, x_next, med, ok,
        (index >= 2) & (index < n - 2), (index >= 1) & (index < n - 1),
    )  # fmt: skip

    counts = np.ones(n, dtype=np.int64)
    counts[~ok] = 0
    values = x.copy()
    todo = np.flatnonzero(labels != Label.NORMAL)
    pairs = np.flatnonzero(labels[1:] == Label.ECTOPIC)  # beats before an ectopic one
    todo = np.union1d(todo, pairs)
    labels_l, x_l, med_l = labels.tolist(), x.tolist(), med.tolist()
    done_to = -1
    for i in todo.tolist():
        if i <= done_to:
            continue
        pending: float | None = None
        while True:
            nxt = i + 1 < n
            c, v, pending = step(
                labels_l[i],
                labels_l[i + 1] if nxt else None,
                x_l[i],
                x_l[i + 1] if nxt else 0.0,
                med_l[i],
                pending,
            )
            counts[i], values[i] = c, v
            done_to = i
            if pending is None:
                break
            i += 1
    return CorrectionResult(
        np.repeat(values, counts), np.repeat(np.arange(n, dtype=np.int64), counts), labels
    )
