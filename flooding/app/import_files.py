"""From files to a stored session, as `flooding import` and the app's Import page both do it:
which people the files hold, whether they were imported before, and the import itself
(`flooding.app.importing`, all or nothing).

A file that cannot be imported raises `ImportRefused`, a text of the catalogue (`import.*`)
naming the file and what to do; nothing is stored then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flooding.app.importing import (
    CoupleImportResult,
    ImportResult,
    Progress,
    has_wall_clock,
    import_couple,
    import_recording,
)
from flooding.core.catalogue import Phrase, SaidError, phrase
from flooding.core.models import Mode
from flooding.core.os_errors import os_problem
from flooding.core.settings import Settings, profile_name_problem
from flooding.io.files import content_sha256
from flooding.io.locale_files import load_catalogue
from flooding.io.readers import UNIX_MAX_S, ReaderError, Recording, read_tracks
from flooding.io.store import Store

DEFAULT_COUPLE_NAMES = ("A", "B")  # a couple's names when none are given and no profiles exist


class ImportRefused(SaidError, ValueError):
    """Files that cannot be imported, and why: a text of the catalogue (English as str(), any
    language by `said`); its values name the files as given (`Path`)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(load_catalogue()(key, **values), key, **values)


@dataclass(frozen=True)
class Choices:
    """What a person may choose about an import (the options of `flooding import`)."""

    format: str | None = None  # None: sniffed from the file
    participant: int | None = None  # Stress-Predict: whose rows
    mode: Mode | None = None  # None: the settings' mode
    start_s: float | None = None  # when a recording without times began


def start_time(text: str) -> float:
    """A start time as typed (ISO, e.g. 2026-11-20T20:05, in the computer's zone) as unix
    seconds; ImportRefused when it is no time, or one no recording can have."""
    try:
        start_s = datetime.fromisoformat(text).astimezone().timestamp()
    except (ValueError, OverflowError, OSError):  # not a date, or one the clock cannot hold
        raise ImportRefused("import.bad_start", start=repr(text)) from None
    if not 0 <= start_s < UNIX_MAX_S:  # as the readers refuse such times in a file
        raise ImportRefused("import.start_out_of_range", start=repr(text))
    return start_s


def people_in(path: Path, choices: Choices) -> dict[str, Recording]:
    """Each person's heart data in `path` ('' for a file of one person)."""
    try:
        tracks = read_tracks(path, choices.format, participant=choices.participant)
    except ReaderError as exc:
        problem = str(exc) if exc.key is None else phrase(exc.key, **exc.values)
        raise ImportRefused("import.not_imported", problem=problem) from None
    except OSError as exc:
        raise ImportRefused("import.cannot_read", path=path, error=os_problem(exc)) from None
    if not all(len(recording) for recording in tracks.values()):
        raise ImportRefused("import.no_heart_data", path=path)
    return tracks


def name_problem(names: Sequence[str]) -> Phrase | None:
    """Why the first of `names` that cannot name a partner (as a profile's name must) cannot,
    or None when all can."""
    for name in names:
        problem = profile_name_problem(name)
        if problem is not None:
            return problem
    return None


def couple_names(given: Sequence[str] | None, settings: Settings) -> list[str]:
    """The partners' names: those given, else the two profiles', else A and B."""
    if given:
        names = list(given)
    elif len(settings.profiles) == 2:
        names = list(settings.profiles)
    else:
        names = list(DEFAULT_COUPLE_NAMES)
    if names[0] == names[1]:
        raise ImportRefused("import.same_names", name=repr(names[0]))
    problem = name_problem(names)
    if problem is not None:
        raise ImportRefused(problem.key, **problem.values)
    return names


def recordings_of(paths: Sequence[Path], choices: Choices) -> dict[str, Recording]:
    """The recordings one file holds: one person's, or both of a couple session's export."""
    (path,) = paths
    tracks = people_in(path, choices)
    if len(tracks) == 2:  # a couple session's export comes back as a couple session
        problem = name_problem(list(tracks))  # named in the file
        if problem is not None:
            raise ImportRefused("import.person_named", path=path, problem=problem)
    if len(tracks) > 2:
        names = ", ".join(tracks)
        raise ImportRefused("import.too_many_people", path=path, count=len(tracks), names=names)
    return tracks


def couple_recordings(
    paths: Sequence[Path], names: Sequence[str], choices: Choices
) -> dict[str, Recording]:
    """Two files, one person's each, under the partners' `names` (in the files' order)."""
    recordings = {}
    for name, path in zip(names, paths, strict=True):
        tracks = people_in(path, choices)
        if len(tracks) > 1:
            count, found = len(tracks), ", ".join(tracks)
            raise ImportRefused("import.several_people", path=path, count=count, names=found)
        recordings[name] = next(iter(tracks.values()))
    return recordings


def imported_before(store: Store, paths: Sequence[Path]) -> tuple[str, int | None]:
    """The files' content hash, and the session they were imported as before (None: never)."""
    sha256 = content_sha256(list(paths))
    return sha256, store.imported_as(sha256)


def store_recordings(
    store: Store,
    recordings: dict[str, Recording],
    settings: Settings,
    choices: Choices,
    sha256: str,
    progress: Progress | None = None,
) -> ImportResult | CoupleImportResult:
    """Store one person's recording as a session, or two (a couple's) as one couple session,
    all or nothing (`Store.all_or_nothing`); `progress` is told how far it has come
    (`flooding.app.importing.Progress`)."""
    if len(recordings) == 2:
        return import_couple(
            store,
            recordings,
            settings,
            start_s=choices.start_s,
            mode=choices.mode,
            file_sha256=sha256,
            progress=progress,
        )
    (recording,) = recordings.values()
    return import_recording(
        store,
        recording,
        settings,
        mode=choices.mode,
        start_s=choices.start_s,
        file_sha256=sha256,
        progress=progress,
    )


def lined_up(
    result: CoupleImportResult,
    recordings: dict[str, Recording],
    choices: Choices,
    *,
    one_file: bool = False,
) -> Phrase:
    """How a couple import lined the two recordings up: on the clock both carry, or both
    from their starts, and why (`one_file`: both came from one file, a couple session's
    export, so each is named with its person)."""
    if result.aligned_on_clock:
        return phrase("import.aligned" if choices.start_s is None else "import.aligned_moved")
    if choices.start_s is not None:
        return phrase("import.from_given_start")
    without = [
        Path(r.path).name + (f" ({name})" if one_file else "")
        for name, r in recordings.items()
        if not has_wall_clock(r)
    ]
    why = (
        phrase("import.no_clock", files=", ".join(without))
        if without
        else phrase("import.clocks_apart")
    )
    return phrase("import.from_starts", why=why)
