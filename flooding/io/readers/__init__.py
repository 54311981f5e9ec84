"""Readers for recorded heart data: every format becomes a `Recording` of strap-like samples.

    from flooding.io.readers import read
    recording = read(path)                       # format sniffed from extension and header
    recording = read(path, format="rr-text")     # or chosen by name, see formats()
    recording = read(path, participant=7)        # Stress-Predict: one participant
    tracks = read_tracks(path)                   # {person: recording}; '' for one heart

A file that cannot be read raises `ReaderError` naming the file, the line and what was expected;
nothing is half-loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flooding.core.catalogue import SaidError, phrase
from flooding.io.locale_files import load_catalogue
from flooding.io.readers._text import (
    UNIX_MAX_S,
    ReaderError,
    decode_head,
    open_recording,
    read_lines,
    unreadable,
)
from flooding.io.readers.flooding_json import (
    JSON_FORMAT,
    is_flooding_json,
    read_flooding_json,
    read_flooding_json_tracks,
)
from flooding.io.readers.polar_hrm import read_hrm
from flooding.io.readers.recording import Kept, Recording
from flooding.io.readers.rr_text import read_rr_text
from flooding.io.readers.tables import (
    LOGGER_HR_HEADER,
    LOGGER_PPI_HEADER,
    STRESS_PREDICT_HEADER,
    TIME_COLUMNS,
    read_csv,
    read_csv_tracks,
    read_logger_hr,
    read_logger_ppi,
    read_stress_predict,
    read_stress_predict_all,
    stress_predict_participants,
)

__all__ = [
    "UNIX_MAX_S",
    "Kept",
    "ReaderError",
    "Recording",
    "UnknownFormat",
    "formats",
    "read",
    "read_stress_predict_all",
    "read_tracks",
    "sniff_format",
    "stress_predict_participants",
]

log = logging.getLogger(__name__)

_READERS: dict[str, Callable[[Path], Recording]] = {
    "polar-hrm": read_hrm,
    "rr-text": read_rr_text,
    "csv": read_csv,
    "polar-logger-hr": read_logger_hr,
    "polar-logger-ppi": read_logger_ppi,
    "stress-predict": read_stress_predict,
    JSON_FORMAT: read_flooding_json,
}
_SNIFF_BYTES = 4096


class UnknownFormat(SaidError, ValueError):
    """A format name no reader has (the text `reader.unknown_format`: English as str(),
    any language by `said`)."""

    def __init__(self, name: str) -> None:
        values = {"format": repr(name), "known": ", ".join(formats())}
        key = "reader.unknown_format"
        super().__init__(load_catalogue()(key, **values), key, **values)


def formats() -> list[str]:
    """The names `read(..., format=)` accepts."""
    return list(_READERS)


def _first_line(path: Path) -> tuple[int, str]:
    """The first line that is neither blank nor a `#` comment, and its number (1, '' if none)."""
    try:
        with open_recording(path) as handle:  # a device or a pipe is refused, not read
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise unreadable(path, exc) from None
    for number, line in enumerate(decode_head(head).splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#"):
            return number, text
    return 1, ""


def sniff_format(path: Path) -> str:
    """The format of a file, from its extension and first line (blank and `#` lines skipped)."""
    if path.suffix.lower() == ".hrm":
        return "polar-hrm"
    if path.suffix.lower() == ".json":
        return JSON_FORMAT
    line, first = _first_line(path)
    if is_flooding_json(first):
        return JSON_FORMAT
    if first.startswith("["):
        return "polar-hrm"
    if first == LOGGER_HR_HEADER:
        return "polar-logger-hr"
    if first == LOGGER_PPI_HEADER:
        return "polar-logger-ppi"
    if first == STRESS_PREDICT_HEADER:
        return "stress-predict"
    names = {name.strip().lower() for name in first.split(",")}
    if names & set(TIME_COLUMNS):
        return "csv"
    try:
        float(first)
    except ValueError:
        pass
    else:
        return "rr-text"
    if not first or "\x00" in first:
        read_lines(path)  # names the problem: empty, binary, UTF-16 or not UTF-8
    raise ReaderError(
        path,
        line,
        phrase("reader.known_format", known=", ".join(formats())),
        repr(first[:80]),
    )


def read(
    path: Path | str, format: str | None = None, *, participant: int | None = None
) -> Recording:
    """Read a recording; `format` (see `formats()`) overrides sniffing.

    `participant` picks one person from a Stress-Predict file (required when it holds several).
    """
    path = Path(path)
    name = format or sniff_format(path)
    if name not in _READERS:
        raise UnknownFormat(name)
    if name == "stress-predict":
        recording = read_stress_predict(path, participant)
    else:
        recording = _READERS[name](path)
    log.debug(
        "read %s as %s: %d samples, %.0f s",
        path,
        name,
        len(recording),
        recording.duration_s,
    )
    return recording


def read_tracks(
    path: Path | str, format: str | None = None, *, participant: int | None = None
) -> dict[str, Recording]:
    """Every person's recording in a file: a couple session's export (CSV or JSON) gives one
    per partner, by name; any other file one, under '' (as `read` gives it)."""
    path = Path(path)
    name = format or sniff_format(path)
    if name == "csv":
        return read_csv_tracks(path)
    if name == JSON_FORMAT:
        return read_flooding_json_tracks(path)
    return {"": read(path, name, participant=participant)}
