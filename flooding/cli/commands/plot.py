"""`flooding plot`: a picture of a session (PNG), or a one-file report (HTML)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flooding.cli.commands._common import (
    add_data_dir_option,
    add_session_argument,
    chosen_session,
    open_store,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "plot",
        help="draw a session: heart rate, baseline, threshold, flooding, pauses",
        description=(
            "Draws a session's heart rate (in couple mode: both hearts on one time axis) over "
            "the time of day, with your calm baseline, the "
            "flooding threshold, the flooded stretches, pauses, alerts and ready-to-return. "
            "With --html, writes one web page with the picture and the table of episodes, "
            "easy to open or to share with a therapist."
        ),
    )
    add_session_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write (default: flooding-session-ID.png or .html here)",
    )
    parser.add_argument("--html", action="store_true", help="write an HTML report with the plot")
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.app.report import session_png
    from flooding.io.files import write_private

    store = open_store(args)
    try:
        session_id = chosen_session(store, args.session)
        content = session_png(store, session_id, as_html=args.html)
    finally:
        store.close()
    assert content is not None  # chosen_session made sure the session exists
    suffix = ".html" if args.html else ".png"
    target: Path = args.output or Path(f"flooding-session-{session_id}{suffix}")
    try:
        write_private(target, content)
    except OSError as exc:
        print(f"flooding plot: cannot write {target}: {exc.strerror or exc}")
        return 1
    print(f"Wrote {target} (session {session_id}; readable by you only).")
    return 0
