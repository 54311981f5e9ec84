"""The strap through Bleak's own BlueZ backend, unmodified, on BlueZoo (BlueZ's D-Bus API in
user space): the whole flow, and each way BlueZ fails, with what the person sees."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest

from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Sample, SensorLocation
from flooding.io.strap.ble import StrapSource, scan
from flooding.lab.emulator.movement import walking
from tests.ble.bluez.harness import (
    HOST_ADAPTER,
    HOST_ADAPTER_PATH,
    STRAP_ADAPTER_PATH,
    STRAP_ADDRESS,
    STRAP_DEVICE_PATH,
    BluezStack,
    available,
    bluez_stack,
)
from tests.ble.bluez.peripheral import BluezStrap

pytestmark = pytest.mark.skipif(available() is not None, reason=available() or "")

T = TypeVar("T")
STRAP_NAME = "Polar H10 0A1B2C3D"
PACKET_INTERVAL_S = 0.05  # the strap notifies 20 times a second in these tests


def run(scenario: Callable[[BluezStack, BluezStrap], Awaitable[T]]) -> T:
    """Run `scenario(stack, strap)` on a fresh stack with the strap advertising and notifying."""

    async def main(stack: BluezStack) -> T:
        strap = BluezStrap(stack.bus_address, STRAP_ADAPTER_PATH, STRAP_NAME)
        await strap.start()
        beating = asyncio.create_task(_beat(strap))
        try:
            async with asyncio.timeout(60):
                return await scenario(stack, strap)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await strap.stop()

    with bluez_stack() as stack:
        return asyncio.run(main(stack))


async def _beat(strap: BluezStrap) -> None:
    while True:
        strap.send(72, (0.83,))
        await asyncio.sleep(PACKET_INTERVAL_S)


def source(**options: Any) -> StrapSource:
    """The strap source with short timeouts and quick retries."""
    settings: dict[str, Any] = {
        "address": STRAP_ADDRESS,
        "connect_timeout_s": 5.0,
        "stall_timeout_s": 1.0,
        "scan_timeout_s": 3.0,
        "retry_delay": lambda attempt, failure: 0.05,
    }
    settings.update(options)
    return StrapSource(**settings)


async def items_until(
    src: StrapSource, done: Callable[[list[object]], bool], timeout_s: float = 30.0
) -> list[object]:
    """Every item the source yields until `done(items)` holds."""
    seen: list[object] = []
    async with asyncio.timeout(timeout_s), contextlib.aclosing(src.stream()) as stream:
        async for item in stream:
            seen.append(item)
            if done(seen):
                break
    return seen


async def interrupted(
    src: StrapSource,
    interruption: Callable[[], Coroutine[Any, Any, None]],
    timeout_s: float = 30.0,
) -> list[object]:
    """Stream until samples flow, run `interruption`, and go on until samples flow again
    after the strap went away; every item seen is returned."""
    seen: list[object] = []
    started: asyncio.Task[None] | None = None
    mark = 0
    try:
        async with asyncio.timeout(timeout_s), contextlib.aclosing(src.stream()) as stream:
            async for item in stream:
                seen.append(item)
                if started is None and len(samples(seen)) >= 3:
                    started, mark = asyncio.create_task(interruption()), len(seen)
                if started is not None and started.done() and after_reconnect(3)(seen[mark:]):
                    break
    finally:
        if started is not None:
            await started
    return seen


def samples(items: list[object]) -> list[Sample]:
    return [i for i in items if isinstance(i, Sample)]


def links(items: list[object], state: LinkState) -> list[LinkChanged]:
    return [i for i in items if isinstance(i, LinkChanged) and i.state is state]


def after_reconnect(n: int) -> Callable[[list[object]], bool]:
    """Done once `n` samples arrived after the last disconnect."""

    def done(items: list[object]) -> bool:
        last_down = max(
            (
                k
                for k, i in enumerate(items)
                if isinstance(i, LinkChanged) and i.state is LinkState.DISCONNECTED
            ),
            default=-1,
        )
        return last_down >= 0 and len(samples(items[last_down:])) >= n

    return done


class TestTheWholeFlow:
    def test_scan_lists_the_strap_by_name_with_its_heart_rate_service(self) -> None:
        """A scan through BlueZ finds the strap, named, marked as a heart-rate strap."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> None:
            found = await scan(3.0)
            mine = [s for s in found if s.address == STRAP_ADDRESS]
            assert [(s.name, s.has_heart_rate_service) for s in mine] == [(STRAP_NAME, True)]

        run(scenario)

    def test_connects_reads_battery_and_location_and_streams_samples(self) -> None:
        """Connect by address, read battery and body location, then decode notifications."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            return await items_until(source(), lambda items: len(samples(items)) >= 5)

        items = run(scenario)
        assert links(items, LinkState.CONNECTED)[0].strap_name == STRAP_NAME
        assert [i.percent for i in items if isinstance(i, BatteryLevel)] == [87]
        assert [i.location for i in items if isinstance(i, SensorLocation)] == ["chest"]
        assert {(s.bpm, s.rr_s, s.contact) for s in samples(items)} == {
            (72.0, (0.830078125,), True)
        }

    def test_the_strap_vanishing_and_returning_continues_the_stream(self) -> None:
        """The strap going away (its app stops) and coming back gives a drop, then samples again."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            async def vanish_and_return() -> None:
                await strap.stop()
                await asyncio.sleep(1.0)
                await strap.start()

            return await interrupted(source(), vanish_and_return)

        items = run(scenario)
        assert links(items, LinkState.DISCONNECTED)
        assert len(links(items, LinkState.CONNECTED)) >= 2


def reasons(items: list[object]) -> list[str]:
    """What the person is told each time the strap goes away."""
    return [i.reason for i in links(items, LinkState.DISCONNECTED)]


def recovered_after(items: list[object]) -> bool:
    """The stream went on: samples came after the last time the strap went away."""
    return after_reconnect(3)(items)


# (error, message, how many in a row, the failure the person is told about). The connector
# retries an aborted link up to 9 times inside one connect (bleak-retry-connector's
# MAX_TRANSIENT_ERRORS), any other error once more (CONNECT_ATTEMPTS).
CONNECT_FAULTS = [
    ("org.bluez.Error.Failed", "br-connection-canceled", 9, "aborted"),
    ("org.bluez.Error.Failed", "Software caused connection abort", 2, "aborted"),
    ("org.bluez.Error.InProgress", "In Progress", 2, "busy"),
    ("org.bluez.Error.Failed", "Input/output error", 2, "connect-failed"),
]


class TestConnectFailures:
    @pytest.mark.parametrize(("error", "message", "count", "failure"), CONNECT_FAULTS)
    def test_a_failing_connect_is_named_advised_and_retried_until_it_works(
        self, error: str, message: str, count: int, failure: str
    ) -> None:
        """Each BlueZ connect error ends in a named failure with advice, then samples again."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("connect", *[{"error": error, "message": message}] * count)
            return await items_until(source(), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)[0].startswith(f"{failure}: ")
        assert "Please" in reasons(items)[0]
        assert recovered_after(items)

    def test_le_connection_abort_by_local_is_retried_at_once_without_telling_anyone(self) -> None:
        """BlueZ's most common error (the link comes up and breaks) is retried inside the
        same connect, so the person sees nothing but their heart rate."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            fault = {
                "error": "org.bluez.Error.Failed",
                "message": "le-connection-abort-by-local",
                "connected_briefly": True,
            }
            stack.inject("connect", *[fault] * 3)
            items = await items_until(source(), lambda items: len(samples(items)) >= 3)
            assert stack.pending("connect") == 0
            return items

        items = run(scenario)
        assert reasons(items) == []

    def test_a_connect_that_never_answers_is_cut_and_retried(self) -> None:
        """A connect BlueZ never answers ends after the connect timeout, then works."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("connect", {"hang": True})
            return await items_until(source(connect_timeout_s=2.0), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)[0].startswith("connect-failed: no connection within 2 s")
        assert recovered_after(items)

    def test_a_device_removed_between_scan_and_connect_is_found_again(self) -> None:
        """BlueZ forgetting the device (UnknownObject) leads to a new scan, then samples."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("connect", {"remove": True})
            return await items_until(source(), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)[0].startswith("device-gone: ")
        assert recovered_after(items)

    def test_a_link_lost_while_services_resolve_is_retried(self) -> None:
        """A disconnect during service resolution is a failed connect, retried until it works."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("connect", *[{"drop_while_resolving": True}] * 3)
            return await items_until(source(), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)
        assert recovered_after(items)

    def test_services_vanishing_mid_enumeration_clear_the_cache_and_retry(self) -> None:
        """The heart-rate service gone from the list BlueZ resolved (services changing
        mid-enumeration, a stale cache) is named, the cache cleared, and samples flow again."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("connect", {"services_vanish": True})
            return await items_until(source(), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)[0].startswith("services-changed: ")
        assert recovered_after(items)

    def test_services_vanishing_have_bluez_forget_the_strap_and_its_stale_cache(self) -> None:
        """When the heart-rate service is missing from what BlueZ resolved, the stale cache is
        really cleared: by the time the link is reported down, BlueZ has forgotten the strap
        (and the services it kept for it), and samples flow again after a new scan."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> tuple[list[object], bool]:
            stack.inject("connect", {"services_vanish": True})
            src = source(retry_delay=lambda attempt, failure: 1.0)  # rescan soon
            seen: list[object] = []
            known_when_down: bool | None = None
            async with asyncio.timeout(30), contextlib.aclosing(src.stream()) as stream:
                async for item in stream:
                    seen.append(item)
                    if known_when_down is None and links(seen, LinkState.DISCONNECTED):
                        objects = await stack.call(
                            "/", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects"
                        )
                        known_when_down = STRAP_DEVICE_PATH in objects[0]
                    if after_reconnect(3)(seen):
                        break
            assert known_when_down is not None
            return seen, known_when_down

        items, known_when_down = run(scenario)
        assert reasons(items)[0].startswith("services-changed: ")
        assert not known_when_down
        assert recovered_after(items)


class TestWhileStreaming:
    def test_link_loss_while_subscribed_reconnects_in_the_same_stream(self) -> None:
        """The radio link going down mid-stream is a drop; the stream reconnects and goes on."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            return await interrupted(source(), stack.drop_link)

        items = run(scenario)
        assert reasons(items)[0].startswith(("dropped: ", "stalled: "))
        assert len(links(items, LinkState.CONNECTED)) == 2

    def test_a_battery_read_refused_by_the_strap_leaves_the_stream_running(self) -> None:
        """An ATT error on the battery read gives no battery level, and heart data still flows."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            strap.battery.read_error = "org.bluez.Error.NotPermitted"
            return await items_until(source(), lambda items: len(samples(items)) >= 3)

        items = run(scenario)
        assert not [i for i in items if isinstance(i, BatteryLevel)]
        assert [i.location for i in items if isinstance(i, SensorLocation)] == ["chest"]

    def test_a_strap_left_connected_by_a_crashed_run_is_taken_over(self) -> None:
        """After a crash BlueZ still holds the link; the next run streams without an error."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            await scan(2.0)  # BlueZ learns the device, as the crashed run's scan did
            await stack.connect_behind_our_back()
            return await items_until(source(), lambda items: len(samples(items)) >= 3)

        items = run(scenario)
        assert reasons(items) == []


class TestTheAdapter:
    @pytest.mark.parametrize(
        ("error", "failure"),
        [("org.bluez.Error.InProgress", "busy"), ("org.bluez.Error.NotReady", "bluetooth-off")],
    )
    def test_a_scan_that_cannot_start_is_named_and_retried(self, error: str, failure: str) -> None:
        """StartDiscovery failing (another scan running, adapter not ready) is retried."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            stack.inject("discovery", {"error": error, "message": "refused"})
            return await items_until(source(), after_reconnect(3))

        items = run(scenario)
        assert reasons(items)[0].startswith(f"{failure}: ")
        assert recovered_after(items)

    def test_the_adapter_switched_off_and_on_mid_session_resumes_the_stream(self) -> None:
        """Bluetooth switched off mid-session: the person is told, and it resumes when on."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            async def switch_off_and_on() -> None:
                await stack.drop_link()  # powering off takes every link down first
                await stack.set_powered(HOST_ADAPTER_PATH, False)
                await asyncio.sleep(1.5)
                await stack.set_powered(HOST_ADAPTER_PATH, True)

            return await interrupted(source(), switch_off_and_on)

        items = run(scenario)
        assert any(r.startswith("bluetooth-off: ") for r in reasons(items))
        assert recovered_after(items)

    def test_the_adapter_removed_and_plugged_back_resumes_the_stream(self) -> None:
        """A USB adapter pulled out mid-session and plugged back in: the stream resumes."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            async def unplug_and_replug() -> None:
                await stack.call("/org/bluezoo", "org.bluezoo.Manager1", "RemoveAdapter", "y", [0])
                await asyncio.sleep(1.5)
                await stack.call(
                    "/org/bluezoo", "org.bluezoo.Manager1", "AddAdapter", "ys", [0, HOST_ADAPTER]
                )

            return await interrupted(source(), unplug_and_replug)

        items = run(scenario)
        assert any(r.startswith("bluetooth-off: ") for r in reasons(items))
        assert recovered_after(items)

    def test_bluetoothd_restarting_mid_session_resumes_the_stream(self) -> None:
        """The Bluetooth service restarting (its D-Bus name gone and back) is survived."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            async def restart() -> None:
                stack.stop_bluez()
                await strap.stop()
                await asyncio.sleep(1.0)
                stack.start_bluez()
                await strap.start()

            return await interrupted(source(), restart, timeout_s=45.0)

        items = run(scenario)
        assert reasons(items)
        assert recovered_after(items)

    def test_the_system_bus_dropping_mid_session_resumes_the_stream(self) -> None:
        """The system bus itself restarting (and BlueZ on it) is survived: the stream goes on."""

        async def scenario(stack: BluezStack, strap: BluezStrap) -> list[object]:
            async def restart_bus() -> None:
                await strap.stop()
                stack.restart_bus()
                await strap.start()

            return await interrupted(source(), restart_bus, timeout_s=45.0)

        items = run(scenario)
        assert reasons(items)
        assert recovered_after(items)


def test_the_accelerometer_is_read_and_stopped_through_bluez() -> None:
    """Through Bleak's BlueZ backend a strap with Polar's PMD service is asked for its
    accelerometer at 25 Hz, each sample carries the walking level, and closing the stream
    stops the measurement."""

    async def main(stack: BluezStack) -> tuple[list[object], int, int, bool]:
        strap = BluezStrap(stack.bus_address, STRAP_ADAPTER_PATH, STRAP_NAME, movement=walking())
        await strap.start()
        beating = asyncio.create_task(_beat(strap))
        try:
            async with asyncio.timeout(60):
                seen = await items_until(source(), lambda items: len(samples(items)) >= 5)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            await strap.stop()
        state = strap.accelerometer
        assert state is not None
        assert state.requests[1].hex(" ") == "02 02 00 01 19 00 01 01 10 00 02 01 08 00"
        return seen, state.starts, state.stops, state.streaming

    with bluez_stack() as stack:
        seen, starts, stops, streaming = asyncio.run(main(stack))
    levels = [s.activity_g for s in samples(seen)]
    assert all(level is not None and 0.1 <= level <= 0.3 for level in levels), levels
    assert (starts, stops, streaming) == (1, 1, False)
