"""The `flooding` command: parses arguments and hands over to one module per command.

Each command lives in `flooding/cli/commands/<name>.py` with `register(subparsers, say)` (`say`:
the catalogue its help is worded from, see `flooding.cli.language`); heavy
libraries (numpy, scipy, bleak, matplotlib) are imported inside the commands, so
`flooding --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from flooding import __version__
from flooding.cli.language import argparse_speaking, command_line_language
from flooding.io.locale_files import load_catalogue

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue

COMMAND_MODULES = (
    "flooding.cli.commands.demo",
    "flooding.cli.commands.app",
    "flooding.cli.commands.sessions",
    "flooding.cli.commands.review",
    "flooding.cli.commands.scan",
    "flooding.cli.commands.pair",
    "flooding.cli.commands.monitor",
    "flooding.cli.commands.breathe",
    "flooding.cli.commands.import_file",
    "flooding.cli.commands.calibrate",
    "flooding.cli.commands.config",
    "flooding.cli.commands.notify",
    "flooding.cli.commands.tune",
    "flooding.cli.commands.plot",
    "flooding.cli.commands.export",
    "flooding.cli.commands.note",
    "flooding.cli.commands.ok",
    "flooding.cli.commands.delete",
    "flooding.cli.commands.service",
    "flooding.cli.commands.status",
    "flooding.cli.commands.pause",
    "flooding.cli.commands.workout",
    "flooding.cli.commands.replay",
)

Runner = Callable[[argparse.Namespace], int]


def build_parser(say: Catalogue | None = None) -> argparse.ArgumentParser:
    """The argument parser with every command registered, its help in `say`'s language
    (English without). argparse's own words follow `argparse_speaking`."""
    say = say or load_catalogue()
    parser = argparse.ArgumentParser(
        prog="flooding", description=say("help.flooding.about"), add_help=False
    )
    parser.add_argument("-h", "--help", action="help", help=say("argparse.help"))
    parser.add_argument(
        "--version",
        action="version",
        version=f"flooding {__version__}",
        help=say("help.flooding.version"),
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help=say("help.flooding.verbose")
    )
    # before the command too (`flooding --lang de --help`); a command's own --lang wins
    parser.add_argument("--lang", dest="lang_for_all", metavar="LANG", help=say("help.option.lang"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands, say)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    say = load_catalogue(command_line_language(arguments, os.environ))
    with argparse_speaking(say):
        parser = build_parser(say)
        args = parser.parse_args(arguments)
    if getattr(args, "lang_for_all", None) and not getattr(args, "lang", None):
        args.lang = args.lang_for_all
    logging.basicConfig(
        level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    run: Runner | None = getattr(args, "run", None)
    if run is None:
        with argparse_speaking(say):
            parser.print_help()
        return 2
    # imported only now, after `--help` and `--version` have had their say: they stay fast
    from flooding.cli.commands._common import CommandError, words_for_errors
    from flooding.core.settings import ConfigError
    from flooding.io.store import StoreError

    try:
        return run(args)
    except CommandError as exc:
        print(exc.shown(args.command), file=sys.stderr)
        return exc.code
    except ConfigError as exc:
        # the language the problems are worded in; else the one asked for with --lang
        # (English when it is not a plain language name; an unknown one is itself the
        # problem named)
        asked = exc.language or getattr(args, "lang", None) or "en"
        say = load_catalogue(asked if asked.isalpha() else "en")
        print(say("error.config"), file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"flooding: {exc.said(words_for_errors(args))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
