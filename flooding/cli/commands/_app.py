"""What the demo and the monitor share to serve the app: its options, and the extras that put
it beside their sessions (one `App:` line printed)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flooding.cli.commands._common import command_line_overrides, program

if TYPE_CHECKING:
    from flooding.app.wiring import Extras
    from flooding.core.catalogue import Catalogue


def add_app_options(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--no-app and --app-port."""
    parser.add_argument("--no-app", action="store_true", help=say("help.option.no-app"))
    parser.add_argument(
        "--app-port",
        type=int,
        default=0,
        metavar="PORT",
        help=say("help.option.app-port"),
    )


def app_extras(
    args: argparse.Namespace, folder: Path, *, scanner: Any = None, out: TextIO | None = None
) -> Extras | None:
    """The app beside the sessions (None with --no-app); its App: line goes to `out`."""
    if args.no_app:
        return None
    import webbrowser

    from flooding.app.web.server import app_extras as extras

    shown = out or sys.stdout
    return extras(
        lambda line: print(line, file=shown, flush=True),
        folder=folder,
        port=args.app_port,
        program=program(),
        config_file=getattr(args, "config", None),
        overrides=command_line_overrides(args),
        scanner_backend=scanner,
        open_browser=webbrowser.open,
    )
