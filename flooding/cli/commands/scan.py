"""`flooding scan`: list the heart-rate straps in range."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import CommandError, add_lang_option, program, screen_words
from flooding.cli.commands._strap import add_strap_options, scan_for_straps

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue


def register(subparsers: Any, say: Catalogue) -> None:
    """Add the `scan` command."""
    p = subparsers.add_parser(
        "scan",
        help=say("help.scan"),
        description=say("help.scan.about"),
    )
    add_strap_options(p, say)
    add_lang_option(p, say)
    p.add_argument("--json", action="store_true", help=say("help.scan.json"))
    p.add_argument(
        "--all",
        action="store_true",
        help=say("help.scan.all"),
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Scan and print; exit 1 when no strap is found or Bluetooth cannot be used."""
    from flooding.io.strap.backoff import Failure, advice

    say = screen_words(args)
    found = scan_for_straps(args, "scan", say=say)
    straps = [s for s in found if s.has_heart_rate_service]
    shown = found if args.all else straps
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": s.name,
                        "address": s.address,
                        "rssi_dbm": s.rssi,
                        "heart_rate": s.has_heart_rate_service,
                    }
                    for s in shown
                ],
                indent=2,
            )
        )
    else:
        for s in shown:
            signal = f"{s.rssi} dBm" if s.rssi is not None else say("scan.signal_unknown")
            kind = "" if s.has_heart_rate_service else say("scan.not_a_strap")
            print(f"{s.name or say('scan.unnamed'):<28} {s.address:<20} {signal}{kind}")
    if not straps:  # after the list (`[]` for --json): what was found is still shown
        none_found = say("strap.none_found", seconds=f"{args.timeout:g}")
        raise CommandError(f"{none_found}\n{advice(Failure.NOT_FOUND, say=say)}", named=False)
    if not args.json:
        example = f"{program()} pair {straps[0].address}"
        print("\n" + say("scan.to_use", command=f"{program()} pair ADDRESS", example=example))
    return 0
