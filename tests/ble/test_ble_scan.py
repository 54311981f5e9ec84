"""Scanning for straps through Bleak's real scanner, against the emulated air."""

from __future__ import annotations

import pytest

from flooding.io.strap.ble import scan
from flooding.lab.emulator import (
    DEFAULT_ADDRESS,
    DEFAULT_NAME,
    FOREIGN_ADDRESS,
    FOREIGN_NAME,
    EmulatedAir,
    EmulatedStrap,
)
from tests.ble.emulated import run_scenario

pytestmark = pytest.mark.timeout(20)


def test_scan_finds_the_strap_and_the_foreign_one() -> None:
    """Both straps on the air are listed, by name and address, as Heart Rate devices."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, stranger: object) -> None:
        found = await scan(0.2, backend=air.scanner_backend)
        by_address = {s.address: s for s in found}
        assert set(by_address) == {DEFAULT_ADDRESS, FOREIGN_ADDRESS}
        assert by_address[DEFAULT_ADDRESS].name == DEFAULT_NAME
        assert by_address[FOREIGN_ADDRESS].name == FOREIGN_NAME
        assert all(s.has_heart_rate_service for s in found)
        assert by_address[DEFAULT_ADDRESS].rssi is not None

    run_scenario(scenario, foreign=True)


def test_heart_rate_straps_come_before_other_devices() -> None:
    """A device that does not advertise 0x180D is listed after the straps, marked as such."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, stranger: object) -> None:
        await EmulatedStrap(
            air, name="Kettle", address="C0:FF:EE:00:00:50", advertise_heart_rate_service=False
        ).start()
        found = await scan(0.2, backend=air.scanner_backend)
        assert [s.name for s in found] == [DEFAULT_NAME, "Kettle"]
        assert [s.has_heart_rate_service for s in found] == [True, False]

    run_scenario(scenario)


def test_scan_with_nothing_in_range_returns_empty() -> None:
    """With the only strap out of range the scan ends at its timeout and finds no strap."""

    async def scenario(air: EmulatedAir, strap: EmulatedStrap, stranger: object) -> None:
        await strap.drop()
        found = await scan(0.2, backend=air.scanner_backend)
        assert found == []

    run_scenario(scenario)
