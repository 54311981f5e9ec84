"""Helpers for scenarios against the emulated strap, through the real Bleak API.

There is no pytest-asyncio here: each scenario runs in its own `asyncio.run`, and
`run_scenario` checks on the way out that the shutdown was clean (no task left pending,
every controller removed from the link).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from flooding.core.models import SourceItem
from flooding.io.strap.ble import StrapSource
from flooding.lab.emulator import EmulatedAir, EmulatedStrap, emulated_straps

T = TypeVar("T")

FAST_INTERVAL_S = 0.02  # the emulated strap notifies 50 times a second in tests


def accelerated_clock(
    session_s_per_packet: float = 1.0, interval_s: float = FAST_INTERVAL_S
) -> Callable[[], float]:
    """A session clock on which each emulated packet interval lasts `session_s_per_packet`."""
    origin_wall, origin = time.time(), time.monotonic()
    speed = session_s_per_packet / interval_s
    return lambda: origin_wall + (time.monotonic() - origin) * speed


async def wait_for(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Poll `condition()` until it holds, failing after `timeout_s` (a bound against a hang,
    not a speed: on a loaded machine the emulated link takes seconds to connect)."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


def fast_source(air: EmulatedAir, **options: Any) -> StrapSource:
    """A StrapSource on the emulated air with short timeouts and near-immediate retries."""
    settings: dict[str, Any] = {
        "scanner_backend": air.scanner_backend,
        "client_backend": air.client_backend,
        # a stall and a connection get seconds: a timeout that cancels a GATT request half-way
        # makes Bumble's late answer raise inside its host, and the emulated link is broken
        # from then on (a loaded machine takes longer than half a second to connect)
        "stall_timeout_s": 1.0,
        "connect_timeout_s": 5.0,
        "scan_timeout_s": 0.3,
        "retry_delay": lambda attempt, failure: 0.01,
        "accelerometer_timeout_s": 0.5,
    }
    settings.update(options)
    return StrapSource(**settings)


def run_scenario(
    scenario: Callable[[EmulatedAir, EmulatedStrap, EmulatedStrap | None], Awaitable[T]],
    **strap_options: Any,
) -> T:
    """Run `scenario(air, strap, stranger)` and assert the shutdown left nothing behind."""
    strap_options.setdefault("interval_s", FAST_INTERVAL_S)

    async def main() -> T:
        async with emulated_straps(**strap_options) as (air, strap, stranger):
            result = await scenario(air, strap, stranger)
        assert air.controller_count == 0, "a controller was left on the link"
        await asyncio.sleep(0)  # let finished tasks be collected
        leftover = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert not leftover, f"tasks left pending: {leftover}"
        return result

    return asyncio.run(main())


async def take(
    items: AsyncIterator[SourceItem],
    until: Callable[[SourceItem, list[SourceItem]], bool],
    timeout_s: float = 20.0,
) -> list[SourceItem]:
    """Read items until `until(item, so_far)` is true; fail if that takes longer than timeout_s
    (a bound against a hang, not a speed: a loaded machine takes seconds to scan and connect)."""
    got: list[SourceItem] = []
    async with asyncio.timeout(timeout_s):
        async for item in items:
            got.append(item)
            if until(item, got):
                return got
    raise AssertionError(f"the stream ended early after {got}")
