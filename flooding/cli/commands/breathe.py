"""`flooding breathe`: a paced-breathing guide in the terminal."""

from __future__ import annotations

import argparse
import shutil
import sys
import textwrap
import time
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import CommandError, add_config_options, load_settings, number

if TYPE_CHECKING:
    from flooding.core.breathing import BreathPhase
    from flooding.core.catalogue import Catalogue

TICK_S = 0.1  # how often the guide redraws: smooth to the eye, nearly free
BAR_CHARS = 30  # the bar's width when the terminal has room
MIN_BAR_CHARS = 6  # narrower than this a bar shows nothing: leave it out
MIN_WRAP_CHARS = 20  # wrap no narrower, even in a tinier window
MAX_MINUTES = 240.0  # a guide longer than four hours is a typing slip (or inf), not a wish


def register(commands: Any, say: Catalogue) -> None:
    parser = commands.add_parser(
        "breathe",
        help=say("help.breathe"),
        description=say("help.breathe.about"),
    )
    parser.add_argument("--minutes", type=number, default=5.0, help=say("help.breathe.minutes"))
    parser.add_argument(
        "--pace", type=number, metavar="BREATHS_PER_MINUTE", help=say("help.breathe.pace")
    )
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def guide_line(word: str, phase: BreathPhase, left_s: float, columns: int) -> str:
    """One redraw of the guide, never wider than `columns - 1` (a full-width line makes the
    terminal wrap, and the next redraw then stacks below it): the bar shrinks to fit, then
    goes, then the time left goes; the word is cut last."""
    from flooding.core.breathing import bar
    from flooding.core.timefmt import countdown

    room = max(1, columns - 1)
    clock = countdown(int(left_s))
    head = f"  {word:<12}"
    bar_room = room - len(head) - len(f" []  {clock} ")
    if bar_room >= MIN_BAR_CHARS:
        line = f"{head} [{bar(phase, min(BAR_CHARS, bar_room))}]  {clock} "
    elif len(head) + len(clock) + 2 <= room:
        line = f"{head}  {clock} "
    else:
        line = f"  {word}"
    return line[:room].ljust(room)


def wrapped(text: str, columns: int) -> str:
    """`text` wrapped at word boundaries to fit `columns` (never a word split by the
    terminal)."""
    return textwrap.fill(text, width=max(MIN_WRAP_CHARS, columns - 1), break_long_words=False)


def run(args: argparse.Namespace) -> int:
    from flooding.core.breathing import phase_at
    from flooding.io.locale_files import load_catalogue

    settings = load_settings(args).settings
    pause = settings.pause
    say = load_catalogue(settings.language)
    pace = args.pace if args.pace is not None else pause.breaths_per_minute
    if not 3 <= pace <= 12 or not 0 < args.minutes <= MAX_MINUTES:  # NaN fails both
        raise CommandError(say("breathe.bad_pace"), 2)
    interactive = sys.stdout.isatty()
    print(wrapped(say("breathe.intro", pace=f"{pace:g}"), shutil.get_terminal_size().columns))
    start = time.monotonic()
    last_word = ""
    try:
        while (elapsed := time.monotonic() - start) < args.minutes * 60:
            phase = phase_at(elapsed, pace, pause.inhale_fraction)
            word = say("breath.in" if phase.inhaling else "breath.out")
            left = args.minutes * 60 - elapsed
            if interactive:
                columns = shutil.get_terminal_size().columns  # the window may be resized
                sys.stdout.write("\r" + guide_line(word, phase, left, columns))
                sys.stdout.flush()
            elif word != last_word:
                print(say("breathe.phase", word=word, seconds=f"{phase.seconds_left:.0f}"))
            last_word = word
            time.sleep(TICK_S if interactive else min(phase.seconds_left, 1.0) + 0.01)
    except KeyboardInterrupt:
        pass
    print("\n" + wrapped(say("breathe.done"), shutil.get_terminal_size().columns))
    return 0
