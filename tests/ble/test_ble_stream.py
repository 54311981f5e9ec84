"""StrapSource end to end: the real Bleak client against the emulated strap."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable

import pytest

from flooding.core.hrm import HeartRateMeasurement
from flooding.core.models import (
    BatteryLevel,
    LinkChanged,
    LinkState,
    Sample,
    SensorLocation,
    SourceItem,
)
from flooding.io.strap.backoff import Failure
from flooding.io.strap.ble import StrapSource, StrapUnavailableError
from flooding.lab.emulator import (
    DEFAULT_ADDRESS,
    DEFAULT_NAME,
    FOREIGN_ADDRESS,
    EmulatedAir,
    EmulatedStrap,
)
from tests.ble.emulated import fast_source, run_scenario, take

pytestmark = pytest.mark.timeout(30)

KNOWN = [
    HeartRateMeasurement(bpm=72, contact=True, rr_1024=(850, 860)),
    HeartRateMeasurement(bpm=75, contact=True, rr_1024=(820,)),
    HeartRateMeasurement(bpm=300, contact=False, energy_kj=12, rr_1024=()),
]


def states(items: list[SourceItem]) -> list[LinkState]:
    return [i.state for i in items if isinstance(i, LinkChanged)]


def samples(items: list[SourceItem]) -> list[Sample]:
    return [i for i in items if isinstance(i, Sample)]


def count_samples(n: int) -> Callable[[SourceItem, list[SourceItem]], bool]:
    return lambda item, got: len(samples(got)) >= n


class TestConnecting:
    def test_connects_and_streams_samples_with_rr_battery_and_location(self) -> None:
        """The stream announces link, location and battery, then exactly the scripted samples."""
        ticks = itertools.count(1000)

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            source = fast_source(air, address=DEFAULT_ADDRESS, clock=lambda: float(next(ticks)))
            async with contextlib.aclosing(source.stream()) as items:
                return await take(items, count_samples(3))

        got = run_scenario(scenario, feed=KNOWN)
        assert states(got) == [LinkState.SEARCHING, LinkState.CONNECTING, LinkState.CONNECTED]
        assert [i.location for i in got if isinstance(i, SensorLocation)] == ["chest"]
        assert [i.percent for i in got if isinstance(i, BatteryLevel)] == [87]
        got_samples = samples(got)
        assert [(s.bpm, s.rr_s, s.contact, s.energy_kj) for s in got_samples] == [
            (72.0, (850 / 1024, 860 / 1024), True, None),
            (75.0, (820 / 1024,), True, None),
            (300.0, (), False, 12),
        ]
        times = [s.t_s for s in got_samples]
        assert times == sorted(times)
        assert all(t >= 1000 for t in times)
        connected = next(
            i for i in got if isinstance(i, LinkChanged) and i.state is LinkState.CONNECTED
        )
        assert (connected.strap_name, connected.strap_address) == (DEFAULT_NAME, DEFAULT_ADDRESS)

    def test_finds_the_strap_by_exact_name_when_no_address_is_known(self) -> None:
        """With only a name configured, the strap with exactly that name is connected."""

        async def scenario(
            air: EmulatedAir, strap: EmulatedStrap, stranger: object
        ) -> list[SourceItem]:
            source = fast_source(air, name=DEFAULT_NAME)
            async with contextlib.aclosing(source.stream()) as items:
                got = await take(items, count_samples(2))
            assert isinstance(stranger, EmulatedStrap)
            assert stranger.connections_made == 0
            return got

        got = run_scenario(scenario, foreign=True)
        connected = next(
            i for i in got if isinstance(i, LinkChanged) and i.state is LinkState.CONNECTED
        )
        assert connected.strap_address == DEFAULT_ADDRESS

    def test_battery_is_read_again_periodically(self) -> None:
        """With a short battery interval the level is reported again while samples flow."""

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            source = fast_source(air, address=DEFAULT_ADDRESS, battery_interval_s=0.1)
            async with contextlib.aclosing(source.stream()) as items:
                first = await take(items, lambda i, got: isinstance(i, BatteryLevel))
                strap.battery_percent = 55
                rest = await take(items, lambda i, got: isinstance(i, BatteryLevel))
            return first + rest

        got = run_scenario(scenario)
        assert [i.percent for i in got if isinstance(i, BatteryLevel)] == [87, 55]


class TestStrangers:
    def test_a_foreign_strap_nearby_is_never_connected(self) -> None:
        """With the person's strap away and a stranger's in range, the source never connects."""

        async def scenario(
            air: EmulatedAir, strap: EmulatedStrap, stranger: object
        ) -> list[SourceItem]:
            await strap.drop()
            source = fast_source(air, address=DEFAULT_ADDRESS)
            async with contextlib.aclosing(source.stream()) as items:
                got = await take(
                    items, lambda i, got: states(got).count(LinkState.DISCONNECTED) >= 3
                )
            assert isinstance(stranger, EmulatedStrap)
            assert stranger.connections_made == 0
            return got

        got = run_scenario(scenario, foreign=True)
        assert LinkState.CONNECTED not in states(got)
        assert all(i.strap_address != FOREIGN_ADDRESS for i in got if isinstance(i, LinkChanged))


class TestDropsAndStalls:
    def test_drop_and_return_continues_the_same_stream(self) -> None:
        """After a drop and return, samples flow again, with disconnected then connected between."""

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            source = fast_source(air, address=DEFAULT_ADDRESS)
            async with contextlib.aclosing(source.stream()) as items:
                before = await take(items, count_samples(3))
                await strap.drop()
                gone = await take(items, lambda i, got: LinkState.DISCONNECTED in states(got))
                await asyncio.sleep(0.2)  # away for a while: scans find nothing
                await strap.come_back()
                after = await take(items, count_samples(3))
            return before + gone + after

        got = run_scenario(scenario)
        link = states(got)
        first_drop = link.index(LinkState.DISCONNECTED)
        assert LinkState.CONNECTED in link[first_drop:]
        reconnect = (
            len(got)
            - 1
            - [
                isinstance(i, LinkChanged) and i.state is LinkState.CONNECTED for i in reversed(got)
            ].index(True)
        )
        assert any(isinstance(i, Sample) for i in got[reconnect:])
        drop = next(
            i for i in got if isinstance(i, LinkChanged) and i.state is LinkState.DISCONNECTED
        )
        assert drop.reason.startswith(Failure.DROPPED)

    def test_a_stalled_link_is_treated_as_a_drop_and_reconnects(self) -> None:
        """A strap connected but silent is disconnected and reconnected, and samples resume."""

        async def scenario(
            air: EmulatedAir, strap: EmulatedStrap, _: object
        ) -> tuple[list[SourceItem], int]:
            source = fast_source(air, address=DEFAULT_ADDRESS)
            async with contextlib.aclosing(source.stream()) as items:
                before = await take(items, count_samples(2))
                strap.stall()
                after = await take(
                    items,
                    lambda i, got: LinkState.DISCONNECTED in states(got) and len(samples(got)) >= 2,
                )
            return before + after, strap.connections_made

        got, connections = run_scenario(scenario)
        drop = next(
            i for i in got if isinstance(i, LinkChanged) and i.state is LinkState.DISCONNECTED
        )
        assert drop.reason.startswith(Failure.STALLED)
        assert connections == 2

    def test_malformed_notifications_are_logged_and_skipped(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Bad packets are logged with their size and reason, never their bytes (heart data);
        good ones around them still arrive."""
        feed: list[HeartRateMeasurement | bytes] = [
            HeartRateMeasurement(bpm=70),
            b"\x10\x40\x00",  # RR flagged, but an odd number of RR bytes
            b"",  # empty
            b"\x01\x50",  # uint16 heart rate announced, one byte sent
            HeartRateMeasurement(bpm=71),
            HeartRateMeasurement(bpm=72),
        ]

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            source = fast_source(air, address=DEFAULT_ADDRESS)
            async with contextlib.aclosing(source.stream()) as items:
                return await take(items, count_samples(3))

        with caplog.at_level(logging.WARNING, logger="flooding.io.strap.ble"):
            got = run_scenario(scenario, feed=feed)
        assert [s.bpm for s in samples(got)] == [70.0, 71.0, 72.0]
        assert LinkState.DISCONNECTED not in states(got)
        warnings = [r.getMessage() for r in caplog.records if r.name == "flooding.io.strap.ble"]
        assert len(warnings) == 3
        assert "not a whole number" in warnings[0]
        assert "(3 bytes)" in warnings[0]
        assert "empty packet" in warnings[1]
        assert "truncated" in warnings[2]
        assert "flags 0x01" in warnings[2]
        # no heart data in the log: the packets' bytes are not written out
        assert not any("40 00" in w or "01 50" in w for w in warnings)

    def test_a_strap_sending_only_malformed_packets_is_dropped_as_unreadable(self) -> None:
        """Packets that carry no readable heart rate do not keep a link alive: after the stall
        timeout without one the link is dropped, named unreadable (not silent), and retried."""
        feed = itertools.chain([HeartRateMeasurement(bpm=70)], itertools.repeat(b""))

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> list[SourceItem]:
            source = fast_source(air, address=DEFAULT_ADDRESS)
            async with contextlib.aclosing(source.stream()) as items:
                return await take(items, lambda i, got: LinkState.DISCONNECTED in states(got))

        got = run_scenario(scenario, feed=feed)
        assert [s.bpm for s in samples(got)] == [70.0]
        drop = next(
            i for i in got if isinstance(i, LinkChanged) and i.state is LinkState.DISCONNECTED
        )
        assert drop.reason.startswith(Failure.UNREADABLE)


class TestNeverFound:
    def test_a_strap_that_never_appears_gives_advice_and_the_stream_ends(self) -> None:
        """With give_up_after_s the stream stops retrying and raises a clear, actionable error."""

        async def scenario(
            air: EmulatedAir, strap: EmulatedStrap, _: object
        ) -> tuple[list[SourceItem], StrapUnavailableError]:
            await strap.drop()
            source = fast_source(air, address=DEFAULT_ADDRESS, give_up_after_s=0.5)
            got: list[SourceItem] = []

            async def drain() -> None:
                async with contextlib.aclosing(source.stream()) as items:
                    async for item in items:
                        got.append(item)

            with pytest.raises(StrapUnavailableError) as caught:
                await drain()
            return got, caught.value

        got, error = run_scenario(scenario)
        assert error.failure is Failure.NOT_FOUND
        for needle in ("Cannot find your strap", "moist", "phone", "Bluetooth is on", "battery"):
            assert needle in error.advice
        reasons = [
            i.reason
            for i in got
            if isinstance(i, LinkChanged) and i.state is LinkState.DISCONNECTED
        ]
        assert reasons
        assert all("moist" in r for r in reasons)

    def test_without_a_strap_chosen_the_source_refuses_to_start(self) -> None:
        """A source with neither address nor name would connect to anyone; it says to pair first."""
        with pytest.raises(ValueError, match="flooding pair"):
            StrapSource()


class TestShutdown:
    def test_cancelling_the_consumer_disconnects_and_leaves_nothing(self) -> None:
        """Cancelling the consumer stops notifications, disconnects the strap, leaves no task."""

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            source = fast_source(air, address=DEFAULT_ADDRESS)
            seen = asyncio.Event()

            async def consume() -> None:
                async for item in source.stream():
                    if isinstance(item, Sample):
                        seen.set()

            task = asyncio.create_task(consume())
            await asyncio.wait_for(seen.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.wait_for(strap.disconnected.wait(), 2)
            assert not strap.is_connected
            assert air.controller_count == 1  # only the strap: the computer's radio is gone
            sent = strap.notifications_sent
            await asyncio.sleep(0.1)
            assert strap.notifications_sent == sent  # nobody subscribed any more

        run_scenario(scenario)

    def test_closing_the_stream_while_searching_leaves_nothing(self) -> None:
        """Closing the stream mid-scan (strap away) stops the scanner and its radio."""

        async def scenario(air: EmulatedAir, strap: EmulatedStrap, _: object) -> None:
            await strap.drop()
            source = fast_source(air, address=DEFAULT_ADDRESS, scan_timeout_s=5.0)
            async with contextlib.aclosing(source.stream()) as items:
                first = await anext(items)
                assert isinstance(first, LinkChanged)
                assert first.state is LinkState.SEARCHING
                task = asyncio.ensure_future(anext(items))
                await asyncio.sleep(0.1)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            assert air.controller_count == 1

        run_scenario(scenario)
