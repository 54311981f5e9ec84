"""What `status`, `pause`, `resume`, `ok` and `workout` share: asking the running monitor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flooding.cli.commands._common import CommandError, program

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running


def no_monitor_text(what: str) -> str:
    """Plain words for 'no monitor runs', with how to start one."""
    return (
        f"No flooding monitor is running, so {what}.\n"
        f"Start one: `{program()} service install` keeps it running in the background "
        f"(it starts whenever you log in), or `{program()} monitor` runs it in this terminal."
    )


@contextmanager
def asking_the_monitor() -> Iterator[None]:
    """Turn a request that is not valid (checked before anything is sent) into a usage error
    (exit 2), and a monitor that runs but does not answer into a CommandError."""
    from flooding.io.control import ControlError, ControlRequestError

    try:
        yield
    except ControlRequestError as exc:
        raise CommandError(str(exc), code=2) from None
    except ControlError as exc:
        raise CommandError(f"a monitor runs but did not answer: {exc}") from None
