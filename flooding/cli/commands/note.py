"""`flooding note`: write down what a talk was about (shown in sessions and review)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    chosen_session,
    open_store,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser("note", help=say("help.note"))
    parser.add_argument("session", type=int, metavar="SESSION", help=say("help.note.session"))
    parser.add_argument("text", nargs="?", metavar="TEXT", help=say("help.note.text"))
    parser.add_argument("--clear", action="store_true", help=say("help.note.clear"))
    add_data_dir_option(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    text = (args.text or "").strip()
    if args.clear and text:
        raise CommandError("give either a note or --clear, not both.")
    if not args.clear and not text:
        raise CommandError(
            f"the note is empty, so session {args.session}'s note stays as it was. "
            f'Write it in quotes: flooding note {args.session} "money, again"; '
            f"to remove the note: flooding note {args.session} --clear"
        )
    store = open_store(args)
    try:
        chosen_session(store, args.session)
        store.set_note(args.session, text)
    finally:
        store.close()
    print(
        f"Note removed from session {args.session}."
        if args.clear
        else f"Note saved for session {args.session}."
    )
    return 0
