"""Turn a recording from another app into a stored session, reviewed like a live one.

The detector and pause protocol run over it exactly as they would have live, so its
episodes, alerts and pauses are stored with it. Times: a recording with wall-clock times
keeps them; one without (a plain RR list) is placed so that it ends when the file was last
modified, unless a start time is given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from flooding.app.long_replay import LongReplay, replay_long
from flooding.core.beats.columns import SampleColumns
from flooding.core.models import SOLO, Mode, Sample
from flooding.core.settings import Settings
from flooding.core.timefmt import is_wall_clock
from flooding.io.readers import Kept, Recording
from flooding.io.readers.recording import table_rows
from flooding.io.store import ALERT_KINDS, Store

log = logging.getLogger(__name__)


ALERT_TIME_DIGITS = 3  # an alert found again is at the sample's time: equal to the millisecond
STORE_CHUNK_SAMPLES = 20_000  # samples made and saved at a time: memory follows the chunk

# told now and then how far an import has come: (work done, work in all), counted in samples
# handled: each sample is replayed through the detector, then saved (twice the samples in all)
Progress = Callable[[int, int], None]


def _told(progress: Progress | None, total: int, before: int = 0) -> Callable[[int], None]:
    """A step's own count (samples it has handled) told as the import's progress, after
    the `before` handled in the steps before it."""

    def tell(done: int) -> None:
        if progress is not None:
            progress(before + done, total)

    return tell


@dataclass(frozen=True)
class ImportResult:
    """What an import stored."""

    session_id: int
    samples: int
    alerts: int
    episodes: int
    start_s: float
    replayed: LongReplay = field(repr=False)  # what the engine gave (events, rates, trace)


def anchored_table(recording: Recording, start_s: float | None = None) -> SampleColumns:
    """The recording's samples (as columns) on the wall clock (see the module docstring)."""
    table = recording.table
    if not len(recording):
        return table
    first = float(table.t_s[0])
    if start_s is None and is_wall_clock(first):
        return table
    if start_s is None:
        start_s = recording.start_unix_s
    if start_s is None:
        start_s = recording.path.stat().st_mtime - (float(table.t_s[-1]) - first)
    shift = start_s - first
    return SampleColumns(
        table.t_s + shift, table.bpm, table.contact, table.rr_counts, table.rr_s, table.activity_g
    )


def anchored(recording: Recording, start_s: float | None = None) -> list[Sample]:
    """The recording's samples on the wall clock (see the module docstring)."""
    samples = recording.samples
    if not samples:
        return []
    first = samples[0].t_s
    if start_s is None and is_wall_clock(first):
        return list(samples)
    if start_s is None:
        start_s = recording.start_unix_s
    if start_s is None:
        start_s = recording.path.stat().st_mtime - (samples[-1].t_s - first)
    shift = start_s - first
    return [replace(s, t_s=s.t_s + shift) for s in samples]


def _given_chunks(recording: Recording, table: SampleColumns) -> Iterator[list[Sample]]:
    """A reader's own samples (they keep their energy) on the table's clock, a chunk at a
    time."""
    assert recording.given is not None
    shift = float(table.t_s[0]) - recording.given[0].t_s
    for start in range(0, len(recording.given), STORE_CHUNK_SAMPLES):
        chunk = recording.given[start : start + STORE_CHUNK_SAMPLES]
        yield chunk if shift == 0 else [replace(s, t_s=s.t_s + shift) for s in chunk]


def import_recording(
    store: Store,
    recording: Recording,
    settings: Settings,
    *,
    mode: Mode | None = None,
    start_s: float | None = None,
    source: str | None = None,
    keep: Sequence[str] = (),
    file_sha256: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Store a recording as a session with the events the detector finds in it.

    All or nothing (`Store.all_or_nothing`): stopped half-way (an error, Ctrl-C, a killed
    process), no part of the session is stored, and nobody sees it before it is whole.
    The samples are replayed and stored a piece at a time (`flooding.app.long_replay`), so a
    recording of millions of samples needs memory for its columns only. `keep`: trace
    columns (`long_replay.TRACE_COLUMNS`) the result's `replayed` keeps too. `file_sha256`:
    the file's content hash, stored with the session (`Store.imported_as` finds it again).
    `progress` is told how far it has come (`Progress`), after each piece replayed or saved.
    """
    table = anchored_table(recording, start_s)
    if not table.t_s.size:
        raise ValueError(f"{recording.path}: the recording holds no samples")
    n = int(table.t_s.size)
    replayed = replay_long(table, settings, mode=mode, keep=keep, progress=_told(progress, 2 * n))
    saved = _told(progress, 2 * n, before=n)
    kind = source or f"import:{recording.source_format}"
    first_s, last_s = float(table.t_s[0]), float(table.t_s[-1])
    with store.all_or_nothing():
        session_id = store.begin_session(
            first_s,
            source=kind,
            mode=(mode or settings.mode).value,
            strap_name=Path(recording.path).name,
            settings_json=json.dumps(settings.model_dump(mode="json", exclude={"messages"})),
        )
        store.add_events(session_id, replayed.events)
        _remember_file(store, session_id, first_s, recording, file_sha256)
        _keep(store, session_id, recording.kept)
        stored: SampleColumns | None = None  # the samples as stored, kept as columns
        if recording.given is None:
            for start in range(0, len(recording), STORE_CHUNK_SAMPLES):
                store.add_sample_table(session_id, table_rows(table, start, STORE_CHUNK_SAMPLES))
                store.flush()
                saved(min(n, start + STORE_CHUNK_SAMPLES))
            stored = table
        else:
            done = 0
            for chunk in _given_chunks(recording, table):
                store.add_samples(session_id, chunk)
                store.flush()
                done += len(chunk)
                saved(done)
        store.end_session(session_id, last_s, stored)
    kinds = [type(e).__name__ for e in replayed.events]
    log.info("imported %s as session %d", recording.path, session_id)
    return ImportResult(
        session_id=session_id,
        samples=int(table.t_s.size),
        alerts=kinds.count("Alert"),
        episodes=kinds.count("EpisodeStarted"),
        start_s=first_s,
        replayed=replayed,
    )


def _remember_file(
    store: Store, session_id: int, t_s: float, recording: Recording, sha256: str | None
) -> None:
    """Store the imported file's content hash with the session (an `imported-file` event)."""
    if sha256 is not None:
        data = {"sha256": sha256, "file": Path(recording.path).name}
        store.add_note_event(session_id, t_s, "imported-file", data)


def _keep(store: Store, session_id: int, kept: Kept) -> None:
    """Put back what the person added to a session this program exported: its note, and
    each false-alarm mark on the alert of the same time (with today's settings the replay
    may find other alerts: a mark whose alert is not found again is left out, and logged)."""
    if kept.note:
        store.set_note(session_id, kept.note)
    if not kept.false_alarms:
        return
    alerts = {
        round(row.t_s, ALERT_TIME_DIGITS): row.id for row in store.events(session_id, ALERT_KINDS)
    }
    for alert_s, marked_s in kept.false_alarms:
        alert_id = alerts.get(round(alert_s, ALERT_TIME_DIGITS))
        if alert_id is None:
            log.info("a false-alarm mark of the export has no alert at its time here; left out")
            continue
        store.mark_false_alarm(session_id, alert_id, marked_s)


def has_wall_clock(recording: Recording) -> bool:
    """Whether a recording knows when it was made: its times are dates (`is_wall_clock`)."""
    return len(recording) > 0 and is_wall_clock(float(recording.table.t_s[0]))


@dataclass(frozen=True)
class CoupleImportResult:
    """What a couple import stored."""

    session_id: int
    samples: dict[str, int]
    alerts: int
    episodes: dict[str, int]
    start_s: float
    aligned_on_clock: bool  # False: both placed from their starts


def import_couple(
    store: Store,
    recordings: dict[str, Recording],
    settings: Settings,
    *,
    start_s: float | None = None,
    mode: Mode | None = None,
    file_sha256: str | None = None,
    progress: Progress | None = None,
) -> CoupleImportResult:
    """Store two recordings as one couple session, through the couple engine.

    Aligned on the wall clock when both recordings have it and their times overlap (with
    `start_s`, both moved together so that the first begins then: their offset is kept);
    otherwise both are placed from their starts, together, at `start_s` (or where the first
    file's times put it).
    All or nothing, like `import_recording`; `file_sha256` and `progress` as there.
    """
    from flooding.core.people import person_settings_for, run_people_batch

    names = list(recordings)
    if len(names) != 2:
        raise ValueError("a couple import takes exactly two recordings")
    on_clock = all(has_wall_clock(r) for r in recordings.values())
    if on_clock:
        tracks = {name: anchored(r) for name, r in recordings.items()}
        # clock times that never overlap are not one conversation: place them from the starts
        on_clock = max(t[0].t_s for t in tracks.values()) < min(t[-1].t_s for t in tracks.values())
        if on_clock and start_s is not None:  # both moved, their offset kept
            shift = start_s - min(t[0].t_s for t in tracks.values())
            tracks = {n: [replace(s, t_s=s.t_s + shift) for s in t] for n, t in tracks.items()}
    if not on_clock:
        first = recordings[names[0]]
        common = start_s if start_s is not None else anchored(first)[0].t_s
        tracks = {name: anchored(r, common) for name, r in recordings.items()}
    if any(not track for track in tracks.values()):
        raise ValueError("both recordings must hold samples")
    modes = dict.fromkeys(names, mode) if mode is not None else None
    n = sum(len(track) for track in tracks.values())
    result = run_people_batch(tracks, settings, modes=modes, progress=_told(progress, 2 * n))
    tell_saved, saved = _told(progress, 2 * n, before=n), 0
    begin = min(track[0].t_s for track in tracks.values())
    end = max(track[-1].t_s for track in tracks.values())
    with store.all_or_nothing():
        session_id = store.begin_session(
            begin,
            source="import:couple",
            mode=(mode or settings.mode).value,
            strap_name=" & ".join(names),
        )
        people = person_settings_for(settings, names)
        for name in names:
            store.add_person(
                session_id,
                name,
                mode=(mode or people[name].mode).value,
                strap_name=Path(recordings[name].path).name,
                settings_json=json.dumps(
                    people[name].model_dump(mode="json", exclude={"messages", "profiles"})
                ),
            )
            for start in range(0, len(tracks[name]), STORE_CHUNK_SAMPLES):
                chunk = tracks[name][start : start + STORE_CHUNK_SAMPLES]
                store.add_samples(session_id, chunk, name)
                store.flush()
                saved += len(chunk)
                tell_saved(saved)
        for person, event in result.events:
            store.add_event(session_id, event, person, couple=True)
        _remember_file(store, session_id, begin, recordings[names[0]], file_sha256)
        _keep(store, session_id, recordings[names[0]].kept)
        store.end_session(session_id, end)
    kinds = [(person, type(e).__name__) for person, e in result.events]
    log.info("imported %s as couple session %d", ", ".join(names), session_id)
    return CoupleImportResult(
        session_id=session_id,
        samples={name: len(tracks[name]) for name in names},
        alerts=kinds.count((SOLO, "Alert")),
        episodes={name: kinds.count((name, "EpisodeStarted")) for name in names},
        start_s=begin,
        aligned_on_clock=on_clock,
    )
