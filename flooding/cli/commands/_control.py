"""What `status`, `pause`, `resume`, `ok` and `workout` share: asking the running monitor
(or the running demo, which answers like one)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from flooding.cli.commands._common import (
    CommandError,
    data_dir,
    data_dir_hint,
    demo_folder,
    program,
    wants_details,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.control import ControlError, ControlRequestError, ErrorReply

EXIT_NOT_RUNNING = 3  # like `systemctl status` for a unit that is not running

ReplyT = TypeVar("ReplyT")  # what a request asks for: PauseRequest -> PauseReply


def monitor_folders(args: argparse.Namespace) -> tuple[Path, Path]:
    """Where to look for a running monitor, in order: the data folder, then the demo's
    folder inside it (a demo that plays answers like a monitor)."""
    return data_dir(args), demo_folder(args)


def no_monitor_text(what: str, args: argparse.Namespace, say: Catalogue) -> str:
    """Plain words for 'no monitor runs' (`what` cannot be done), with how to start one
    (keeping `--data-dir`); or, when a monitor holds the folder's lock without answering
    (the background service waiting for its settings to be fixed, or for a strap to be
    paired), that it waits and how to see why. An installed background service that is not
    running is to be started, not installed."""
    from flooding.io.control import InstanceLock, monitor_holds_lock, read_pid

    again = data_dir_hint(args)
    waiting = next((f for f in monitor_folders(args) if monitor_holds_lock(f)), None)
    if waiting is not None:
        pid = read_pid(InstanceLock(waiting).path)
        return say(
            "control.monitor_waits",
            what=what,
            pid=pid if pid is not None else "?",
            command=f"{program()} config check",
        )
    from flooding.cli.commands.service import installed_start

    start = installed_start(args)
    if start is not None:  # installed, but stopped: start it, not install it again
        how = say("control.start_installed", start=start, logs=f"{program()} service logs")
    else:
        how = say(
            "control.start_one",
            service=f"{program()} service install{again}",
            monitor=f"{program()} monitor{again}",
        )
    return say("control.no_monitor", what=what) + "\n" + how


def refusal(reply: ErrorReply, say: Catalogue) -> str:
    """Why the monitor could not do what was asked: its own words in English (they name the
    session), the catalogue's `control.refused.CODE` in another language, to both partners
    `control.refused.couple.CODE` where there is one (its own words when it sent a code
    this program does not know)."""
    key = f"control.refused.{reply.code}"
    if say.language == "en" or key not in say.texts:
        return reply.error
    couple = f"control.refused.couple.{reply.code}"
    return say(couple if reply.couple and couple in say.texts else key)


def to_whom(key: str, couple: bool) -> str:
    """`key`, or its words to both partners (`KEY_couple`) when the monitor watches a
    couple."""
    return f"{key}_couple" if couple else key


def request_problem(exc: ControlRequestError, say: Catalogue) -> str:
    """What is wrong with a command's request, in the person's language when it is a
    field's rule (`control.rule.FIELD`); the protocol's own words otherwise."""
    from flooding.io.control.protocol import PAUSE_MINUTES_RANGE

    if not exc.fields:
        return str(exc)
    low, high = PAUSE_MINUTES_RANGE
    rules = (
        say(f"control.rule.{field}", low=f"{low:g}", high=f"{high:g}", program=program())
        for field in exc.fields
    )
    return "; ".join(rules)


def why_no_answer(exc: ControlError, say: Catalogue, details: bool = False) -> str:
    """A few plain words for why a running monitor gave no answer ("no answer in 5 s"),
    with the exchange's own account after them when the person asked for `details`."""
    why = say(f"control.why.{exc.kind}", seconds=f"{exc.timeout_s or 0:g}")
    return f"{why}: {exc}" if details else why


def no_answer_text(exc: ControlError, say: Catalogue, details: bool = False) -> str:
    """That a monitor runs but did not answer, and what to do: try again or restart it; or,
    when what answers is not the person's own monitor, clear its folder and start theirs."""
    if exc.kind == "untrusted":
        said = say("control.not_yours", folder=exc.folder if exc.folder is not None else "?")
    else:
        said = say(
            "control.no_answer",
            why=why_no_answer(exc, say),
            command=f"{program()} service status",
        )
    return f"{said}\n({exc})" if details else said


@contextmanager
def asking_the_monitor(say: Catalogue, details: bool = False) -> Iterator[None]:
    """Turn a request that is not valid (checked before anything is sent) into a usage error
    (exit 2), and a monitor that runs but does not answer into a CommandError (the
    exchange's own account of it too when the person asked for `details`)."""
    from flooding.io.control import ControlError, ControlRequestError

    try:
        yield
    except ControlRequestError as exc:
        raise CommandError(request_problem(exc, say), code=2) from None
    except ControlError as exc:
        raise CommandError(no_answer_text(exc, say, details)) from None


def answered(
    args: argparse.Namespace, ask: Callable[[Path], ReplyT | ErrorReply | None]
) -> tuple[Path, ReplyT | ErrorReply] | None:
    """The folder of the first monitor that runs, and its answer (`ask` puts the request to
    the one in a folder of `monitor_folders`, None when none runs there); None when none
    runs at all."""
    for folder in monitor_folders(args):
        reply = ask(folder)
        if reply is not None:
            return folder, reply
    return None


def first_answer(
    args: argparse.Namespace, ask: Callable[[Path], ReplyT | ErrorReply | None]
) -> ReplyT | ErrorReply | None:
    """The answer of the first monitor that runs (see `answered`); None when none runs."""
    found = answered(args, ask)
    return None if found is None else found[1]


def demo_too(args: argparse.Namespace, reached: Path, say: Catalogue, command: str) -> str | None:
    """When the monitor of the data folder answered (`reached`) and the demo runs too, the
    line that says whose answer this is and how to ask the demo (`command`: what follows
    the program's name, without --data-dir); None when only one of them runs."""
    import shlex

    from flooding.io.control import ControlError, StatusReply, StatusRequest, send_command

    monitor, demo = monitor_folders(args)
    if reached != monitor:
        return None
    try:  # a status changes nothing, and says which is the demo
        other = send_command(StatusRequest(), data_dir=demo)
        mine = send_command(StatusRequest(), data_dir=monitor) if other is not None else None
    except ControlError:
        return None  # the other one does not answer: only this answer is to be had
    if not isinstance(other, StatusReply) or not other.status.demo:
        return None
    if not isinstance(mine, StatusReply) or mine.status.demo:
        return None  # a demo with the real sessions (--with-real) answered: no monitor runs
    ask_demo = f"{program()} {command} --data-dir {shlex.quote(str(demo))}"
    return say("control.demo_too", command=ask_demo)


def monitor_answer(
    args: argparse.Namespace,
    say: Catalogue,
    ask: Callable[[Path], ReplyT | ErrorReply | None],
    *,
    cannot: str,
    command: str,
) -> tuple[ReplyT, str | None]:
    """What the running monitor answered (see `first_answer`), with the line to say after
    it when the demo runs too (`demo_too`, `command` as there; None when it does not); or a
    CommandError: no monitor runs (exit 3, `cannot` says what cannot be done), or it refused
    (its reasons), or the request is not valid or the monitor does not answer (see
    `asking_the_monitor`)."""
    from flooding.io.control import ErrorReply

    with asking_the_monitor(say, wants_details(args)):
        found = answered(args, ask)
    if found is None:
        raise CommandError(no_monitor_text(cannot, args, say), EXIT_NOT_RUNNING, named=False)
    folder, reply = found
    also = demo_too(args, folder, say, command)
    if isinstance(reply, ErrorReply):
        raise CommandError(refusal(reply, say) + ("" if also is None else f"\n{also}"))
    return reply, also
