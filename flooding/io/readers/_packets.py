"""Beats to strap-like packets, so recordings take the very same path as a live strap.

A chest strap sends one Heart Rate Measurement about every second, carrying the RR intervals
of the beats detected since the last one and a heart rate it averaged on the device. Here the
beats of a file are grouped the same way: one packet per second of beats, the packet's RR values
are those beats, and its bpm is the strap-like short average, rounded as the strap sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from flooding.core.beats.columns import CONTACT_UNKNOWN, SampleColumns
from flooding.core.catalogue import phrase
from flooding.io.readers._text import FloatArray, check_rr
from flooding.io.readers.recording import Recording, empty_table

PACKET_INTERVAL_S = 1.0  # straps notify about once a second
STRAP_AVERAGE_S = 5.0  # the device-side average behind the strap's bpm: a few seconds of beats
STRAP_SILENCE_S = 3.0  # no beat for this long: the strap stops sending (a dropout, not 20 bpm)
SECONDS_PER_MINUTE = 60.0


def packetise(
    beat_t_s: FloatArray,
    rr_s: FloatArray,
    contact: np.ndarray | None = None,
) -> SampleColumns:
    """Strap-like samples (as columns) from beats: `beat_t_s[i]` is when the beat ending
    `rr_s[i]` happened.

    Packets fall every `PACKET_INTERVAL_S` from the first beat; a packet at time T holds the
    beats in (T - 1 s, T]. Packets more than `STRAP_SILENCE_S` after the last beat are not
    sent. `contact`, per beat, gives each packet's contact flag (any beat with contact);
    without it contact is unknown (None).
    """
    n = beat_t_s.size
    if n == 0:
        return empty_table()
    t0 = float(beat_t_s[0])
    # Only ticks within the silence limit after some beat can be sent: at most a few per beat,
    # however long the gaps between beats are.
    per_beat = int(np.ceil(STRAP_SILENCE_S / PACKET_INTERVAL_S)) + 1
    first_tick = np.ceil((beat_t_s - t0) / PACKET_INTERVAL_S - 1e-9)
    k = np.unique((first_tick[:, None] + np.arange(per_beat)[None, :]).ravel())
    ticks = t0 + PACKET_INTERVAL_S * k
    ticks = ticks[: int(np.searchsorted(ticks, float(beat_t_s[-1]), side="left")) + 1]
    hi = np.searchsorted(beat_t_s, ticks, side="right")
    lo = np.concatenate(([0], hi[:-1]))
    since_last_beat_s = ticks - beat_t_s[np.maximum(hi - 1, 0)]
    keep = since_last_beat_s <= STRAP_SILENCE_S
    ticks, lo, hi = ticks[keep], lo[keep], hi[keep]

    # The strap's bpm: the beats of the last few seconds, or the last value when none fell there.
    cum = np.concatenate(([0.0], np.cumsum(rr_s)))
    first = np.searchsorted(beat_t_s, ticks - STRAP_AVERAGE_S, side="right")
    count = hi - first
    with np.errstate(divide="ignore", invalid="ignore"):
        bpm = np.where(count > 0, SECONDS_PER_MINUTE * count / (cum[hi] - cum[first]), np.nan)
    filled = np.where(np.isnan(bpm), 0, np.arange(bpm.size))
    np.maximum.accumulate(filled, out=filled)
    bpm = bpm[filled]
    bpm = np.where(np.isnan(bpm), SECONDS_PER_MINUTE / rr_s[0], bpm)
    bpm = np.rint(bpm)

    if contact is None:
        flags = np.full(ticks.size, CONTACT_UNKNOWN, np.int8)
    else:
        with_contact = np.concatenate(([0], np.cumsum(contact.astype(np.int64))))
        any_contact = (with_contact[hi] - with_contact[lo]) > 0
        flags = np.where(hi > lo, any_contact.astype(np.int8), np.int8(CONTACT_UNKNOWN))
    # every beat falls in a packet (the first tick at or after it is sent), in order
    return SampleColumns(
        np.asarray(ticks, np.float64),
        bpm.astype(np.float64),
        flags.astype(np.int8),
        (hi - lo).astype(np.int64),
        np.asarray(rr_s, np.float64),
    )


def beats_recording(
    rr_s: FloatArray,
    line_numbers: Sequence[int],
    path: Path,
    source_format: str,
    *,
    first_beat_s: float = 0.0,
    start_unix_s: float | None = None,
) -> Recording:
    """A recording of consecutive beats (one RR interval per line), the first ending
    `rr_s[0]` after `first_beat_s`; each interval is checked at its line."""
    check_rr(rr_s, line_numbers, path, phrase("reader.rr"))
    beat_t_s = first_beat_s + np.cumsum(rr_s)
    return Recording(
        table=packetise(beat_t_s, rr_s),
        start_unix_s=start_unix_s,
        source_format=source_format,
        path=path,
        beat_t_s=beat_t_s,
        beat_rr_s=rr_s,
    )
