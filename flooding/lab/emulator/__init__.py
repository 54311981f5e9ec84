"""An emulated chest strap for tests and `flooding demo --ble`, through the real Bleak API.

Needs the optional `emulator` extra (Bumble). Nothing here imports Bumble until an
`EmulatedAir` is created, so importing the package is cheap.

    async with emulated_straps(foreign=True) as (air, strap, stranger):
        source = StrapSource(address=strap.address, scanner_backend=air.scanner_backend,
                             client_backend=air.client_backend)
        ...
        await strap.drop()        # out of range; the client sees a disconnect
        await strap.come_back()   # advertising again; the client reconnects
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from flooding.lab.emulator.air import EmulatedAir
from flooding.lab.emulator.strap import (
    DEFAULT_ADDRESS,
    DEFAULT_NAME,
    FOREIGN_ADDRESS,
    FOREIGN_NAME,
    EmulatedStrap,
    calm_heart,
)

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_NAME",
    "FOREIGN_ADDRESS",
    "FOREIGN_NAME",
    "EmulatedAir",
    "EmulatedStrap",
    "calm_heart",
    "emulated_straps",
]


@asynccontextmanager
async def emulated_straps(
    *, foreign: bool = False, stranger_name: str = FOREIGN_NAME, **strap_options: Any
) -> AsyncIterator[tuple[EmulatedAir, EmulatedStrap, EmulatedStrap | None]]:
    """An air with the person's strap (and, with `foreign=True`, a stranger's strap, called
    `stranger_name`).

    `strap_options` go to the person's `EmulatedStrap` (feed, interval_s, name, ...).
    Every controller is removed from the link on the way out.
    """
    async with EmulatedAir() as air:
        strap = await EmulatedStrap(air, **strap_options).start()
        stranger = None
        if foreign:
            stranger = await EmulatedStrap(
                air,
                name=stranger_name,
                address=FOREIGN_ADDRESS,
                interval_s=strap.interval_s,
                battery_percent=42,
            ).start()
        yield air, strap, stranger
