"""`flooding import`: a recording from another app becomes a stored session."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    add_config_options,
    add_data_dir_option,
    data_dir_hint,
    load_settings,
    open_store,
    program,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.readers.recording import Recording


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


def _couple_names(args: argparse.Namespace, settings: Any) -> list[str] | str:
    """The partners' names, or why they cannot be used."""
    from flooding.core.settings import profile_name_problem

    if args.as_names:
        names = list(args.as_names)
    elif len(settings.profiles) == 2:
        names = list(settings.profiles)
    else:
        names = ["A", "B"]
    if names[0] == names[1]:
        return f"the two partners need different names, not {names[0]!r} twice"
    for name in names:
        problem = profile_name_problem(name)
        if problem is not None:
            return problem
    return names


def _read_or_explain(path: Path, args: argparse.Namespace) -> Recording | None:
    """The heart data in `path` (one person's), or None after saying why it cannot be
    imported."""
    tracks = _tracks_or_explain(path, args)
    if tracks is None:
        return None
    if len(tracks) > 1:
        print(
            f"flooding import: {path} holds {len(tracks)} people's readings "
            f"({', '.join(tracks)}); give it alone, without --couple. Nothing was imported.",
            file=sys.stderr,
        )
        return None
    return next(iter(tracks.values()))


def _tracks_or_explain(path: Path, args: argparse.Namespace) -> dict[str, Recording] | None:
    """Each person's heart data in `path` ('' for a file of one), or None after saying why
    it cannot be imported."""
    from flooding.io.readers import ReaderError, read_tracks

    try:
        tracks = read_tracks(path, args.format, participant=args.participant)
    except ReaderError as exc:
        print(f"flooding import: {exc}\nNothing was imported.", file=sys.stderr)
        return None
    except OSError as exc:
        print(f"flooding import: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    if not all(len(recording) for recording in tracks.values()):
        print(f"flooding import: {path} holds no heart data. Nothing was imported.")
        return None
    return tracks


def _imported_before(args: argparse.Namespace, paths: list[Path]) -> str | None:
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
    names = " and ".join(p.name for p in paths)
    print(
        f"{names} {'is' if len(paths) == 1 else 'are'} already imported as session {earlier}; "
        f"nothing was added. Review it: {program()} review {earlier}"
        + data_dir_hint(args)
        + f"\nTo store {'it' if len(paths) == 1 else 'them'} once more anyway: add --again."
    )
    return None


def _run_couple(args: argparse.Namespace, settings: Any, start_s: float | None) -> int:
    if len(args.file) != 2:
        print("flooding import --couple: give two files, one per partner", file=sys.stderr)
        return 2
    names = _couple_names(args, settings)
    if isinstance(names, str):
        print(f"flooding import: {names}", file=sys.stderr)
        return 2
    recordings = {}
    for name, path in zip(names, args.file, strict=True):
        recording = _read_or_explain(path, args)
        if recording is None:
            return 1
        recordings[name] = recording
    return _store_couple(args, settings, start_s, recordings, list(args.file))


def _store_couple(
    args: argparse.Namespace,
    settings: Any,
    start_s: float | None,
    recordings: dict[str, Recording],
    paths: list[Path],
) -> int:
    """Import two people's recordings as one couple session and say what was stored."""
    from flooding.app.importing import has_wall_clock, import_couple
    from flooding.core.models import Mode
    from flooding.core.timefmt import local_stamp

    sha256 = _imported_before(args, paths)
    if sha256 is None:
        return 0
    names = list(recordings)
    store = open_store(args)
    try:
        result = import_couple(
            store,
            recordings,
            settings,
            start_s=start_s,
            mode=Mode(args.mode) if args.mode else None,
            file_sha256=sha256,
        )
    finally:
        store.close()
    if result.aligned_on_clock:
        how = "aligned on the clock times both files carry"
    elif start_s is not None:
        how = "both placed from their starts at --start"
    else:
        without = [
            Path(r.path).name + ("" if len(paths) > 1 else f" ({name})")
            for name, r in recordings.items()
            if not has_wall_clock(r)
        ]
        why = (
            f"{', '.join(without)} carries no clock time"
            if without
            else "their clock times do not overlap"
        )
        how = (
            f"both placed from their starts ({why}), so they line up only if both "
            "recordings began together; --start sets when"
        )
    a, b = names
    what = (
        f"{paths[0].name} as {a} and {paths[1].name} as {b}"
        if len(paths) == 2
        else f"{paths[0].name} ({a} and {b})"
    )
    print(
        f"Imported {what}: couple session "
        f"{result.session_id}, {local_stamp(result.start_s)}, {how}.\n"
        f"{a}: {result.samples[a]} heart readings, {result.episodes[a]} flooding episode(s); "
        f"{b}: {result.samples[b]} heart readings, {result.episodes[b]} flooding episode(s); "
        f"{result.alerts} alert(s) for both.\n"
        f"Review it: {program()} review {result.session_id}{data_dir_hint(args)}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from flooding.app.importing import import_recording
    from flooding.core.models import Mode
    from flooding.core.timefmt import local_stamp
    from flooding.io.readers import formats

    settings = load_settings(args).settings
    if args.format is not None and args.format not in formats():
        print(
            f"flooding import: unknown format {args.format!r}; choose one of: "
            + ", ".join(formats()),
            file=sys.stderr,
        )
        return 2
    start_s = None
    if args.start:
        try:
            start_s = datetime.fromisoformat(args.start).astimezone().timestamp()
        except ValueError:
            print(
                f"flooding import: --start {args.start!r} is not a date and time like "
                "2026-11-20T20:05",
                file=sys.stderr,
            )
            return 2
    if args.couple:
        return _run_couple(args, settings, start_s)
    if len(args.file) != 1 or args.as_names:
        print(
            "flooding import: one file at a time (two files, one per partner: --couple)",
            file=sys.stderr,
        )
        return 2
    args.file = args.file[0]
    tracks = _tracks_or_explain(args.file, args)
    if tracks is None:
        return 1
    if len(tracks) == 2:  # a couple session's export comes back as a couple session
        return _store_couple(args, settings, start_s, tracks, [args.file])
    if len(tracks) > 2:
        print(
            f"flooding import: {args.file} holds {len(tracks)} people's readings "
            f"({', '.join(tracks)}); a session holds one or two. Nothing was imported.",
            file=sys.stderr,
        )
        return 1
    recording = next(iter(tracks.values()))
    sha256 = _imported_before(args, [args.file])
    if sha256 is None:
        return 0
    store = open_store(args)
    try:
        result = import_recording(
            store,
            recording,
            settings,
            mode=Mode(args.mode) if args.mode else None,
            start_s=start_s,
            file_sha256=sha256,
        )
    finally:
        store.close()
    print(
        f"Imported {args.file.name} ({recording.source_format}) as session {result.session_id}: "
        f"{local_stamp(result.start_s)}, {result.samples} samples, {result.episodes} flooding "
        f"episode(s), {result.alerts} alert(s).\n"
        f"Review it: {program()} review {result.session_id}{data_dir_hint(args)}"
    )
    return 0
