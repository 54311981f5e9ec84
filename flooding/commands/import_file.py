"""`flooding import`: a recording from another app becomes a stored session."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from flooding.commands._common import (
    add_config_options,
    add_data_dir_option,
    load_settings,
    open_store,
    program,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="store a recording from another app as a session (the detector runs over it)",
        description=(
            "Reads Polar HRM (.hrm), plain RR lists (ms or s), Polar Sensor Logger HR/PPI "
            "exports, Stress-Predict CSV and generic CSV (a time column and hr_bpm and/or "
            "rr_ms/rr_s), runs the detector over it and stores it like a live session."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--format", metavar="F", help="the file's format (default: sniffed)")
    parser.add_argument("--participant", type=int, help="Stress-Predict: which participant")
    parser.add_argument("--mode", choices=("talk", "workout"), help="the mode to detect in")
    parser.add_argument(
        "--start",
        metavar="ISO_TIME",
        help="when the recording began, e.g. 2026-11-20T20:05 (for files without times)",
    )
    add_data_dir_option(parser)
    add_config_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.importing import import_recording
    from flooding.models import Mode
    from flooding.readers import ReaderError, formats, read
    from flooding.timefmt import local_stamp

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
    try:
        recording = read(args.file, args.format, participant=args.participant)
    except ReaderError as exc:
        print(f"flooding import: {exc}\nNothing was imported.", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"flooding import: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if not recording.samples:
        print(f"flooding import: {args.file} holds no heart data. Nothing was imported.")
        return 1
    store = open_store(args)
    try:
        result = import_recording(
            store,
            recording,
            settings,
            mode=Mode(args.mode) if args.mode else None,
            start_s=start_s,
        )
    finally:
        store.close()
    print(
        f"Imported {args.file.name} ({recording.source_format}) as session {result.session_id}: "
        f"{local_stamp(result.start_s)}, {result.samples} samples, {result.episodes} flooding "
        f"episode(s), {result.alerts} alert(s).\n"
        f"Review it: {program()} review {result.session_id}"
    )
    return 0
