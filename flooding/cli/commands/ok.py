"""`flooding ok`: mark the latest alert of a session as a false alarm."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    add_data_dir_option,
    add_lang_option,
    add_session_argument,
    chosen_session,
    open_store,
    screen_words,
)
from flooding.cli.commands._control import asking_the_monitor, monitor_folders

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ok",
        help="mark the latest flooding alert as a false alarm",
        description=(
            "Says the latest flooding alert of a session (default: the latest session) was a "
            "false alarm: you were not flooded. Review shows the mark, and it helps when "
            "tuning the thresholds."
        ),
    )
    add_session_argument(parser)
    add_data_dir_option(parser)
    add_lang_option(parser)
    parser.set_defaults(run=run)


def _ask_the_running_monitor(args: argparse.Namespace, say: Catalogue) -> int | None:
    """Mark through the running monitor, which knows the live session; None: do it here."""
    from flooding.core.timefmt import session_clock
    from flooding.io.control import ControlError, ErrorReply, OkRequest, send_command
    from flooding.io.control.protocol import build_request

    with asking_the_monitor(say):
        request = build_request(OkRequest, session=args.session)
    reply = None
    try:
        for folder in monitor_folders(args):
            reply = send_command(request, data_dir=folder)
            if reply is not None:
                break
    except ControlError as exc:
        print(say("ok.no_answer", error=exc))
        return None
    if reply is None:
        return None
    if isinstance(reply, ErrorReply):
        if reply.code in ("no-session", "other-session"):
            return None
        print(reply.error)
        return 1
    when = session_clock(reply.alert_t_s)
    sid = reply.session_id
    print(say("ok.already" if reply.already else "ok.marked", when=when, id=sid))
    return 0


def run(args: argparse.Namespace) -> int:
    from flooding.core.timefmt import session_clock

    say = screen_words(args)
    answered = _ask_the_running_monitor(args, say)
    if answered is not None:
        return answered
    store = open_store(args)
    try:
        session_id = chosen_session(store, args.session, say)
        alert = store.latest_alert(session_id)
        if alert is None:
            print(say("ok.no_alert", id=session_id))
            return 1
        already = store.is_false_alarm(session_id, alert.id)
        store.mark_false_alarm(session_id, alert.id, time.time())
    finally:
        store.close()
    when = session_clock(alert.t_s)
    print(say("ok.already" if already else "ok.marked", when=when, id=session_id))
    return 0
