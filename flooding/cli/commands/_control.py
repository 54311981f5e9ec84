"""What `status`, `pause`, `resume`, `ok` and `workout` share: asking the running monitor
(or the running demo, which answers like one)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    data_dir,
    data_dir_hint,
    demo_folder,
    program,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.control import ErrorReply

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running


def monitor_folders(args: argparse.Namespace) -> tuple[Path, Path]:
    """Where to look for a running monitor, in order: the data folder, then the demo's
    folder inside it (a demo that plays answers like a monitor)."""
    return data_dir(args), demo_folder(args)


def no_monitor_text(what: str, args: argparse.Namespace, say: Catalogue) -> str:
    """Plain words for 'no monitor runs' (`what` cannot be done), with how to start one
    (keeping `--data-dir`)."""
    again = data_dir_hint(args)
    return (
        say("control.no_monitor", what=what)
        + "\n"
        + say(
            "control.start_one",
            service=f"{program()} service install{again}",
            monitor=f"{program()} monitor{again}",
        )
    )


def refusal(reply: ErrorReply, say: Catalogue) -> str:
    """Why the monitor could not do what was asked: its own words in English (they name the
    session), the catalogue's `control.refused.CODE` in another language (its own words
    when it sent a code this program does not know)."""
    key = f"control.refused.{reply.code}"
    if say.language == "en" or key not in say.texts:
        return reply.error
    return say(key)


@contextmanager
def asking_the_monitor(say: Catalogue) -> Iterator[None]:
    """Turn a request that is not valid (checked before anything is sent) into a usage error
    (exit 2), and a monitor that runs but does not answer into a CommandError."""
    from flooding.io.control import ControlError, ControlRequestError

    try:
        yield
    except ControlRequestError as exc:
        raise CommandError(str(exc), code=2) from None
    except ControlError as exc:
        raise CommandError(say("control.no_answer", error=exc)) from None
