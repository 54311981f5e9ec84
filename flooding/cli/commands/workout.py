"""`flooding workout on|off`: a high heart rate is expected (exercise), or not any more."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    data_dir_hint,
    program,
    screen_words,
)
from flooding.cli.commands._control import (
    EXIT_NOT_RUNNING,
    asking_the_monitor,
    monitor_folders,
    no_monitor_text,
    refusal,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "workout",
        help=say("help.workout"),
        description=say("help.workout.about"),
    )
    parser.add_argument("switch", choices=("on", "off"), help=say("help.workout.switch"))
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.io.control import ErrorReply, WorkoutRequest, send_command

    on = args.switch == "on"
    say = screen_words(args)
    reply = None
    with asking_the_monitor(say):
        for folder in monitor_folders(args):
            reply = send_command(WorkoutRequest(on=on), data_dir=folder)
            if reply is not None:
                break
    if reply is None:
        said = no_monitor_text(say(f"control.workout_{args.switch}"), args, say)
        raise CommandError(said, EXIT_NOT_RUNNING, named=False)
    if isinstance(reply, ErrorReply):
        raise CommandError(refusal(reply, say))
    when = say("workout.next_session" if reply.session_id is None else "workout.now")
    if on:
        command = f"{program()} workout off{data_dir_hint(args)}"
        print(say("workout.on", when=when, command=command))
    else:
        print(say("workout.off", when=when))
    return 0
