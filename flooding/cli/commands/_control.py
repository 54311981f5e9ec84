"""What `status`, `pause`, `resume`, `ok` and `workout` share: asking the running monitor
(or the running demo, which answers like one)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flooding.cli.commands._common import (
    CommandError,
    data_dir,
    data_dir_hint,
    demo_folder,
    program,
)

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running


def monitor_folders(args: argparse.Namespace) -> tuple[Path, Path]:
    """Where to look for a running monitor, in order: the data folder, then the demo's
    folder inside it (a demo that plays answers like a monitor)."""
    return data_dir(args), demo_folder(args)


def no_monitor_text(what: str, args: argparse.Namespace | None = None) -> str:
    """Plain words for 'no monitor runs', with how to start one (keeping `--data-dir`)."""
    again = "" if args is None else data_dir_hint(args)
    return (
        f"No flooding monitor is running, so {what}.\n"
        f"Start one: `{program()} service install{again}` keeps it running in the background "
        f"(it starts whenever you log in), or `{program()} monitor{again}` runs it in this "
        "terminal."
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
