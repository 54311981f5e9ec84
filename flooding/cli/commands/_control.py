"""What `status`, `pause`, `resume` and `workout` share: asking the running monitor."""

from __future__ import annotations

import argparse
from typing import Any

from flooding.cli.commands._common import data_dir, program

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running


def no_monitor_text(what: str) -> str:
    """Plain words for 'no monitor runs', with how to start one."""
    return (
        f"No flooding monitor is running, so {what}.\n"
        f"Start one: `{program()} service install` keeps it running in the background "
        f"(it starts whenever you log in), or `{program()} monitor` runs it in this terminal."
    )


def ask(args: argparse.Namespace, command: str, **arguments: Any) -> dict[str, Any] | None:
    """The monitor's reply, or None when none runs; CommandError when the request is not valid
    (checked before anything is sent) or a monitor runs but does not answer."""
    from flooding.cli.commands._common import CommandError
    from flooding.io.control import ControlError, ControlRequestError, send_command

    try:
        return send_command(command, data_dir=data_dir(args), **arguments)
    except ControlRequestError as exc:
        raise CommandError(str(exc), code=2) from None
    except ControlError as exc:
        raise CommandError(f"a monitor runs but did not answer: {exc}") from None
