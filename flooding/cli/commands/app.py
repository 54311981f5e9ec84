"""`flooding app`: open your own pages in the browser (live heart, sessions, settings).

When a monitor, the background service or the demo is running for this data folder, its app is
opened (it has the live page). Otherwise this command serves the app itself, over your stored
sessions, until Ctrl-C.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_data_dir_option,
    command_line_overrides,
    data_dir,
    demo_folder,
    load_settings,
    open_store,
    program,
    screen_words,
    whole_number,
)
from flooding.cli.commands._strap import strap_backends

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "app",
        help=say("help.app"),
        description=say("help.app.about"),
    )
    parser.add_argument("--no-browser", action="store_true", help=say("help.app.no-browser"))
    parser.add_argument(
        "--port",
        type=whole_number,
        default=0,
        metavar="PORT",
        help=say("help.app.port"),
    )
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def _show(link: str) -> None:
    print(f"App: {link}", flush=True)


async def _open(link: str, folder: Path, say: Catalogue) -> None:
    """Open `link` into the app of `folder` in the browser, through an owner-only page (the
    browser's command line, which every account can read, carries no code), in a thread: a
    launcher that waits for the browser does not hold up the server in this loop."""
    import webbrowser

    from flooding.app.web.opening import open_in_browser

    if not await open_in_browser(webbrowser.open, link, folder):
        print(say("app.no_browser"), flush=True)


async def _serve(args: argparse.Namespace, say: Catalogue) -> int:
    import asyncio

    from flooding.app.session import stop_on_signals
    from flooding.app.web.guard import load_secret
    from flooding.app.web.server import running_link, serving
    from flooding.io.files import UnsafeFileError

    folder = data_dir(args)
    try:
        load_secret(folder)  # its file and folder checked, so a refusal is said here
    except UnsafeFileError as exc:
        raise CommandError(str(exc)) from None
    served_from = folder
    link = await running_link(served_from)
    if link is None:  # a demo that plays serves its app from its own folder
        served_from = demo_folder(args)
        link = await running_link(served_from)
    if link is not None:
        _show(link)
        if not args.no_browser:
            await _open(link, served_from, say)
        print(say("app.the_monitors"))
        return 0
    settings = load_settings(args).settings
    store = open_store(args, folder)
    stopped = asyncio.Event()
    served: list[str] = []  # the link the server made
    opening: asyncio.Future[None] | None = None  # the browser being opened
    try:
        with stop_on_signals(stopped.set):
            async with (
                strap_backends(args) as (scanner, _client, _strap),
                serving(
                    lambda server: served.append(server.link()),
                    said_by_caller=True,
                    folder=folder,
                    store=store,
                    settings=settings,
                    port=args.port,
                    program=program(),
                    config_file=getattr(args, "config", None),
                    overrides=command_line_overrides(args),
                    scanner_backend=scanner,
                ) as server,
            ):
                if server is None:
                    raise CommandError(say("app.port_taken", port=args.port))
                _show(served[0])
                if not args.no_browser:
                    opening = asyncio.ensure_future(_open(served[0], folder, say))
                print(say("app.no_monitor"))
                print(say("app.ctrl_c"), flush=True)
                await stopped.wait()
    finally:
        if opening is not None:
            opening.cancel()
        store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    import asyncio

    say = screen_words(args, tell=False)  # it refuses settings with a mistake itself
    if not 0 <= args.port <= 65535:
        raise CommandError(say("app.bad_port"), 2)
    return asyncio.run(_serve(args, say))
