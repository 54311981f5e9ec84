"""`flooding monitor`: watch your heart through your strap, record, and alert when flooded.

`--headless` is the background service (`flooding service install` runs it): no terminal,
desktop notifications only, logging to stderr (the journal) or `--log-file`; it waits for
the strap, starts a session when the strap is worn, and ends it after
`service.session_gap_minutes` without the strap. A bad config or a missing pairing does not
stop it: it says so (log and desktop) and starts by itself once that is fixed.

`--couple` (and the headless service whenever exactly two profiles exist, see
`flooding pair --as`) connects to both partners' straps at once and records one session
with two tracks; one alert and one pause for both (`flooding.core.couple`).

Either way only one monitor runs per data directory, and it answers `flooding status`,
`pause`, `resume`, `ok` and `workout` over the control channel (`flooding.io.control`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    add_config_options,
    add_data_dir_option,
    data_dir,
    load_settings,
    program,
)
from flooding.cli.commands._strap import add_strap_options, scan_or_explain, strap_backends

if TYPE_CHECKING:
    from flooding.app.session import SessionRunner, View
    from flooding.app.sources import HeartSource, MergedSource, TaggedSource
    from flooding.core.models import Mode
    from flooding.core.settings import Settings
    from flooding.io.control import ControlServer
    from flooding.io.store import Store

log = logging.getLogger("flooding.monitor")

EXIT_ALREADY_RUNNING = 75  # EX_TEMPFAIL: the service manager may try again later
LOG_FILE_BYTES = 1_000_000  # --log-file rotates at this size, keeping LOG_FILE_COUNT old ones
LOG_FILE_COUNT = 3


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "monitor",
        help="connect to your strap, record, and tell you when you are flooded",
        description=(
            "Connects to your paired strap (and no other), records your heart rate, and shows a "
            "desktop notification when you are flooded, then guides the pause. Keeps running "
            "when the strap drops and picks up again when it is back. Ctrl-C ends the session."
        ),
    )
    parser.add_argument(
        "--mode",
        choices=("talk", "workout"),
        help="talk: flooding alerts on (default); workout: a high heart rate is expected",
    )
    parser.add_argument(
        "--couple",
        action="store_true",
        help=(
            "both partners' straps (the two profiles from `pair --as NAME`): one "
            "conversation, one alert and one pause for both"
        ),
    )
    parser.add_argument(
        "--no-notify",
        action="store_true",
        help="no notifications: no desktop bubble, chime or remote target (terminal only)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no live lines in the terminal and no chime (silent notifications only)",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help=(
            "run as the background service: wait for the strap, a session each time it is "
            "worn, notifications only, log to stderr (the journal)"
        ),
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        metavar="FILE",
        help="with --headless: log to this file (rotated) instead of stderr",
    )
    add_data_dir_option(parser)
    add_config_options(parser)
    add_strap_options(parser)
    parser.set_defaults(run=run)


async def _pick_strap(
    args: argparse.Namespace, scanner: Any, address: str, name: str
) -> tuple[str, str] | None:
    """The strap to use: the paired one, else the only one in range (said so), else None."""
    if address or name:
        return address, name
    found = [s for s in await scan_or_explain(args.timeout, scanner) if s.has_heart_rate_service]
    if len(found) == 1:
        strap = found[0]
        print(
            f"No strap paired yet; using the only one in range: {strap.label}.\n"
            f"To always use it (and never a stranger's): {program()} pair {strap.address}"
        )
        return strap.address, strap.name or ""
    if not found:
        from flooding.io.strap.backoff import Failure, advice

        print(
            f"flooding monitor: no heart-rate strap found. {advice(Failure.NOT_FOUND)}",
            file=sys.stderr,
        )
    else:
        print("flooding monitor: several straps in range; choose yours once with:", file=sys.stderr)
        for strap in found:
            print(f"  {program()} pair {strap.address}    # {strap.label}", file=sys.stderr)
    return None


def _already_running(exc: Exception) -> str:
    from flooding.io.control import AlreadyRunningError

    pid = exc.pid if isinstance(exc, AlreadyRunningError) else None
    who = f" (pid {pid})" if pid else ""
    return (
        f"flooding monitor: another flooding monitor is already running{who} for this data "
        f"folder; only one may run at a time. See what it is doing: {program()} status. "
        f"Stop it first (Ctrl-C in its terminal, or {program()} service uninstall for the "
        "background service) to start a new one."
    )


async def _start_control(folder: Path, handler: Any) -> ControlServer | None:
    """The control channel; a monitor without one still watches the heart."""
    from flooding.io.control import ControlError, ControlServer

    try:
        return await ControlServer(folder, handler).start()
    except (OSError, ControlError) as exc:
        log.warning(
            "the control channel could not start (%s): `%s status`, `pause` and `workout` "
            "will not reach this monitor, but it is watching",
            exc,
            program(),
        )
        return None


def couple_sources(
    settings: Settings, scanner: Any, client: Any
) -> tuple[MergedSource, dict[str, tuple[str | None, str | None]]]:
    """Both partners' strap sources, merged, and their straps; ConfigError when the two
    profiles are not there or one has no strap."""
    from flooding.app.monitor import pairing_problems
    from flooding.app.sources import MergedSource
    from flooding.core.settings import ConfigError, couple_names
    from flooding.io.strap.ble import StrapSource

    names = couple_names(settings)
    problems = pairing_problems(settings, program())
    if problems:
        raise ConfigError(problems)
    sources: dict[str, HeartSource] = {}
    straps: dict[str, tuple[str | None, str | None]] = {}
    for name in names:
        strap = settings.profiles[name].strap
        sources[name] = StrapSource(
            address=strap.address, name=strap.name, scanner_backend=scanner, client_backend=client
        )
        straps[name] = (strap.name or None, strap.address or None)
    return MergedSource(sources), straps


def _new_runner(
    source: Any,
    *,
    settings: Settings,
    store: Store,
    view: View,
    straps: dict[str, tuple[str | None, str | None]],
    mode: Mode | None,
    strap: tuple[str, str] = ("", ""),
) -> SessionRunner:
    """The session runner for one wearing: a couple's (`straps` names both) or one person's,
    with its desktop notifier (whose buttons act on this runner)."""
    from flooding.app.couple_session import CoupleSessionRunner
    from flooding.app.session import SessionRunner
    from flooding.io.notify import choose_notifier, remote_targets

    runner: SessionRunner
    if straps:
        runner = CoupleSessionRunner(
            source=source,
            settings=settings,
            store=store,
            view=view,
            people=list(straps),
            source_kind="ble-couple",
            message_turn=store.count_events("couple-alert"),  # the texts rotate across sessions
            modes=dict.fromkeys(straps, mode) if mode else None,
            straps=straps,
        )
    else:
        address, name = strap
        runner = SessionRunner(
            source=source,
            settings=settings,
            store=store,
            view=view,
            source_kind="ble",
            message_turn=store.count_events("alert"),  # the texts rotate across sessions
            mode=mode,
            strap_name=name or None,
            strap_address=address or None,
        )
    runner.notifier = choose_notifier(
        settings.notify,
        on_action=runner.handle_action,
        targets=remote_targets(settings, list(straps)),
    )
    return runner


async def _monitor(args: argparse.Namespace) -> int:
    from flooding.app.monitor import LiveMonitor, StatusBoard
    from flooding.app.session import run_until_signalled
    from flooding.cli.view import QuietView, TerminalView
    from flooding.core.models import Mode
    from flooding.core.settings import ConfigError
    from flooding.io.control import AlreadyRunningError, InstanceLock
    from flooding.io.store import Store, StoreError
    from flooding.io.strap.ble import StrapSource

    settings = load_settings(args).settings
    if args.quiet:  # quiet means quiet: the notifications come without their chime
        silent = settings.notify.model_copy(update={"sound": False})
        settings = settings.model_copy(update={"notify": silent})
    folder = data_dir(args)
    try:
        lock = InstanceLock(folder).acquire()
    except AlreadyRunningError as exc:
        print(_already_running(exc), file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    except OSError as exc:
        print(
            f"flooding monitor: cannot use the data folder {folder}: {exc}. Choose a writable "
            "folder with --data-dir or FLOODING_DATA_DIR.",
            file=sys.stderr,
        )
        return 1
    try:
        store = Store.open(folder)
    except StoreError as exc:
        lock.release()
        print(f"flooding monitor: {exc}", file=sys.stderr)
        return 1
    try:
        async with strap_backends(args) as (scanner, client, _strap):
            board = StatusBoard(
                QuietView()
                if args.quiet
                else TerminalView(
                    breathing=(settings.pause.breaths_per_minute, settings.pause.inhale_fraction)
                )
            )
            source: HeartSource | TaggedSource
            straps: dict[str, tuple[str | None, str | None]] = {}
            strap = ("", "")
            if args.couple:
                try:
                    source, straps = couple_sources(settings, scanner, client)
                except ConfigError as exc:
                    print(f"flooding monitor --couple: {exc}", file=sys.stderr)
                    return 1
            else:
                chosen = await _pick_strap(
                    args, scanner, settings.strap.address, settings.strap.name
                )
                if chosen is None:
                    return 1
                strap = chosen
                source = StrapSource(
                    address=strap[0], name=strap[1], scanner_backend=scanner, client_backend=client
                )
            runner = _new_runner(
                source,
                settings=settings,
                store=store,
                view=board,
                straps=straps,
                mode=Mode(args.mode) if args.mode else None,
                strap=strap,
            )
            live = LiveMonitor(board, settings=settings, strap=source.description, headless=False)
            live.runner = runner
            server = await _start_control(folder, live.handle)
            if not args.quiet:
                print(f"Watching {source.description}. Ctrl-C ends the session.")
            try:
                outcome = await run_until_signalled(runner)
            finally:
                if server is not None:
                    await server.close()
    finally:
        store.close()
        lock.release()
    print(
        f"\nSession {outcome.session_id} saved: {outcome.samples} samples, "
        f"{outcome.alerts} alert(s), {outcome.gaps} gap(s). "
        f"Review it: {program()} review {outcome.session_id}"
    )
    return 0


def _setup_headless_logging(args: argparse.Namespace) -> None:
    """INFO from flooding to stderr (the journal) or the log file; Bluetooth retries quieter."""
    verbose = getattr(args, "verbose", 0)
    root = logging.getLogger()
    if args.log_file is not None:
        from logging.handlers import RotatingFileHandler

        args.log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            args.log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_COUNT, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        for old in list(root.handlers):
            root.removeHandler(old)
        root.addHandler(handler)
    logging.getLogger("flooding").setLevel(logging.DEBUG if verbose >= 2 else logging.INFO)
    if verbose == 0:
        logging.getLogger("flooding.io.strap.ble").setLevel(logging.WARNING)
        logging.getLogger("flooding.io.notify").setLevel(logging.WARNING)


async def _headless(args: argparse.Namespace) -> int:
    """The background service: see the module docstring."""
    from flooding.app.monitor import (
        BackgroundMonitor,
        LiveMonitor,
        LogView,
        StatusBoard,
        is_couple,
        wait_for_settings,
    )
    from flooding.app.session import stop_on_signals
    from flooding.core.models import Mode
    from flooding.core.settings import NotifySettings
    from flooding.io.control import AlreadyRunningError, InstanceLock
    from flooding.io.notify import choose_notifier
    from flooding.io.store import Store, StoreError
    from flooding.io.strap.ble import StrapSource

    folder = data_dir(args)
    try:
        lock = InstanceLock(folder).acquire()
    except AlreadyRunningError as exc:
        log.error("%s", _already_running(exc))
        return EXIT_ALREADY_RUNNING
    except OSError as exc:
        log.error(
            "cannot use the data folder %s: %s. Choose a writable folder with --data-dir or "
            "FLOODING_DATA_DIR.",
            folder,
            exc,
        )
        return 1
    stopped = asyncio.Event()
    monitors: list[BackgroundMonitor] = []

    def on_signal() -> None:
        stopped.set()
        for monitor in monitors:
            monitor.stop()

    try:
        with stop_on_signals(on_signal):
            settings = await wait_for_settings(
                lambda: load_settings(args).settings,
                notifier=choose_notifier(NotifySettings()),
                program=program(),
                stopped=stopped,
            )
            if settings is None:
                return 0
            try:
                store = Store.open(folder)
            except StoreError as exc:
                log.error("%s", exc)
                return 1
            try:
                async with strap_backends(args) as (scanner, client, _strap):
                    source: HeartSource | TaggedSource
                    straps: dict[str, tuple[str | None, str | None]] = {}
                    if is_couple(settings) or args.couple:
                        source, straps = couple_sources(settings, scanner, client)
                    else:
                        source = StrapSource(
                            address=settings.strap.address,
                            name=settings.strap.name,
                            scanner_backend=scanner,
                            client_backend=client,
                        )
                    board = StatusBoard(LogView())
                    live = LiveMonitor(
                        board, settings=settings, strap=source.description, headless=True
                    )
                    fixed_mode = Mode(args.mode) if args.mode else None

                    def make_runner(wearing: Any, mode: Mode | None) -> SessionRunner:
                        return _new_runner(
                            wearing,
                            settings=settings,
                            store=store,
                            view=board,
                            straps=straps,
                            mode=mode or fixed_mode,
                            strap=(settings.strap.address, settings.strap.name),
                        )

                    monitor = BackgroundMonitor(
                        source=source,
                        live=live,
                        make_runner=make_runner,
                        session_gap_s=settings.service.session_gap_minutes * 60.0,
                    )
                    monitors.append(monitor)
                    server = await _start_control(folder, live.handle)
                    log.info("waiting for %s (pid %d)", source.description, os.getpid())
                    try:
                        if not stopped.is_set():
                            await monitor.run()
                    finally:
                        if server is not None:
                            await server.close()
            finally:
                store.close()
    finally:
        lock.release()
    log.info("stopped")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.headless:
        _setup_headless_logging(args)
        return asyncio.run(_headless(args))
    return asyncio.run(_monitor(args))
