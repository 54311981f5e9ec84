"""`flooding pause [MINUTES]` and `flooding resume`: start or end a break by hand."""

from __future__ import annotations

import argparse
import math
import time
from typing import TYPE_CHECKING

from flooding.cli.commands._common import add_data_dir_option, add_lang_option, number, screen_words
from flooding.cli.commands._control import asking_the_monitor, monitor_answer, to_whom

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    pause = commands.add_parser(
        "pause",
        help=say("help.pause"),
        description=say("help.pause.about"),
    )
    pause.add_argument(
        "minutes",
        nargs="?",
        type=number,
        metavar="MINUTES",
        help=say("help.pause.minutes"),
    )
    add_data_dir_option(pause, say)
    add_lang_option(pause, say)
    pause.set_defaults(run=run_pause)
    resume = commands.add_parser(
        "resume", help=say("help.resume"), description=say("help.resume.about")
    )
    add_data_dir_option(resume, say)
    add_lang_option(resume, say)
    resume.set_defaults(run=run_resume)


def run_pause(args: argparse.Namespace) -> int:
    from flooding.core.pause import MINUTE_S, time_over
    from flooding.core.timefmt import day_clock, spoken_minutes
    from flooding.io.control import PauseRequest, send_command
    from flooding.io.control.protocol import build_request

    say = screen_words(args)
    with asking_the_monitor(say):
        request = build_request(PauseRequest, minutes=args.minutes)
    reply, also = monitor_answer(
        args,
        say,
        lambda folder: send_command(request, data_dir=folder),
        cannot=say("control.no_session_to_pause"),
        command="pause" if args.minutes is None else f"pause {args.minutes:g}",
    )
    left = spoken_minutes(math.ceil(reply.minutes_left), say)  # "1 minute" until it is over
    until = day_clock(reply.until_s, time.time(), say)
    if reply.already and time_over(reply.minutes_left * MINUTE_S):
        print(say("pause.already_checking"))
    else:
        said = "pause.already" if reply.already else to_whom("pause.started", reply.couple)
        print(say(said, minutes=left, until=until))
    if also is not None:
        print(also)
    return 0


def run_resume(args: argparse.Namespace) -> int:
    from flooding.io.control import ResumeRequest, send_command

    say = screen_words(args)
    reply, also = monitor_answer(
        args,
        say,
        lambda folder: send_command(ResumeRequest(), data_dir=folder),
        cannot=say("control.no_pause_to_end"),
        command="resume",
    )
    print(say(to_whom("resume.ended", reply.couple)))
    if also is not None:
        print(also)
    return 0
