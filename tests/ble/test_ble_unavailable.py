"""When the computer's Bluetooth cannot be used, the person is told that, not something else."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from bleak.backends.scanner import AdvertisementDataCallback, BaseBleakScanner

from flooding.core.models import LinkChanged, LinkState
from flooding.io.strap.backoff import Failure
from flooding.io.strap.ble import BluetoothUnavailableError, StrapSource, scan

pytestmark = pytest.mark.timeout(20)


class NoAdapterScanner(BaseBleakScanner):
    """A scanner whose Bluetooth stack cannot be reached (no system bus, adapter gone)."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        raise OSError(2, "No such file or directory: the system bus")

    async def stop(self) -> None:
        pass


def test_scan_says_bluetooth_is_unavailable() -> None:
    """A scan that cannot reach the Bluetooth stack raises BluetoothUnavailableError."""
    with pytest.raises(BluetoothUnavailableError, match="system bus"):
        asyncio.run(scan(0.1, backend=NoAdapterScanner))


def test_the_strap_source_reports_bluetooth_off_not_a_failed_connection() -> None:
    """A failing scan is reported as Bluetooth unavailable, not as a connection that failed."""

    async def first_drop() -> LinkChanged:
        source = StrapSource(
            address="C0:FF:EE:00:00:01",
            scanner_backend=NoAdapterScanner,
            scan_timeout_s=0.1,
            retry_delay=lambda attempt, failure: 0.01,
        )
        async with contextlib.aclosing(source.stream()) as items:
            async for item in items:
                if isinstance(item, LinkChanged) and item.state is LinkState.DISCONNECTED:
                    return item
        raise AssertionError("the stream ended")

    drop = asyncio.run(first_drop())
    assert drop.reason.startswith(f"{Failure.BLUETOOTH_OFF}:")


class TestClassify:
    def test_the_connectors_typed_errors_are_their_kinds(self) -> None:
        """bleak-retry-connector's typed errors become the matching failure kinds."""
        from bleak_retry_connector import (
            BleakAbortedError,
            BleakNotFoundError,
            BleakOutOfConnectionSlotsError,
        )

        from flooding.io.strap.backoff import Failure
        from flooding.io.strap.ble import classify

        assert classify(BleakAbortedError("x")) is Failure.ABORTED
        assert classify(BleakNotFoundError("x")) is Failure.DEVICE_GONE
        assert classify(BleakOutOfConnectionSlotsError("x")) is Failure.NO_SLOTS

    def test_services_vanishing_and_a_dropped_bus_are_their_kinds(self) -> None:
        """A KeyError from service enumeration and a closed system bus are named apart."""
        from bleak.exc import BleakCharacteristicNotFoundError

        from flooding.io.strap.backoff import Failure
        from flooding.io.strap.ble import classify

        assert classify(KeyError("org.bluez.GattService1")) is Failure.SERVICES_CHANGED
        assert classify(BleakCharacteristicNotFoundError("2a37")) is Failure.SERVICES_CHANGED
        assert classify(EOFError()) is Failure.BLUETOOTH_OFF
        assert classify(TimeoutError()) is Failure.CONNECT_FAILED
