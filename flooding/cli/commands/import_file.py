"""`flooding import`: a recording from another app becomes a stored session."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    whole_number,
    words_for_errors,
)
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.app.import_files import Choices
    from flooding.app.importing import Progress
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
    parser.add_argument("--participant", type=whole_number, help=say("help.import.participant"))
    parser.add_argument("--mode", choices=("talk", "workout"), help=say("help.import.mode"))
    parser.add_argument(
        "--start",
        metavar="ISO_TIME",
        help=say("help.import.start"),
    )
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    parser.set_defaults(run=run)


@contextmanager
def _refusals(say: Catalogue) -> Iterator[None]:
    """A file that cannot be imported (`ImportRefused`) as a CommandError in the person's
    language."""
    from flooding.app.import_files import ImportRefused

    try:
        yield
    except ImportRefused as exc:
        raise CommandError(exc.said(say)) from None


def _choices(args: argparse.Namespace, start_s: float | None) -> Choices:
    """The options given, as the import takes them."""
    from flooding.app.import_files import Choices
    from flooding.core.models import Mode

    mode = Mode(args.mode) if args.mode else None
    return Choices(format=args.format, participant=args.participant, mode=mode, start_s=start_s)


def _imported_before(args: argparse.Namespace, paths: list[Path], say: Catalogue) -> str | None:
    """The files' content hash, or None after saying they were imported before (unless
    --again)."""
    from flooding.app.import_files import imported_before

    store = open_store(args)
    try:
        sha256, earlier = imported_before(store, paths)
    finally:
        store.close()
    if earlier is None or args.again:
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


PROGRESS_STEP = 10  # a terminal's progress line is written again each 10 % of the import


@contextmanager
def _progress_line(say: Catalogue) -> Iterator[Progress | None]:
    """How far the import has come (the words of the app's Import page), on one line of a
    terminal's error stream, ended when the import ends; None when that stream is no terminal
    (a pipe or a log keeps only what is said at the end)."""
    if not sys.stderr.isatty():
        yield None
        return
    shown = [-1]

    def tell(done: int, total: int) -> None:
        step = done * 100 // max(total, 1) // PROGRESS_STEP * PROGRESS_STEP
        if step > shown[0]:
            shown[0] = step
            print("\r" + say("import.progress", percent=step), end="", file=sys.stderr, flush=True)

    try:
        yield tell
    finally:
        if shown[0] >= 0:
            print(file=sys.stderr, flush=True)


def _run_couple(
    args: argparse.Namespace, settings: Any, start_s: float | None, say: Catalogue
) -> int:
    from flooding.app.import_files import ImportRefused, couple_names, couple_recordings

    if len(args.file) != 2:
        raise CommandError(say("import.couple_two_files"), 2, command="import --couple")
    try:
        names = couple_names(args.as_names, settings)
    except ImportRefused as exc:
        raise CommandError(exc.said(say), 2) from None
    with _refusals(say):
        recordings = couple_recordings(args.file, names, _choices(args, start_s))
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
    from flooding.app.import_files import lined_up, store_recordings
    from flooding.app.importing import CoupleImportResult
    from flooding.core.timefmt import session_stamp

    sha256 = _imported_before(args, paths, say)
    if sha256 is None:
        return 0
    names = list(recordings)
    choices = _choices(args, start_s)
    with _storing(args, say) as store, _progress_line(say) as progress:
        result = store_recordings(store, recordings, settings, choices, sha256, progress)
    assert isinstance(result, CoupleImportResult)
    how = lined_up(result, recordings, choices, one_file=len(paths) == 1)
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
            started=session_stamp(result.start_s, say),
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
    from flooding.app.import_files import ImportRefused, recordings_of, start_time, store_recordings
    from flooding.app.importing import ImportResult
    from flooding.core.timefmt import session_stamp
    from flooding.io.locale_files import load_catalogue
    from flooding.io.readers import formats

    settings = load_settings(args).settings
    say = load_catalogue(settings.language)
    if args.format is not None and args.format not in formats():
        known = ", ".join(formats())
        raise CommandError(say("import.unknown_format", format=repr(args.format), known=known), 2)
    start_s = None
    if args.start:
        try:
            start_s = start_time(args.start)
        except ImportRefused as exc:
            raise CommandError(exc.said(say), 2) from None
    if args.couple:
        return _run_couple(args, settings, start_s, say)
    if len(args.file) != 1 or args.as_names:
        raise CommandError(say("import.one_at_a_time"), 2)
    args.file = args.file[0]
    choices = _choices(args, start_s)
    with _refusals(say):
        tracks = recordings_of([args.file], choices)
    if len(tracks) == 2:  # a couple session's export comes back as a couple session
        return _store_couple(args, settings, start_s, tracks, [args.file], say)
    (recording,) = tracks.values()
    sha256 = _imported_before(args, [args.file], say)
    if sha256 is None:
        return 0
    with _storing(args, say) as store, _progress_line(say) as progress:
        result = store_recordings(store, tracks, settings, choices, sha256, progress)
    assert isinstance(result, ImportResult)
    print(
        say(
            "import.done",
            file=args.file.name,
            format=recording.source_format,
            id=result.session_id,
            started=session_stamp(result.start_s, say),
            samples=counted("count.readings", result.samples),
            episodes=counted("count.episodes", result.episodes),
            alerts=counted("count.alerts", result.alerts),
            command=f"{program()} review {result.session_id}{data_dir_hint(args)}",
        )
    )
    pace = pace_said(say, result.replayed.step_s, result.replayed.gap_s)
    if pace is not None:
        print(pace)
    return 0
