"""`flooding workout on|off`: a high heart rate is expected (exercise), or not any more."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    add_data_dir_option,
    add_lang_option,
    data_dir_hint,
    program,
    screen_words,
)
from flooding.cli.commands._control import monitor_answer, to_whom

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "workout",
        help=say("help.workout"),
        description=say("help.workout.about"),
    )
    parser.add_argument(
        "switch", choices=("on", "off"), metavar="on|off", help=say("help.workout.switch")
    )
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.io.control import WorkoutRequest, send_command

    on = args.switch == "on"
    say = screen_words(args)
    reply, also = monitor_answer(
        args,
        say,
        lambda folder: send_command(WorkoutRequest(on=on), data_dir=folder),
        cannot=say(f"control.workout_{args.switch}"),
        command=f"workout {args.switch}",
    )
    when = say("workout.next_session" if reply.session_id is None else "workout.now")
    if on:
        command = f"{program()} workout off{data_dir_hint(args)}"
        print(say(to_whom("workout.on", reply.couple), when=when, command=command))
    else:
        print(say("workout.off", when=when))
    if also is not None:
        print(also)
    return 0
