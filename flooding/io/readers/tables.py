"""Table files with a header line: generic CSV, Polar Sensor Logger exports, Stress-Predict.

Generic CSV: a time column (`time_unix_s`, `time_s` from the start, `time_ns` unix nanoseconds,
or ISO 8601 `timestamp`) and `hr_bpm` and/or `rr_ms` / `rr_s`; other columns are ignored.
- With `hr_bpm`, each row with a heart rate is one strap packet; a row with only RR values
  continues the packet before it (a packet with several beats split over rows, as in
  `polar-h10_pvc_hr-rr.csv`). A heart rate of 0 means no skin contact.
- Without `hr_bpm`, each row is one beat at that time and the beats are grouped into packets.
- An RR field may hold several intervals separated by spaces (one packet per row, as
  `flooding export` writes it). An optional `contact` column (1, 0 or empty) gives the
  strap's skin-contact flag; without it, a heart rate of 0 means no contact. Optional
  `energy_kj` (whole kJ) and `activity_g` (movement) columns travel with each row's sample.
- A `person` column (a couple session's export) splits the rows into one recording per
  person (`read_csv_tracks`); `read_csv` refuses a file that holds two people.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import numpy as np

from flooding.core.activity import MAX_LEVEL_G
from flooding.core.beats.clock import BeatClock
from flooding.core.beats.columns import CONTACT_UNKNOWN, SampleColumns
from flooding.core.catalogue import phrase
from flooding.core.hrm import UINT16_MAX
from flooding.io.readers._packets import SECONDS_PER_MINUTE, packetise
from flooding.io.readers._text import (
    DATA_ROWS,
    HEART_RATE_BPM,
    MS_PER_S,
    NONE,
    RR_MS,
    TIME_BACKWARDS,
    TIMES_IN_ORDER,
    FloatArray,
    ReaderError,
    Words,
    check_bpm,
    check_in_order,
    check_rr,
    check_strap_rr,
    check_unix_times,
    count_per_line,
    read_line_blocks,
    read_lines,
    split_rows,
    to_floats,
    to_ints,
    to_unix_s,
)
from flooding.io.readers.recording import Recording, empty_table, make_table, only_track

log = logging.getLogger(__name__)

NS_PER_S = 1e9
TIME_COLUMNS = ("time_unix_s", "time_s", "time_ns", "timestamp")
LOGGER_HR_HEADER = "Phone timestamp;HR [bpm]"
LOGGER_PPI_HEADER = (
    "Phone timestamp;PP-interval [ms];error estimate [ms];blocker;contact;contact;hr [bpm]"
)
STRESS_PREDICT_HEADER = "Participant,HR,respr,Time(sec),Label"
PERSON_COLUMN = "person"  # a couple session's export: whose heart each row is
ENERGY = phrase("reader.csv.energy", max=UINT16_MAX)  # a strap sends energy in 16 bits
ACTIVITY = phrase("reader.csv.activity", max_g=f"{MAX_LEVEL_G:g}")
# a time column (time_unix_s or ...) and hr_bpm and/or rr_ms/rr_s
CSV_COLUMNS = phrase("reader.csv.columns", times=" or ".join(TIME_COLUMNS))


HEADER_NAMING = phrase("reader.csv.header_naming", columns=CSV_COLUMNS)  # a header naming ...
PHONE_TIME = phrase("reader.logger.phone_time")  # an ISO 8601 phone timestamp
PARTICIPANT = phrase("reader.stress.participant")  # a participant number
UNIX_S = phrase("reader.stress.unix_s")  # a unix time in seconds


def _header(lines: list[str], path: Path, expected: Words) -> list[str]:
    if not lines or not lines[0].strip():
        header_line = phrase("reader.csv.header_line", columns=expected)
        raise ReaderError(path, 1, header_line, phrase("reader.csv.empty_line"))
    return [name.strip() for name in lines[0].split(",")]


def _fixed_header(lines: list[str], path: Path, header: str) -> None:
    """Fail unless the first line is exactly `header` (a format with a fixed header)."""
    if not lines or lines[0].strip() != header:
        raise ReaderError(
            path, 1, phrase("reader.the_header", header=repr(header)), repr(lines[0][:80])
        )


def _optional(
    column: Sequence[str], numbers: Sequence[int], path: Path, what: Words
) -> tuple[FloatArray, np.ndarray]:
    """Floats with NaN where the field is empty, and the mask of present values."""
    if all(column):  # every field filled (most files): no picking out
        return to_floats(column, numbers, path, what), np.ones(len(column), dtype=bool)
    present = np.array([bool(v) for v in column], dtype=bool)
    out = np.full(len(column), np.nan)
    index = np.flatnonzero(present).tolist()
    if index:
        out[index] = to_floats([column[i] for i in index], [numbers[i] for i in index], path, what)
    return out, present


def _beat_times(stamps_s: FloatArray, rr_s: FloatArray) -> FloatArray:
    """Beat times from summed intervals, re-anchored to the row times when they drift apart.

    Phone timestamps of beat rows jitter and can step backwards (Polar Sensor Logger stamps a
    batch of beats at once); the intervals keep the heart's own timing.
    """
    clock = BeatClock()
    return np.fromiter(
        (clock.push(t, (rr,))[0] for t, rr in zip(stamps_s.tolist(), rr_s.tolist(), strict=True)),
        np.float64,
        rr_s.size,
    )


def _times(
    name: str, column: Sequence[str], numbers: Sequence[int], path: Path
) -> tuple[FloatArray, float | None]:
    """Row times on the session clock and the unix start, from the chosen time column."""
    if name == "time_ns":
        t_s = to_ints(column, numbers, path, phrase("reader.csv.time_ns")) / NS_PER_S
    elif name == "timestamp":
        t_s = to_unix_s(column, numbers, path, phrase("reader.csv.iso_time"))
    else:
        t_s = to_floats(column, numbers, path, phrase("reader.csv.time_s", column=name))
    if name != "time_s":
        check_unix_times(t_s, numbers, path, phrase("reader.csv.unix_time", column=name))
    check_in_order(t_s, numbers, path)
    start = None if name == "time_s" or t_s.size == 0 else float(t_s[0])
    return t_s, start


@dataclass
class _CsvLayout:
    """What a generic CSV's header says is where."""

    n_fields: int
    header: str
    time_name: str
    time_at: int
    rr_at: int | None
    rr_in_ms: bool
    hr_at: int | None
    contact_at: int | None


def _csv_layout(line: str, path: Path) -> _CsvLayout:
    names = _header([line], path, CSV_COLUMNS)
    lowered = [n.lower() for n in names]
    time_name = next((n for n in TIME_COLUMNS if n in lowered), None)
    rr_name = next((n for n in ("rr_ms", "rr_s") if n in lowered), None)
    has_hr = "hr_bpm" in lowered
    if time_name is None or not (has_hr or rr_name):
        raise ReaderError(path, 1, HEADER_NAMING, repr(line[:80]))
    return _CsvLayout(
        n_fields=len(names),
        header=line.strip(),
        time_name=time_name,
        time_at=lowered.index(time_name),
        rr_at=None if rr_name is None else lowered.index(rr_name),
        rr_in_ms=rr_name == "rr_ms",
        hr_at=lowered.index("hr_bpm") if has_hr else None,
        contact_at=lowered.index("contact") if "contact" in lowered else None,
    )


_CSV_COLUMNS = ("t_s", "bpm", "has_bpm", "rr_counts", "rr_s", "contact")


def _csv_block(
    layout: _CsvLayout, lines: list[str], skip: int, first_line: int, path: Path
) -> dict[str, np.ndarray] | None:
    """One block of data rows as arrays (None: only blank lines)."""
    columns, numbers = split_rows(
        lines, skip, ",", layout.n_fields, path, layout.header, first_line=first_line
    )
    if not numbers:
        return None
    t_s, _ = _times(layout.time_name, columns[layout.time_at], numbers, path)
    n = len(numbers)
    out: dict[str, np.ndarray] = {"t_s": t_s}
    if layout.rr_at is not None:
        out["rr_counts"], out["rr_s"] = _rr_rows(
            columns[layout.rr_at], numbers, path, layout.rr_in_ms, strap=layout.hr_at is not None
        )
    else:
        out["rr_counts"], out["rr_s"] = np.zeros(n, np.int64), np.zeros(0)
    if layout.hr_at is not None:
        bpm, has_bpm = _optional(columns[layout.hr_at], numbers, path, HEART_RATE_BPM)
        check_bpm(bpm, numbers, path)
        out["bpm"], out["has_bpm"] = bpm, has_bpm
        contact = np.where(bpm > 0, 1, 0).astype(np.int8)
        if layout.contact_at is not None:
            contact = _contact(columns[layout.contact_at], numbers, path)
        out["contact"] = contact
    out["first_line"] = np.array([numbers[0]])
    return out


class _Column:
    """A column filled block by block into one array, sized from the file up front (pages
    never written cost no memory) and grown if the guess was short."""

    def __init__(self) -> None:
        self.data: np.ndarray | None = None
        self.size = 0

    def add(self, values: np.ndarray, expect: int) -> None:
        end = self.size + values.size
        if self.data is None:
            self.data = np.empty(max(expect, end), values.dtype)
        elif end > self.data.size:
            grown = np.empty(max(2 * self.data.size, end), self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : end] = values
        self.size = end

    def array(self) -> np.ndarray:
        assert self.data is not None
        return self.data[: self.size]


def _read_csv_streamed(path: Path) -> Recording:
    """Read a generic CSV of one person's plain readings, a block of lines at a time (the
    rows become compact arrays; memory follows the rows' numbers, not their text)."""
    layout: _CsvLayout | None = None
    parts = {name: _Column() for name in _CSV_COLUMNS}
    last_t: float | None = None
    file_bytes = max(1, path.stat().st_size)
    seen_bytes = 0
    for first_line, lines in read_line_blocks(path):
        skip = 0
        if layout is None:
            layout = _csv_layout(lines[0], path)
            skip = 1
        block = _csv_block(layout, lines, skip, first_line, path)
        seen_bytes += sum(map(len, lines)) + len(lines)
        if block is None:
            continue
        if last_t is not None and float(block["t_s"][0]) < last_t:
            line = int(block["first_line"][0])
            raise ReaderError(path, line, TIMES_IN_ORDER, TIME_BACKWARDS)
        last_t = float(block["t_s"][-1])
        scale = 1.1 * file_bytes / max(1, seen_bytes)  # the rest of the file, like this part
        for name in _CSV_COLUMNS:
            if name in block:
                parts[name].add(block[name], int(scale * block[name].size) + 1024)
    if layout is None or parts["t_s"].data is None:
        raise ReaderError(path, 2, DATA_ROWS, NONE)
    t_s = parts["t_s"].array()
    start = None if layout.time_name == "time_s" else float(t_s[0])
    counts, rr = parts["rr_counts"].array(), parts["rr_s"].array()
    if layout.hr_at is None:
        beat_rr = rr
        beat_t = _beat_times(np.repeat(t_s, counts), beat_rr)
        return Recording(packetise(beat_t, beat_rr), start, "csv", path, beat_t, beat_rr)
    table = _packets_of_rows(
        t_s,
        parts["bpm"].array(),
        parts["has_bpm"].array(),
        counts,
        rr,
        parts["contact"].array(),
    )
    return Recording(table, start, "csv", path, np.repeat(t_s, counts), rr)


EXPORT_COLUMNS = (PERSON_COLUMN, "energy_kj", "activity_g")  # an export's: read whole


def _header_names(path: Path) -> list[str]:
    """The lowered names of a CSV's first line (blank: none)."""
    for _, lines in read_line_blocks(path):
        return [name.strip().lower() for name in lines[0].split(",")] if lines else []
    return []


def read_csv(path: Path) -> Recording:
    """Read the generic CSV described in the module notes (one person's readings)."""
    return only_track(path, read_csv_tracks(path))


def read_csv_tracks(path: Path) -> dict[str, Recording]:
    """Read the generic CSV: one Recording per person named in its `person` column (a couple
    session's export), or a single one under '' (no such column).

    Plain readings (no `person`, `energy_kj` or `activity_g` column) are read a block at a
    time into columns, so a file of millions of rows needs memory for its numbers only.
    """
    if not set(EXPORT_COLUMNS) & set(_header_names(path)):
        return {"": _read_csv_streamed(path)}
    lines = read_lines(path)
    names = _header(lines, path, CSV_COLUMNS)
    lowered = [n.lower() for n in names]
    time_name = next((n for n in TIME_COLUMNS if n in lowered), None)
    rr_name = next((n for n in ("rr_ms", "rr_s") if n in lowered), None)
    if time_name is None or not ("hr_bpm" in lowered or rr_name):
        raise ReaderError(path, 1, HEADER_NAMING, repr(lines[0][:80]))
    columns, numbers = split_rows(lines, 1, ",", len(names), path, lines[0].strip())
    if not numbers:
        raise ReaderError(path, 2, DATA_ROWS, NONE)
    if PERSON_COLUMN not in lowered:
        return {"": _csv_rows(path, lowered, columns, numbers)}
    who = columns[lowered.index(PERSON_COLUMN)]
    tracks = {}
    for person in dict.fromkeys(who):
        rows = [i for i, name in enumerate(who) if name == person]
        picked: list[Sequence[str]] = [tuple(column[i] for i in rows) for column in columns]
        tracks[person] = _csv_rows(path, lowered, picked, [numbers[i] for i in rows])
    return tracks


def _csv_rows(
    path: Path, lowered: list[str], columns: list[Sequence[str]], numbers: Sequence[int]
) -> Recording:
    """One person's rows of a generic CSV as a recording."""
    time_name = next(n for n in TIME_COLUMNS if n in lowered)
    rr_name = next((n for n in ("rr_ms", "rr_s") if n in lowered), None)
    has_hr = "hr_bpm" in lowered
    t_s, start = _times(time_name, columns[lowered.index(time_name)], numbers, path)
    counts, rr = np.zeros(len(numbers), np.int64), np.zeros(0)
    if rr_name is not None:
        counts, rr = _rr_rows(
            columns[lowered.index(rr_name)], numbers, path, rr_name == "rr_ms", strap=has_hr
        )
    if not has_hr:
        beat_t = _beat_times(np.repeat(t_s, counts), rr)
        return Recording(packetise(beat_t, rr), start, "csv", path, beat_t, rr)
    bpm, has_bpm = _optional(columns[lowered.index("hr_bpm")], numbers, path, HEART_RATE_BPM)
    check_bpm(bpm, numbers, path)
    contact = np.where(bpm > 0, 1, 0).astype(np.int8)
    if "contact" in lowered:
        contact = _contact(columns[lowered.index("contact")], numbers, path)
    table = _packets_of_rows(t_s, bpm, has_bpm, counts, rr, contact)
    recording = Recording(table, start, "csv", path, np.repeat(t_s, counts), rr)
    return _with_extras(recording, lowered, columns, numbers, has_bpm)


def _with_extras(
    recording: Recording,
    lowered: list[str],
    columns: list[Sequence[str]],
    numbers: Sequence[int],
    has_bpm: np.ndarray,
) -> Recording:
    """The samples with the strap's energy (`energy_kj`) and movement (`activity_g`) columns,
    where the file has them (as `flooding export` writes them)."""
    if "energy_kj" not in lowered and "activity_g" not in lowered:
        return recording
    rows = np.flatnonzero(has_bpm).tolist()  # each row with a heart rate opened one sample
    if len(rows) != len(recording.samples):  # RR-only rows before the first heart rate
        log.warning(
            "%s: its energy_kj and activity_g columns are left out (rows without a heart "
            "rate come first, so they cannot be matched to the samples); the heart data is "
            "read whole",
            recording.path,
        )
        return recording
    energy: list[int | None] = [None] * len(rows)
    activity: list[float | None] = [None] * len(rows)
    if "energy_kj" in lowered:
        column = columns[lowered.index("energy_kj")]
        for k, i in enumerate(rows):
            if column[i]:
                whole = int(to_ints([column[i]], [numbers[i]], recording.path, ENERGY)[0])
                if not 0 <= whole <= UINT16_MAX:
                    raise ReaderError(recording.path, numbers[i], ENERGY, column[i])
                energy[k] = whole
    if "activity_g" in lowered:
        column = columns[lowered.index("activity_g")]
        for k, i in enumerate(rows):
            if column[i]:
                level = float(to_floats([column[i]], [numbers[i]], recording.path, ACTIVITY)[0])
                if not 0 <= level <= MAX_LEVEL_G:
                    raise ReaderError(recording.path, numbers[i], ACTIVITY, column[i])
                activity[k] = level
    samples = [
        replace(s, energy_kj=e, activity_g=a)
        for s, e, a in zip(recording.samples, energy, activity, strict=True)
    ]
    return Recording.of_samples(
        samples,
        recording.start_unix_s,
        recording.source_format,
        recording.path,
        recording.beat_t_s,
        recording.beat_rr_s,
    )


def _rr_rows(
    column: Sequence[str], numbers: Sequence[int], path: Path, in_ms: bool, *, strap: bool
) -> tuple[np.ndarray, FloatArray]:
    """How many RR intervals each row holds and all of them in order, in seconds (a field
    may hold several, space-separated).

    `strap`: rows are strap packets (they carry a heart rate), whose RR values may be anything
    the strap's 16-bit field can send, 0 and 65535/1024 s included, as a live session stores
    them (and `flooding export` writes them); the beat filters judge them as they do live.
    """
    joined = "\n".join(column)  # no value holds a line end
    if "  " in joined or "\t" in joined:  # odd spacing: value by value
        fields = [value.split() for value in column]
        counts = np.fromiter(map(len, fields), np.int64, len(fields))
        flat: Sequence[str] = [v for parts in fields for v in parts]
    else:  # values separated by single spaces: counted for the whole column at once
        spaces = count_per_line(joined, " ")
        empty = np.fromiter(map(len, column), np.int64, len(column)) == 0
        counts = np.where(empty, 0, spaces + 1)
        flat = joined.split()
    flat_lines: Sequence[int] = (
        numbers
        if counts.size == len(flat) and bool(np.all(counts == 1))
        else np.repeat(np.asarray(numbers), counts).tolist()
    )
    what = RR_MS if in_ms else phrase("reader.rr_s")
    values = to_floats(flat, flat_lines, path, what) if flat else np.zeros(0)
    if in_ms:
        values = _ms_to_s(flat, values)
    if strap:
        check_strap_rr(values, flat_lines, path, phrase("reader.rr"))
    else:
        check_rr(values, flat_lines, path, phrase("reader.rr"))
    return counts, values


def _ms_to_s(texts: Sequence[str], ms: FloatArray) -> FloatArray:
    """Milliseconds to seconds, each the float nearest the decimal written (so '781.2' gives
    the same float as '0.7812' s, as `flooding export` relies on). Whole numbers divide
    exactly in floats; only the others need the decimal arithmetic."""
    seconds = ms / MS_PER_S
    for i in np.flatnonzero(ms != np.rint(ms)).tolist():
        seconds[i] = float(Decimal(texts[i]).scaleb(-3))
    return seconds


def _contact(column: Sequence[str], numbers: Sequence[int], path: Path) -> np.ndarray:
    """The skin-contact flag of each row: 1, 0 or empty (the strap cannot tell:
    `CONTACT_UNKNOWN`)."""
    codes = {"1": 1, "0": 0, "": CONTACT_UNKNOWN}
    flags = np.empty(len(column), np.int8)
    for index, (value, number) in enumerate(zip(column, numbers, strict=True)):
        code = codes.get(value.strip())
        if code is None:
            raise ReaderError(path, number, phrase("reader.csv.contact"), repr(value.strip()))
        flags[index] = code
    return flags


def _packets_of_rows(
    t_s: FloatArray,
    bpm: FloatArray,
    has_bpm: np.ndarray,
    counts: np.ndarray,
    rr_s: FloatArray,
    contact: np.ndarray,
) -> SampleColumns:
    """Rows with a heart rate open a packet; RR-only rows add their beats to the open packet
    (a first row with only RR values opens one, its rate from its first interval)."""
    kept = has_bpm | (counts > 0)
    if bool(kept.all()) and bool(has_bpm.all()):  # one packet a row: the columns as they are
        return SampleColumns(t_s, bpm, contact, counts, rr_s)
    rows = np.flatnonzero(kept)
    if rows.size == 0:
        return empty_table()
    opens = has_bpm[rows].copy()
    opens[0] = True
    starts = rows[opens]
    packet = np.cumsum(opens) - 1
    rr_counts = np.bincount(packet, weights=counts[rows], minlength=starts.size).astype(np.int64)
    out_bpm = bpm[starts].copy()
    out_contact = contact[starts].copy()
    if not has_bpm[rows[0]]:  # RR before any heart rate: a rate from the first interval
        first = float(rr_s[0])
        out_bpm[0] = round(SECONDS_PER_MINUTE / first) if first > 0 else 0
        out_contact[0] = CONTACT_UNKNOWN
    return SampleColumns(t_s[starts], out_bpm, out_contact, rr_counts, rr_s)


def read_logger_hr(path: Path) -> Recording:
    """Polar Sensor Logger HR export: `Phone timestamp;HR [bpm]`; 0 bpm means no skin contact."""
    lines = read_lines(path)
    _fixed_header(lines, path, LOGGER_HR_HEADER)
    (stamps, hr), numbers = split_rows(lines, 1, ";", 2, path, LOGGER_HR_HEADER)
    if not numbers:
        raise ReaderError(path, 2, DATA_ROWS, NONE)
    t_s = to_unix_s(stamps, numbers, path, PHONE_TIME)
    check_in_order(t_s, numbers, path)
    bpm = to_floats(hr, numbers, path, HEART_RATE_BPM)
    check_bpm(bpm, numbers, path)
    return Recording(make_table(t_s, bpm, bpm > 0), float(t_s[0]), "polar-logger-hr", path)


def read_logger_ppi(path: Path) -> Recording:
    """Polar Sensor Logger PPI export: one pulse-to-pulse interval per row, at its phone time.

    The beats are grouped into strap-like packets; `contact` 0 on every beat of a packet marks it
    as without skin contact. The `blocker` and `error estimate [ms]` values are kept per beat in
    `columns` as `beat_blocker` and `beat_error_ms`.
    """
    lines = read_lines(path)
    _fixed_header(lines, path, LOGGER_PPI_HEADER)
    columns, numbers = split_rows(lines, 1, ";", 7, path, LOGGER_PPI_HEADER)
    if not numbers:
        raise ReaderError(path, 2, DATA_ROWS, NONE)
    stamps_s = to_unix_s(columns[0], numbers, path, PHONE_TIME)
    rr_s = to_floats(columns[1], numbers, path, phrase("reader.logger.pp_ms")) / MS_PER_S
    check_rr(rr_s, numbers, path, phrase("reader.logger.pp"))
    t_s = _beat_times(stamps_s, rr_s)
    error_ms = to_floats(columns[2], numbers, path, phrase("reader.logger.error_ms"))
    blocker = to_floats(columns[3], numbers, path, phrase("reader.logger.blocker"))
    contact = to_floats(columns[4], numbers, path, phrase("reader.logger.contact"))
    return Recording(
        packetise(t_s, rr_s, contact > 0),
        float(t_s[0]),
        "polar-logger-ppi",
        path,
        t_s,
        rr_s,
        {"beat_blocker": blocker, "beat_error_ms": error_ms},
    )


def stress_predict_participants(path: Path) -> list[int]:
    """The participant numbers in a Stress-Predict file, in order of first appearance."""
    lines = read_lines(path)
    _fixed_header(lines, path, STRESS_PREDICT_HEADER)
    (who, *_), numbers = split_rows(lines, 1, ",", 5, path, STRESS_PREDICT_HEADER)
    ids = to_ints(who, numbers, path, PARTICIPANT)
    return list(dict.fromkeys(ids.tolist()))


def _stress_rows(
    path: Path,
) -> tuple[list[Sequence[str]], Sequence[int], list[int], np.ndarray]:
    """A Stress-Predict file's columns, line numbers, participants (in order of first
    appearance) and each row's participant."""
    lines = read_lines(path)
    _fixed_header(lines, path, STRESS_PREDICT_HEADER)
    columns, numbers = split_rows(lines, 1, ",", 5, path, STRESS_PREDICT_HEADER)
    if not numbers:
        raise ReaderError(path, 2, DATA_ROWS, NONE)
    ids = to_ints(columns[0], numbers, path, PARTICIPANT)
    return columns, numbers, list(dict.fromkeys(ids.tolist())), ids


def _stress_participant(
    path: Path,
    columns: list[Sequence[str]],
    numbers: Sequence[int],
    ids: np.ndarray,
    participant: int,
) -> Recording:
    """The recording of one participant present in the parsed file."""
    _, hr, respr, time, label = columns
    rows = np.flatnonzero(ids == participant).tolist()
    sel_numbers = [numbers[i] for i in rows]
    t_s = to_floats([time[i] for i in rows], sel_numbers, path, UNIX_S)
    check_unix_times(t_s, sel_numbers, path, UNIX_S)
    check_in_order(t_s, sel_numbers, path)
    labels = to_ints([label[i] for i in rows], sel_numbers, path, phrase("reader.stress.label"))
    bpm, has_bpm = _optional([hr[i] for i in rows], sel_numbers, path, HEART_RATE_BPM)
    breaths, _ = _optional(
        [respr[i] for i in rows], sel_numbers, path, phrase("reader.stress.respiration")
    )
    keep = np.flatnonzero(has_bpm)
    return Recording(
        make_table(t_s[keep], bpm[keep]),
        float(t_s[0]),
        "stress-predict",
        path,
        columns={"label": labels[keep], "respr": breaths[keep]},
    )


def read_stress_predict(path: Path, participant: int | None = None) -> Recording:
    """One participant of a Stress-Predict file; `columns` holds `label` (1 = in a stress task)
    and `respr` (breaths per minute) per sample. Rows with an empty HR are skipped.

    With `participant` None the file must hold a single participant.
    """
    columns, numbers, present, ids = _stress_rows(path)
    if participant is None:
        if len(present) > 1:
            raise ReaderError(
                path,
                None,
                phrase("reader.stress.choose"),
                phrase("reader.stress.participants", present=present),
            )
        participant = present[0]
    if participant not in present:
        raise ReaderError(
            path,
            None,
            phrase("reader.stress.rows_of", participant=participant),
            phrase("reader.stress.only", present=present),
        )
    return _stress_participant(path, columns, numbers, ids, participant)


def read_stress_predict_all(path: Path) -> dict[int, Recording]:
    """Every participant of a Stress-Predict file (in order), the file read once; each as
    `read_stress_predict` gives it."""
    columns, numbers, present, ids = _stress_rows(path)
    return {p: _stress_participant(path, columns, numbers, ids, p) for p in present}
