"""The program's own JSON export (`flooding export --format json`), read back to its readings.

The samples are read (`{"session": {"format": "flooding-session/1", ...}, "samples":
[{"t_s", "bpm", "rr_s", "contact", "energy_kj", "activity_g"}, ...]}`); episodes and events
are found again by the detector on import, as for any recording. What the person added is
kept (`Kept`): the session's `note`, and each `false-alarm` event's alert, by its time. A
couple session's samples each name their `person`: `read_flooding_json_tracks` gives one
recording per person.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from flooding.core.activity import MAX_LEVEL_G
from flooding.core.catalogue import phrase
from flooding.core.hrm import UINT16_MAX
from flooding.core.models import Sample
from flooding.io.readers._text import (
    NONE,
    STRAP_RR_MAX_S,
    ReaderError,
    Words,
    check_in_order,
    check_unix_times,
    read_lines,
    shown,
)
from flooding.io.readers.recording import Kept, Recording, only_track
from flooding.io.store import ALERT_KINDS

JSON = phrase("reader.json")  # JSON (what a .json file holds)
EXPORT_FORMAT = "flooding-session/1"  # the `session.format` the export writes and this reads
JSON_FORMAT = "flooding-json"


def is_flooding_json(first_line: str) -> bool:
    """Whether a file's first line opens a JSON document (the export's starts with `{`)."""
    return first_line.startswith("{")


def _in_sample(what: Words, index: int) -> Words:
    """What was expected in sample `index` (0-based) of the file."""
    return phrase("reader.json.in_sample", what=what, sample=index + 1)


def _number(value: Any, path: Path, index: int, what: Words) -> float:
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer past the float range
            number = None
    if number is None or not math.isfinite(number):
        raise ReaderError(path, None, _in_sample(what, index), repr(value)[:40])
    return number


def _sample(item: Any, path: Path, index: int) -> Sample:
    """One exported sample, checked."""
    if not isinstance(item, dict):
        raise ReaderError(
            path, None, _in_sample(phrase("reader.json.object"), index), repr(item)[:40]
        )
    t_s = _number(item.get("t_s"), path, index, phrase("reader.json.t_s"))
    bpm = _number(item.get("bpm"), path, index, phrase("reader.json.bpm"))
    if bpm < 0:
        raise ReaderError(path, None, _in_sample(phrase("reader.json.bpm_range"), index), f"{bpm}")
    rr = item.get("rr_s", [])
    if not isinstance(rr, list):
        raise ReaderError(
            path, None, _in_sample(phrase("reader.json.rr_list"), index), repr(rr)[:40]
        )
    rr_s = tuple(_number(v, path, index, phrase("reader.json.rr")) for v in rr)
    if any(not 0 <= v <= STRAP_RR_MAX_S for v in rr_s):
        raise ReaderError(
            path,
            None,
            _in_sample(phrase("reader.json.rr_range", max_s=f"{STRAP_RR_MAX_S:g}"), index),
            repr(rr)[:40],
        )
    contact = item.get("contact")
    if contact is not None and not isinstance(contact, bool):
        expected = _in_sample(phrase("reader.json.contact"), index)
        raise ReaderError(path, None, expected, repr(contact)[:40])
    energy = item.get("energy_kj")
    if energy is not None and (
        isinstance(energy, bool) or not isinstance(energy, int) or not 0 <= energy <= UINT16_MAX
    ):  # a strap sends it as a 16-bit whole number; the store holds no larger one
        raise ReaderError(
            path,
            None,
            phrase("reader.json.energy", max=UINT16_MAX, sample=index + 1),
            repr(energy)[:40],
        )
    level = item.get("activity_g")
    activity = None
    if level is not None:
        what = phrase("reader.json.activity", max_g=f"{MAX_LEVEL_G:g}")
        activity = _number(level, path, index, what)
        if not 0 <= activity <= MAX_LEVEL_G:
            raise ReaderError(path, None, _in_sample(what, index), repr(level)[:40])
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
        if not text[exc.pos :].strip():  # nothing after where it stopped: the end is missing
            raise ReaderError(path, exc.lineno, JSON, phrase("reader.json.cut_short")) from None
        where = phrase("reader.json.at_column", column=exc.colno)
        raise ReaderError(path, exc.lineno, where, shown(text[exc.pos : exc.pos + 30])) from None
    except ValueError:  # a whole number of more digits than Python converts
        raise ReaderError(path, None, JSON, phrase("reader.json.too_many_digits")) from None
    except RecursionError:
        raise ReaderError(path, None, JSON, phrase("reader.json.too_deep")) from None
    session = document.get("session") if isinstance(document, dict) else None
    found = session.get("format") if isinstance(session, dict) else None
    if found != EXPORT_FORMAT:
        raise ReaderError(
            path,
            None,
            phrase("reader.json.export", format=EXPORT_FORMAT),
            repr(found) if found is not None else phrase("reader.json.other_document"),
        )
    items = document.get("samples")
    if not isinstance(items, list) or not items:
        raise ReaderError(path, None, phrase("reader.json.samples"), NONE)
    by_person: dict[str, list[tuple[int, Sample]]] = {}
    for i, item in enumerate(items):
        person = item.get("person", "") if isinstance(item, dict) else ""
        if not isinstance(person, str):
            expected = _in_sample(phrase("reader.json.person"), i)
            raise ReaderError(path, None, expected, repr(person)[:40])
        by_person.setdefault(person, []).append((i, _sample(item, path, i)))
    tracks = {}
    for person, numbered in by_person.items():
        samples = [s for _, s in numbered]
        times = np.array([s.t_s for s in samples], dtype=np.float64)
        numbers = [i + 1 for i, _ in numbered]  # "line" n: sample n
        check_unix_times(times, numbers, path, phrase("reader.json.unix_t_s"))
        check_in_order(times, numbers, path)
        recording = Recording.of_samples(samples, samples[0].t_s, JSON_FORMAT, path)
        tracks[person] = replace(recording, kept=_kept(session, document.get("events")))
    return tracks


def _time(value: Any) -> float | None:
    """A time in the export's events, or None when it is none."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _kept(session: Any, events: Any) -> Kept:
    """The note and the false-alarm marks of an exported session. They are the person's own
    additions, not readings: what is not of their shape (a file edited by hand) is left out,
    and the readings are imported all the same."""
    note = session.get("note") if isinstance(session, dict) else None
    rows = [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []
    alerts = {e.get("id"): _time(e.get("t_s")) for e in rows if e.get("kind") in ALERT_KINDS}
    marks = []
    for e in rows:
        data = e.get("data")
        if e.get("kind") != "false-alarm" or not isinstance(data, dict):
            continue
        alert_s, marked_s = alerts.get(data.get("alert_event_id")), _time(e.get("t_s"))
        if alert_s is not None and marked_s is not None:
            marks.append((alert_s, marked_s))
    return Kept(note if isinstance(note, str) else "", tuple(marks))
