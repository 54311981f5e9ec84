"""A session out of the store: the generic CSV and the full JSON, both readable back.

The CSV is the generic heart-rate format the file readers understand (`flooding import`):
`time_unix_s,time_local,hr_bpm,rr_ms,contact,energy_kj,activity_g`, one row per sample (one
strap packet). `time_local` is the same moment as ISO 8601 local time with its offset (for
people; the reader goes by `time_unix_s`; empty for a recording without clock times, whose
times are seconds from its start). `rr_ms` holds the packet's RR intervals in
milliseconds separated by single spaces (RR_SEPARATOR; empty when there were none), `contact`
is 1, 0 or empty (the strap could not tell), `energy_kj` and `activity_g` are empty when the
strap sent none. A couple session adds a first column `person` naming whose heart each row
is. Numbers are written in the shortest form that reads back as the same value, so an import
of the export stores the very same samples. The episodes table is a CSV of its own
(`episodes_csv`, written only when asked for: `flooding export --episodes FILE`; not for a
couple session, whose episodes are each one partner's: they are in the JSON).

The JSON holds everything: `{"session": {...}, "samples": [...], "episodes": [...],
"events": [...]}`; in a couple session each sample, episode and event names its `person`
and `session.people` lists the partners.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from flooding.app.review import episodes, people_review, summarize_session
from flooding.core.catalogue import SaidError
from flooding.core.models import Sample
from flooding.core.settings import masked_settings_json
from flooding.core.timefmt import is_wall_clock, iso_local_exact
from flooding.io.locale_files import load_catalogue
from flooding.io.readers.flooding_json import EXPORT_FORMAT
from flooding.io.store import Store

CSV_COLUMNS = (
    "time_unix_s",
    "time_local",
    "hr_bpm",
    "rr_ms",
    "contact",
    "energy_kj",
    "activity_g",
)
PERSON_COLUMN = "person"  # first column of a couple session's CSV: whose heart the row is
RR_SEPARATOR = " "  # between the RR intervals of one packet in the rr_ms field
MS_PER_S = 1000.0
EPISODE_CSV_COLUMNS = (
    "start_unix_s",
    "end_unix_s",
    "duration_s",
    "peak_bpm",
    "baseline_bpm",
    "threshold_bpm",
    "rule",
    "alert_unix_s",
    "pause_start_unix_s",
    "pause_end_unix_s",
    "ready_unix_s",
    "recovery_s",
    "false_alarm",
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.10g}"


def exact(value: float) -> str:
    """The shortest text of `value` that reads back as the very same float ('72', not
    '72.0'; '1700000000.123')."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def rr_ms(rr_s: float) -> str:
    """An RR interval in ms with the fewest decimals that read back (ms / 1000) as the
    stored seconds: '812', '820.3125'."""
    for decimals in range(4):  # a whole number, or a strap's 1/1024 s
        text = f"{rr_s * MS_PER_S:.{decimals}f}"
        if float(Decimal(text).scaleb(-3)) == rr_s:
            return text
    # the shortest decimal of the seconds, its point moved three places: exact as read back
    return f"{Decimal(repr(float(rr_s))).scaleb(3):f}"


def _optional(value: float | None) -> str:
    return "" if value is None else exact(value)


def _row(s: Sample) -> tuple[str, ...]:
    return (
        exact(s.t_s),
        iso_local_exact(s.t_s) if is_wall_clock(s.t_s) else "",  # a file without clock times
        exact(s.bpm),
        RR_SEPARATOR.join(rr_ms(rr) for rr in s.rr_s),
        "" if s.contact is None else str(int(s.contact)),
        _optional(s.energy_kj),
        _optional(s.activity_g),
    )


def _tracks(store: Store, session_id: int) -> Iterator[tuple[str | None, Sample]]:
    """Every sample with its person (None: a session of one)."""
    people = [p.person for p in store.people(session_id)]
    if not people:
        for s in store.iter_samples(session_id):
            yield None, s
        return
    for person in people:
        for s in store.iter_samples(session_id, person):
            yield person, s


def samples_csv(store: Store, session_id: int) -> str:
    """A session's samples in the generic CSV format (see the module notes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    couple = bool(store.people(session_id))
    writer.writerow(((PERSON_COLUMN,) if couple else ()) + CSV_COLUMNS)
    for person, s in _tracks(store, session_id):
        writer.writerow(((person or "",) if couple else ()) + _row(s))
    return out.getvalue()


class CoupleEpisodesError(SaidError):
    """A session of two has no episodes table: each episode is one partner's, and the
    table has no column to say whose (they are in the JSON export and the HTML page)."""

    KEY = "export.couple_episodes"

    def __init__(self) -> None:
        super().__init__(load_catalogue()(self.KEY), self.KEY)


def episodes_csv(store: Store, session_id: int) -> str:
    """A session's flooding episodes as CSV (times in unix seconds); a session of two's are
    refused (`CoupleEpisodesError`)."""
    if store.people(session_id):
        raise CoupleEpisodesError
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EPISODE_CSV_COLUMNS)
    for e in episodes(store, session_id):
        d = e.as_dict()
        writer.writerow(
            (
                _number(e.start_s),
                _number(e.end_s),
                _number(d["duration_s"]),
                _number(e.peak_bpm),
                _number(e.baseline_bpm),
                _number(e.threshold_bpm),
                e.rule,
                _number(e.alert_s),
                _number(e.pause_start_s),
                _number(e.pause_end_s),
                _number(e.ready_s),
                _number(e.recovery_s),
                int(e.false_alarm),
            )
        )
    return out.getvalue()


def _sample_dict(s: Sample, person: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {} if person is None else {"person": person}
    data.update(
        {
            "t_s": s.t_s,
            "time_local": iso_local_exact(s.t_s),
            "bpm": s.bpm,
            "rr_s": list(s.rr_s),
            "contact": s.contact,
            "energy_kj": s.energy_kj,
        }
    )
    if s.activity_g is not None:
        data["activity_g"] = s.activity_g
    return data


def session_json(store: Store, session_id: int) -> dict[str, Any] | None:
    """Everything stored about a session, JSON-ready (None: no such session)."""
    row = store.session(session_id)
    summary = summarize_session(store, session_id)
    settings = store.settings_json(session_id)
    if row is None or summary is None or settings is None:
        return None
    session = {
        "format": EXPORT_FORMAT,
        "id": row.id,
        "started_s": row.started_s,
        "started_local": iso_local_exact(row.started_s),
        "ended_s": row.ended_s,
        "source": row.source,
        "strap_name": row.strap_name,
        "strap_address": row.strap_address,
        "mode": row.mode,
        "note": row.note,
        "settings": json.loads(masked_settings_json(settings)),
        "summary": summary.as_dict(),
    }
    events = store.events(session_id)
    people = store.people(session_id)
    if people:
        session["people"] = [
            {
                "person": p.person,
                "strap_name": p.strap_name,
                "mode": p.mode,
                "settings": json.loads(masked_settings_json(p.settings_json)),
            }
            for p in people
        ]
        couple = people_review(store, session_id)
        found = [
            {"person": p.name, **e.as_dict()}
            for p in (couple.people if couple is not None else [])
            for e in p.episodes
        ]
    else:
        found = [e.as_dict() for e in episodes(store, session_id, events)]
    return {
        "session": session,
        "samples": [_sample_dict(s, person) for person, s in _tracks(store, session_id)],
        "episodes": found,
        "events": [
            {"id": e.id, "t_s": e.t_s, "kind": e.kind, "data": e.data}
            | ({"person": e.person} if people else {})
            for e in events
        ],
    }
