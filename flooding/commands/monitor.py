"""`flooding monitor`: watch your heart through your strap, record, and alert when flooded."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from flooding.commands._common import (
    add_config_options,
    add_data_dir_option,
    data_dir,
    load_settings,
    program,
)
from flooding.commands._strap import add_strap_options, strap_backends


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
        "--no-notify", action="store_true", help="no desktop notifications (terminal only)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no live lines in the terminal (notifications only)"
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
    from flooding.ble import scan

    found = [s for s in await scan(args.timeout, backend=scanner) if s.has_heart_rate_service]
    if len(found) == 1:
        strap = found[0]
        print(
            f"No strap paired yet; using the only one in range: {strap.label}.\n"
            f"To always use it (and never a stranger's): {program()} pair {strap.address}"
        )
        return strap.address, strap.name or ""
    if not found:
        from flooding.backoff import Failure, advice

        print(
            f"flooding monitor: no heart-rate strap found. {advice(Failure.NOT_FOUND)}",
            file=sys.stderr,
        )
    else:
        print("flooding monitor: several straps in range; choose yours once with:", file=sys.stderr)
        for strap in found:
            print(f"  {program()} pair {strap.address}    # {strap.label}", file=sys.stderr)
    return None


async def _monitor(args: argparse.Namespace) -> int:
    from flooding.ble import StrapSource
    from flooding.models import Mode
    from flooding.notify import choose_notifier
    from flooding.service import SessionRunner, run_until_signalled
    from flooding.store import Store, StoreError
    from flooding.view import QuietView, TerminalView

    settings = load_settings(args).settings
    if args.no_notify:
        settings = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"enabled": False})}
        )
    try:
        store = Store.open(data_dir(args))
    except StoreError as exc:
        print(f"flooding monitor: {exc}", file=sys.stderr)
        return 1
    try:
        async with strap_backends(args) as (scanner, client, _strap):
            chosen = await _pick_strap(args, scanner, settings.strap.address, settings.strap.name)
            if chosen is None:
                return 1
            address, name = chosen
            source = StrapSource(
                address=address, name=name, scanner_backend=scanner, client_backend=client
            )
            runner = SessionRunner(
                source=source,
                settings=settings,
                store=store,
                view=QuietView()
                if args.quiet
                else TerminalView(
                    breathing=(settings.pause.breaths_per_minute, settings.pause.inhale_fraction)
                ),
                source_kind="ble",
                message_turn=store.count_events("alert"),  # the texts rotate across sessions
                mode=Mode(args.mode) if args.mode else None,
                strap_name=name or None,
                strap_address=address or None,
            )
            runner.notifier = choose_notifier(settings.notify, on_action=runner.handle_action)
            if not args.quiet:
                print(f"Watching {source.description}. Ctrl-C ends the session.")
            outcome = await run_until_signalled(runner)
    finally:
        store.close()
    print(
        f"\nSession {outcome.session_id} saved: {outcome.samples} samples, "
        f"{outcome.alerts} alert(s), {outcome.gaps} gap(s). "
        f"Review it: {program()} review {outcome.session_id}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_monitor(args))
