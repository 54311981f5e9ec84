"""What `status`, `pause`, `resume` and `workout` share: asking the running monitor."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from flooding.commands._common import data_dir, program

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running


def no_monitor_text(what: str) -> str:
    """Plain words for 'no monitor runs', with how to start one."""
    return (
        f"No flooding monitor is running, so {what}.\n"
        f"Start one: `{program()} service install` keeps it running in the background "
        f"(it starts whenever you log in), or `{program()} monitor` runs it in this terminal."
    )


def ask(args: argparse.Namespace, command: str, **arguments: Any) -> dict[str, Any] | None:
    """The monitor's reply, or None when none runs; exits with a message if it is unwell."""
    from flooding.control import ControlError, send_command

    try:
        return send_command(command, data_dir=data_dir(args), **arguments)
    except ControlError as exc:
        print(f"flooding {command}: a monitor runs but did not answer: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
