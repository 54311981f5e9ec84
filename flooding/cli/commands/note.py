"""`flooding note`: write down what a talk was about (shown in sessions and review)."""

from __future__ import annotations

import argparse

from flooding.cli.commands._common import add_data_dir_option, chosen_session, open_store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("note", help="add a note to a session (what the talk was about)")
    parser.add_argument("session", type=int, metavar="SESSION", help="session id")
    parser.add_argument("text", metavar="TEXT", help='the note, in quotes: "money, again"')
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:

    store = open_store(args)
    try:
        chosen_session(store, args.session)
        store.set_note(args.session, args.text.strip())
    finally:
        store.close()
    print(f"Note saved for session {args.session}.")
    return 0
