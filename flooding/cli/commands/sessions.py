"""`flooding sessions`: one line per recorded session."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    NothingRecorded,
    add_config_options,
    add_data_dir_option,
    data_dir,
    open_store,
    screen_words,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue

STRAP_WIDTH = 16  # a strap's or file's name is cut here (the full name is in review)
LEAST_WIDTHS = (4, 16, 9, 16, 8, 8, 6, 12, 0)  # columns as wide as ever; wider when a cell is
NOTE_WIDTH = 60  # a note is shown on one line of at most this many characters (review: whole)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser("sessions", help=say("help.sessions"))
    parser.add_argument("--json", action="store_true", help=say("help.sessions.json"))
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import SessionSummary, ending_note, summarize_sessions
    from flooding.core.shown_text import shown_cell
    from flooding.core.timefmt import duration, iso_local, table_stamp

    say = screen_words(args)
    summaries: list[SessionSummary] = []
    try:
        store = open_store(args, read_only=True)
    except NothingRecorded:
        pass
    else:
        try:
            summaries = summarize_sessions(store)
        finally:
            store.close()
    if args.json:
        listed = []
        for s in summaries:
            row = s.as_dict()
            row["started"] = iso_local(s.started_s)
            listed.append(row)
        print(json.dumps(listed, indent=2))
        return 0
    if not summaries:
        print(say("sessions.none", folder=data_dir(args)))
        return 0
    keys = ("id", "started", "length", "strap", "episodes", "peak", "pauses", "false_alarms")
    headers = tuple(say(f"sessions.{key}") for key in (*keys, "note"))
    right = (True, False, True, False, True, True, True, True, False)  # numbers to the right
    rows = []
    for s in summaries:
        peak = "-" if s.peak_bpm is None else f"{s.peak_bpm:.0f}"
        rows.append(
            (
                str(s.id),
                table_stamp(s.started_s, say),
                duration(s.duration_s),
                shown_cell(s.strap or s.source, len(s.strap or s.source))[:STRAP_WIDTH],
                str(s.episodes),
                peak,
                str(s.pauses),
                str(s.false_alarms),
                # one line, whatever was typed: the table stays a table
                shown_cell(f"{s.note}{ending_note(s, say)}".strip(), NOTE_WIDTH),
            )
        )
    widths = [
        max(least, *(len(cell) for cell in column))
        for least, column in zip(LEAST_WIDTHS, zip(headers, *rows, strict=True), strict=True)
    ]
    lines = [
        "  ".join(
            cell.rjust(width) if flush else cell.ljust(width)
            for cell, width, flush in zip(row, widths, right, strict=True)
        ).rstrip()
        for row in (headers, *rows)
    ]
    print("\n".join(lines))
    return 0
