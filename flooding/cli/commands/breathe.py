"""`flooding breathe`: a paced-breathing guide in the terminal."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from flooding.cli.commands._common import add_config_options, load_settings

TICK_S = 0.1  # how often the guide redraws: smooth to the eye, nearly free


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "breathe",
        help="a paced-breathing guide (about six slow breaths a minute)",
        description="Breathe with the bar: in while it fills, out while it empties. Ctrl-C stops.",
    )
    parser.add_argument("--minutes", type=float, default=5.0, help="how long to guide (default 5)")
    parser.add_argument(
        "--pace", type=float, metavar="BREATHS_PER_MINUTE", help="override pause.breaths_per_minute"
    )
    add_config_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.core.breathing import bar, phase_at
    from flooding.io.locale_files import load_catalogue

    settings = load_settings(args).settings
    pause = settings.pause
    say = load_catalogue(settings.language)
    pace = args.pace if args.pace is not None else pause.breaths_per_minute
    if not 3 <= pace <= 12 or args.minutes <= 0:
        print("flooding breathe: --pace must be 3 to 12 breaths a minute, --minutes above 0")
        return 2
    interactive = sys.stdout.isatty()
    print(say("breathe.intro", pace=f"{pace:g}"))
    start = time.monotonic()
    last_word = ""
    try:
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            phase = phase_at(elapsed, pace, pause.inhale_fraction)
            word = say("breath.in" if phase.inhaling else "breath.out")
            left = args.minutes * 60 - elapsed
            if interactive:
                sys.stdout.write(
                    f"\r  {word:<12} [{bar(phase)}]  {int(left) // 60}:{int(left) % 60:02d} "
                )
                sys.stdout.flush()
            elif word != last_word:
                print(say("breathe.phase", word=word, seconds=f"{phase.seconds_left:.0f}"))
            last_word = word
            time.sleep(TICK_S if interactive else min(phase.seconds_left, 1.0) + 0.01)
    except KeyboardInterrupt:
        pass
    print("\n" + say("breathe.done"))
    return 0
