"""`flooding sessions`: one line per recorded session."""

from __future__ import annotations

import argparse
import json

from flooding.cli.commands._common import (
    add_config_options,
    add_data_dir_option,
    data_dir,
    open_store,
    screen_words,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("sessions", help="list recorded sessions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_data_dir_option(parser)
    add_config_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import ending_note, summarize_sessions
    from flooding.core.timefmt import duration, iso_local
    from flooding.core.timefmt import session_stamp as local_stamp

    say = screen_words(args)

    store = open_store(args, read_only=True)
    try:
        summaries = summarize_sessions(store)
    finally:
        store.close()
    if args.json:
        rows = []
        for s in summaries:
            row = s.as_dict()
            row["started"] = iso_local(s.started_s)
            rows.append(row)
        print(json.dumps(rows, indent=2))
        return 0
    if not summaries:
        print(say("sessions.none", folder=data_dir(args)))
        return 0
    lines = [
        f"{say('sessions.id'):>4}  {say('sessions.started'):16}  {say('sessions.length'):>9}  "
        f"{say('sessions.strap'):16}  {say('sessions.episodes'):>8}  {say('sessions.peak'):>8}  "
        f"{say('sessions.pauses'):>6}  {say('sessions.false_alarms'):>12}  {say('sessions.note')}"
    ]
    for s in summaries:
        peak = "-" if s.peak_bpm is None else f"{s.peak_bpm:.0f}"
        note = f"{s.note}{ending_note(s, say)}".strip()
        lines.append(
            f"{s.id:>4}  {local_stamp(s.started_s):16}  {duration(s.duration_s):>9}  "
            f"{(s.strap or s.source)[:16]:16}  {s.episodes:>8}  {peak:>8}  {s.pauses:>6}  "
            f"{s.false_alarms:>12}  {note}".rstrip()
        )
    print("\n".join(lines))
    return 0
