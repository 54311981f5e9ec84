"""`flooding note`: write down what a talk was about (shown in sessions and review)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    chosen_session,
    open_store,
    screen_words,
    whole_number,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser("note", help=say("help.note"))
    parser.add_argument(
        "session", type=whole_number, metavar="SESSION", help=say("help.note.session")
    )
    parser.add_argument("text", nargs="?", metavar="TEXT", help=say("help.note.text"))
    parser.add_argument("--clear", action="store_true", help=say("help.note.clear"))
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.core.models import NOTE_MAX_CHARS

    say = screen_words(args)
    text = (args.text or "").strip()
    if args.clear and text:
        raise CommandError(say("note.note_or_clear"))
    if not args.clear and not text:
        raise CommandError(say("note.empty", id=args.session))
    if len(text) > NOTE_MAX_CHARS:  # as the app's box allows
        raise CommandError(say("note.too_long", n=len(text), most=NOTE_MAX_CHARS))
    store = open_store(args)
    try:
        chosen_session(store, args.session, say)
        store.set_note(args.session, text)
    finally:
        store.close()
    print(say("note.removed" if args.clear else "note.saved", id=args.session))
    return 0
