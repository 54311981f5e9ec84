"""The person's chest strap over Bluetooth LE, through Bleak. The only module importing bleak.

Bleak is imported inside functions, so `flooding --help` stays fast. In Bleak's own
style, the notification callback only enqueues the bytes (with their arrival time); an
async iterator decodes them, and cleanup lives in `finally`.

    source = StrapSource(address="C0:FF:EE:00:00:01")
    async with contextlib.aclosing(source.stream()) as items:
        async for item in items:   # Sample | LinkChanged | BatteryLevel | SensorLocation
            ...

Connections go through bleak-retry-connector's `establish_connection` (the connector Home
Assistant's Bluetooth stack relies on): on Linux it first takes over a link BlueZ still holds
from a crashed run, clears a stale GATT cache when services vanish mid-enumeration, and turns
BlueZ's errors into typed ones; `classify` maps every error to a `Failure` kind, and the
backoff and the advice follow the kind.

A strap with Polar's measurement service (the H10) also streams its accelerometer
(`flooding.io.strap.pmd`): each sample then carries the activity level of the second before
it (`Sample.activity_g`); other straps give heart rate only (`activity_g` None).

`scanner_backend` / `client_backend` take a Bleak backend class (e.g. the emulator's,
`flooding.lab.emulator.EmulatedAir.scanner_backend`); None means the platform's real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flooding.core.hrm import (
    BATTERY_LEVEL_UUID,
    BODY_SENSOR_LOCATION_UUID,
    BODY_SENSOR_LOCATIONS,
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    HeartRateMeasurement,
    HrmDecodeError,
    to_sample,
)
from flooding.core.models import BatteryLevel, LinkChanged, LinkState, SensorLocation, SourceItem
from flooding.io.clock import SessionClock
from flooding.io.strap.backoff import Failure, advice, failure_of, retry_delay_s
from flooding.io.strap.pmd import START_TIMEOUT_S as PMD_START_TIMEOUT_S
from flooding.io.strap.pmd import AccelerometerStream, PmdError, offered

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

logger = logging.getLogger(__name__)

DEFAULT_SCAN_TIMEOUT_S = 10.0  # a strap advertises several times a second once worn
DEFAULT_CONNECT_TIMEOUT_S = 15.0  # BlueZ/WinRT connects take a few s; a hung one is retried
DEFAULT_STALL_TIMEOUT_S = 5.0  # a strap notifies about once a second: 5 silent s is a fault
DEFAULT_BATTERY_INTERVAL_S = 600.0  # the battery drains over months; every 10 min is plenty
GATT_OP_TIMEOUT_S = 5.0  # one read/subscribe/unsubscribe; longer means the link is gone
DISCONNECT_TIMEOUT_S = 5.0  # never hang shutdown on a dying link
CONNECT_ATTEMPTS = 2  # a second try inside one connect cures most aborted links at once


@dataclass(frozen=True, slots=True)
class StrapInfo:
    """A device seen in a scan."""

    name: str | None
    address: str
    rssi: int | None
    has_heart_rate_service: bool

    @property
    def label(self) -> str:
        """'Polar H10 A1B2C3D4 (C0:FF:EE:00:00:01)'."""
        return f"{self.name or 'unnamed device'} ({self.address})"


class StrapUnavailableError(Exception):
    """The strap could not be reached within the time allowed; `advice` says what to check."""

    def __init__(
        self, failure: Failure, advice_text: str, strap: str | None = None, attempts: int = 1
    ) -> None:
        self.failure = failure
        self.advice = advice_text  # in English; `advice(failure, strap, ...)` in any language
        self.strap = strap
        self.attempts = attempts
        super().__init__(advice_text)


class BluetoothUnavailableError(Exception):
    """This computer's Bluetooth cannot be used (off, missing, or no permission)."""


class _LinkFailure(Exception):
    """Internal: one connection attempt or session ended; `failure` says how."""

    def __init__(self, failure: Failure, detail: str) -> None:
        self.failure = failure
        self.detail = detail
        super().__init__(detail)


def _has_hrs(adv: AdvertisementData) -> bool:
    return HEART_RATE_SERVICE_UUID in (uuid.lower() for uuid in adv.service_uuids)


async def scan(
    timeout_s: float, *, backend: type[BaseBleakScanner] | None = None
) -> list[StrapInfo]:
    """Every device seen within `timeout_s`: heart-rate straps first, then by signal strength.

    Raises `BluetoothUnavailableError` when Bluetooth cannot be used at all.
    """
    from bleak import BleakScanner
    from bleak.exc import BleakError

    try:
        found = await BleakScanner.discover(
            timeout=timeout_s, return_adv=True, **_backend_kwargs(backend)
        )
    except (BleakError, OSError) as exc:  # OSError: no system bus or adapter to talk to
        raise BluetoothUnavailableError(str(exc) or type(exc).__name__) from exc
    straps = [
        StrapInfo(
            name=adv.local_name or device.name,
            address=device.address,
            rssi=adv.rssi,
            has_heart_rate_service=_has_hrs(adv),
        )
        for device, adv in found.values()
    ]
    straps.sort(
        key=lambda s: (
            not s.has_heart_rate_service,
            -(s.rssi if s.rssi is not None else -999),
            s.name or "",
        )
    )
    return straps


@functools.cache
def _client_class() -> type[BleakClient]:
    """bleak-retry-connector's client, whose `clear_cache` really clears the stale GATT cache.

    The connector's own `clear_cache` method only forwards to Bleak's, which Bleak no longer
    has (it logs "clear_cache not implemented in bleak version" and clears nothing); the
    connector's module function does it: it empties Bleak's BlueZ services cache for the
    strap and has BlueZ forget the device (and so the cache it keeps on disk). The connector
    calls the method too, when services vanish while it connects.
    """
    from bleak_retry_connector import BleakClientWithServiceCache, clear_cache

    class StrapClient(BleakClientWithServiceCache):
        async def clear_cache(self) -> bool:
            return await clear_cache(self.address)

    return StrapClient


def _backend_kwargs(backend: object | None) -> dict[str, Any]:
    """`backend=` for Bleak only when one is given (the platform's own otherwise)."""
    return {} if backend is None else {"backend": backend}


def classify(exc: BaseException, default: Failure = Failure.CONNECT_FAILED) -> Failure:
    """Which kind of failure an exception from Bleak, BlueZ or a timeout stands for."""
    from bleak.exc import (
        BleakBluetoothNotAvailableError,
        BleakCharacteristicNotFoundError,
        BleakDBusError,
    )
    from bleak_retry_connector import (
        BleakAbortedError,
        BleakNotFoundError,
        BleakOutOfConnectionSlotsError,
    )

    if isinstance(exc, _LinkFailure):
        return exc.failure
    if isinstance(exc, BleakBluetoothNotAvailableError):
        return Failure.BLUETOOTH_OFF
    if isinstance(exc, BleakOutOfConnectionSlotsError):
        return Failure.NO_SLOTS
    if isinstance(exc, BleakAbortedError):
        return Failure.ABORTED
    if isinstance(exc, BleakNotFoundError):
        return Failure.DEVICE_GONE
    if isinstance(exc, KeyError | BleakCharacteristicNotFoundError):
        return Failure.SERVICES_CHANGED  # services BlueZ just removed, or a stale list of them
    if isinstance(exc, EOFError | BrokenPipeError | ConnectionError):
        return Failure.BLUETOOTH_OFF  # the system bus or bluetoothd went away
    if isinstance(exc, TimeoutError):
        return default
    name = exc.dbus_error if isinstance(exc, BleakDBusError) else None
    cause = exc.__cause__
    if name is None and isinstance(cause, BleakDBusError):
        name = cause.dbus_error
    return failure_of(name, f"{exc} {cause or ''}", default)


class StrapSource:
    """Heart data from the person's own strap, reconnecting forever (a `HeartSource`).

    The strap is matched by `address` (case-insensitive), or by exact advertised `name`
    when no address is given; no other strap is ever connected. `clock` stamps samples
    (seconds; default a `flooding.io.clock.SessionClock`, so a wall-clock jump moves no sample
    time; the stall watchdog and the retries run on the event loop's monotonic clock);
    `retry_delay` maps (attempt, failure) to seconds to wait (default:
    `flooding.io.strap.backoff.retry_delay_s` with random jitter). With `give_up_after_s`, the
    stream raises `StrapUnavailableError` when no link has been up for that long;
    by default it retries forever. `accelerometer_timeout_s` bounds the start of a strap's
    accelerometer (heart rate waits for it, then goes on without it).
    """

    def __init__(
        self,
        address: str = "",
        name: str = "",
        *,
        scanner_backend: type[BaseBleakScanner] | None = None,
        client_backend: type[BaseBleakClient] | None = None,
        clock: Callable[[], float] | None = None,
        stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        scan_timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
        battery_interval_s: float = DEFAULT_BATTERY_INTERVAL_S,
        retry_delay: Callable[[int, Failure], float] | None = None,
        give_up_after_s: float | None = None,
        accelerometer_timeout_s: float = PMD_START_TIMEOUT_S,
    ) -> None:
        if not address and not name:
            raise ValueError(
                "no strap chosen: run `flooding pair` (or set strap.address / strap.name)"
            )
        self.address = address.strip()
        self.name = name.strip()
        self._scanner_backend = scanner_backend
        self._client_backend = client_backend
        self._clock: Callable[[], float] = clock if clock is not None else SessionClock()
        self._stall_timeout_s = stall_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._scan_timeout_s = scan_timeout_s
        self._battery_interval_s = battery_interval_s
        self._retry_delay = retry_delay or (
            lambda attempt, failure: retry_delay_s(attempt, failure, random.random())
        )
        self._give_up_after_s = give_up_after_s
        self._accelerometer_timeout_s = accelerometer_timeout_s
        self._seen_name: str | None = None  # the advertised name, once the strap was seen

    @property
    def description(self) -> str:
        """'Polar H10 A1B2C3D4 (C0:FF:EE:00:00:01)', or whichever of the two is known."""
        if self.name and self.address:
            return f"{self.name} ({self.address})"
        return self.name or self.address

    def matches(self, device: BLEDevice, adv: AdvertisementData) -> bool:
        """True only for the person's own strap."""
        if self.address:
            return device.address.lower() == self.address.lower()
        return (adv.local_name or device.name) == self.name

    def _link(
        self, state: LinkState, reason: str = "", failure: Failure | None = None, attempts: int = 0
    ) -> LinkChanged:
        return LinkChanged(
            t_s=self._clock(),
            state=state,
            strap_name=self.name or self._seen_name,
            strap_address=self.address or None,
            reason=reason,
            failure="" if failure is None else failure.value,
            attempts=attempts,
        )

    async def stream(self) -> AsyncGenerator[SourceItem, None]:
        """Yield link events, battery, sensor location and samples; reconnect forever.

        Close it with `contextlib.aclosing` (or cancel the consuming task): notifications
        are stopped and the link is closed before the generator ends.
        """
        loop = asyncio.get_running_loop()
        attempt = 0
        last_up = loop.time()
        while True:
            yield self._link(LinkState.SEARCHING)
            try:
                device = await self._find()
                if device is None:
                    raise _LinkFailure(
                        Failure.NOT_FOUND, f"not seen in a {self._scan_timeout_s:g} s scan"
                    )
                yield self._link(LinkState.CONNECTING)
                async with contextlib.aclosing(self._session(device)) as items:
                    async for item in items:
                        if isinstance(item, LinkChanged) and item.state is LinkState.CONNECTED:
                            attempt = 0
                        yield item
                        last_up = loop.time()
            except Exception as exc:  # cancellation (a BaseException) passes through
                failure = classify(exc)
                detail = exc.detail if isinstance(exc, _LinkFailure) else repr(exc)
                attempt += 1
                text = advice(failure, self.description, attempts=attempt)
                logger.info(
                    "strap %s: %s (%s); retry %d", self.description, failure, detail, attempt
                )
                yield self._link(
                    LinkState.DISCONNECTED, f"{failure}: {detail}. {text}", failure, attempt
                )
                if (
                    self._give_up_after_s is not None
                    and loop.time() - last_up >= self._give_up_after_s
                ):
                    raise StrapUnavailableError(failure, text, self.description, attempt) from None
                await asyncio.sleep(self._retry_delay(attempt, failure))

    async def _find(self) -> BLEDevice | None:
        """The person's strap if a scan sees it; a failing scan means Bluetooth is unusable
        (the strap was not even looked for, so "found but would not connect" would mislead)."""
        from bleak import BleakScanner

        try:
            return await BleakScanner.find_device_by_filter(
                self.matches, timeout=self._scan_timeout_s, **_backend_kwargs(self._scanner_backend)
            )
        except Exception as exc:
            raise _LinkFailure(classify(exc, Failure.BLUETOOTH_OFF), repr(exc)) from exc

    async def _session(self, device: BLEDevice) -> AsyncGenerator[SourceItem, None]:
        """One connection: connect, read, subscribe, then decode notifications until it ends.

        Ends by raising `_LinkFailure`; always stops notifications and disconnects.
        """
        from bleak.exc import BleakCharacteristicNotFoundError
        from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

        # the platform's own backend (BlueZ on Linux) has the cache to clear; another is as is
        client_class = (
            _client_class() if self._client_backend is None else BleakClientWithServiceCache
        )

        # The callbacks only enqueue: (arrival time, bytes), or None for a dropped link.
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        def on_notify(_char: object, data: bytearray) -> None:
            queue.put_nowait((self._clock(), bytes(data)))

        def on_disconnect(_client: BleakClient) -> None:
            queue.put_nowait(None)

        name = device.name or self.name or None
        self._seen_name = name
        subscribed = False
        client: BleakClient | None = None
        accelerometer: AccelerometerStream | None = None
        try:
            try:
                # bleak-retry-connector has its own timeouts too; this one also covers a
                # connect that never answers (BlueZ stuck, Bumble's virtual controller).
                async with asyncio.timeout(self._connect_timeout_s):
                    client = await establish_connection(
                        client_class,
                        device,
                        name or device.address,
                        disconnected_callback=on_disconnect,
                        max_attempts=CONNECT_ATTEMPTS,
                        **_backend_kwargs(self._client_backend),
                    )
            except TimeoutError:
                raise _LinkFailure(
                    Failure.CONNECT_FAILED, f"no connection within {self._connect_timeout_s:g} s"
                ) from None
            while not queue.empty():  # a failed attempt's disconnect is not this link's
                queue.get_nowait()
            yield LinkChanged(
                t_s=self._clock(),
                state=LinkState.CONNECTED,
                strap_name=name,
                strap_address=device.address,
            )
            location = await self._read_location(client)
            if location is not None:
                yield location
            battery = await self._read_battery(client)
            if battery is not None:
                yield battery
            accelerometer = await self._start_accelerometer(client)
            try:
                async with asyncio.timeout(GATT_OP_TIMEOUT_S):
                    await client.start_notify(HEART_RATE_MEASUREMENT_UUID, on_notify)
            except BleakCharacteristicNotFoundError as exc:
                # the heart-rate characteristic is missing from the services BlueZ listed (a
                # stale cache, or services changing mid-enumeration): list them afresh next time
                if isinstance(client, BleakClientWithServiceCache):
                    with contextlib.suppress(Exception):
                        await client.clear_cache()
                raise _LinkFailure(Failure.SERVICES_CHANGED, str(exc)) from exc
            subscribed = True
            loop = asyncio.get_running_loop()
            next_battery = loop.time() + self._battery_interval_s
            # only a packet that decodes counts as heart rate: malformed ones keep no link alive
            stall_at = loop.time() + self._stall_timeout_s
            unreadable = 0  # packets since the last one that could be read
            while True:
                try:
                    async with asyncio.timeout_at(stall_at):
                        item = await queue.get()
                except TimeoutError:
                    if unreadable:  # it sends, but nothing this program can read
                        raise _LinkFailure(
                            Failure.UNREADABLE,
                            f"{unreadable} unreadable heart-rate "
                            f"{'packet' if unreadable == 1 else 'packets'} and no heart rate "
                            f"for {self._stall_timeout_s:g} s",
                        ) from None
                    raise _LinkFailure(
                        Failure.STALLED, f"no heart rate for {self._stall_timeout_s:g} s"
                    ) from None
                if item is None:
                    raise _LinkFailure(Failure.DROPPED, "the strap disconnected")
                t_s, data = item
                try:
                    measurement = HeartRateMeasurement.from_bytes(data)
                except HrmDecodeError as exc:
                    unreadable += 1
                    logger.warning(
                        # the reason names sizes and flags only: the bytes themselves hold
                        # heart rate and beat timing, which stay out of every log
                        "skipping a malformed heart-rate packet from %s: %s",  # sized there
                        self.description,
                        exc,
                    )
                    continue
                unreadable = 0
                activity = None if accelerometer is None else accelerometer.level()
                yield to_sample(measurement, t_s, activity)
                if loop.time() >= next_battery:
                    next_battery = loop.time() + self._battery_interval_s
                    battery = await self._read_battery(client)
                    if battery is not None:
                        yield battery
                stall_at = loop.time() + self._stall_timeout_s
        finally:
            if client is not None:
                await self._close(client, subscribed, accelerometer)

    async def _start_accelerometer(self, client: BleakClient) -> AccelerometerStream | None:
        """The strap's accelerometer, started, when it offers one; None otherwise or when it
        will not start (heart rate goes on without it)."""
        if not offered(client):
            return None
        stream = AccelerometerStream(client, self.description)
        try:
            async with asyncio.timeout(self._accelerometer_timeout_s):
                started = await stream.start()
            if started:
                return stream
        except (PmdError, TimeoutError) as exc:
            logger.warning(
                "the accelerometer of %s did not start (%s); heart rate only",
                self.description,
                str(exc) or "no answer in time",
            )
        except Exception as exc:  # a Bleak/BlueZ error: the link itself shows if it is gone
            logger.warning(
                "the accelerometer of %s did not start (%r); heart rate only",
                self.description,
                exc,
            )
        await stream.stop()
        return None

    async def _close(
        self,
        client: BleakClient,
        subscribed: bool,
        accelerometer: AccelerometerStream | None = None,
    ) -> None:
        """Stop the accelerometer and notifications and disconnect, never raising and never
        hanging."""
        if accelerometer is not None:
            await accelerometer.stop()
        if not client.is_connected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), DISCONNECT_TIMEOUT_S)
            return
        if subscribed:
            try:
                await asyncio.wait_for(
                    client.stop_notify(HEART_RATE_MEASUREMENT_UUID), GATT_OP_TIMEOUT_S
                )
            except Exception as exc:
                logger.debug("stop_notify on %s failed: %r", self.description, exc)
        try:
            await asyncio.wait_for(client.disconnect(), DISCONNECT_TIMEOUT_S)
        except Exception as exc:
            logger.debug("disconnect from %s failed: %r", self.description, exc)

    async def _read_char(self, client: BleakClient, uuid: str, what: str) -> bytearray | None:
        """A characteristic's value, or None when the strap lacks it or the read fails."""
        if client.services.get_characteristic(uuid) is None:
            return None
        try:
            async with asyncio.timeout(GATT_OP_TIMEOUT_S):
                return await client.read_gatt_char(uuid)
        except Exception as exc:
            logger.info("could not read the %s of %s: %r", what, self.description, exc)
            return None

    async def _read_battery(self, client: BleakClient) -> BatteryLevel | None:
        raw = await self._read_char(client, BATTERY_LEVEL_UUID, "battery")
        if raw is None:
            return None
        if len(raw) != 1 or raw[0] > 100:
            logger.warning("ignoring a battery level that is not 0-100 %%: %s", raw.hex(" "))
            return None
        return BatteryLevel(t_s=self._clock(), percent=raw[0])

    async def _read_location(self, client: BleakClient) -> SensorLocation | None:
        raw = await self._read_char(client, BODY_SENSOR_LOCATION_UUID, "sensor location")
        if not raw:
            return None
        return SensorLocation(
            t_s=self._clock(), location=BODY_SENSOR_LOCATIONS.get(raw[0], f"code {raw[0]}")
        )
