"""`flooding export`: a session as CSV (the generic heart-rate format) or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    add_session_argument,
    chosen_session,
    open_store,
    screen_words,
)
from flooding.core.os_errors import os_problem

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "export",
        help=say("help.export"),
        description=say("help.export.about"),
    )
    add_session_argument(parser, say)
    parser.add_argument(
        "--format", choices=("csv", "json"), default="csv", help=say("help.export.format")
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help=say("help.export.output"),
    )
    parser.add_argument(
        "--episodes",
        type=Path,
        metavar="FILE",
        help=say("help.export.episodes"),
    )
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def _print(text: str, say: Catalogue) -> None:
    """Write the export to the screen (or wherever stdout goes); a CommandError, said plainly,
    if that fails (a full disk; a closed pipe is left to `main`)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        # what could not be written must not be tried again at exit (a second traceback)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise CommandError(say("export.output_failed", error=os_problem(exc))) from None


def default_name(session_id: int, started_s: float | None, form: str) -> Path:
    """A file in the current folder named after the session, e.g.
    flooding-session-12-2026-11-20.csv; -2, -3... added rather than replacing a file."""
    from flooding.core.timefmt import is_wall_clock, local_stamp

    day = f"-{local_stamp(started_s)[:10]}" if started_s and is_wall_clock(started_s) else ""
    stem = f"flooding-session-{session_id}{day}"
    path = Path(f"{stem}.{form}")
    number = 2
    while path.exists() or path.is_symlink():
        path = Path(f"{stem}-{number}.{form}")
        number += 1
    return path


def run(args: argparse.Namespace) -> int:
    from flooding.app.export import CoupleEpisodesError, episodes_csv, samples_csv, session_json
    from flooding.io.files import write_private

    say = screen_words(args)
    if args.episodes is not None and args.episodes == args.output:
        raise CommandError(say("export.same_file"))
    store = open_store(args, read_only=True)
    try:
        session_id = chosen_session(store, args.session, say)
        try:  # before anything is written: a couple's episodes are refused
            table = episodes_csv(store, session_id) if args.episodes is not None else None
        except CoupleEpisodesError as exc:
            raise CommandError(exc.said(say)) from None
        if args.output is None and sys.stdout.isatty():
            # pages of numbers on a terminal help nobody: a file named after the session
            row = store.session(session_id)
            args.output = default_name(session_id, row.started_s if row else None, args.format)
        elif args.output == Path("-"):
            args.output = None
        if args.format == "json":
            main = json.dumps(session_json(store, session_id), indent=1) + "\n"
        else:
            main = samples_csv(store, session_id)
    finally:
        store.close()
    files: list[tuple[Path, str]] = []
    if args.output is not None:
        files.append((args.output, main))
    if args.episodes is not None and table is not None:
        files.append((args.episodes, table))
    if args.output is None:
        _print(main, say)
    if not files:
        return 0
    written = []
    for path, text in files:
        try:
            write_private(path, text.encode("utf-8"))
        except OSError as exc:
            said = say("export.cannot_write", path=path, error=os_problem(exc))
            raise CommandError(said) from None
        written.append(str(path))
    where = [os.path.abspath(w) for w in written]  # say where, whatever the folder
    wrote = (
        say("export.wrote", path=where[0], id=session_id)
        if len(where) == 1
        else say("export.wrote_two", first=where[0], second=where[1], id=session_id)
    )
    # stdout holds the export when it is not written to a file
    print(wrote, file=sys.stdout if args.output is not None else sys.stderr)
    return 0
