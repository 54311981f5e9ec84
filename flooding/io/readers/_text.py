"""Text handling shared by the readers: decoding, lines, and numbers with line-numbered errors.

Numbers are converted a whole column at a time with numpy; only when that fails is the column
walked value by value, to name the first bad line. So a good file costs one vectorised pass,
and a bad one still gets an exact line number.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import shlex
import stat
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from flooding.core.catalogue import Phrase, SaidError, phrase
from flooding.core.os_errors import os_problem
from flooding.io.locale_files import load_catalogue

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
MS_PER_S = 1000.0


Words = str | Phrase  # a part of a reader's message: a text of the catalogue, or a value as found


class ReaderError(SaidError, ValueError):
    """A file that cannot be read; the message names the file, the line and what was expected
    (texts of the message catalogue, `reader.*`: English as str(), any language by `said`)."""

    def __init__(
        self, path: Path | str, line: int | None, expected: Words, found: Words = ""
    ) -> None:
        english = load_catalogue()
        self.path = Path(path)
        self.line = line
        self.expected = _english(expected)
        self.found = _english(found)
        where = "reader.error" if line is None else "reader.error_at_line"
        key = where + ("_found" if found else "")
        values: dict[str, object] = {"path": path, "expected": expected}
        if line is not None:
            values["line"] = line
        if found:
            values["found"] = found
        super().__init__(english(key, **values), key, **values)


def _english(words: Words) -> str:
    """A part of a reader's message in English."""
    return words if isinstance(words, str) else load_catalogue()(words.key, **words.values)


def shown(text: str, limit: int = 40) -> str:
    """A short quoted form of a bad value for an error message."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # how UTF-16 text files begin
UTF16_HINT = phrase("reader.utf16_hint")  # UTF-8 text (this file looks like UTF-16; ...)


def is_utf16(data: bytes) -> bool:
    """Whether bytes start with a UTF-16 byte-order mark (as Windows tools often write)."""
    return data.startswith(UTF16_BOMS)


def decode_head(data: bytes) -> str:
    """The start of a file as text for sniffing its format (UTF-8 or UTF-16 with its mark)."""
    codec = "utf-16" if is_utf16(data) else "utf-8-sig"
    return data.decode(codec, errors="replace")


def _looks_utf16_unmarked(data: bytes) -> bool:
    """Text saved as UTF-16 without a mark: plain ASCII characters, each beside a NUL byte."""
    head = data[: 512 - 512 % 2] if len(data) >= 512 else data[: len(data) - len(data) % 2]
    if len(head) < 4:
        return False

    def text(values: bytes) -> bool:
        return all(32 <= b < 127 or b in (9, 10, 13) for b in values)

    low, high = head[0::2], head[1::2]
    return (not any(high) and text(low)) or (not any(low) and text(high))


MAX_LINE_BYTES = 1 << 20  # no recording has a line of a MiB (a row is ~30 bytes): no end in sight
BLOCK_BYTES = 1 << 20  # files are read 1 MiB at a time: memory follows the piece, not the file
_KINDS = (
    (stat.S_ISCHR, phrase("reader.kind.device")),
    (stat.S_ISBLK, phrase("reader.kind.disk_device")),
    (stat.S_ISFIFO, phrase("reader.kind.named_pipe")),
    (stat.S_ISSOCK, phrase("reader.kind.socket")),
    (stat.S_ISDIR, phrase("reader.kind.folder")),
)


def unreadable(path: Path, exc: OSError) -> ReaderError:
    """The error for a file that could not be read, saying what to do by its cause: the
    name, the rights, else the disk."""
    expected = phrase(
        "reader.existing_file"
        if isinstance(exc, FileNotFoundError)
        else "reader.permitted_file"
        if isinstance(exc, PermissionError)
        else "reader.readable_file"
    )
    return ReaderError(path, None, expected, os_problem(exc))


def open_recording(path: Path) -> BinaryIO:
    """The file opened for reading, if it is a regular file: a device, a pipe or a socket may
    never end (`/dev/zero`), so it is refused before a byte is read (and without waiting
    for a pipe's writer)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise unreadable(path, exc) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(mode)), phrase("reader.kind.other"))
        raise ReaderError(
            path, None, phrase("reader.saved_as_file"), phrase("reader.not_a_file", kind=kind)
        )
    os.set_blocking(fd, True)
    handle = os.fdopen(fd, "rb")
    archive = _archive_kind(handle.read(4))
    if archive:
        handle.close()
        command = f"{ARCHIVES[archive]} {shlex.quote(path.name)}"
        if archive == "gzip" and path.suffix.lower() != ".gz":  # gunzip wants its .gz
            unpacked = f"{path.stem}-unpacked{path.suffix}"
            command = f"gunzip -c {shlex.quote(path.name)} > {shlex.quote(unpacked)}"
        found = phrase("reader.archive", kind=archive, command=command)
        raise ReaderError(path, None, phrase("reader.text"), found)
    handle.seek(0)
    return handle


ARCHIVES = {"gzip": "gunzip", "zip": "unzip"}  # a compressed archive, and what unpacks it
_SIGNATURES = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"))


def _archive_kind(head: bytes) -> str:
    """The kind of compressed archive a file's first bytes show ('' for none)."""
    return next((kind for mark, kind in _SIGNATURES if head.startswith(mark)), "")


def _too_long(path: Path, line: int) -> ReaderError:
    return ReaderError(
        path,
        line,
        phrase("reader.line_limit", kib=MAX_LINE_BYTES // 1024),
        phrase("reader.longer_line"),
    )


def _check_utf8(path: Path, data: bytes, first_line: int) -> str:
    """Whole lines of UTF-8 text as text; a NUL byte or bad UTF-8 fails at its line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = first_line + data.count(b"\n", 0, nul)
        raise ReaderError(path, line, phrase("reader.text"), phrase("reader.nul_byte"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        byte = phrase("reader.the_byte", byte=f"{data[exc.start]:#04x}")
        raise ReaderError(path, line, phrase("reader.utf8"), byte) from None


def _split(text: str) -> list[str]:
    """Lines without their endings (LF, CRLF or CR); no empty line after the last ending."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _whole(path: Path, data: bytes) -> list[str]:
    """The lines of a whole file read at once (UTF-16, or line ends of a lone CR)."""
    if is_utf16(data):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReaderError(
                path,
                None,
                phrase("reader.utf16_decodes"),
                phrase("reader.broken_character", offset=exc.start),
            ) from None
    if not data.removeprefix(codecs.BOM_UTF8).strip():  # a byte-order mark alone is no data
        raise ReaderError(path, None, phrase("reader.some_data"), phrase("reader.empty_file"))
    if _looks_utf16_unmarked(data):
        raise ReaderError(path, None, UTF16_HINT, phrase("reader.utf16_unmarked"))
    return _split(_check_utf8(path, data.removeprefix(codecs.BOM_UTF8), 1))


def read_line_blocks(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's lines as `read_lines` gives them, a block at a time: (the 1-based number of
    the block's first line, its lines). Memory follows `BLOCK_BYTES`, not the file; a line
    longer than `MAX_LINE_BYTES` fails (a file that is one endless line)."""
    with open_recording(path) as handle:
        carry = handle.read(BLOCK_BYTES)
        if is_utf16(carry) or _looks_utf16_unmarked(carry) or b"\n" not in carry:
            # UTF-16, or lines ended by a lone CR, or one long line: whole, if it is short
            rest = (
                handle.read(MAX_LINE_BYTES + 1 - len(carry))
                if len(carry) <= MAX_LINE_BYTES
                else b""
            )
            endless = len(carry) + len(rest) > MAX_LINE_BYTES and b"\n" not in carry
            if endless and b"\r" not in carry and not is_utf16(carry):
                _check_utf8(path, carry[: carry.find(b"\x00") + 1], 1)  # NUL: binary
                raise _too_long(path, 1)
            yield 1, _whole(path, carry + rest + handle.read())
            return
        carry = carry.removeprefix(codecs.BOM_UTF8)
        number = 1
        seen = False
        at_end = False
        while True:
            if not at_end:
                piece = handle.read(BLOCK_BYTES)
                at_end = not piece
                carry += piece
            if at_end and not carry:
                break
            cut = len(carry) if at_end else carry.rfind(b"\n") + 1
            if cut == 0:
                if len(carry) > MAX_LINE_BYTES:
                    _check_utf8(path, carry[: carry.find(b"\x00") + 1], number)  # NUL: binary
                    raise _too_long(path, number)
                continue
            data, carry = carry[:cut], carry[cut:]
            text = _check_utf8(path, data, number)
            seen = seen or not text.isspace()
            lines = _split(text)
            if lines and max(map(len, lines)) > MAX_LINE_BYTES:
                longest = max(map(len, lines))
                raise _too_long(path, number + [len(x) for x in lines].index(longest))
            if lines:
                yield number, lines
            number += len(lines)
        if not seen:
            raise ReaderError(path, None, phrase("reader.some_data"), phrase("reader.empty_file"))


def read_lines(path: Path) -> list[str]:
    """The file's lines without their endings (LF, CRLF or CR); UTF-8, or UTF-16 with its
    byte-order mark; binary or other data fails."""
    lines: list[str] = []
    for _, block in read_line_blocks(path):
        lines += block
    return lines


def to_floats(
    values: Sequence[str], line_numbers: Sequence[int], path: Path, what: Words
) -> FloatArray:
    """Finite floats from text values; the first bad one fails naming its line."""
    try:
        out = np.array(values, dtype=np.float64)
    except ValueError:
        out = None
    if out is not None and bool(np.isfinite(out).all()):
        return out
    for value, line in zip(values, line_numbers, strict=True):
        try:
            number = float(value)
        except ValueError:
            raise ReaderError(path, line, what, shown(value)) from None
        if not np.isfinite(number):
            raise ReaderError(path, line, what, shown(value))
    raise AssertionError("unreachable: numpy and float() disagree")  # pragma: no cover


def to_ints(
    values: Sequence[str], line_numbers: Sequence[int], path: Path, what: Words
) -> IntArray:
    """Integers from text values (exact, for nanosecond times); the first bad one fails."""
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        pass
    for value, line in zip(values, line_numbers, strict=True):
        try:
            number = int(value)
        except ValueError:
            raise ReaderError(path, line, what, shown(value)) from None
        if not -(2**63) <= number < 2**63:
            raise ReaderError(path, line, what, shown(value))
    raise AssertionError("unreachable")  # pragma: no cover


def to_unix_s(
    values: Sequence[str], line_numbers: Sequence[int], path: Path, what: Words
) -> FloatArray:
    """Unix seconds from ISO 8601 times; a time without a zone is this computer's local
    time, as a phone or watch writes the time of day it shows (`--start` sets another)."""
    out = np.empty(len(values), dtype=np.float64)
    for index, (value, line) in enumerate(zip(values, line_numbers, strict=True)):
        try:
            stamp = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ReaderError(path, line, what, shown(value)) from None
        out[index] = stamp.timestamp()  # a naive one: local time
    return out


UNIX_MAX_S = 4_102_444_800.0  # 2100-01-01: a later "time" is in ms or us, or not a time


def check_unix_times(
    times: FloatArray, line_numbers: Sequence[int], path: Path, what: Words
) -> None:
    """Fail at the first unix time (seconds) before 1970 or from 2100 on: not a recording's
    date, and past 9999 not even a date the program could show."""
    bad = np.flatnonzero((times < 0) | (times >= UNIX_MAX_S))
    if bad.size:
        raise ReaderError(
            path,
            line_numbers[bad[0]],
            phrase("reader.unix_time_range", what=what),
            f"{times[bad[0]]:.15g} s",
        )


RR_MAX_FILE_S = 30.0  # an "interval" longer than this is a gap or a time, not a heartbeat


def check_rr(rr_s: FloatArray, line_numbers: Sequence[int], path: Path, what: Words) -> None:
    """Fail at the first RR interval that is not above 0 s and at most `RR_MAX_FILE_S`."""
    bad = np.flatnonzero((rr_s <= 0) | (rr_s > RR_MAX_FILE_S))
    if bad.size:
        raise ReaderError(
            path,
            line_numbers[bad[0]],
            phrase("reader.rr_range", what=what, max_s=f"{RR_MAX_FILE_S:g}"),
            f"{rr_s[bad[0]]:g} s",
        )


STRAP_RR_MAX_S = 65535 / 1024  # the largest RR a strap's 16-bit field (1/1024 s units) carries


def check_strap_rr(rr_s: FloatArray, line_numbers: Sequence[int], path: Path, what: Words) -> None:
    """Fail at the first RR interval a strap could not have sent: below 0 s or above
    `STRAP_RR_MAX_S`."""
    bad = np.flatnonzero((rr_s < 0) | (rr_s > STRAP_RR_MAX_S))
    if bad.size:
        raise ReaderError(
            path,
            line_numbers[bad[0]],
            phrase("reader.strap_rr_range", what=what, max_s=f"{STRAP_RR_MAX_S:g}"),
            f"{rr_s[bad[0]]:g} s",
        )


def check_bpm(bpm: FloatArray, line_numbers: Sequence[int], path: Path) -> None:
    """Fail at the first heart rate below 0 (0 means no skin contact; NaN, an empty field,
    passes)."""
    bad = np.flatnonzero(bpm < 0)
    if bad.size:
        raise ReaderError(
            path, line_numbers[bad[0]], phrase("reader.bpm_range"), f"{bpm[bad[0]]:g}"
        )


NONE = phrase("reader.none")  # none (found where something was expected)
HEART_RATE_BPM = phrase("reader.heart_rate_bpm")  # a heart rate in bpm
RR_MS = phrase("reader.rr_ms")  # an RR interval in ms
DATA_ROWS = phrase("reader.data_rows")  # data rows after the header
TIMES_IN_ORDER = phrase("reader.times_in_order")  # times in order
TIME_BACKWARDS = phrase("reader.time_backwards")  # a time earlier than the line before


def check_in_order(times: FloatArray, line_numbers: Sequence[int], path: Path) -> None:
    """Fail at the first time that goes backwards."""
    bad = np.flatnonzero(np.diff(times) < 0)
    if bad.size:
        raise ReaderError(path, line_numbers[bad[0] + 1], TIMES_IN_ORDER, TIME_BACKWARDS)


_EDGE_SPACE = re.compile(r"[ \t\f\v](?:,|;|\n|$)|(?:^|,|;|\n)[ \t\f\v]")  # a field to strip


def _has_edge_space(text: str) -> bool:
    """Whether a field of the text starts or ends with a space or tab (`_EDGE_SPACE`). Most
    files have no such character at all: a scan for each (C speed, under a millisecond a
    month's file) spares the pattern's walk over every position (tens of milliseconds)."""
    return any(char in text for char in " \t\f\v") and _EDGE_SPACE.search(text) is not None


def count_per_line(text: str, char: str) -> npt.NDArray[np.int64]:
    """How often `char` (one ASCII character) occurs on each line of `text`."""
    data = np.frombuffer(text.encode("utf-8"), np.uint8)
    ends = np.append(np.flatnonzero(data == 10), data.size)
    seen = np.concatenate(([0], np.cumsum(data == ord(char))))
    return np.diff(np.concatenate(([0], seen[ends])))


def split_rows(
    lines: Sequence[str],
    first: int,
    sep: str,
    n_fields: int,
    path: Path,
    header: str,
    *,
    first_line: int = 1,
) -> tuple[list[Sequence[str]], Sequence[int]]:
    """Split data lines (from index `first`) into fields, skipping blank lines.

    Returns the columns (one sequence of strings per field) and the 1-based line number of
    each row; `first_line` is the number of `lines[0]` (a block of a longer file). A block of
    well-formed lines is split in one pass over its text.
    """
    body = lines[first:] if first else lines
    quoted = False
    if body and n_fields > 1:
        text = "\n".join(body)
        quoted = '"' in text  # quoted fields, as a CSV writer quotes a name with the separator
        if not quoted and bool(np.all(count_per_line(text, sep) == n_fields - 1)):
            # no blank or odd line: one pass over the text
            flat = text.replace("\n", sep).split(sep)
            if _has_edge_space(text):
                flat = [value.strip() for value in flat]
            start = first + first_line
            return [flat[k::n_fields] for k in range(n_fields)], range(start, start + len(body))
    numbers = [i + first_line for i in range(first, len(lines)) if lines[i].strip()]
    fields = phrase("reader.fields", count=n_fields, sep=repr(sep), header=header)
    texts = [lines[n - first_line] for n in numbers]
    rows = (
        _quoted_rows(texts, numbers, sep, path, fields) if quoted else [t.split(sep) for t in texts]
    )
    for row, line in zip(rows, numbers, strict=True):
        if len(row) != n_fields:
            raise ReaderError(path, line, fields, f"{len(row)}")
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(n_fields)]
    return [tuple(c.strip() for c in col) for col in columns], numbers


def _quoted_rows(
    texts: Sequence[str], numbers: Sequence[int], sep: str, path: Path, fields: Words
) -> list[list[str]]:
    """Lines with quoted fields (a name with a comma in it, as a CSV writer quotes it), split
    as the csv module reads them; `numbers`: their line numbers."""
    rows: list[list[str]] = []
    for text, line in zip(texts, numbers, strict=True):
        try:
            rows.append(next(csv.reader([text], delimiter=sep)))
        except csv.Error as exc:  # e.g. a field longer than the csv module takes
            raise ReaderError(path, line, fields, str(exc)) from None
    return rows
