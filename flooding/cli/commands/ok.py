"""`flooding ok`: mark an alert of a session as a false alarm (the latest, or any one named
by the time or number `flooding review` shows), or take a mark back (`--undo`)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    add_session_argument,
    chosen_session,
    open_store,
    screen_words,
    wants_details,
)
from flooding.cli.commands._control import (
    answered,
    asking_the_monitor,
    demo_too,
    refusal,
    why_no_answer,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.store import EventRow, Store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "ok",
        help=say("help.ok"),
        description=say("help.ok.about"),
    )
    add_session_argument(parser, say)
    parser.add_argument(
        "--alert",
        metavar="WHICH",
        help=say("help.ok.alert"),
    )
    parser.add_argument(
        "--undo",
        action="store_true",
        help=say("help.ok.undo"),
    )
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def _ask_the_running_monitor(args: argparse.Namespace, say: Catalogue) -> int | None:
    """Mark through the running monitor, which knows the live session; None: do it here."""
    from flooding.core.timefmt import session_clock
    from flooding.io.control import ControlError, ErrorReply, OkRequest, send_command
    from flooding.io.control.protocol import build_request

    with asking_the_monitor(say):
        request = build_request(OkRequest, session=args.session)
    try:
        found = answered(args, lambda folder: send_command(request, data_dir=folder))
    except ControlError as exc:  # not a refusal: the mark is made directly instead
        print(
            say("ok.no_answer", error=why_no_answer(exc, say, wants_details(args))), file=sys.stderr
        )
        return None
    if found is None:
        return None
    folder, reply = found
    if isinstance(reply, ErrorReply):
        if reply.code in ("no-session", "other-session"):
            return None
        also = demo_too(args, folder, say, "ok")
        raise CommandError(refusal(reply, say) + ("" if also is None else f"\n{also}"))
    when = session_clock(reply.alert_t_s)
    sid = reply.session_id
    print(say("ok.already" if reply.already else "ok.marked", when=when, id=sid))
    if reply.break_over:
        print(say("session.info.false_alarm_break_over"))
    also = demo_too(args, folder, say, "ok")
    if also is not None:
        print(also)
    return 0


LISTED_AT_MOST = 10  # alerts named in a message when the one asked for is not found


def _alerts(store: Store, session_id: int) -> list[EventRow]:
    """A session's alerts in time order (a person's, or in a couple session the shared one)."""
    found = store.events(session_id, "alert") + store.events(session_id, "couple-alert")
    return sorted(found, key=lambda e: (e.t_s, e.id))


def _clock_names(t_s: float) -> set[str]:
    """The ways a person may write an alert's time, as review shows it."""
    from flooding.core.timefmt import session_clock

    names = {session_clock(t_s), session_clock(t_s, seconds=True)}
    names |= {session_clock(t_s, dated=True), session_clock(t_s, seconds=True, dated=True)}
    return names


def _pick(alerts: list[EventRow], which: str, session_id: int, say: Catalogue) -> EventRow:
    """The alert named by its number or its time, or a CommandError listing what there is."""
    from flooding.core.timefmt import session_clock, spans_days

    text = which.strip()
    dated = spans_days(a.t_s for a in alerts)
    shown = [
        (n, a)
        for n, a in enumerate(alerts, 1)
        if text.isdigit() or text not in _clock_names(a.t_s)  # all, or the ones at that time
    ] or list(enumerate(alerts, 1))
    listed = ", ".join(
        say("ok.number_at", n=n, when=session_clock(a.t_s, seconds=True, dated=dated))
        for n, a in shown[:LISTED_AT_MOST]
    ) + (say("ok.and_more", n=len(shown) - LISTED_AT_MOST) if len(shown) > LISTED_AT_MOST else "")

    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(alerts):
            return alerts[number - 1]
    else:
        matches = [a for a in alerts if text in _clock_names(a.t_s)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = ", ".join(
                say(
                    "ok.number_at",
                    n=alerts.index(a) + 1,
                    when=session_clock(a.t_s, seconds=True, dated=True),
                )
                for a in matches
            )
            raise CommandError(
                say("ok.several_at", id=session_id, count=len(matches), when=text, listed=listed)
            )
    raise CommandError(say("ok.no_such_alert", id=session_id, which=repr(text), listed=listed))


def _undo(store: Store, session_id: int, which: str | None, say: Catalogue) -> int:
    from flooding.core.timefmt import session_clock

    alerts = _alerts(store, session_id)
    if which is not None:
        alert = _pick(alerts, which, session_id, say) if alerts else None
    else:
        marks = store.events(session_id, "false-alarm")
        last = max(marks, key=lambda m: m.id, default=None)
        marked = None if last is None else last.data.get("alert_event_id")
        alert = next((a for a in alerts if a.id == marked), None)
    if alert is None:
        raise CommandError(say("ok.undo_none", id=session_id))
    when = session_clock(alert.t_s, seconds=True)
    if not store.unmark_false_alarm(session_id, alert.id):
        raise CommandError(say("ok.undo_not_marked", when=when, id=session_id))
    print(say("ok.undone", when=when, id=session_id))
    return 0


def run(args: argparse.Namespace) -> int:
    from flooding.core.timefmt import session_clock

    say = screen_words(args)
    if args.alert is None and not args.undo:
        answered = _ask_the_running_monitor(args, say)
        if answered is not None:
            return answered
    store = open_store(args)
    try:
        session_id = chosen_session(store, args.session, say)
        if args.undo:
            return _undo(store, session_id, args.alert, say)
        alerts = _alerts(store, session_id)
        if not alerts:
            raise CommandError(say("ok.no_alert", id=session_id))
        alert = (
            store.latest_alert(session_id)
            if args.alert is None
            else _pick(alerts, args.alert, session_id, say)
        )
        assert alert is not None  # the session has alerts
        already = store.is_false_alarm(session_id, alert.id)
        store.mark_false_alarm(session_id, alert.id, time.time())
    finally:
        store.close()
    when = session_clock(alert.t_s)
    print(say("ok.already" if already else "ok.marked", when=when, id=session_id))
    return 0
