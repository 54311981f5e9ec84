"""`flooding scan`: list the heart-rate straps in range."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from flooding.cli.commands._common import program
from flooding.cli.commands._strap import add_strap_options, scan_for_straps


def register(subparsers: Any) -> None:
    """Add the `scan` command."""
    p = subparsers.add_parser(
        "scan",
        help="list the heart-rate straps in range",
        description=(
            "Looks for Bluetooth heart-rate straps nearby and lists them, nearest first. "
            "Wear the strap (moisten the electrodes) so that it wakes up."
        ),
    )
    add_strap_options(p)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.add_argument(
        "--all",
        action="store_true",
        help="also list Bluetooth devices that are not heart-rate straps",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Scan and print; exit 1 when no strap is found or Bluetooth cannot be used."""
    from flooding.io.strap.backoff import Failure, advice

    found = scan_for_straps(args, "scan")
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
            signal = f"{s.rssi} dBm" if s.rssi is not None else "signal unknown"
            kind = "" if s.has_heart_rate_service else "  (not a heart-rate strap)"
            print(f"{s.name or 'unnamed device':<28} {s.address:<20} {signal}{kind}")
    if not straps:
        print(f"flooding: no heart-rate strap found in {args.timeout:g} s.", file=sys.stderr)
        print(advice(Failure.NOT_FOUND), file=sys.stderr)
        return 1
    if not args.json:
        print(
            f"\nTo use one: {program()} pair ADDRESS   (e.g. {program()} pair {straps[0].address})"
        )
    return 0
