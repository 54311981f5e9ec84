"""The shared radio space: one in-process Bumble `LocalLink` that emulated straps and
emulated computer radios join, and the Bleak backends bound to it.

Bumble's virtual controllers exchange real HCI/LL/ATT packets over the link, so the
project's `flooding.io.strap.ble` runs unmodified through Bleak's public API. Every controller
that joins is removed again by `close()`, or the next user of a fresh link may hang.
"""

from __future__ import annotations

import itertools
import logging
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner
    from bumble.controller import Controller
    from bumble.device import Device

    from flooding.lab.emulator.strap import EmulatedStrap

logger = logging.getLogger(__name__)

_CENTRAL_ADDRESS_PREFIX = "F0:00:00:00"  # computer-side radios; straps use other prefixes


class EmulatedAir:
    """An in-process Bluetooth LE 'air' with any number of emulated straps.

    Use as `async with EmulatedAir() as air:`; pass `air.scanner_backend` and
    `air.client_backend` to `BleakScanner(backend=...)` / `BleakClient(backend=...)`
    (or to `flooding.io.strap.ble.scan` / `StrapSource`).
    """

    def __init__(self) -> None:
        from bumble.link import LocalLink

        self.link = LocalLink()  # type: ignore[no-untyped-call]
        self._device_controllers: dict[int, Controller] = {}  # id(device) -> its controller
        self._straps: list[EmulatedStrap] = []
        self._radio_numbers = itertools.count(1)
        self._scanner_backend: type[BaseBleakScanner] | None = None
        self._client_backend: type[BaseBleakClient] | None = None
        self.radios_opened = 0  # how many computer-side radios joined, over the air's life

    # -- radios -------------------------------------------------------------------------

    def add_device(self, name: str, address: str) -> Device:
        """A new Bumble device with its own virtual controller on this link."""
        from bumble.controller import Controller
        from bumble.device import Device
        from bumble.hci import Address
        from bumble.host import Host
        from bumble.transport.common import AsyncPipeSink

        controller = Controller(name, link=self.link, public_address=address)
        device = Device(
            name=name,
            address=Address(address),
            host=Host(controller, AsyncPipeSink(controller)),
        )
        self._device_controllers[id(device)] = controller
        return device

    def remove_device(self, device: Device) -> None:
        """Take a device's controller off the link (idempotent)."""
        controller = self._device_controllers.pop(id(device), None)
        if controller is not None:
            self._remove_controller(controller)

    def _remove_controller(self, controller: Controller) -> None:
        if controller in self.link.controllers:
            self.link.remove_controller(controller)

    async def open_radio(self) -> Device:
        """A fresh, powered computer-side radio (one per scanner or client).

        A fresh radio per connection attempt is on purpose: Bumble's virtual controller
        keeps a cancelled connect pending forever and refuses the next one.
        """
        number = next(self._radio_numbers)
        address = f"{_CENTRAL_ADDRESS_PREFIX}:{(number >> 8) & 0xFF:02X}:{number & 0xFF:02X}"
        device = self.add_device(f"computer-{number}", address)
        self.radios_opened += 1
        await device.power_on()
        return device

    @property
    def controller_count(self) -> int:
        """How many controllers are on the link right now (straps and radios)."""
        return len(self.link.controllers)

    # -- straps -------------------------------------------------------------------------

    def register_strap(self, strap: EmulatedStrap) -> None:
        """Called by `EmulatedStrap.start()`, so `close()` can stop it."""
        self._straps.append(strap)

    # -- Bleak backends ----------------------------------------------------------------

    @property
    def scanner_backend(self) -> type[BaseBleakScanner]:
        """A `BaseBleakScanner` subclass bound to this air, for `BleakScanner(backend=...)`."""
        if self._scanner_backend is None:
            from flooding.lab.emulator.backend import BumbleScanner

            self._scanner_backend = type("BumbleScanner", (BumbleScanner,), {"air": self})
        return self._scanner_backend

    @property
    def client_backend(self) -> type[BaseBleakClient]:
        """A `BaseBleakClient` subclass bound to this air, for `BleakClient(backend=...)`."""
        if self._client_backend is None:
            from flooding.lab.emulator.backend import BumbleClient

            self._client_backend = type("BumbleClient", (BumbleClient,), {"air": self})
        return self._client_backend

    # -- life cycle ---------------------------------------------------------------------

    async def close(self) -> None:
        """Stop every strap and remove every controller from the link."""
        for strap in list(self._straps):
            await strap.close()
        self._straps.clear()
        self._device_controllers.clear()
        for controller in list(self.link.controllers):
            self.link.remove_controller(controller)

    async def __aenter__(self) -> EmulatedAir:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
