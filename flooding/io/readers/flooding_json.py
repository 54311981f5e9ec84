"""The program's own JSON export (`flooding export --format json`), read back to its readings.

Only the samples are read (`{"session": {"format": "flooding-session/1", ...}, "samples":
[{"t_s", "bpm", "rr_s", "contact", "energy_kj", "activity_g"}, ...]}`); episodes and events
are found again by the detector on import, as for any recording. A couple session's samples
each name their `person`: `read_flooding_json_tracks` gives one recording per person.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from flooding.core.activity import MAX_LEVEL_G
from flooding.core.hrm import UINT16_MAX
from flooding.core.models import Sample
from flooding.io.readers._text import (
    STRAP_RR_MAX_S,
    ReaderError,
    check_in_order,
    check_unix_times,
    read_lines,
)
from flooding.io.readers.recording import Recording, only_track

EXPORT_FORMAT = "flooding-session/1"  # the `session.format` the export writes and this reads
JSON_FORMAT = "flooding-json"


def is_flooding_json(first_line: str) -> bool:
    """Whether a file's first line opens a JSON document (the export's starts with `{`)."""
    return first_line.startswith("{")


def _number(value: Any, path: Path, index: int, what: str) -> float:
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer past the float range
            number = None
    if number is None or not math.isfinite(number):
        raise ReaderError(path, None, f"{what} in sample {index + 1}", repr(value)[:40])
    return number


def _sample(item: Any, path: Path, index: int) -> Sample:
    """One exported sample, checked."""
    if not isinstance(item, dict):
        raise ReaderError(path, None, f"an object in sample {index + 1}", repr(item)[:40])
    t_s = _number(item.get("t_s"), path, index, "a time t_s in unix seconds")
    bpm = _number(item.get("bpm"), path, index, "a heart rate bpm of 0 or more")
    if bpm < 0:
        raise ReaderError(path, None, f"a heart rate of 0 or more in sample {index + 1}", f"{bpm}")
    rr = item.get("rr_s", [])
    if not isinstance(rr, list):
        raise ReaderError(path, None, f"a list rr_s in sample {index + 1}", repr(rr)[:40])
    rr_s = tuple(_number(v, path, index, "RR intervals in seconds") for v in rr)
    if any(not 0 <= v <= STRAP_RR_MAX_S for v in rr_s):
        raise ReaderError(
            path,
            None,
            f"RR intervals from 0 to {STRAP_RR_MAX_S:g} s in sample {index + 1}",
            repr(rr)[:40],
        )
    contact = item.get("contact")
    if contact is not None and not isinstance(contact, bool):
        raise ReaderError(
            path, None, f"contact true, false or null in sample {index + 1}", repr(contact)[:40]
        )
    energy = item.get("energy_kj")
    if energy is not None and (
        isinstance(energy, bool) or not isinstance(energy, int) or not 0 <= energy <= UINT16_MAX
    ):  # a strap sends it as a 16-bit whole number; the store holds no larger one
        raise ReaderError(
            path,
            None,
            f"a whole energy_kj from 0 to {UINT16_MAX} in sample {index + 1}, or null",
            repr(energy)[:40],
        )
    level = item.get("activity_g")
    activity = None
    if level is not None:
        what = f"a movement activity_g from 0 to {MAX_LEVEL_G:g} g, or null"
        activity = _number(level, path, index, what)
        if not 0 <= activity <= MAX_LEVEL_G:
            raise ReaderError(path, None, f"{what} in sample {index + 1}", repr(level)[:40])
    return Sample(t_s, bpm, rr_s, contact, energy, activity)


def read_flooding_json(path: Path) -> Recording:
    """Read a session exported as JSON by `flooding export --format json` (one heart)."""
    return only_track(path, read_flooding_json_tracks(path))


def read_flooding_json_tracks(path: Path) -> dict[str, Recording]:
    """Read an exported session: one recording per person ('' for a session of one)."""
    text = "\n".join(read_lines(path))  # the same checks for empty, binary and encodings
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReaderError(path, exc.lineno, "JSON", exc.msg) from None
    except ValueError:  # a whole number of more digits than Python converts
        raise ReaderError(path, None, "JSON", "a number with too many digits") from None
    except RecursionError:
        raise ReaderError(path, None, "JSON", "arrays or objects nested too deep") from None
    session = document.get("session") if isinstance(document, dict) else None
    found = session.get("format") if isinstance(session, dict) else None
    if found != EXPORT_FORMAT:
        raise ReaderError(
            path,
            None,
            f'a session exported by `flooding export --format json` ("format": "{EXPORT_FORMAT}")',
            repr(found) if found is not None else "another JSON document",
        )
    items = document.get("samples")
    if not isinstance(items, list) or not items:
        raise ReaderError(path, None, "a list of samples", "none")
    by_person: dict[str, list[tuple[int, Sample]]] = {}
    for i, item in enumerate(items):
        person = item.get("person", "") if isinstance(item, dict) else ""
        if not isinstance(person, str):
            raise ReaderError(path, None, f"a person's name in sample {i + 1}", repr(person)[:40])
        by_person.setdefault(person, []).append((i, _sample(item, path, i)))
    tracks = {}
    for person, numbered in by_person.items():
        samples = [s for _, s in numbered]
        times = np.array([s.t_s for s in samples], dtype=np.float64)
        numbers = [i + 1 for i, _ in numbered]  # "line" n: sample n
        check_unix_times(times, numbers, path, "a unix time t_s")
        check_in_order(times, numbers, path)
        tracks[person] = Recording.of_samples(samples, samples[0].t_s, JSON_FORMAT, path)
    return tracks
