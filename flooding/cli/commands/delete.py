"""`flooding delete`: remove a session with all its heart data."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    add_data_dir_option,
    data_dir,
    data_dir_hint,
    open_store,
    program,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "delete",
        help=say("help.delete"),
        description=say("help.delete.about"),
    )
    parser.add_argument("session", type=int, metavar="SESSION", help=say("help.delete.session"))
    parser.add_argument("--yes", action="store_true", help=say("help.delete.yes"))
    add_data_dir_option(parser, say)
    parser.set_defaults(run=run)


def _being_recorded(args: argparse.Namespace) -> str | None:
    """Why a session that has not ended cannot be deleted now (None: it can).

    The running monitor goes on writing the session it records; deleting it under it would
    break its next write. A session cut off by a crash is not the live one.
    """
    from flooding.io.control import ControlError, ErrorReply, StatusRequest, send_command

    try:
        reply = send_command(StatusRequest(), data_dir=data_dir(args))
    except ControlError as exc:
        return (
            f"session {args.session} has not ended and the running monitor did not answer "
            f"({exc}); stop the monitor first"
        )
    if reply is None or isinstance(reply, ErrorReply):
        return None
    if reply.status.session_id != args.session:
        return None
    return (
        f"session {args.session} is being recorded by the running monitor; stop the monitor "
        "first, then delete it"
    )


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import summarize_session
    from flooding.core.timefmt import duration, session_stamp

    store = open_store(args)
    try:
        summary = summarize_session(store, args.session)
        if summary is None:
            print(
                f"No session {args.session}. "
                f"`{program()} sessions{data_dir_hint(args)}` lists them."
            )
            return 1
        if summary.recording:
            refusal = _being_recorded(args)
            if refusal is not None:
                print(f"flooding delete: {refusal}; nothing deleted.", file=sys.stderr)
                return 1
        described = (
            f"session {summary.id} ({session_stamp(summary.started_s)}, "
            f"{duration(summary.duration_s)}, {summary.samples} readings, "
            f"{summary.episodes} flooding episode(s))"
        )
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    f"flooding delete: not asking without a terminal; nothing deleted. "
                    f"Add --yes to delete {described}."
                )
                return 2
            answer = input(f"Delete {described}? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return 1
        counts = store.delete_session(args.session)
    finally:
        store.close()
    print(
        f"Deleted session {args.session}: {counts.samples} heart-rate readings and "
        f"{counts.events} events (alerts, pauses, marks)."
    )
    return 0
