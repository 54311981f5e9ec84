"""`flooding export`: a session as CSV (the generic heart-rate format) or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_session_argument,
    chosen_session,
    open_store,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "export",
        help="write a session as CSV or JSON",
        description=(
            "CSV: one row per reading, columns time_unix_s,hr_bpm,rr_ms,contact (the generic "
            "format `flooding import` reads). JSON: the session, readings, episodes and events "
            "in one file (`flooding import` reads its readings back too). "
            "--episodes FILE also writes the table of flooding episodes as CSV."
        ),
    )
    add_session_argument(parser)
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of the screen"
    )
    parser.add_argument(
        "--episodes",
        type=Path,
        metavar="FILE",
        help="also write the flooding episodes (start, end, peak, rule, recovery) as CSV here",
    )
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def _print(text: str) -> bool:
    """Write the export to the screen (or wherever stdout goes); False, said plainly, if that
    fails (a full disk, a closed pipe is left to `main`)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        # what could not be written must not be tried again at exit (a second traceback)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(
            f"flooding export: cannot write the export to the output: {exc.strerror or exc}. "
            "The export is incomplete; free some space or write it to a file with -o FILE.",
            file=sys.stderr,
        )
        return False
    return True


def run(args: argparse.Namespace) -> int:
    from flooding.app.export import episodes_csv, samples_csv, session_json
    from flooding.io.files import write_private

    if args.episodes is not None and args.episodes == args.output:
        raise CommandError("--episodes and -o name the same file; give the episodes their own.")
    store = open_store(args, read_only=True)
    try:
        session_id = chosen_session(store, args.session)
        people = [p.person for p in store.people(session_id)]
        if people:
            # the formats hold one heart; mixing two partners' readings would be wrong data
            raise CommandError(
                f"session {session_id} holds two hearts ({', '.join(people)}); "
                "exporting a couple session is not supported yet. `flooding review "
                f"{session_id} --json` and `flooding plot {session_id}` show both."
            )
        if args.format == "json":
            main = json.dumps(session_json(store, session_id), indent=1) + "\n"
        else:
            main = samples_csv(store, session_id)
        table = episodes_csv(store, session_id) if args.episodes is not None else None
    finally:
        store.close()
    files: list[tuple[Path, str]] = []
    if args.output is not None:
        files.append((args.output, main))
    if args.episodes is not None and table is not None:
        files.append((args.episodes, table))
    if args.output is None and not _print(main):
        return 1
    if not files:
        return 0
    written = []
    for path, text in files:
        try:
            write_private(path, text.encode("utf-8"))
        except OSError as exc:
            print(f"flooding export: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        written.append(str(path))
    print(
        f"Wrote {' and '.join(written)} (session {session_id}; readable by you only).",
        file=sys.stdout if args.output is not None else sys.stderr,  # stdout holds the export
    )
    return 0
