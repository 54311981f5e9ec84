"""The heart rate the detector sees: a low-latency, artifact-robust estimate from raw beats.

Why not the corrected series (`flooding.core.beats.artifacts`)? Lipponen-Tarvainen correction is
final only 6 beats after a beat arrived, and a rate averaging 5 s of those final beats
describes the heart of 6-11 s ago. The detector's promise is an alert within the confirmation
window (20 s) + 2 s of the true onset. Those 2 s are shared by the estimate's own lag and the
wait for the strap's next report (once a second: 0-1 s), and breathing moves the beats by a
few percent within them (docs/detection.md, the late synthetic onsets).

The estimate, per sample:
- beats are timed by `BeatClock` (the same clock as the corrected path) and range-gated
  (`RR_MIN_S`..`RR_MAX_S`): a value outside is not a heartbeat and is dropped;
- a reference interval: half the median of the sums of successive pairs of the last
  `REF_BEATS` beats. Pair sums, not single intervals: in bigeminy (every other beat premature,
  short + compensatory long) half the intervals are short, so a plain median flips between
  short and long; a pair sum is about two normal beats whatever the phase;
- the beats of the last `WINDOW_S` seconds (at least `MIN_BEATS`) are repaired against it:
  an interval that rounds to 0 reference intervals is an extra (false) beat and is merged into
  the next; one that rounds to 2 or more hides missed beats and is split;
- the rate is 60 / (median of the means of successive pairs of the repaired beats), which a
  lone premature beat and its pause (short + long) do not move.
- When no usable beat came for `STALE_S` seconds (a strap that sends no RR, or only
  out-of-range ones), the strap's own value is used.
- A gap (a usable beat whose packet came more than `STALE_S` after the last usable beat's: the
  strap away, or sending no usable beats) starts afresh: the beats before it are forgotten,
  so they are never a reference for the beats after it (a heart at 125 bpm before the strap
  went away made a 75-bpm heart after it read 136-150 bpm: each new beat looked like two
  missed ones). Everything is summed in whole
  microseconds and the batch path runs the very same code, so live and batch agree exactly.

Measured (`scripts/evaluate`, labeled synthetic set with ectopic, missed and extra beats):
window 3 s / 3 beats lags a rise by about 1-2 s and gives no false alert; 2 s / 3 beats is
0.5 s faster but a burst of extra beats then gives false alerts; without the repair a plain
median of 4-5 beats swings up to +60 bpm in `polar-h10_pvc_hr-rr.csv` (trigeminy), and the
rate of the corrected series (5 s of final corrected beats, since removed) lagged 8-9 s, so
every alert would come after the confirmation window + 2 s. The corrected series gives the
heart-rate variability that reviews show (`flooding.core.beats.hrv`), from the stored beats.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Sequence
from statistics import median
from typing import TYPE_CHECKING

from flooding.core.beats.artifacts import RR_MAX_S, RR_MIN_S
from flooding.core.beats.clock import BeatClock
from flooding.core.models import Sample

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from flooding.core.beats.columns import SampleColumns

US_PER_S = 1_000_000  # beats are summed in whole microseconds: exact, so live equals batch
SECONDS_PER_MINUTE = 60.0

WINDOW_S = 3.0  # seconds of beats behind each estimate: lag ~1.5 s, within the 2 s slack
MIN_BEATS = 3  # at least this many beats (2 pair means), so a slow heart still has a rate
REF_BEATS = 9  # beats in the reference interval (their median): a few artifacts are outvoted
MAX_BEATS = 16  # beats kept: 3 s at the fastest plausible heart (230 bpm) is under 12
STALE_S = 5.0  # no usable beat for this long: the strap's own value


def to_us(rr_s: float) -> int:
    """An interval in whole microseconds."""
    return round(rr_s * US_PER_S)


class FastRate:
    """Streaming: `bpm(sample)` once per sample, in order; O(1) work and memory per sample."""

    __slots__ = ("_beats", "_clock", "_last_packet_s")

    def __init__(self) -> None:
        self._clock = BeatClock()
        self._beats: deque[tuple[float, int]] = deque(maxlen=MAX_BEATS)
        self._last_packet_s: float | None = None  # the packet of the last usable beat

    def bpm(self, sample: Sample) -> float:
        """The detection heart rate for this sample (beats when fresh, else the strap's)."""
        rr_s = sample.rr_s
        if rr_s:
            beats = self._beats
            for t_s, rr in zip(self._clock.push(sample.t_s, rr_s), rr_s, strict=True):
                if RR_MIN_S <= rr <= RR_MAX_S:
                    last = self._last_packet_s
                    if last is not None and sample.t_s - last > STALE_S:
                        beats.clear()  # after a gap: the beats before it are not used
                    self._last_packet_s = sample.t_s
                    beats.append((t_s, to_us(rr)))
        else:
            self._clock.push(sample.t_s, ())
        return _estimate(self._beats, sample.t_s, sample.bpm)


def _estimate(beats: Sequence[tuple[float, int]], t_s: float, strap_bpm: float) -> float:
    """The rate at `t_s` from the last `MAX_BEATS` usable beats (time, interval in us)."""
    n = len(beats)
    if n < MIN_BEATS or t_s - beats[-1][0] > STALE_S:
        return strap_bpm
    start = t_s - WINDOW_S
    k = MIN_BEATS
    while k < n and beats[n - k - 1][0] >= start:
        k += 1
    last = [beats[i][1] for i in range(max(0, n - REF_BEATS), n)]
    ref = median([float(a + b) for a, b in itertools.pairwise(last)]) / 2.0
    repaired: list[float] = []
    carry = 0
    for i in range(n - k, n):
        rr_us = beats[i][1] + carry
        count = math.floor(rr_us / ref + 0.5)
        if count == 0:  # an extra beat: merged into the next interval
            carry = rr_us
            continue
        carry = 0
        repaired += [rr_us / count] * count  # a missed beat (or more): split
    if len(repaired) < 2:
        return SECONDS_PER_MINUTE * US_PER_S / ref
    pairs = [a + b for a, b in itertools.pairwise(repaired)]
    return 2.0 * SECONDS_PER_MINUTE * US_PER_S / median(pairs)


def fast_rates(samples: Sequence[Sample]) -> list[float]:
    """The detection heart rate of each sample, as a fresh `FastRate` gives it."""
    from flooding.core.beats.columns import SampleColumns

    rates: list[float] = fast_rate_array(SampleColumns.of(samples)).tolist()
    return rates


RATE_BLOCK_SAMPLES = 65_536  # samples done at a time: memory follows the block (a few MB)
FEW_DROPPED = 256  # dropped beats are searched for when under 1/this of a block's (else counted)


def fast_rate_array(
    columns: SampleColumns, block: int = RATE_BLOCK_SAMPLES
) -> npt.NDArray[np.float64]:
    """`fast_rates` for sample columns, exactly, with the common case in whole-array steps.

    A sample whose window holds a full `MAX_BEATS` ring and no extra or missed beat is done
    with numpy (the same numbers in the same order: integer sums, the same medians, the same
    divisions); the rest (the first beats of a session, repairs) run `_estimate` itself.
    Blocks of `block` samples carry the beat clock and the last `MAX_BEATS` beats (with their
    packets' times, for the gaps) over,
    so a recording of millions of samples needs no more working memory than a block.
    """
    import numpy as np

    from flooding.core.beats.clock import beat_times

    n = columns.t_s.size
    out = columns.bpm.copy()
    rr = columns.rr_s
    if rr.size == 0 or n == 0:
        return out
    last_beat: float | None = None
    last_packet: float | None = None
    kept_t = np.zeros(0)
    kept_us = np.zeros(0, np.int32)
    kept_packet_s = np.zeros(0)
    first_beat = 0
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        t_s = columns.t_s[lo:hi]
        counts = columns.rr_counts[lo:hi]
        ends = np.cumsum(counts)  # the block's beats up to the end of each sample
        block_rr = rr[first_beat : first_beat + int(ends[-1])]
        first_beat += int(ends[-1])
        times = beat_times(
            t_s, counts, block_rr, last_beat_s=last_beat, last_packet_s=last_packet, ends=ends
        )
        last_packet = float(t_s[-1])
        if times.size:
            last_beat = float(times[-1])
        usable = (block_rr >= RR_MIN_S) & (block_rr <= RR_MAX_S)
        dropped = np.flatnonzero(~usable)  # out of range, not heartbeats: nearly always few
        packet_s = np.repeat(t_s, counts)  # each beat's packet's time
        if dropped.size:
            times, block_rr, packet_s = times[usable], block_rr[usable], packet_s[usable]
        # usable beats up to the end of each sample, the kept ones first: the dropped ones
        # before it are searched for among them when few, else counted (fewer steps)
        if dropped.size * FEW_DROPPED < usable.size:
            have = kept_t.size + ends - np.searchsorted(dropped, ends)
        else:
            have = kept_t.size + np.concatenate(([0], np.cumsum(usable)))[ends]
        bt = np.concatenate((kept_t, times)) if kept_t.size else times
        # the intervals in whole us: at most RR_MAX_S, 32 bits hold them (and their sums)
        bu = np.empty(kept_us.size + block_rr.size, np.int32)
        bu[: kept_us.size] = kept_us
        scaled = block_rr * US_PER_S
        bu[kept_us.size :] = np.rint(scaled, out=scaled)  # as to_us: round half to even
        bp = np.concatenate((kept_packet_s, packet_s))
        _rates_block(t_s, out[lo:hi], bt, bu, have, _since_gap(bp, have))
        kept_t, kept_us, kept_packet_s = bt[-MAX_BEATS:], bu[-MAX_BEATS:], bp[-MAX_BEATS:]
    return out


def _since_gap(
    packet_s: npt.NDArray[np.float64], have: npt.NDArray[np.intp]
) -> npt.NDArray[np.intp]:
    """For each sample, how many of its `have` usable beats (their packets' times `packet_s`)
    came since the last gap: a beat whose packet came more than STALE_S after the previous
    beat's starts afresh, as `FastRate` forgets the beats before it."""
    import numpy as np

    gaps = np.flatnonzero(np.diff(packet_s) > STALE_S) + 1 if packet_s.size else ()
    if not len(gaps):
        return have
    first = np.zeros(packet_s.size, np.intp)  # the first beat since the last gap, per beat
    first[gaps] = gaps
    np.maximum.accumulate(first, out=first)
    since: npt.NDArray[np.intp] = have - np.take(first, have - 1, mode="wrap")
    since[have == 0] = 0
    return since


# compare-exchange networks that leave the middle of 3-6 values in the middle (a row median
# from whole-column minima and maxima, several times faster than sorting short rows): sorting
# networks (Knuth, TAOCP 5.3.4) but for 5 values, where the least of two pairs' lower values
# and the greatest of their higher ones cannot be the median and 3 values are left
MEDIAN_NETWORKS: dict[int, tuple[tuple[int, int], ...]] = {
    3: ((0, 2), (0, 1), (1, 2)),
    4: ((0, 1), (2, 3), (0, 2), (1, 3), (1, 2)),
    5: ((0, 1), (3, 4), (0, 3), (1, 4), (1, 3), (1, 2), (2, 3)),
    6: (
        (1, 2), (4, 5), (0, 2), (3, 5), (0, 1), (3, 4),
        (1, 4), (0, 3), (2, 5), (1, 3), (2, 4), (2, 3),
    ),
}  # fmt: skip


def _median_steps(width: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """The compare-exchanges of `MEDIAN_NETWORKS[width]` that the middle value(s) depend on,
    each with whether its lower and its higher value are used after it. An exchange of the
    two middle values at the end is left out: their sum is the same in either order."""
    network = list(MEDIAN_NETWORKS[width])
    middle = {(width - 1) // 2, width // 2}
    if len(middle) == 2 and set(network[-1]) == middle:
        network.pop()
    steps: list[tuple[int, int, bool, bool]] = []
    for a, b in reversed(network):
        low, high = a in middle, b in middle
        if low or high:
            steps.append((a, b, low, high))
            middle |= {a, b}
    return tuple(reversed(steps))


MEDIAN_STEPS = {width: _median_steps(width) for width in MEDIAN_NETWORKS}


def _column_medians(columns: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """`statistics.median` of each row of the equally long `columns` (at least two): the
    middle value, or the mean of the middle two (of two values, their mean: no sort). The
    columns serve as scratch space: their values are overwritten."""
    import numpy as np

    width = len(columns)
    if width == 2:
        halves: npt.NDArray[np.float64] = (columns[0] + columns[1]) / 2
        return halves
    steps = MEDIAN_STEPS.get(width)
    if steps is None:
        ordered = np.sort(np.stack(columns, axis=1), axis=1)
        columns = [ordered[:, k] for k in range(width)]
    else:  # the middle values in the middle places, as a sort leaves them
        for a, b, low, high in steps:
            if low and high:
                lower = np.minimum(columns[a], columns[b])
                np.maximum(columns[a], columns[b], out=columns[b])
                columns[a] = lower
            elif low:
                np.minimum(columns[a], columns[b], out=columns[a])
            else:
                np.maximum(columns[a], columns[b], out=columns[b])
    if width % 2:
        middle: npt.NDArray[np.float64] = columns[width // 2]
        return middle
    means = np.add(columns[width // 2 - 1], columns[width // 2], out=columns[width // 2])
    means /= 2
    return means


def _window_extreme(
    values: npt.NDArray[np.int32], width: int, pick: np.ufunc
) -> npt.NDArray[np.int32]:
    """`pick` (np.minimum or np.maximum) of each run of `width` values, by where it starts
    (windows of 1, 2, 4, ... combined: a few whole-array steps)."""
    out = values
    span = 1
    while 2 * span <= width:
        out = pick(out[:-span], out[span:])
        span *= 2
    if span < width:  # two overlapping windows of `span` cover `width`
        out = pick(out[: out.size - (width - span)], out[width - span :])
    extreme: npt.NDArray[np.int32] = out
    return extreme


def _window_beats(
    bt: npt.NDArray[np.float64], upto: npt.NDArray[np.intp], start_s: npt.NDArray[np.float64]
) -> npt.NDArray[np.uint8]:
    """For rows whose ring ends at beat `upto` - 1 (at least MAX_BEATS beats): how many of
    their last beats are at or after `start_s`, at least MIN_BEATS and at most MAX_BEATS (the
    `k` of `_estimate`). The beats' times only go forward, so going back from the MIN_BEATS-th
    last beat they leave the window once and for all: `k` counts those still in it, a beat
    further back for all rows at a time, until no row's is (a slow heart: a few steps)."""
    import numpy as np

    ring_first = upto - MAX_BEATS  # each row's first ring beat (its MAX_BEATS-th last)
    beats = np.full(upto.size, MIN_BEATS, np.uint8)
    earlier_s = np.empty(upto.size)
    inside = np.empty(upto.size, np.bool_)
    for back in range(MAX_BEATS - MIN_BEATS - 1, -1, -1):
        # the beat `back` after each ring's first, read through a shifted view (in range:
        # the unchecked, unbuffered gather)
        np.take(bt[back:], ring_first, out=earlier_s, mode="wrap")
        np.greater_equal(earlier_s, start_s, out=inside)
        if not inside.any():
            break
        np.add(beats, inside, out=beats)
    return beats


def _steady(bu: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
    """For each run of REF_BEATS intervals (by where it starts): whether every interval of it
    rounds to one reference interval whatever the reference between its shortest and longest
    (so no repair window within it has an extra or missed beat). The rounding rises with the
    interval and falls as the reference rises, so the worst cases are the longest over the
    shortest (must stay under 3/2) and the shortest over the longest (at least 1/2):
    2 * longest < 3 * shortest, in whole microseconds, gives both with room for the float
    division's rounding (a hair stricter than the floats: sound)."""
    import numpy as np

    shortest = _window_extreme(bu, REF_BEATS, np.minimum)  # new arrays: scaled in place
    longest = _window_extreme(bu, REF_BEATS, np.maximum)
    longest *= 2  # at most RR_MAX_S in us: 3 times that fits in 32 bits
    shortest *= 3
    steady: npt.NDArray[np.bool_] = longest < shortest
    return steady


def _reference(
    pair: npt.NDArray[np.float64], upto: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """The reference interval of rows whose ring ends at beat `upto` - 1: half the median of
    the pair sums of the last REF_BEATS beats (an even count: the mean of the middle two)."""
    import numpy as np

    width = REF_BEATS - 1
    first_pair = upto - REF_BEATS  # the ring's last REF_BEATS beats give these pairs
    ordered = np.sort(pair[first_pair[:, None] + np.arange(width)], axis=1)
    ref: npt.NDArray[np.float64] = (ordered[:, width // 2 - 1] + ordered[:, width // 2]) / 2
    return ref / 2.0


def _unrepaired(
    bu: npt.NDArray[np.int32],
    pair: npt.NDArray[np.float64],
    upto: npt.NDArray[np.intp],
    k: npt.NDArray[np.uint8],
) -> npt.NDArray[np.bool_]:
    """Whether each row's last `k` intervals (its ring ending at beat `upto` - 1) all round
    to one reference interval: no extra or missed beat, so `_estimate` repairs nothing."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    recent = sliding_window_view(bu, MAX_BEATS)[upto - MAX_BEATS]  # each row's ring
    count = np.floor(recent / _reference(pair, upto)[:, None] + 0.5)
    outside = np.arange(MAX_BEATS) < (MAX_BEATS - k)[:, None]  # before the repair window
    unrepaired: npt.NDArray[np.bool_] = np.all((count == 1) | outside, axis=1)
    return unrepaired


def _rates_block(
    t_s: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    bt: npt.NDArray[np.float64],
    bu: npt.NDArray[np.int32],
    have: npt.NDArray[np.intp],
    since_gap: npt.NDArray[np.intp],
) -> None:
    """The rates of a block of samples into `out` (holding the strap's values): `bt`, `bu`
    the usable beats' times and intervals (us), the last ones from before the block first;
    `have[j]`: how many of them came up to sample j; `since_gap[j]`: how many of those came
    since the last gap (the beats before it are not used)."""
    import numpy as np

    # the samples with fewer than MIN_BEATS beats since the gap keep the strap's values;
    # those with fewer than MAX_BEATS go to `_estimate`; full rings are done here
    some = np.flatnonzero(since_gap >= MIN_BEATS)
    upto = have[some]
    # fresh: a usable beat in the last STALE_S (else the strap's value stays)
    since_s = np.take(bt, upto - 1, mode="wrap")  # in range: the unchecked gather
    np.subtract(t_s[some], since_s, out=since_s)
    fresh = since_s <= STALE_S
    full = since_gap[some] >= MAX_BEATS
    rest = [some[fresh & ~full]]
    ring = some[full]
    if ring.size:
        fresh = fresh[full]
        pair = (bu[:-1] + bu[1:]).astype(np.float64)
        upto = upto[full]
        k = _window_beats(bt, upto, t_s[ring] - WINDOW_S)
        # the reference (half the median of the pair sums of the last REF_BEATS beats) lies
        # between their shortest and longest interval: where all those round to one
        # interval whatever it is, a repair window within them needs no reference; the
        # rest are tested with the reference itself
        simple = np.take(_steady(bu), upto - REF_BEATS, mode="wrap")
        simple &= k <= REF_BEATS
        unsure = np.flatnonzero(fresh & ~simple)
        simple &= fresh
        if unsure.size:
            unrepaired = _unrepaired(bu, pair, upto[unsure], k[unsure])
            simple[unsure] = unrepaired
            rest.append(ring[unsure[~unrepaired]])  # the rest: a repair, `_estimate`
        size_of = k * simple  # the window's beats, 0 where not done here
        for size in range(int(k.min()), int(size_of.max()) + 1):
            group = np.flatnonzero(size_of == size)
            if not group.size:
                continue
            first_pair = np.take(upto, group, mode="wrap")
            first_pair -= size
            # the rows' pair sums, pair[first_pair + place], read through shifted views
            # (in range: the unchecked gather)
            middle = _column_medians(
                [np.take(pair[place:], first_pair, mode="wrap") for place in range(size - 1)]
            )
            out[ring[group]] = np.divide(2.0 * SECONDS_PER_MINUTE * US_PER_S, middle, out=middle)
    for j in np.concatenate(rest).tolist():
        end = int(have[j])
        first = end - min(int(since_gap[j]), MAX_BEATS)
        beats = list(zip(bt[first:end].tolist(), bu[first:end].tolist(), strict=True))
        out[j] = _estimate(beats, float(t_s[j]), float(out[j]))
