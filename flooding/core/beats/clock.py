"""Beat times rebuilt from RR intervals, re-anchored to packet times after a gap.

A strap sends the RR intervals of the beats since its last packet; summing them gives beat times
that keep the heart's own timing. Packets can be lost (a dropout) and phone clocks jitter, so
the sum is re-anchored to the packet's arrival time when the two disagree by more than
`REANCHOR_TOLERANCE_S`, or when the packet came after a silence longer than `DROPOUT_S`.
Re-anchoring never moves time backwards: beat times are non-decreasing.
"""

from __future__ import annotations

from collections.abc import Sequence

REANCHOR_TOLERANCE_S = 2.0  # a packet's last beat falls up to ~1 s before it; 2 s is clearly off
DROPOUT_S = 3.0  # no packet for this long: notifications were lost, beats with them


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
