"""`flooding note`: write down what a talk was about (shown in sessions and review)."""

from __future__ import annotations

import argparse

from flooding.commands._common import add_data_dir_option, data_dir


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("note", help="add a note to a session (what the talk was about)")
    parser.add_argument("session", type=int, metavar="SESSION", help="session id")
    parser.add_argument("text", metavar="TEXT", help='the note, in quotes: "money, again"')
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.store import Store, StoreError

    try:
        store = Store.open(data_dir(args))
    except StoreError as exc:
        print(f"flooding note: {exc}")
        return 1
    try:
        if store.session(args.session) is None:
            print(f"No session {args.session}. `flooding sessions` lists them.")
            return 1
        store.set_note(args.session, args.text.strip())
    finally:
        store.close()
    print(f"Note saved for session {args.session}.")
    return 0
