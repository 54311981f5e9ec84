"""`flooding delete`: remove a session with all its heart data."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    confirmed,
    data_dir,
    data_dir_hint,
    open_store,
    program,
    screen_words,
    wants_details,
    whole_number,
)
from flooding.cli.commands._control import why_no_answer
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "delete",
        help=say("help.delete"),
        description=say("help.delete.about"),
    )
    parser.add_argument(
        "session", type=whole_number, metavar="SESSION", help=say("help.delete.session")
    )
    parser.add_argument("--yes", action="store_true", help=say("help.delete.yes"))
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def _being_recorded(args: argparse.Namespace, say: Catalogue) -> str | None:
    """Why a session that has not ended cannot be deleted now (None: it can).

    The running monitor goes on writing the session it records; deleting it under it would
    break its next write. A session cut off by a crash is not the live one.
    """
    from flooding.io.control import ControlError, ErrorReply, StatusRequest, send_command

    try:
        reply = send_command(StatusRequest(), data_dir=data_dir(args))
    except ControlError as exc:
        why = why_no_answer(exc, say, wants_details(args))
        return say("delete.not_answered", id=args.session, error=why)
    if reply is None or isinstance(reply, ErrorReply):
        return None
    if reply.status.session_id != args.session:
        return None
    return say("delete.being_recorded", id=args.session)


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import summarize_session
    from flooding.app.session_files import delete_session
    from flooding.core.timefmt import duration, session_stamp
    from flooding.io.store import StillWaitingError

    say = screen_words(args)
    store = open_store(args)
    try:
        summary = summarize_session(store, args.session)
        if summary is None:
            command = f"{program()} sessions{data_dir_hint(args)}"
            said = say("delete.no_session", id=args.session, command=command)
            raise CommandError(said, named=False)
        if summary.recording:
            refusal = _being_recorded(args, say)
            if refusal is not None:
                raise CommandError(say("delete.refused", why=refusal))
        described = say(
            "delete.described",
            id=summary.id,
            started=session_stamp(summary.started_s, say),
            length=duration(summary.duration_s),
            samples=counted("count.readings", summary.samples),
            episodes=counted("count.episodes", summary.episodes),
        )
        if not args.yes:
            if not sys.stdin.isatty():
                raise CommandError(say("delete.no_terminal", described=described), 2)
            if not confirmed(say, say("delete.ask", described=described)):
                print(say("delete.nothing"))
                return 1
        try:
            counts = delete_session(store, data_dir(args), args.session)
        except StillWaitingError as exc:
            raise CommandError(say("delete.refused", why=exc.said(say))) from None
    finally:
        store.close()
    samples = say.count("count.readings", counts.samples)
    events = say.count("count.events", counts.events)
    print(say("delete.done", id=args.session, samples=samples, events=events))
    if not counts.scrubbed:  # another program's read kept the log from being emptied
        print(say("store.log_kept", path=store.path), file=sys.stderr)
    return 0
