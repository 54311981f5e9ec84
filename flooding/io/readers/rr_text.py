"""Plain RR text: one RR interval per line, in ms or seconds (told apart by size), CRLF allowed.

Some exports (PhysioNet's nsr2db via RHRV) put the time of the first beat on the first line, not
an interval: a first value far above every plausible RR (and the rest) is read that way.
Lines starting with `#` are comments. The file has no wall-clock time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flooding.core.catalogue import phrase
from flooding.io.readers._packets import beats_recording
from flooding.io.readers._text import MS_PER_S, ReaderError, read_lines, to_floats
from flooding.io.readers.recording import Recording

UNIT_SPLIT = 20.0  # a median RR above 20 means ms (20 s is no heartbeat; 20 ms is no interval)
FIRST_BEAT_TIME_MIN_S = 10.0  # a first value above this is a time of day, not an interval...
FIRST_BEAT_TIME_RATIO = 5.0  # ...when it is also this many times the median of the rest


def read_rr_text(path: Path) -> Recording:
    """Read one RR interval per line; see the module notes on units and a leading beat time."""
    lines = read_lines(path)
    numbers = [i + 1 for i, line in enumerate(lines) if line.strip() and not line.startswith("#")]
    if not numbers:
        raise ReaderError(path, None, phrase("reader.rr_per_line"), phrase("reader.no_values"))
    values = to_floats(
        [lines[i - 1].strip() for i in numbers],
        numbers,
        path,
        phrase("reader.rr_number_per_line"),
    )
    median = float(np.median(values))
    rr_s = values / MS_PER_S if median > UNIT_SPLIT else values.copy()

    first_beat_s = 0.0
    if rr_s.size > 1:
        rest_median_s = float(np.median(rr_s[1:]))
        if rr_s[0] > FIRST_BEAT_TIME_MIN_S and rr_s[0] > FIRST_BEAT_TIME_RATIO * rest_median_s:
            first_beat_s = float(rr_s[0])
            rr_s = rr_s[1:]
            numbers = numbers[1:]
    return beats_recording(rr_s, numbers, path, "rr-text", first_beat_s=first_beat_s)
