"""What `scan` and `pair` share: the time to scan, and running against the emulated strap.

Emulation (for tests and trying things out without a strap): the hidden option
`--emulated`, or the environment variable `FLOODING_EMULATED_STRAP`, starts an emulated
strap in this process and points Bleak at it. Values of the variable:
  `1`        the person's strap (`Polar H10 E1A2B3C4`, C0:FF:EE:00:00:01)
  `foreign`  that strap and a stranger's (`Polar H10 0F0F0F0F`, C0:FF:EE:00:00:99)
  `couple`   the same two straps, worn by two partners (couple mode)
  `twin`     that strap and a neighbour's with the same name (C0:FF:EE:00:00:99)
  `none`     nothing in range
`--emulated` means `1` unless the variable says otherwise. Needs the `emulator` extra.
`FLOODING_EMULATED_INTERVAL_S` (seconds between packets, default 1) speeds the strap up,
for measurements such as `scripts/service-cost`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import number, wants_details

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

    from flooding.core.catalogue import Catalogue
    from flooding.io.strap.ble import StrapInfo
    from flooding.lab.emulator import EmulatedStrap

ENV_EMULATED_STRAP = "FLOODING_EMULATED_STRAP"
ENV_EMULATED_INTERVAL = "FLOODING_EMULATED_INTERVAL_S"
DEFAULT_SCAN_S = 8.0  # several advertising rounds of even a sleepy strap


def add_strap_options(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--timeout S and the hidden --emulated."""
    parser.add_argument(
        "--timeout",
        type=number,
        default=DEFAULT_SCAN_S,
        metavar="S",
        help=say("help.option.timeout", seconds=f"{DEFAULT_SCAN_S:g}"),
    )
    parser.add_argument("--emulated", action="store_true", help=argparse.SUPPRESS)


def emulation(args: argparse.Namespace) -> str | None:
    """'1', 'foreign', 'couple', 'twin' or 'none' when an emulated strap is wanted, else None."""
    value = os.environ.get(ENV_EMULATED_STRAP, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return "1" if getattr(args, "emulated", False) else None
    return value


@asynccontextmanager
async def strap_backends(
    args: argparse.Namespace, **strap_options: Any
) -> AsyncIterator[
    tuple[type[BaseBleakScanner] | None, type[BaseBleakClient] | None, EmulatedStrap | None]
]:
    """(scanner backend, client backend, emulated strap) for a monitoring session.

    All three are None for the real Bluetooth stack; with emulation they are the emulator's,
    and `strap_options` (feed, interval_s, ...) go to the emulated strap.
    """
    mode = emulation(args)
    if mode is None:
        yield None, None, None
        return
    from flooding.lab.emulator import EmulatedAir, emulated_straps

    if mode == "none":
        async with EmulatedAir() as air:
            yield air.scanner_backend, air.client_backend, None
        return
    if os.environ.get(ENV_EMULATED_INTERVAL) and "interval_s" not in strap_options:
        strap_options["interval_s"] = float(os.environ[ENV_EMULATED_INTERVAL])
    from flooding.lab.emulator import DEFAULT_NAME, FOREIGN_NAME

    two = mode in ("foreign", "couple", "twin")
    stranger_name = DEFAULT_NAME if mode == "twin" else FOREIGN_NAME
    async with emulated_straps(foreign=two, stranger_name=stranger_name, **strap_options) as (
        air,
        strap,
        _,
    ):
        yield air.scanner_backend, air.client_backend, strap


def bluetooth_off_text(command: str, extra: str = "", say: Catalogue | None = None) -> str:
    """What a command that stops says when Bluetooth cannot be used: turn it on and run the
    command again (nothing connects by itself once the command has ended)."""
    from flooding.cli.commands._common import program
    from flooding.io.locale_files import load_catalogue

    say = say or load_catalogue()
    return say("strap.bluetooth_off", command=f"{program()} {command}") + extra


async def scan_or_explain(
    timeout_s: float,
    backend: Any,
    command: str,
    extra: str = "",
    say: Catalogue | None = None,
    details: bool = False,
) -> list[StrapInfo]:
    """Scan for `timeout_s` seconds; CommandError when Bluetooth cannot be used, saying to
    run `command` again once it is on (`extra`: one more thing to say; the system's own
    account after it when the person asked for `details`)."""
    from flooding.cli.commands._common import CommandError
    from flooding.io.strap.ble import BluetoothUnavailableError, scan

    try:
        return await scan(timeout_s, backend=backend)
    except BluetoothUnavailableError as exc:
        said = bluetooth_off_text(command, extra, say)
        raise CommandError(f"{said} ({exc})" if details else said) from None


def scan_for_straps(
    args: argparse.Namespace, command: str, extra: str = "", say: Catalogue | None = None
) -> list[StrapInfo]:
    """Scan for `args.timeout` seconds (real Bluetooth or the emulator), as `scan_or_explain`."""
    import asyncio

    async def look() -> list[StrapInfo]:
        async with strap_backends(args) as (scanner, _client, _strap):
            return await scan_or_explain(
                args.timeout, scanner, command, extra, say, wants_details(args)
            )

    return asyncio.run(look())
