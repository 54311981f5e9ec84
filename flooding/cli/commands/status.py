"""`flooding status`: what the running monitor is doing right now."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from flooding.cli.commands._common import CommandError, add_data_dir_option
from flooding.cli.commands._control import (
    EXIT_NOT_RUNNING,
    asking_the_monitor,
    monitor_folders,
    no_monitor_text,
)

if TYPE_CHECKING:
    from flooding.io.control import MonitorStatus


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help="is the monitor running; strap, heart rate, baseline, pause",
        description=(
            "Asks the running monitor (the background service or `flooding monitor` in a "
            "terminal) what it is doing. Exits 3 when no monitor is running."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def _bpm(value: object) -> str:
    return f"{value:.0f} bpm" if isinstance(value, int | float) else "-"


def _heart(bpm: object, baseline: object) -> str:
    known = (
        _bpm(baseline) if baseline is not None else "not known yet (learning in the first minutes)"
    )
    return f"{_bpm(bpm)}, calm baseline {known}"


def describe(status: MonitorStatus) -> list[str]:
    """The status as lines for the person."""
    from flooding.core.timefmt import clock_time

    kind = (
        "the demo, with a simulated strap"
        if status.demo
        else "background service"
        if status.headless
        else "in a terminal"
    )
    strap = status.strap
    label = strap.name or strap.chosen or "your strap"
    if strap.address and strap.address != label:
        label += f" ({strap.address})"
    link = "connected" if strap.connected else f"not connected ({strap.link})"
    if strap.battery_percent is not None:
        link += f", battery {strap.battery_percent} %"
    lines = [
        f"Monitor: running ({kind}, pid {status.pid})",
        f"Strap:   {label}: {link}",
    ]
    session = status.session_id
    state = status.state
    if session is None:
        lines.append("Session: none - waiting for your strap; a session starts when you wear it")
        if status.mode == "workout":
            lines.append("Mode:    workout for the next session (no flooding alerts)")
        return lines
    lines.append(f"Session: {session}")
    if status.people:
        for name, person in status.people.items():
            absent = person.not_counted
            lines.append(
                f"{name}: {_heart(person.heart_bpm, person.baseline_bpm)}, "
                f"{person.state}" + (f" (not counted: {absent})" if absent else "")
            )
    else:
        lines.append(f"Heart:   {_heart(status.heart_bpm, status.baseline_bpm)}")
    pause = status.pause
    if state == "workout":
        text = "workout (a high heart rate is expected: no flooding alerts)"
    elif state == "pausing" and pause:
        text = (
            f"pausing, {pause.minutes_left:.0f} minute(s) left (until {clock_time(pause.until_s)})"
        )
    else:
        text = str(state)
    lines.append(f"State:   {text}")
    if state == "workout" and pause:
        lines.append(f"Pause:   {pause.minutes_left:.0f} minute(s) left")
    return lines


def run(args: argparse.Namespace) -> int:
    from flooding.io.control import ErrorReply, StatusRequest, send_command

    reply = None
    with asking_the_monitor():
        for folder in monitor_folders(args):
            reply = send_command(StatusRequest(), data_dir=folder)
            if reply is not None:
                break
    if reply is None:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print(no_monitor_text("there is nothing to report", args))
        return EXIT_NOT_RUNNING
    if isinstance(reply, ErrorReply):
        raise CommandError(f"the monitor could not say: {reply.error}")
    if args.json:
        status = reply.status.model_dump(mode="json")
        print(json.dumps({"running": True, **status}, indent=2))
    else:
        print("\n".join(describe(reply.status)))
    return 0
