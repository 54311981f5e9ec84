"""`flooding workout on|off`: a high heart rate is expected (exercise), or not any more."""

from __future__ import annotations

import argparse
import sys

from flooding.cli.commands._common import add_data_dir_option, data_dir_hint, program
from flooding.cli.commands._control import (
    EXIT_NOT_RUNNING,
    asking_the_monitor,
    monitor_folders,
    no_monitor_text,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "workout",
        help="workout on: no flooding alerts while you exercise; off: back to talk mode",
        description=(
            "Tells the running monitor you are exercising (on) or done (off). Workout mode "
            "lasts until `workout off` or until the session ends (you take the strap off); "
            "turned on while no session runs, it applies to the next one."
        ),
    )
    parser.add_argument("switch", choices=("on", "off"), help="on or off")
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.io.control import ErrorReply, WorkoutRequest, send_command

    on = args.switch == "on"
    reply = None
    with asking_the_monitor():
        for folder in monitor_folders(args):
            reply = send_command(WorkoutRequest(on=on), data_dir=folder)
            if reply is not None:
                break
    if reply is None:
        print(
            no_monitor_text(f"workout mode cannot be turned {args.switch}", args),
            file=sys.stderr,
        )
        return EXIT_NOT_RUNNING
    if isinstance(reply, ErrorReply):
        print(f"flooding workout: {reply.error}", file=sys.stderr)
        return 1
    when = "for the next session" if reply.session_id is None else "now"
    if on:
        print(
            f"Workout mode {when}: no flooding alerts. "
            f"`{program()} workout off{data_dir_hint(args)}` when you are done."
        )
    else:
        print(f"Talk mode {when}: flooding alerts are on.")
    return 0
