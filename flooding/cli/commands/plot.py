"""`flooding plot`: a picture of a session (PNG, SVG or PDF, by the file name), or a one-file
report (HTML)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    add_session_argument,
    chosen_session,
    names_who,
    open_store,
    screen_words,
)
from flooding.core.os_errors import os_problem

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "plot",
        help=say("help.plot"),
        description=say("help.plot.about"),
    )
    add_session_argument(parser, say)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help=say("help.plot.output"),
    )
    parser.add_argument("--html", action="store_true", help=say("help.plot.html"))
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def image_format(output: Path | None, html: bool, say: Catalogue | None = None) -> str:
    """The picture's format from the file name (png without one), or a CommandError naming
    the formats there are (in the language of `say`, English without)."""
    from flooding.app.report import IMAGE_FORMATS
    from flooding.io.locale_files import load_catalogue

    say = say or load_catalogue()
    if output is None:
        return "png"
    suffix = output.suffix.lower().lstrip(".")
    if html:
        if suffix in IMAGE_FORMATS:
            raise CommandError(say("plot.html_not_picture", name=output.name, suffix=suffix))
        return "png"
    if suffix not in IMAGE_FORMATS:
        names = ", ".join(f".{f}" for f in IMAGE_FORMATS)
        if suffix:
            raise CommandError(
                say("plot.unknown_ending", name=output.name, suffix=suffix, formats=names)
            )
        raise CommandError(say("plot.no_ending", name=output.name, formats=names))
    return suffix


def run(args: argparse.Namespace) -> int:
    from flooding.app.report import session_png
    from flooding.io.files import write_private

    say = screen_words(args)
    form = image_format(args.output, args.html, say)
    store = open_store(args, read_only=True)
    try:
        session_id = chosen_session(store, args.session, say)
        content = session_png(
            store,
            session_id,
            as_html=args.html,
            image_format=form,
            say=say,
            name_who=names_who(args),
        )
    finally:
        store.close()
    assert content is not None  # chosen_session made sure the session exists
    suffix = ".html" if args.html else ".png"
    target: Path = args.output or Path(f"flooding-session-{session_id}{suffix}")
    try:
        write_private(target, content)
    except OSError as exc:
        said = say("plot.cannot_write", path=target, error=os_problem(exc))
        raise CommandError(said) from None
    print(say("plot.wrote", path=target, id=session_id))
    return 0
