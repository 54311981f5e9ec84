"""What the demo and the monitor share to serve the app: its options, and the extras that put
it beside their sessions (one `App:` line printed: with a link in a terminal, without one in
the background service's log)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    command_line_overrides,
    data_dir_hint,
    program,
    whole_number,
)

if TYPE_CHECKING:
    from flooding.app.web.server import AppServer
    from flooding.app.wiring import Extras
    from flooding.core.catalogue import Catalogue


def add_app_options(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--no-app and --app-port."""
    parser.add_argument("--no-app", action="store_true", help=say("help.option.no-app"))
    parser.add_argument(
        "--app-port",
        type=whole_number,
        default=0,
        metavar="PORT",
        help=say("help.option.app-port"),
    )


def app_extras(
    args: argparse.Namespace,
    folder: Path,
    *,
    scanner: Any = None,
    service_words: Catalogue | None = None,
) -> Extras | None:
    """The app beside the sessions (None with --no-app). Its App: line goes to stdout with a
    link for the person at the terminal to click; with `service_words` (the background
    service, whose stderr is its log) to stderr without one: a link no one clicks would stay
    usable for minutes by anyone who can read the log. It says how to open the app instead."""
    if args.no_app:
        return None
    import webbrowser

    from flooding.app.web.server import APP_LINE_PREFIX
    from flooding.app.web.server import app_extras as extras

    def announce(server: AppServer) -> None:
        if service_words is None:
            print(APP_LINE_PREFIX + server.link(), flush=True)
            return
        command = f"{program()} app{data_dir_hint(args)}"
        said = service_words("monitor.app_served", port=server.port, command=command)
        print(said, file=sys.stderr, flush=True)

    return extras(
        announce,
        folder=folder,
        port=args.app_port,
        program=program(),
        config_file=getattr(args, "config", None),
        overrides=command_line_overrides(args),
        scanner_backend=scanner,
        open_browser=webbrowser.open,
    )
