"""A Bumble-backed Bleak backend: `BaseBleakScanner` and `BaseBleakClient` subclasses.

Bleak accepts these through `BleakScanner(backend=...)` and `BleakClient(backend=...)`,
so code under test uses Bleak's public API unchanged. Take the classes bound to an air
from `EmulatedAir.scanner_backend` / `EmulatedAir.client_backend`: the class attribute
`air` says which in-process link the radio joins.

Each scanner and each client opens its own emulated computer radio and removes it when it
stops or disconnects (see `EmulatedAir.open_radio` for why).
"""

from __future__ import annotations

import asyncio
import logging
import uuid as uuid_module
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES, CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import (
    AdvertisementData,
    AdvertisementDataCallback,
    BaseBleakScanner,
)
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_16

from flooding.lab.emulator.strap import HCI_REMOTE_USER_TERMINATED

if TYPE_CHECKING:
    from bleak.args import SizedBuffer
    from bumble.core import UUID
    from bumble.device import Advertisement, Connection, Device, Peer

    from flooding.lab.emulator.air import EmulatedAir

logger = logging.getLogger(__name__)

ATT_DEFAULT_MTU_BYTES = 23  # the LE minimum, until the exchange after connecting
ATT_REQUESTED_MTU_BYTES = 247  # what BlueZ and phones ask for; an H10 grants 232 (PMD frames)
DISCONNECT_TIMEOUT_S = 2.0  # a virtual link answers in milliseconds; do not hang on it

_AD_16_BIT_UUIDS = (0x02, 0x03)
_AD_128_BIT_UUIDS = (0x06, 0x07)
_AD_LOCAL_NAME = (0x08, 0x09)
_AD_MANUFACTURER = 0xFF
_AD_TX_POWER = 0x0A


def bleak_uuid(uuid: UUID) -> str:
    """A Bumble UUID as Bleak spells it: 128-bit, lower case, with dashes."""
    text = uuid.to_hex_str()
    if len(text) == 4:
        return normalize_uuid_16(int(text, 16))
    if len(text) == 8:
        return f"{int(text, 16):08x}-0000-1000-8000-00805f9b34fb"
    return str(uuid_module.UUID(hex=text))


def parse_advertising_data(data: bytes, rssi: int) -> AdvertisementData:
    """Decode a raw advertising payload (length, type, value structures) for Bleak."""
    name: str | None = None
    services: list[str] = []
    manufacturer: dict[int, bytes] = {}
    tx_power: int | None = None
    offset = 0
    while offset < len(data):
        length = data[offset]
        if length == 0 or offset + 1 + length > len(data):
            break
        kind, value = data[offset + 1], data[offset + 2 : offset + 1 + length]
        offset += 1 + length
        if kind in _AD_LOCAL_NAME:
            name = value.decode("utf-8", errors="replace")
        elif kind in _AD_16_BIT_UUIDS:
            services += [
                normalize_uuid_16(int.from_bytes(value[i : i + 2], "little"))
                for i in range(0, len(value) - 1, 2)
            ]
        elif kind in _AD_128_BIT_UUIDS:
            services += [
                str(uuid_module.UUID(bytes=value[i : i + 16][::-1]))
                for i in range(0, len(value) - 15, 16)
            ]
        elif kind == _AD_MANUFACTURER and len(value) >= 2:
            manufacturer[int.from_bytes(value[:2], "little")] = value[2:]
        elif kind == _AD_TX_POWER and value:
            tx_power = int.from_bytes(value[:1], "little", signed=True)
    return AdvertisementData(
        local_name=name,
        manufacturer_data=manufacturer,
        service_data={},
        service_uuids=services,
        tx_power=tx_power,
        rssi=rssi,
        platform_data=(),
    )


def _bleak_address(address: object) -> str:
    """'C0:FF:EE:00:00:01/P' -> 'C0:FF:EE:00:00:01'."""
    return str(address).split("/", 1)[0].upper()


class BumbleScanner(BaseBleakScanner):
    """Scans the emulated air; reports every advertisement to Bleak's callbacks."""

    air: ClassVar[EmulatedAir]

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: Literal["active", "passive"] = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio: Device | None = None

    async def start(self) -> None:
        """Open a radio and start scanning."""
        from bumble.device import Device

        self.seen_devices = {}
        if self._radio is not None:
            return
        radio = await self.air.open_radio()
        self._radio = radio
        radio.on(Device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await radio.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        """Stop scanning and take the radio off the air."""
        radio, self._radio = self._radio, None
        if radio is None:
            return
        try:
            await asyncio.wait_for(radio.stop_scanning(), DISCONNECT_TIMEOUT_S)
        finally:
            self.air.remove_device(radio)

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        adv = parse_advertising_data(advertisement.data_bytes, advertisement.rssi)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = _bleak_address(advertisement.address)
        device = self.create_or_update_device(
            address, address, adv.local_name, advertisement.address, adv
        )
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    """Connects to an emulated peripheral over the air, as a GATT client."""

    air: ClassVar[EmulatedAir]

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None,
        timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._device_name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._radio: Device | None = None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._leaving = False  # True while we ourselves disconnect
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._mtu = ATT_DEFAULT_MTU_BYTES

    # -- connectivity -------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The advertised name, else the address."""
        return self._device_name or self.address

    @property
    def mtu_size(self) -> int:
        """The ATT MTU of the link."""
        return self._mtu

    @property
    def is_connected(self) -> bool:
        """True while the link is up."""
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        """Open a radio, connect within the client's timeout, discover the services."""
        from bumble.device import Peer
        from bumble.hci import Address

        if self._connection is not None:
            return
        radio = await self.air.open_radio()
        self._radio = radio
        try:
            async with asyncio.timeout(self._timeout):
                connection = await radio.connect(Address(self.address), timeout=None)
                self._connection = connection
                self._leaving = False
                connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
                peer = Peer(connection)
                self._peer = peer
                # as BlueZ does on every link: one MTU exchange before anything else
                self._mtu = await peer.request_mtu(ATT_REQUESTED_MTU_BYTES)
                self.services = await self._discover(peer)
        except BaseException:
            self._forget()
            raise

    async def _discover(self, peer: Peer) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        for service in await peer.discover_services():
            bleak_service = BleakGATTService(service, service.handle, bleak_uuid(service.uuid))
            collection.add_service(bleak_service)
            for characteristic in await service.discover_characteristics():
                properties: list[CharacteristicPropertyName] = [
                    name
                    for bit, name in CHARACTERISTIC_PROPERTIES.items()
                    if int(characteristic.properties) & bit
                ]
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    bleak_uuid(characteristic.uuid),
                    properties,
                    lambda: self._mtu - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_characteristic)
                for descriptor in await peer.discover_descriptors(characteristic):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            bleak_uuid(descriptor.type),
                            bleak_characteristic,
                        )
                    )
        return collection

    def _on_disconnection(self, _reason: int) -> None:
        leaving = self._leaving
        self._forget()
        if not leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    def _forget(self) -> None:
        """Drop the link state and take the radio off the air."""
        self._connection = None
        self._peer = None
        self._mtu = ATT_DEFAULT_MTU_BYTES
        self._subscribers.clear()
        radio, self._radio = self._radio, None
        if radio is not None:
            self.air.remove_device(radio)

    async def disconnect(self) -> None:
        """End the link (if any) and take the radio off the air."""
        connection = self._connection
        if connection is not None:
            self._leaving = True
            try:
                await asyncio.wait_for(
                    connection.disconnect(HCI_REMOTE_USER_TERMINATED), DISCONNECT_TIMEOUT_S
                )
            except Exception as exc:
                logger.debug("emulated disconnect did not complete cleanly: %r", exc)
        self._forget()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Heart-rate straps need no pairing; nothing to do."""

    async def unpair(self) -> None:
        """Nothing was paired; nothing to do."""

    # -- I/O ------------------------------------------------------------------------------

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a characteristic's value over ATT."""
        return bytearray(await self._require_peer().read_value(characteristic.obj))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        """Read a descriptor's value over ATT."""
        return bytearray(await self._require_peer().read_value(descriptor.obj))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        """Write a characteristic's value over ATT."""
        await self._require_peer().write_value(
            characteristic.obj, bytes(data), with_response=response
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        """Write a descriptor's value over ATT."""
        await self._require_peer().write_value(descriptor.obj, bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        """Write the CCCD and pass every notification's bytes to `callback`."""

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        await self._require_peer().subscribe(characteristic.obj, on_value)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        """Clear the CCCD and forget the callback."""
        subscriber = self._subscribers.pop(characteristic.handle, None)
        await self._require_peer().unsubscribe(characteristic.obj, subscriber)
