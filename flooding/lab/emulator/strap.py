"""An emulated heart-rate chest strap: a Bumble device serving the standard services.

It serves the Heart Rate Service (0x180D: measurement 0x2A37 with RR intervals and sensor
contact, body sensor location 0x2A38) and the Battery Service (0x180F: level 0x2A19),
advertises its name and 0x180D like a real strap, and notifies one measurement every
`interval_s` while a client is subscribed. Given a `movement`, it also serves Polar's
measurement service with an accelerometer (`pmd.PmdServer`, like an H10), sending each
strap-second's samples just before that second's heart-rate measurement. Tests script it:
what it sends (a feed of `HeartRateMeasurement`s or raw bytes, including malformed packets),
dropping the link and coming back, stalling (connected but silent).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from flooding.core.hrm import HeartRateMeasurement
from flooding.lab.emulator.movement import Movement
from flooding.lab.emulator.pmd import PmdServer

if TYPE_CHECKING:
    from bumble.device import Connection, Device
    from bumble.gatt import Characteristic

    from flooding.lab.emulator.air import EmulatedAir

logger = logging.getLogger(__name__)

DEFAULT_NAME = "Polar H10 E1A2B3C4"
DEFAULT_ADDRESS = "C0:FF:EE:00:00:01"
FOREIGN_NAME = "Polar H10 0F0F0F0F"  # a stranger's strap in the same room
FOREIGN_ADDRESS = "C0:FF:EE:00:00:99"

DEFAULT_INTERVAL_S = 1.0  # a real strap notifies about once a second
ADVERTISING_INTERVAL_MS = 20  # short, so emulated scans and reconnects take milliseconds
CLOSE_GRACE_S = 1.0  # how long close() waits for a re-advertise in flight
CHEST = 1  # Body Sensor Location value for a chest strap
HCI_REMOTE_USER_TERMINATED = 0x13  # disconnect reason a strap sends when it goes away

_AD_FLAGS = 0x01
_AD_COMPLETE_16_BIT_UUIDS = 0x03
_AD_COMPLETE_LOCAL_NAME = 0x09
_AD_FLAGS_LE_GENERAL_NO_BREDR = 0x06


def calm_heart(bpm: float = 68.0, wobble_bpm: float = 3.0) -> Iterator[HeartRateMeasurement]:
    """An endless, gently varying calm heart: one measurement a second with its RR intervals."""
    for n in itertools.count():
        rate = bpm + wobble_bpm * math.sin(n / 7.0)
        rr_s = 60.0 / rate
        yield HeartRateMeasurement.from_rr_seconds(round(rate), [rr_s], contact=True)


def advertising_data(name: str, service_uuids_16: Iterable[int] = (0x180D,)) -> bytes:
    """Legacy advertising payload: flags, 16-bit service UUIDs, complete local name."""
    encoded = name.encode("utf-8")
    uuids = b"".join(uuid.to_bytes(2, "little") for uuid in service_uuids_16)
    out = bytes([2, _AD_FLAGS, _AD_FLAGS_LE_GENERAL_NO_BREDR])
    if uuids:
        out += bytes([len(uuids) + 1, _AD_COMPLETE_16_BIT_UUIDS]) + uuids
    out += bytes([len(encoded) + 1, _AD_COMPLETE_LOCAL_NAME]) + encoded
    if len(out) > 31:
        raise ValueError(f"advertising data for {name!r} is {len(out)} bytes; at most 31 fit")
    return out


class EmulatedStrap:
    """One emulated strap on an `EmulatedAir`.

    `feed` is what it notifies, one item per `interval_s`: `HeartRateMeasurement`s or raw
    `bytes` (to send malformed packets). When the feed runs out the strap stays connected
    but silent. `send()` notifies one item at once, whatever the feed.
    """

    def __init__(
        self,
        air: EmulatedAir,
        *,
        name: str = DEFAULT_NAME,
        address: str = DEFAULT_ADDRESS,
        feed: Iterable[HeartRateMeasurement | bytes] | None = None,
        interval_s: float = DEFAULT_INTERVAL_S,
        battery_percent: int = 87,
        body_sensor_location: int | None = CHEST,
        advertise_heart_rate_service: bool = True,
        movement: Movement | None = None,
    ) -> None:
        self.air = air
        self.name = name
        self.address = address
        self.interval_s = interval_s
        self.battery_percent = battery_percent
        self._feed: Iterator[HeartRateMeasurement | bytes] = iter(
            calm_heart() if feed is None else feed
        )
        self._location = body_sensor_location
        self._service_uuids = (0x180D, 0x180F) if advertise_heart_rate_service else ()
        self._movement = movement
        self.pmd: PmdServer | None = None  # the accelerometer service, with a movement
        self._device: Device | None = None
        self._hrm: Characteristic[bytes] | None = None
        self._present = False  # in range and advertising when not connected
        self._stalled = False
        self._ticker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._advertising_lock = asyncio.Lock()
        self.connections_made = 0
        self.notifications_sent = 0
        self.disconnected = asyncio.Event()

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> EmulatedStrap:
        """Join the air, serve the GATT database and start advertising."""
        from bumble import gatt
        from bumble.device import Device

        device: Device = self.air.add_device(self.name, self.address)
        self._device = device
        self._hrm = gatt.Characteristic(
            gatt.GATT_HEART_RATE_MEASUREMENT_CHARACTERISTIC,
            gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.Permissions(0),
            b"",
        )
        hrs_chars: list[Characteristic[bytes]] = [self._hrm]
        if self._location is not None:
            hrs_chars.append(
                gatt.Characteristic(
                    gatt.GATT_BODY_SENSOR_LOCATION_CHARACTERISTIC,
                    gatt.Characteristic.Properties.READ,
                    gatt.Characteristic.READABLE,
                    bytes([self._location]),
                )
            )
        battery: Characteristic[bytes] = gatt.Characteristic(
            gatt.GATT_BATTERY_LEVEL_CHARACTERISTIC,
            gatt.Characteristic.Properties.READ | gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.READABLE,
            gatt.CharacteristicValue(read=lambda _connection: bytes([self.battery_percent])),
        )
        device.add_service(gatt.Service(gatt.GATT_HEART_RATE_SERVICE, hrs_chars))
        device.add_service(gatt.Service(gatt.GATT_BATTERY_SERVICE, [battery]))
        if self._movement is not None:
            self.pmd = PmdServer(self._movement)
            device.add_service(self.pmd.service())
            self.pmd.attach(device)
        device.on(Device.EVENT_CONNECTION, self._on_connection)
        await device.power_on()
        self.air.register_strap(self)
        self._present = True
        await self._advertise()
        self._ticker = asyncio.create_task(self._tick(), name=f"strap {self.name} notifier")
        return self

    async def close(self) -> None:
        """Stop notifying, leave the air (idempotent)."""
        self._present = False
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        if self._tasks:
            # Let a re-advertise finish: cancelling a Bumble host command half-way makes
            # its late answer raise InvalidStateError inside Bumble.
            await asyncio.wait(set(self._tasks), timeout=CLOSE_GRACE_S)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.pmd is not None:
            await self.pmd.close()
        if self._device is not None:
            self.air.remove_device(self._device)
            self._device = None

    # -- behaviour tests script ----------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        """True while a client holds a link to the strap."""
        return self._device is not None and bool(self._device.connections)

    async def send(self, item: HeartRateMeasurement | bytes) -> None:
        """Notify one measurement (or raw bytes) to subscribers now."""
        if self._device is None or self._hrm is None:
            return
        payload = item if isinstance(item, bytes) else bytes(item)
        await self._device.notify_subscribers(self._hrm, payload)
        self.notifications_sent += 1

    def set_feed(self, feed: Iterable[HeartRateMeasurement | bytes]) -> None:
        """Replace what the strap notifies from now on."""
        self._feed = iter(feed)

    def stall(self) -> None:
        """Stay connected but stop notifying, until the next connection."""
        self._stalled = True

    async def drop(self, *, come_back: bool = False) -> None:
        """Go out of range: end the link (the client sees a disconnect) and stop advertising.

        With `come_back=True` it advertises again at once, like a strap that lost the link
        for a moment; otherwise it stays away until `come_back()`.
        """
        self._present = come_back
        if self._device is None:
            return
        if not come_back:
            async with self._advertising_lock:
                await self._device.stop_advertising()
        for connection in list(self._device.connections.values()):
            try:
                await asyncio.wait_for(connection.disconnect(HCI_REMOTE_USER_TERMINATED), 2.0)
            except (TimeoutError, Exception) as exc:
                logger.debug("emulated strap: disconnect did not complete: %r", exc)
        if come_back:
            await self._advertise()

    async def come_back(self) -> None:
        """Come back in range: advertise again so a client can reconnect."""
        self._present = True
        await self._advertise()

    # -- internals ----------------------------------------------------------------------

    async def _advertise(self) -> None:
        async with self._advertising_lock:  # a drop and a disconnect event may race here
            device = self._device
            if device is None or not self._present or device.connections:
                return
            if device.is_advertising:
                return
            await device.start_advertising(
                advertising_data=advertising_data(self.name, self._service_uuids),
                advertising_interval_min=ADVERTISING_INTERVAL_MS,
                advertising_interval_max=ADVERTISING_INTERVAL_MS,
            )

    def _on_connection(self, connection: Connection) -> None:
        self.connections_made += 1
        self._stalled = False
        self.disconnected.clear()
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        self.disconnected.set()
        if self.pmd is not None:
            self.pmd.link_lost()
        if self._present:
            task = asyncio.create_task(self._advertise(), name=f"strap {self.name} re-advertise")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _has_subscribers(self) -> bool:
        """True when a client has turned notifications on (its CCCD for 0x2A37 is set)."""
        device, hrm = self._device, self._hrm
        if device is None or hrm is None:
            return False
        for cccds in device.gatt_server.subscribers.values():
            value = cccds.get(hrm.handle, b"")
            if value and value[0] & 0x01:
                return True
        return False

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if not self.is_connected or self._stalled or not self._has_subscribers():
                continue
            item = next(self._feed, None)
            if item is None:
                continue
            try:
                if self.pmd is not None:
                    await self.pmd.send_second()
                await self.send(item)
            except Exception as exc:  # a link that just went away
                logger.debug("emulated strap: notify failed: %r", exc)
