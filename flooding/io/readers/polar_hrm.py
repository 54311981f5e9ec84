"""Polar HRM text files (`.hrm`): ini-style sections, the data after `[HRData]`.

With `Interval=238` (Polar's code for R-R recording) each `[HRData]` line is one RR interval in
ms (first column). Otherwise each line is one heart-rate sample taken every `Interval` seconds,
heart rate in the first column. `Date` (YYYYMMDD) and `StartTime` (HH:MM:SS.s) in `[Params]`
give the wall-clock start; the file names no time zone: it is the watch's time of day, read as
this computer's local time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from flooding.core.catalogue import phrase
from flooding.io.readers._packets import beats_recording
from flooding.io.readers._text import (
    HEART_RATE_BPM,
    MS_PER_S,
    NONE,
    RR_MS,
    ReaderError,
    check_bpm,
    read_lines,
    shown,
    to_floats,
)
from flooding.io.readers.recording import Recording, make_table

RR_INTERVAL_CODE = 238  # `Interval=238` in [Params] marks an R-R recording
_DATE_FORMATS = ("%Y%m%d %H:%M:%S.%f", "%Y%m%d %H:%M:%S")


def _params(lines: list[str], start: int, stop: int) -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for index in range(start, stop):
        key, sep, value = lines[index].partition("=")
        if sep:
            out[key.strip()] = (value.strip(), index + 1)
    return out


def _start_unix_s(params: dict[str, tuple[str, int]], path: Path) -> float | None:
    if "Date" not in params or "StartTime" not in params:
        return None
    (date, date_line), (time, _) = params["Date"], params["StartTime"]
    for fmt in _DATE_FORMATS:
        try:
            stamp = datetime.strptime(f"{date} {time}", fmt)
        except ValueError:
            continue
        return stamp.timestamp()  # the watch's time of day: local time, as it showed it
    raise ReaderError(path, date_line, phrase("reader.hrm.start"), shown(f"{date} {time}"))


def read_hrm(path: Path) -> Recording:
    """Read a Polar HRM file: RR recordings become strap-like packets, HR recordings samples."""
    lines = read_lines(path)
    sections = {
        line.strip(): index
        for index, line in enumerate(lines)
        if line.startswith("[") and line.strip().endswith("]")
    }
    if "[HRData]" not in sections:
        raise ReaderError(path, None, phrase("reader.hrm.data_section"), NONE)
    data_start = sections["[HRData]"] + 1
    ends = sorted(i for i in sections.values() if i >= data_start)
    data_stop = ends[0] if ends else len(lines)

    params: dict[str, tuple[str, int]] = {}
    if "[Params]" in sections:
        p0 = sections["[Params]"] + 1
        p1 = min([i for i in sections.values() if i >= p0] + [len(lines)])
        params = _params(lines, p0, p1)
    start_unix_s = _start_unix_s(params, path)
    interval_text, interval_line = params.get("Interval", (str(RR_INTERVAL_CODE), 0))
    try:
        interval = int(interval_text)
    except ValueError:
        raise ReaderError(
            path, interval_line, phrase("reader.hrm.interval_whole"), shown(interval_text)
        ) from None

    numbers = [i + 1 for i in range(data_start, data_stop) if lines[i].strip()]
    firsts = [lines[i - 1].split()[0] for i in numbers]
    if not firsts:
        raise ReaderError(path, data_start, phrase("reader.hrm.data_lines"), NONE)
    offset_s = 0.0 if start_unix_s is None else start_unix_s

    if interval == RR_INTERVAL_CODE:
        rr_s = to_floats(firsts, numbers, path, RR_MS) / MS_PER_S
        return beats_recording(
            rr_s, numbers, path, "polar-hrm", first_beat_s=offset_s, start_unix_s=start_unix_s
        )
    if interval <= 0:
        positive = phrase("reader.hrm.interval_seconds", code=RR_INTERVAL_CODE)
        raise ReaderError(path, interval_line, positive, interval_text)
    bpm = to_floats(firsts, numbers, path, HEART_RATE_BPM)
    check_bpm(bpm, numbers, path)
    t_s = offset_s + interval * np.arange(bpm.size, dtype=np.float64)
    return Recording(make_table(t_s, bpm, bpm > 0), start_unix_s, "polar-hrm", path)
