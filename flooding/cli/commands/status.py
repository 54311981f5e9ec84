"""`flooding status`: what the running monitor is doing right now."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_lang_option,
    screen_words,
    wants_details,
)
from flooding.cli.commands._control import (
    EXIT_NOT_RUNNING,
    answered,
    asking_the_monitor,
    demo_too,
    no_monitor_text,
    refusal,
)
from flooding.core.catalogue import whose_strap

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.control import MonitorStatus, StrapStatus


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "status",
        help=say("help.status"),
        description=say("help.status.about"),
    )
    parser.add_argument("--json", action="store_true", help=say("help.status.json"))
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def _bpm(value: object, say: Catalogue) -> str:
    return say("bpm", bpm=f"{value:.0f}") if isinstance(value, int | float) else "-"


def _heart(
    bpm: object,
    baseline: object,
    say: Catalogue,
    not_counted: str | None = None,
    strap_bpm: float | None = None,
) -> str:
    """The heart and its calm in words; a reading the detector could not use says why
    (`not_counted`: `Unusable`'s value) in place of a rate."""
    known = _bpm(baseline, say) if baseline is not None else say("status.baseline_unknown")
    shown = _bpm(bpm, say)
    key = f"status.heart_not_counted.{not_counted}"
    if not_counted is not None and key in say.texts:  # a reason a newer monitor gave: "-"
        shown = say(key, bpm="?" if strap_bpm is None else f"{strap_bpm:.0f}")
    return say("status.heart_value", bpm=shown, baseline=known)


def _strap_line(strap: StrapStatus, say: Catalogue, person: str | None = None) -> str:
    """The line of a strap: its name and link (and battery); a partner's (`person`, couple
    mode) says whose it is."""
    name = strap.name or strap.chosen or None
    if person is not None:
        label = whose_strap(say, person, name)
    else:
        label = name or say("status.your_strap")
    if strap.address and strap.address != name:
        label += f" ({strap.address})"
    from flooding.io.control.protocol import NOT_CONNECTED_YET

    if strap.connected:
        link = say("status.connected")
    elif strap.link == NOT_CONNECTED_YET:  # nothing of it is recorded yet
        link = say("status.not_connected_yet")
    else:
        link = say("status.not_connected", link=say.choice("strap_link", strap.link))
    if strap.battery_percent is not None:
        link += say("status.battery", percent=strap.battery_percent)
    return say("status.strap", label=label, link=link)


def describe(
    status: MonitorStatus, say: Catalogue | None = None, now_s: float | None = None
) -> list[str]:
    """The status as lines for the person, in the language of `say` (English without); in
    couple mode each partner's strap and heart on a line of its own. `now_s`: the time now
    (the pause's end names its day when that is not today)."""
    from flooding.core.pause import MINUTE_S, time_over
    from flooding.core.timefmt import day_clock, spoken_minutes
    from flooding.io.locale_files import load_catalogue

    say = say or load_catalogue()
    now_s = time.time() if now_s is None else now_s

    couple = status.straps is not None
    kind = say(
        ("status.kind_demo_couple" if couple else "status.kind_demo")
        if status.demo
        else "status.kind_service"
        if status.headless
        else "status.kind_terminal"
    )
    lines = [say("status.monitor", kind=kind, pid=status.pid)]
    if status.straps is not None:
        lines += [_strap_line(strap, say, person) for person, strap in status.straps.items()]
    else:
        lines.append(_strap_line(status.strap, say))
    if status.desktop_problem is not None:
        lines.append(say("status.desktop", why=status.desktop_problem))
    session = status.session_id
    state = status.state
    if session is None:
        lines.append(say("status.no_session_couple" if couple else "status.no_session"))
        if status.mode == "workout":
            lines.append(say("status.workout_next"))
        return lines
    lines.append(say("status.session", id=session))
    if status.people:
        for name, person in status.people.items():
            absent = person.not_counted
            lines.append(
                say(
                    "status.person",
                    name=name,
                    heart=_heart(
                        person.heart_bpm,
                        person.baseline_bpm,
                        say,
                        person.heart_not_counted,
                        person.strap_bpm,
                    ),
                    state=say.choice("person_state", person.state),
                )
                + (say("status.not_counted", why=absent) if absent else "")
            )
    else:
        heart = _heart(
            status.heart_bpm,
            status.baseline_bpm,
            say,
            status.heart_not_counted,
            status.strap_bpm,
        )
        lines.append(say("status.heart", heart=heart))
    pause = status.pause
    # the time left, rounded up: "1 minute" until the break's time is over, not "0 minutes"
    left = spoken_minutes(math.ceil(pause.minutes_left), say) if pause else None
    over = pause is not None and time_over(pause.minutes_left * MINUTE_S)  # heart checked now
    if state == "workout":
        text = say("status.state_workout")
    elif state == "pausing" and over:
        text = say("status.state_checking")
    elif state == "pausing" and pause:
        text = say("status.state_pausing", minutes=left, until=day_clock(pause.until_s, now_s, say))
    elif state == "watching both":
        text = say("status.watching_both")
    else:
        text = say.choice("state", str(state))
    lines.append(say("status.state", state=text))
    if state == "workout" and pause:
        lines.append(say("status.pause_checking") if over else say("status.pause", minutes=left))
    return lines


def run(args: argparse.Namespace) -> int:
    from flooding.io.control import ErrorReply, StatusRequest, send_command

    say = screen_words(args)
    with asking_the_monitor(say, wants_details(args)):
        found = answered(args, lambda folder: send_command(StatusRequest(), data_dir=folder))
    if found is None:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print(no_monitor_text(say("control.nothing_to_report"), args, say))
        return EXIT_NOT_RUNNING
    folder, reply = found
    also = demo_too(args, folder, say, "status --json" if args.json else "status")
    if isinstance(reply, ErrorReply):
        error = say("status.could_not_say", error=refusal(reply, say))
        raise CommandError(error if also is None else f"{error}\n{also}")
    if args.json:
        status = reply.status.model_dump(mode="json")
        print(json.dumps({"running": True, **status}, indent=2))
    else:
        print("\n".join(describe(reply.status, say)))
    if also is not None:
        print(also, file=sys.stderr if args.json else sys.stdout)  # the JSON stays JSON
    return 0
