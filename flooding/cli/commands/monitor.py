"""`flooding monitor`: watch your heart through your strap, record, and alert when flooded.

`--headless` is the background service (`flooding service install` runs it): no terminal,
desktop notifications only, logging to stderr (the journal) or `--log-file`; it waits for
the strap, starts a session when the strap is worn, and ends it after
`service.session_gap_minutes` without the strap. A bad config or a missing pairing does not
stop it: it says so (log and desktop) and starts by itself once that is fixed.

`--couple` (and the headless service whenever exactly two profiles exist, see
`flooding pair --as`) connects to both partners' straps at once and records one session
with two tracks; one alert and one pause for both (`flooding.core.pause`).

Either way only one monitor runs per data directory, and it answers `flooding status`,
`pause`, `resume`, `ok` and `workout` over the control channel (`flooding.io.control`).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._app import add_app_options, app_extras
from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_data_dir_option,
    add_notify_option,
    config_hint,
    data_dir,
    data_dir_hint,
    load_settings,
    program,
    wants_details,
)
from flooding.cli.commands._strap import add_strap_options, scan_or_explain, strap_backends
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.app.sources import HeartSource, TaggedSource
    from flooding.core.catalogue import Catalogue

log = logging.getLogger("flooding.monitor")

LOG_FILE_BYTES = 1_000_000  # --log-file rotates at this size, keeping LOG_FILE_COUNT old ones
LOG_FILE_COUNT = 3


def register(commands: Any, say: Catalogue) -> None:
    parser = commands.add_parser(
        "monitor",
        help=say("help.monitor"),
        description=say("help.monitor.about"),
    )
    parser.add_argument(
        "--mode",
        choices=("talk", "workout"),
        help=say("help.monitor.mode"),
    )
    parser.add_argument(
        "--couple",
        action="store_true",
        help=say("help.monitor.couple"),
    )
    add_notify_option(parser, say)
    parser.add_argument(
        "--quiet",
        action="store_true",
        help=say("help.monitor.quiet"),
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help=say("help.monitor.headless"),
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        metavar="FILE",
        help=say("help.monitor.log-file"),
    )
    add_app_options(parser, say)
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    add_strap_options(parser, say)
    parser.set_defaults(run=run)


async def _pick_strap(
    args: argparse.Namespace, scanner: Any, address: str, name: str, say: Catalogue
) -> tuple[str, str]:
    """The strap to use: the paired one, else the only one in range (said so), else a
    CommandError saying what to check (none in range) or how to pick one (several)."""
    if address or name:
        return address, name
    again = data_dir_hint(args) + config_hint(args)
    pair_options = config_hint(args)
    record = f"{program()} pair ADDRESS --no-scan{pair_options}"
    scanned = await scan_or_explain(
        args.timeout,
        scanner,
        f"monitor{again}",
        " " + say("monitor.or_record", command=record),
        say,
        wants_details(args),
    )
    found = [s for s in scanned if s.has_heart_rate_service]
    if len(found) == 1:
        strap = found[0]
        command = f"{program()} pair {strap.address}{pair_options}"
        print(say("monitor.using_only", strap=strap.label, command=command))
        return strap.address, strap.name or ""
    if not found:
        from flooding.io.strap.backoff import Failure, advice

        raise CommandError(say("monitor.none_found", advice=advice(Failure.NOT_FOUND, say=say)))
    pairs = [f"  {program()} pair {s.address}{pair_options}    # {s.label}" for s in found]
    raise CommandError("\n".join([say("monitor.several"), *pairs]))


async def _monitor(args: argparse.Namespace) -> int:
    from flooding.app import wiring
    from flooding.cli.view import QuietView, TerminalView
    from flooding.core.models import Mode
    from flooding.core.settings import ConfigError
    from flooding.io.clock import SessionClock
    from flooding.io.locale_files import load_catalogue

    settings = load_settings(args).settings
    say = load_catalogue(settings.language)
    if args.quiet:  # quiet means quiet: the notifications come without their chime
        silent = settings.notify.model_copy(update={"sound": False})
        settings = settings.model_copy(update={"notify": silent})
    folder = data_dir(args)
    view = (
        QuietView()
        if args.quiet
        else TerminalView(
            breathing=(settings.pause.breaths_per_minute, settings.pause.inhale_fraction),
            language=settings.language,
            release=(
                settings.detection.release_hysteresis_bpm,
                settings.detection.release_s,
            ),
        )
    )
    try:
        with wiring.instance_lock(folder, program()), wiring.opened_store(folder) as store:
            async with strap_backends(args) as (scanner, client, _strap):
                strap = ("", "")
                if not args.couple:
                    strap = await _pick_strap(
                        args, scanner, settings.strap.address, settings.strap.name, say
                    )
                clock = SessionClock()  # stamps the samples; the runner reads now from it
                try:
                    source, straps = wiring.strap_source(
                        settings,
                        scanner,
                        client,
                        couple=args.couple,
                        program=program(),
                        strap=strap,
                        clock=clock,
                    )
                except ConfigError as exc:
                    raise CommandError(str(exc), command="monitor --couple") from None
                kind = "ble-couple" if straps else "ble"
                proc = wiring.process(
                    source,
                    settings,
                    store,
                    view,
                    kind=kind,
                    straps=straps,
                    strap=strap,
                    extras=app_extras(args, folder, scanner=scanner),
                    clock=clock,
                )
                if not args.quiet:
                    print(say("monitor.watching", source=watched(source, say)))
                outcome = await wiring.run_session(
                    proc,
                    mode=Mode(args.mode) if args.mode else None,
                    control=folder,
                    program=program(),
                )
    except wiring.StartError as exc:
        raise CommandError(exc.said(say), exc.code) from None
    if not outcome.kept:  # an empty session is not kept: nothing to review
        key = "monitor.nothing_recorded" if outcome.strap_connected else "monitor.strap_not_found"
        print("\n" + say(key))
        return 0
    summary = say(
        "summary.monitor",
        id=outcome.session_id,
        samples=counted("count.readings", outcome.samples),
        alerts=counted("count.alerts", outcome.alerts),
        gaps=counted("count.gaps", outcome.gaps),
    )
    again = data_dir_hint(args)
    review = f"{program()} review {outcome.session_id}{again}"
    print(f"\n{summary} " + say("monitor.review_it", command=review))
    return 0


def _setup_headless_logging(args: argparse.Namespace) -> None:
    """INFO from flooding to stderr (the journal) or the log file; Bluetooth retries quieter."""
    verbose = getattr(args, "verbose", 0)
    root = logging.getLogger()
    if args.log_file is not None:
        from flooding.io.files import PrivateRotatingFileHandler, make_private_dir

        make_private_dir(args.log_file.parent)
        handler: logging.Handler = PrivateRotatingFileHandler(
            args.log_file, max_bytes=LOG_FILE_BYTES, backups=LOG_FILE_COUNT
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
    import asyncio

    from flooding.app import wiring
    from flooding.app.readiness import is_couple, wait_for_settings
    from flooding.app.session import stop_on_signals
    from flooding.app.views import LogView
    from flooding.core.models import Mode
    from flooding.core.settings import NotifySettings
    from flooding.io.clock import SessionClock
    from flooding.io.locale_files import load_catalogue
    from flooding.io.notify import choose_notifier

    folder = data_dir(args)
    stopped = asyncio.Event()
    try:
        with wiring.instance_lock(folder, program()), stop_on_signals(stopped.set):
            settings = await wait_for_settings(
                lambda: load_settings(args).settings,
                notifier=choose_notifier(NotifySettings()),
                program=program(),
                stopped=stopped,
            )
            if settings is None:
                return 0
            with wiring.opened_store(folder) as store:
                async with strap_backends(args) as (scanner, client, _strap):
                    clock = SessionClock()  # stamps the samples; each runner reads now from it
                    source, straps = wiring.strap_source(
                        settings,
                        scanner,
                        client,
                        couple=is_couple(settings) or args.couple,
                        program=program(),
                        clock=clock,
                    )
                    proc = wiring.process(
                        source,
                        settings,
                        store,
                        LogView(),
                        kind="ble-couple" if straps else "ble",
                        headless=True,
                        straps=straps,
                        strap=(settings.strap.address, settings.strap.name),
                        # the App: line goes to the log with the rest: how to open the
                        # app, no link (anyone who can read the log could use it)
                        extras=app_extras(
                            args,
                            folder,
                            scanner=scanner,
                            service_words=load_catalogue(settings.language),
                        ),
                        clock=clock,
                    )
                    await wiring.run_service(
                        proc,
                        stopped=stopped,
                        control=folder,
                        mode=Mode(args.mode) if args.mode else None,
                        program=program(),
                    )
    except wiring.StartError as exc:
        log.error("%s", exc)
        return exc.code
    log.info("stopped")
    return 0


def run(args: argparse.Namespace) -> int:
    import asyncio

    if args.headless:
        try:
            _setup_headless_logging(args)
        except OSError as exc:
            from flooding.cli.commands._common import words_for_errors

            said = words_for_errors(args)("monitor.cannot_log", path=args.log_file, error=exc)
            raise CommandError(said) from None
        return asyncio.run(_headless(args))
    return asyncio.run(_monitor(args))


def watched(source: HeartSource | TaggedSource, say: Catalogue) -> str:
    """What the monitor watches, in words: the strap, or each partner's."""
    from flooding.app.sources import MergedSource

    if not isinstance(source, MergedSource) or len(source.sources) != 2:
        return source.description
    (first, one), (second, other) = source.sources.items()
    return say(
        "monitor.both_straps",
        first=first,
        first_strap=one.description,
        second=second,
        second_strap=other.description,
    )
