"""`flooding import`: a recording from another app becomes a stored session."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_data_dir_option,
    data_dir_hint,
    load_settings,
    open_store,
    pace_said,
    program,
    words_for_errors,
)
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.readers.recording import Recording
    from flooding.io.store import Store


def register(commands: Any, say: Catalogue) -> None:
    parser = commands.add_parser(
        "import",
        help=say("help.import"),
        description=say("help.import.about"),
    )
    parser.add_argument("file", type=Path, nargs="+", metavar="FILE", help=say("help.import.file"))
    parser.add_argument(
        "--couple",
        action="store_true",
        help=say("help.import.couple"),
    )
    parser.add_argument(
        "--as",
        dest="as_names",
        nargs=2,
        metavar=("NAME1", "NAME2"),
        help=say("help.import.as"),
    )
    parser.add_argument("--format", metavar="F", help=say("help.import.format"))
    parser.add_argument(
        "--again",
        action="store_true",
        help=say("help.import.again"),
    )
    parser.add_argument("--participant", type=int, help=say("help.import.participant"))
    parser.add_argument("--mode", choices=("talk", "workout"), help=say("help.import.mode"))
    parser.add_argument(
        "--start",
        metavar="ISO_TIME",
        help=say("help.import.start"),
    )
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def _couple_names(args: argparse.Namespace, settings: Any, say: Catalogue) -> list[str] | str:
    """The partners' names, or why they cannot be used."""
    if args.as_names:
        names = list(args.as_names)
    elif len(settings.profiles) == 2:
        names = list(settings.profiles)
    else:
        names = ["A", "B"]
    if names[0] == names[1]:
        return say("import.same_names", name=repr(names[0]))
    problem = _name_problem(names, say)
    return names if problem is None else problem


def _name_problem(names: Iterable[str], say: Catalogue) -> str | None:
    """Why the first of `names` that cannot name a partner (as a profile's name must) cannot,
    or None when all can."""
    from flooding.core.settings import profile_name_problem

    for name in names:
        problem = profile_name_problem(name)
        if problem is not None:
            return say(problem.key, **problem.values)
    return None


def _one_person(path: Path, args: argparse.Namespace, say: Catalogue) -> Recording:
    """The heart data in `path` (one person's), or a CommandError saying why it cannot be
    imported."""
    tracks = _tracks(path, args, say)
    if len(tracks) > 1:
        names = ", ".join(tracks)
        raise CommandError(say("import.several_people", path=path, count=len(tracks), names=names))
    return next(iter(tracks.values()))


def _tracks(path: Path, args: argparse.Namespace, say: Catalogue) -> dict[str, Recording]:
    """Each person's heart data in `path` ('' for a file of one), or a CommandError saying
    why it cannot be imported."""
    from flooding.io.readers import ReaderError, read_tracks

    try:
        tracks = read_tracks(path, args.format, participant=args.participant)
    except ReaderError as exc:
        raise CommandError(say("import.not_imported", problem=exc.said(say))) from None
    except OSError as exc:
        said = say("import.cannot_read", path=path, error=exc.strerror or exc)
        raise CommandError(said) from None
    if not all(len(recording) for recording in tracks.values()):
        raise CommandError(say("import.no_heart_data", path=path))
    return tracks


def _imported_before(args: argparse.Namespace, paths: list[Path], say: Catalogue) -> str | None:
    """The files' content hash, or None after saying they were imported before (unless
    --again)."""
    from flooding.io.files import content_sha256

    sha256 = content_sha256(paths)
    if args.again:
        return sha256
    store = open_store(args)
    try:
        earlier = store.imported_as(sha256)
    finally:
        store.close()
    if earlier is None:
        return sha256
    review = f"{program()} review {earlier}{data_dir_hint(args)}"
    if len(paths) == 1:
        print(say("import.already.one", file=paths[0].name, id=earlier, command=review))
    else:
        first, second = (p.name for p in paths)
        print(say("import.already.two", first=first, second=second, id=earlier, command=review))
    return None


@contextmanager
def _storing(args: argparse.Namespace, say: Catalogue) -> Iterator[Store]:
    """The store an import writes to, closed at the end; a CommandError naming what stopped
    the writing (busy, a full disk...) and that nothing was imported (an import is all or
    nothing)."""
    from flooding.io.store import StoreError

    store = open_store(args)
    try:
        yield store
    except StoreError as exc:
        raise CommandError(say("import.not_imported", problem=exc.said(say))) from None
    finally:
        store.close()


def _run_couple(
    args: argparse.Namespace, settings: Any, start_s: float | None, say: Catalogue
) -> int:
    if len(args.file) != 2:
        raise CommandError(say("import.couple_two_files"), 2, command="import --couple")
    names = _couple_names(args, settings, say)
    if isinstance(names, str):
        raise CommandError(names, 2)
    recordings = {
        name: _one_person(path, args, say) for name, path in zip(names, args.file, strict=True)
    }
    return _store_couple(args, settings, start_s, recordings, list(args.file), say)


def _store_couple(
    args: argparse.Namespace,
    settings: Any,
    start_s: float | None,
    recordings: dict[str, Recording],
    paths: list[Path],
    say: Catalogue,
) -> int:
    """Import two people's recordings as one couple session and say what was stored."""
    from flooding.app.importing import has_wall_clock, import_couple
    from flooding.core.models import Mode
    from flooding.core.timefmt import local_stamp

    sha256 = _imported_before(args, paths, say)
    if sha256 is None:
        return 0
    names = list(recordings)
    with _storing(args, say) as store:
        result = import_couple(
            store,
            recordings,
            settings,
            start_s=start_s,
            mode=Mode(args.mode) if args.mode else None,
            file_sha256=sha256,
        )
    if result.aligned_on_clock:
        how = say("import.aligned" if start_s is None else "import.aligned_moved")
    elif start_s is not None:
        how = say("import.from_given_start")
    else:
        without = [
            Path(r.path).name + ("" if len(paths) > 1 else f" ({name})")
            for name, r in recordings.items()
            if not has_wall_clock(r)
        ]
        why = (
            say("import.no_clock", files=", ".join(without))
            if without
            else say("import.clocks_apart")
        )
        how = say("import.from_starts", why=why)
    a, b = names
    what = (
        say("import.two_files_as", first=paths[0].name, a=a, second=paths[1].name, b=b)
        if len(paths) == 2
        else say("import.one_file_as", file=paths[0].name, a=a, b=b)
    )
    print(
        say(
            "import.couple_done",
            what=what,
            id=result.session_id,
            started=local_stamp(result.start_s),
            how=how,
            a=a,
            a_samples=result.samples[a],
            a_episodes=counted("count.episodes", result.episodes[a]),
            b=b,
            b_samples=result.samples[b],
            b_episodes=counted("count.episodes", result.episodes[b]),
            alerts=counted("count.alerts", result.alerts),
            command=f"{program()} review {result.session_id}{data_dir_hint(args)}",
        )
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Import the file(s); stopped with Ctrl-C, says that nothing was imported (an import
    is all or nothing)."""
    try:
        return _import(args)
    except KeyboardInterrupt:
        print(words_for_errors(args)("import.stopped"), file=sys.stderr)
        return 130


def _import(args: argparse.Namespace) -> int:
    from flooding.app.importing import import_recording
    from flooding.core.models import Mode
    from flooding.core.timefmt import local_stamp
    from flooding.io.locale_files import load_catalogue
    from flooding.io.readers import UNIX_MAX_S, formats

    settings = load_settings(args).settings
    say = load_catalogue(settings.language)
    if args.format is not None and args.format not in formats():
        known = ", ".join(formats())
        raise CommandError(say("import.unknown_format", format=repr(args.format), known=known), 2)
    start_s = None
    if args.start:
        try:
            start_s = datetime.fromisoformat(args.start).astimezone().timestamp()
        except (ValueError, OverflowError, OSError):  # not a date, or one the clock cannot hold
            raise CommandError(say("import.bad_start", start=repr(args.start)), 2) from None
        if not 0 <= start_s < UNIX_MAX_S:  # as the readers refuse such times in a file
            raise CommandError(say("import.start_out_of_range", start=repr(args.start)), 2)
    if args.couple:
        return _run_couple(args, settings, start_s, say)
    if len(args.file) != 1 or args.as_names:
        raise CommandError(say("import.one_at_a_time"), 2)
    args.file = args.file[0]
    tracks = _tracks(args.file, args, say)
    if len(tracks) == 2:  # a couple session's export comes back as a couple session
        problem = _name_problem(tracks, say)  # named in the file
        if problem is not None:
            raise CommandError(say("import.person_named", path=args.file, problem=problem))
        return _store_couple(args, settings, start_s, tracks, [args.file], say)
    if len(tracks) > 2:
        names = ", ".join(tracks)
        said = say("import.too_many_people", path=args.file, count=len(tracks), names=names)
        raise CommandError(said)
    recording = next(iter(tracks.values()))
    sha256 = _imported_before(args, [args.file], say)
    if sha256 is None:
        return 0
    with _storing(args, say) as store:
        result = import_recording(
            store,
            recording,
            settings,
            mode=Mode(args.mode) if args.mode else None,
            start_s=start_s,
            file_sha256=sha256,
        )
    print(
        say(
            "import.done",
            file=args.file.name,
            format=recording.source_format,
            id=result.session_id,
            started=local_stamp(result.start_s),
            samples=result.samples,
            episodes=counted("count.episodes", result.episodes),
            alerts=counted("count.alerts", result.alerts),
            command=f"{program()} review {result.session_id}{data_dir_hint(args)}",
        )
    )
    pace = pace_said(say, result.replayed.step_s, result.replayed.gap_s)
    if pace is not None:
        print(pace)
    return 0
