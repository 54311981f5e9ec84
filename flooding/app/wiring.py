"""The one composition root: the demo, the foreground monitor and the background service are
built here from the same parts. The command line passes in what only it knows: its views, the
lab's simulated or emulated sources, and the Bluetooth backends. The whole data path:

    source -> SessionRunner (engine, store, notifier) -> StatusBoard -> the terminal or the log,
                                                                        and the extra views
    control channel -> LiveMonitor -> the runner of the session now (status, pause, ok, ...)

One session clock (`flooding.io.clock.SessionClock`) per process: the strap stamps samples on
it and the runner reads "now" from it, so both agree and no wall-clock jump bends a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.app.background import BackgroundMonitor
from flooding.app.live import MINUTE_S, LiveMonitor
from flooding.app.readiness import pairing_problems
from flooding.app.session import SessionOutcome, SessionRunner, View, run_until_signalled
from flooding.app.sources import HeartSource, MergedSource, TaggedSource
from flooding.app.status import StatusBoard
from flooding.app.views import Views
from flooding.core.catalogue import SaidError
from flooding.core.models import SOLO, Mode
from flooding.core.settings import ConfigError, Settings, couple_names
from flooding.io.clock import SessionClock
from flooding.io.control import AlreadyRunningError, ControlError, ControlServer, InstanceLock
from flooding.io.folders import data_dir as default_data_dir
from flooding.io.locale_files import load_catalogue
from flooding.io.notify import DesktopConnection, choose_notifier, remote_targets
from flooding.io.store import Store, StoreError
from flooding.io.strap.ble import StrapSource

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

log = logging.getLogger(__name__)

EXIT_ALREADY_RUNNING = 75  # EX_TEMPFAIL: the service manager may try again later

Straps = dict[str, tuple[str | None, str | None]]
"""A couple's straps: each partner's name -> (strap name, strap address)."""


class StartError(SaidError):
    """A process cannot start: the message says why and what to do (in English as str();
    `said` gives it in any language when it is a text of the message catalogue); `code` is
    the exit code."""

    def __init__(
        self, message: str, code: int = 1, key: str | None = None, **values: object
    ) -> None:
        super().__init__(message, key, **values)
        self.code = code

    @classmethod
    def of(cls, key: str, code: int = 1, **values: object) -> StartError:
        """The error with the catalogue's text `key` (English as str())."""
        return cls(load_catalogue()(key, **values), code, key, **values)


@dataclass
class Extras:
    """What joins a running process from outside (the local app, for one).

    Each view gets every reading, message, link change and battery level, beside the terminal
    or the log. Each service, given the `Process`, is an async context entered in the process's
    event loop before its sessions start and left after they end (a web server, say).
    """

    views: list[View] = field(default_factory=list)
    services: list[Callable[[Process], AbstractAsyncContextManager[object]]] = field(
        default_factory=list
    )
    # the notifications' "Open the app" button (None: no such button)
    open_app: Callable[[], object] | None = None


@dataclass
class Process:
    """What a process that runs sessions is made of: see the module docstring.

    `source` is the process's heart data for its whole life; `people` names a couple's two
    partners (empty for one person); `strap` is one person's (address, name) and `straps` a
    couple's, both stored with each session. `clock` is the session clock the source stamps
    its samples on (each session's runner reads "now" from it).
    """

    source: HeartSource | TaggedSource
    settings: Settings
    store: Store
    board: StatusBoard
    live: LiveMonitor
    kind: str
    people: tuple[str, ...] = ()
    straps: Straps = field(default_factory=dict)
    strap: tuple[str, str] = ("", "")
    extras: Extras = field(default_factory=Extras)
    clock: SessionClock = field(default_factory=SessionClock)
    # the sessions' notifiers share one connection to the desktop (one each would leak it)
    desktop: DesktopConnection = field(default_factory=DesktopConnection)

    def runner(self, source: HeartSource | TaggedSource, mode: Mode | None = None) -> SessionRunner:
        """The runner of one session on `source` (all of the process's source, or one wearing
        of it), with its desktop notifier, whose buttons act on this runner."""
        address, name = self.strap
        runner = SessionRunner(
            source=source,
            settings=self.settings,
            store=self.store,
            view=self.board,
            source_kind=self.kind,
            people=self.people or (SOLO,),
            # the texts rotate by session
            message_turn=self.store.count_events("couple-alert" if self.people else "alert"),
            mode=mode,
            straps=self.straps,
            strap_name=name or None,
            strap_address=address or None,
            clock=self.clock,
            continue_break=not self.kind.startswith("demo"),  # a demo's clock runs ahead
        )
        runner.notifier = choose_notifier(
            self.settings.notify,
            on_action=runner.handle_action,
            targets=remote_targets(self.settings, self.people),  # each partner's own too
            open_app=self.extras.open_app,
            open_app_label=runner.say("notify.open_app"),
            connection=self.desktop,
        )
        return runner


def process(
    source: HeartSource | TaggedSource,
    settings: Settings,
    store: Store,
    view: View,
    *,
    kind: str,
    headless: bool = False,
    people: Sequence[str] = (),
    straps: Straps | None = None,
    strap: tuple[str, str] = ("", ""),
    extras: Extras | None = None,
    clock: SessionClock | None = None,
) -> Process:
    """The parts of a process on `source`: its status board (in front of `view` and the extra
    views) and the live monitor the control channel talks to. `clock`: the session clock the
    source stamps samples on (give the one `strap_source` was given; default a new one)."""
    extras = extras or Extras()
    board = StatusBoard(Views([view, *extras.views]) if extras.views else view)
    people = tuple(people or (straps or {}))
    straps = dict(straps or {})
    live = LiveMonitor(
        board,
        settings=settings,
        strap=source.description,
        headless=headless,
        demo=kind.startswith("demo"),
        people=people,
        straps=straps,
    )
    return Process(
        source,
        settings,
        store,
        board,
        live,
        kind,
        people,
        straps,
        strap,
        extras,
        clock if clock is not None else SessionClock(),
    )


# -- the sources of a monitor -----------------------------------------------------------------


def strap_source(
    settings: Settings,
    scanner: type[BaseBleakScanner] | None,
    client: type[BaseBleakClient] | None,
    *,
    couple: bool,
    program: str,
    strap: tuple[str, str] | None = None,
    clock: SessionClock | None = None,
) -> tuple[HeartSource | TaggedSource, Straps]:
    """The person's strap (`strap`, default the paired one), or with `couple` both partners'
    straps merged, and their straps; ConfigError when a partner has no strap paired. Samples
    are stamped on `clock` (pass the same one to `process`)."""
    if not couple:
        address, name = strap or (settings.strap.address, settings.strap.name)
        source = StrapSource(
            address=address, name=name, scanner_backend=scanner, client_backend=client, clock=clock
        )
        return source, {}
    say = load_catalogue(settings.language)
    names = couple_names(settings, say)
    problems = pairing_problems(settings, program, say)
    if problems:
        raise ConfigError(problems, say.language)
    sources: dict[str, HeartSource] = {}
    straps: Straps = {}
    for name in names:
        chosen = settings.profiles[name].strap
        sources[name] = StrapSource(
            address=chosen.address,
            name=chosen.name,
            scanner_backend=scanner,
            client_backend=client,
            clock=clock,
        )
        straps[name] = (chosen.name or None, chosen.address or None)
    return MergedSource(sources), straps


# -- the data folder of a monitor -------------------------------------------------------------


def already_running(
    exc: AlreadyRunningError, program: str, folder: Path | None = None
) -> StartError:
    """What to say when another monitor holds the data folder (`folder`, named in the hint
    when it is not the one a bare command uses)."""
    who = f" (pid {exc.pid})" if exc.pid else ""
    where = ""
    if folder is not None and folder.absolute() != default_data_dir(None).absolute():
        where = f" --data-dir {shlex.quote(str(folder))}"
    return StartError.of(
        "start.already_running",
        EXIT_ALREADY_RUNNING,
        pid=who,
        status=f"{program} status{where}",
        uninstall=f"{program} service uninstall",
    )


@contextlib.contextmanager
def instance_lock(folder: Path, program: str) -> Iterator[None]:
    """Hold the one-monitor-per-data-folder lock inside; StartError when it cannot be had."""
    try:
        lock = InstanceLock(folder).acquire()
    except AlreadyRunningError as exc:
        raise already_running(exc, program, folder) from None
    except OSError as exc:
        raise StartError.of("store.os_failed", folder=folder, error=exc) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def opened_store(folder: Path) -> Iterator[Store]:
    """The store of the data folder, closed on the way out; StartError when it cannot be used."""
    try:
        store = Store.open(folder)
    except StoreError as exc:
        raise StartError(str(exc), 1, exc.key, **exc.values) from None
    try:
        yield store
    finally:
        store.close()


async def start_control(folder: Path, live: LiveMonitor, program: str) -> ControlServer | None:
    """The control channel to `live`; a monitor without one still watches the heart."""
    try:
        return await ControlServer(folder, live.handle).start()
    except (OSError, ControlError) as exc:
        log.warning(
            "the control channel could not start (%s): `%s status`, `pause` and `workout` "
            "will not reach this monitor, but it is watching",
            exc,
            program,
        )
        return None


@contextlib.asynccontextmanager
async def serving(proc: Process, control: Path | None, program: str) -> AsyncIterator[None]:
    """The control channel for `control` (a data folder; None: none) and the extra services,
    running while inside."""
    server = None if control is None else await start_control(control, proc.live, program)
    try:
        async with contextlib.AsyncExitStack() as services:
            for service in proc.extras.services:
                await services.enter_async_context(service(proc))
            yield
    finally:
        if server is not None:
            await server.close()


# -- running ------------------------------------------------------------------------------------


async def run_session(
    proc: Process,
    *,
    mode: Mode | None = None,
    control: Path | None = None,
    until: Awaitable[object] | None = None,
    program: str = "flooding",
) -> SessionOutcome:
    """One session (the demo, the foreground monitor) until the source ends, `until` is done,
    Ctrl-C or SIGTERM; it is always ended and saved."""
    runner = proc.live.runner = proc.runner(proc.source, mode)
    waiter = None if until is None else asyncio.ensure_future(until)
    if waiter is not None:
        waiter.add_done_callback(lambda _: runner.stop())
    try:
        async with serving(proc, control, program):
            return await run_until_signalled(runner)
    finally:
        if waiter is not None:
            waiter.cancel()


async def run_service(
    proc: Process,
    *,
    stopped: asyncio.Event,
    control: Path,
    mode: Mode | None = None,
    program: str = "flooding",
) -> list[SessionOutcome]:
    """The background service: a session per wearing of the strap until `stopped` is set
    (each session ended and saved on the way out)."""
    monitor = BackgroundMonitor(
        source=proc.source,
        live=proc.live,
        make_runner=lambda wearing, asked: proc.runner(wearing, asked or mode),
        session_gap_s=proc.settings.service.session_gap_minutes * MINUTE_S,
        clock=proc.clock,
    )
    watcher = asyncio.create_task(stopped.wait())
    watcher.add_done_callback(lambda done: None if done.cancelled() else monitor.stop())
    try:
        async with serving(proc, control, program):
            log.info("waiting for %s (pid %d)", proc.source.description, os.getpid())
            if stopped.is_set():
                return []
            return await monitor.run()
    finally:
        watcher.cancel()
