"""Beat times rebuilt from RR intervals, re-anchored to packet times after a gap.

A strap sends the RR intervals of the beats since its last packet; summing them gives beat times
that keep the heart's own timing. Packets can be lost (a dropout) and phone clocks jitter, so
the sum is re-anchored to the packet's arrival time when the two disagree by more than
`REANCHOR_TOLERANCE_S`, or when the packet came after a silence longer than `DROPOUT_S`.
Re-anchoring never moves time backwards: beat times are non-decreasing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

REANCHOR_TOLERANCE_S = 2.0  # a packet's last beat falls up to ~1 s before it; 2 s is clearly off
DROPOUT_S = 3.0  # no packet for this long: notifications were lost, beats with them
RUN_PACKETS = 1024  # packets summed in one numpy pass before looking for a re-anchoring
#                     (doubled while none comes): a pass's fixed cost is that of thousands of sums


class BeatClock:
    """Turns (packet time, RR values) into beat times; O(1) state."""

    __slots__ = ("_last_beat_s", "_last_packet_s")

    def __init__(self) -> None:
        self._last_beat_s: float | None = None
        self._last_packet_s: float | None = None

    def push(self, t_s: float, rr_s: Sequence[float]) -> list[float]:
        """The times of the beats ending the intervals `rr_s` of a packet received at `t_s`."""
        last_packet = self._last_packet_s
        self._last_packet_s = t_s
        if not rr_s:
            return []
        offsets = []
        total = 0.0
        for rr in rr_s:
            total += rr
            offsets.append(total)
        last_beat = self._last_beat_s
        if last_beat is None:
            base = t_s - total
        elif (
            last_packet is None
            or t_s - last_packet > DROPOUT_S
            or abs(last_beat + total - t_s) > REANCHOR_TOLERANCE_S
        ):
            base = max(t_s - total, last_beat)
        else:
            base = last_beat
        times = [base + offset for offset in offsets]
        self._last_beat_s = times[-1]
        return times


def beat_times(
    packet_t_s: np.ndarray,
    counts: np.ndarray,
    rr_s: np.ndarray,
    *,
    last_beat_s: float | None = None,
    last_packet_s: float | None = None,
    ends: np.ndarray | None = None,
) -> np.ndarray:
    """The beat times `BeatClock.push` gives, packet after packet, for whole arrays: each
    packet's time, how many RR values it holds, and all the RR values in order.
    `last_beat_s` and `last_packet_s`: the clock's state before the first packet (a series
    taken a piece at a time); None for a fresh clock. `ends`: `np.cumsum(counts)`, where
    the caller has it already.

    The sums are the clock's own, in the same order (sequential, float for float), so the
    times are identical; each run between re-anchorings is one numpy pass.
    """
    import numpy as np

    if rr_s.size == 0:
        return np.empty(0)
    n = counts.size
    holding = counts > 0  # packets with beats (nearly all; the rest move no beat, anchor none)
    if ends is None:
        ends = np.cumsum(counts)  # each packet's beats end here
    # offsets within each packet, summed left to right as the clock does: the second beat
    # of every packet at once, then the third, ...
    offsets = rr_s.astype(np.float64, copy=True)
    more = np.flatnonzero(counts > 1)  # the packets holding another beat
    place = 1
    while more.size:
        # by index, not by mask: where few packets hold more, a gather is faster; the
        # packets' first beats, read through views shifted by `place`
        first = ends[more] - counts[more]
        offsets[place:][first] = offsets[place - 1 :][first] + rr_s[place:][first]
        place += 1
        more = more[counts[more] > place]
    total = offsets[ends - 1]  # each packet's sum: 0.0 where empty (it leaves a time as is)
    np.copyto(total, 0.0, where=~holding)
    t = packet_t_s
    # the silence before each packet (NaN: no packet before, compares False)
    silence = np.empty(n)
    silence[0] = packet_t_s[0] - (np.nan if last_packet_s is None else last_packet_s)
    np.subtract(packet_t_s[1:], packet_t_s[:-1], out=silence[1:])
    dropout = silence > DROPOUT_S
    # base[p]: the clock's last beat before packet p (each run's sums written in place)
    base = np.empty(n + 1)
    if last_beat_s is None:  # a fresh clock: the first packet's beats end at its time
        k = int(np.argmax(holding))  # the first packet with beats
        base[k] = t[k] - total[k]
        last = base[k] + total[k]  # the clock's last beat
        k += 1
    else:
        last = last_beat_s
        k = 0
    step = RUN_PACKETS
    while k < n:
        # continue without re-anchoring as far as the clock would, one numpy pass
        stop = min(n, k + step)
        run = base[k : stop + 1]
        run[0] = last
        run[1:] = total[k:stop]
        np.cumsum(run, out=run)
        drift = np.subtract(run[1:], t[k:stop])
        bad = np.abs(drift, out=drift) > REANCHOR_TOLERANCE_S
        bad |= dropout[k:stop]
        bad &= holding[k:stop]
        hit = int(np.argmax(bad))
        if not bad[hit]:
            hit = stop - k
        last = float(run[hit])
        k += hit
        if k < stop:  # re-anchored to the packet's time
            base[k] = max(t[k] - total[k], last)
            last = base[k] + total[k]
            k += 1
            step = RUN_PACKETS
        else:
            step *= 2
    offsets += np.repeat(base[:n], counts)  # each beat's time: its packet's base + its offset
    return offsets
