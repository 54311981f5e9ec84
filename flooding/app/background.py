"""The background service's loop: one strap stream for the service's whole life, and a
session per wearing. A session starts with the first heart sample on skin (never for a strap
that merely sits in range) and ends once none has come for `service.session_gap_minutes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flooding.app.live import LiveMonitor
from flooding.core.models import (
    BatteryLevel,
    LinkChanged,
    LinkState,
    Mode,
    PersonItem,
    Sample,
    SensorLocation,
    untagged,
)

if TYPE_CHECKING:
    from flooding.app.session import SessionOutcome, SessionRunner
    from flooding.app.sources import AnyItem, HeartSource, TaggedSource
    from flooding.io.clock import SessionClock

log = logging.getLogger(__name__)


@dataclass
class _Wearing:
    """A session's share of the one strap stream: from the first sample on skin to the gap.

    The gap is measured on `now` (the session clock: it runs through a suspend, so a laptop
    closed for longer than the gap ends the session; None: the event loop's clock). A sample
    on skin that comes after the gap is not this session's: it is left in `leftover` for the
    next one.
    """

    queue: asyncio.Queue[AnyItem]
    first: list[AnyItem]
    gap_s: float
    description: str
    now: Callable[[], float] | None = None
    leftover: AnyItem | None = None

    def stream(self) -> AsyncIterator[AnyItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[AnyItem]:
        clock = self.now
        now = clock or asyncio.get_running_loop().time
        for item in self.first:
            yield item
        last_worn = now()
        while True:
            remaining_s = self.gap_s - (now() - last_worn)
            if remaining_s <= 0:
                self._ended()
                return
            try:
                async with asyncio.timeout(remaining_s):
                    item = await self.queue.get()
            except TimeoutError:
                continue
            inner = untagged(item)
            if isinstance(inner, Sample) and inner.has_contact:
                if clock is None:
                    last_worn = now()
                elif inner.t_s - last_worn > self.gap_s:  # after a suspend past the gap
                    self.leftover = item
                    self._ended()
                    return
                else:  # stamped on the same session clock
                    last_worn = max(last_worn, inner.t_s)
            yield item

    def _ended(self) -> None:
        log.info("no heart rate on skin for %.0f min: the session ends", self.gap_s / 60)


class BackgroundMonitor:
    """Waits for the strap, runs a session per wearing, and serves `LiveMonitor` requests.

    `make_runner(source, mode)` builds the `SessionRunner` for one wearing (with the
    board as its view). `run()` returns the outcomes of the sessions when `stop()` is called.
    `clock`, the session clock the source stamps samples on, is lined up with the wall clock
    again while no session runs (before each wearing and at each item until one starts; never
    during one), so a service running for weeks stores each session at the time the computer
    showed when it began.
    """

    def __init__(
        self,
        *,
        source: HeartSource | TaggedSource,
        live: LiveMonitor,
        make_runner: Callable[[Any, Mode | None], SessionRunner],
        session_gap_s: float,
        clock: SessionClock | None = None,
    ) -> None:
        self.source = source
        self.live = live
        self.make_runner = make_runner
        self.session_gap_s = session_gap_s
        self.clock = clock
        self._stop = asyncio.Event()
        self._queue: asyncio.Queue[AnyItem] = asyncio.Queue()
        self._leftover: list[AnyItem] = []  # came after a session's gap: starts the next one
        self.outcomes: list[SessionOutcome] = []

    def stop(self) -> None:
        """End the current session cleanly and stop (SIGTERM, Ctrl-C)."""
        self._stop.set()
        if self.live.runner is not None:
            self.live.runner.stop()

    async def run(self) -> list[SessionOutcome]:
        """Run until `stop()`; every session is ended and saved on the way out."""
        pump = asyncio.create_task(self._pump(), name="strap stream")
        try:
            while not self._stop.is_set():
                if self.clock is not None:
                    self.clock.rebase()
                first = await self._wait_for_wearing(pump)
                if first is None:
                    break
                await self._session(first)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        return self.outcomes

    async def _pump(self) -> None:
        """The one strap stream, for the service's whole life, into the queue."""
        stream = self.source.stream()
        try:
            async for item in stream:
                self._queue.put_nowait(item)
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()

    async def _wait_for_wearing(self, pump: asyncio.Task[None]) -> list[AnyItem] | None:
        """Items up to the first sample on skin (the start of a session), or None on stop.

        With both partners' straps (tagged items), the first sample on either skin starts
        the session, and the other's link state and battery so far come with it.
        """
        board = self.live.board
        links: dict[str, AnyItem] = {}
        extras: dict[tuple[str, type], AnyItem] = {}
        stopper = asyncio.create_task(self._stop.wait())
        try:
            while True:
                if self._leftover:
                    item = self._leftover.pop(0)
                else:
                    getter = asyncio.create_task(self._queue.get())
                    done, _ = await asyncio.wait(
                        {getter, stopper, pump}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if getter not in done:
                        getter.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await getter
                        failed = pump in done and not pump.cancelled()
                        error = pump.exception() if failed else None
                        if error is not None:
                            raise error
                        return None
                    item = getter.result()
                inner = untagged(item)
                person = item.person if isinstance(item, PersonItem) else ""
                if isinstance(inner, LinkChanged):
                    board.note_link(inner, person)
                    if inner.state is LinkState.CONNECTED:
                        links[person] = item
                    else:
                        links.pop(person, None)
                        for key in [key for key in extras if key[0] == person]:
                            del extras[key]
                elif isinstance(inner, BatteryLevel | SensorLocation):
                    if isinstance(inner, BatteryLevel):
                        board.note_battery(inner.percent, person)
                    extras[(person, type(inner))] = item
                elif isinstance(inner, Sample) and inner.has_contact:
                    return [*links.values(), *extras.values(), item]
                if self.clock is not None and self._queue.empty():
                    self.clock.rebase()  # no session, nothing stamped waits: line it up
        finally:
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper

    async def _session(self, first: list[AnyItem]) -> None:
        if self._stop.is_set():
            return
        wearing = _Wearing(
            self._queue, first, self.session_gap_s, self.source.description, now=self.clock
        )
        mode, self.live.next_mode = self.live.next_mode, None
        runner = self.make_runner(wearing, mode)
        self.live.runner = runner
        try:
            outcome = await runner.run()
        finally:
            self.live.runner = None
            self.live.board.forget_reading()
            if wearing.leftover is not None:
                self._leftover.append(wearing.leftover)
        self.outcomes.append(outcome)
        if not outcome.kept:
            log.info("nothing was recorded; the empty session %d is not kept", outcome.session_id)
            return
        log.info(
            "session %d saved: %d samples, %d alert(s)",
            outcome.session_id,
            outcome.samples,
            outcome.alerts,
        )
