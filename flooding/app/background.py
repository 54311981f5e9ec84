"""The background service's loop: one strap stream for the service's whole life, and a
session per wearing. A session starts with the first heart sample on skin (never for a strap
that merely sits in range) and ends once none has come for `service.session_gap_minutes`.

A break is part of the talk it interrupted: while one runs, the session does not end for want
of a heart (the person took the suggested walk out of the strap's range, closed the laptop),
up to `CHECK_WAITS_S` after its next check. When the heart is heard again, its ready-to-return
or still-elevated check comes in the same session, on the same clock, as in a foreground
monitor, and the stored session holds the alert, the pause and how it ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
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

# a line-up of the clock by at least this much (the wall clock was set, not drifting) is
# looked for in the strap's items stamped before it and still on their way (a second at most)
LINED_UP_NOTED_S = 2.0


@dataclass
class _Wearing:
    """A session's share of the one strap stream: from the first sample on skin to the gap.

    The gap is measured on `now` (the session clock: it runs through a suspend, so a laptop
    closed for longer than the gap ends the session; None: the event loop's clock). A sample
    on skin that comes after the gap is not this session's: it is left in `leftover` for the
    next one. `hold()`: how many seconds more the session stays open without a heart whatever
    the gap (a break runs: `SessionRunner.break_hold_s`).
    """

    queue: asyncio.Queue[AnyItem]
    first: list[AnyItem]
    gap_s: float
    description: str
    now: Callable[[], float] | None = None
    leftover: AnyItem | None = None
    hold: Callable[[], float] = lambda: 0.0

    def stream(self) -> AsyncIterator[AnyItem]:
        return self._items()

    async def _items(self) -> AsyncIterator[AnyItem]:
        clock = self.now
        now = clock or asyncio.get_running_loop().time
        for item in self.first:
            yield item
        last_worn = now()
        while True:
            remaining_s = max(self.gap_s - (now() - last_worn), self.hold())
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
                elif inner.t_s - last_worn > self.gap_s and not self._held(inner.t_s, now()):
                    # after a suspend past the gap (and past any break's hold)
                    self.leftover = item
                    self._ended()
                    return
                else:  # stamped on the same session clock
                    last_worn = max(last_worn, inner.t_s)
            yield item

    def _held(self, t_s: float, now_s: float) -> bool:
        """Whether a break still holds the session open at `t_s` (on the session clock)."""
        hold_s = self.hold()
        return hold_s > 0 and t_s < now_s + hold_s

    def _ended(self) -> None:
        log.info("no heart rate on skin for %.0f min: the session ends", self.gap_s / 60)


def _restamped(item: AnyItem, moved_s: float) -> AnyItem:
    """An item stamped on the session clock before it was lined up again, `moved_s` later:
    on the clock now."""
    inner = untagged(item)
    moved = dataclasses.replace(inner, t_s=inner.t_s + moved_s)
    return dataclasses.replace(item, item=moved) if isinstance(item, PersonItem) else moved


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
        # how far the clock moved at its last line-up, while the strap's items stamped before
        # it may still come (`_on_clock_now`; 0: none can)
        self._moved_s = 0.0
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
                self._line_up()
                first = await self._wait_for_wearing(pump)
                if first is None:
                    break
                await self._session(first)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        return self.outcomes

    def _line_up(self) -> float:
        """Line the session clock up with the wall clock again (no session runs) and move
        what was stamped before and still waits (the sample after the last session's gap,
        the queue) onto it, so the next session's first times are its own; how far it moved
        (0: no clock to line up)."""
        if self.clock is None:
            return 0.0
        moved_s = self.clock.rebase()
        if moved_s:
            self._leftover = [_restamped(item, moved_s) for item in self._leftover]
            waiting = [self._queue.get_nowait() for _ in range(self._queue.qsize())]
            for item in waiting:
                self._queue.put_nowait(_restamped(item, moved_s))
        if abs(moved_s) >= LINED_UP_NOTED_S:  # what the strap stamped before may still come
            self._moved_s = moved_s
        return moved_s

    def _on_clock_now(self, item: AnyItem) -> AnyItem:
        """An item from the strap on the session clock as it is now: one stamped before the
        last line-up (its time nearer the clock as it was than as it is) is moved with it.
        The strap's items come in the order they were stamped: after the first stamped
        since, none is from before."""
        if self.clock is None or not self._moved_s:
            return item
        t_s, now_s = untagged(item).t_s, self.clock()
        if abs(t_s - (now_s - self._moved_s)) < abs(t_s - now_s):
            return _restamped(item, self._moved_s)
        self._moved_s = 0.0
        return item

    async def _pump(self) -> None:
        """The one strap stream, for the service's whole life, into the queue."""
        stream = self.source.stream()
        try:
            async for item in stream:
                self._queue.put_nowait(self._on_clock_now(item))
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
                moved_s = self._line_up()  # no session yet: line it up
                if moved_s:  # what came so far goes with the session's start
                    links = {key: _restamped(item, moved_s) for key, item in links.items()}
                    extras = {key: _restamped(item, moved_s) for key, item in extras.items()}
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
        wearing.hold = runner.break_hold_s
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
