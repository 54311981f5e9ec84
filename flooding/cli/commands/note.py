"""`flooding note`: write down what a talk was about (shown in sessions and review)."""

from __future__ import annotations

import argparse

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    chosen_session,
    open_store,
    screen_words,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("note", help="add a note to a session (what the talk was about)")
    parser.add_argument("session", type=int, metavar="SESSION", help="session id")
    parser.add_argument(
        "text", nargs="?", metavar="TEXT", help='the note, in quotes: "money, again"'
    )
    parser.add_argument("--clear", action="store_true", help="remove the session's note")
    add_data_dir_option(parser)
    add_lang_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    say = screen_words(args)
    text = (args.text or "").strip()
    if args.clear and text:
        raise CommandError(say("note.note_or_clear"))
    if not args.clear and not text:
        raise CommandError(say("note.empty", id=args.session))
    store = open_store(args)
    try:
        chosen_session(store, args.session, say)
        store.set_note(args.session, text)
    finally:
        store.close()
    print(say("note.removed" if args.clear else "note.saved", id=args.session))
    return 0
