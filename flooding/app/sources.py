"""What every heart-data source offers: an async iterator of samples and link events.

The live strap (`flooding.io.strap.ble`), the simulated strap (`flooding.lab.simulate`)
and recordings all look the same to the session runner, so replays and simulations go
through the very same detector as a live session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from flooding.core.models import PersonItem, SourceItem

log = logging.getLogger(__name__)


class HeartSource(Protocol):
    """A source of heart data for one session."""

    @property
    def description(self) -> str:
        """A short human name for the source, e.g. 'Polar H10 A1B2C3' or 'simulated strap'."""
        ...

    def stream(self) -> AsyncIterator[SourceItem]:
        """Yield samples and link events until the source ends or the task is cancelled."""
        ...


AnyItem = SourceItem | PersonItem


class TaggedSource(Protocol):
    """A source of several people's heart data: each item says whose strap it came from."""

    @property
    def description(self) -> str:
        """A short human name for the source."""
        ...

    def stream(self) -> AsyncIterator[AnyItem]:
        """Yield tagged items until every source ends or the task is cancelled."""
        ...


_DONE = object()


class MergedSource:
    """Both partners' straps as one stream of `PersonItem`s, in one asyncio loop.

    Each source runs in its own task, so a strap that drops (and reconnects, as a
    `StrapSource` does forever) never holds up the other. A source that fails is logged and
    left out; the merged stream ends when every source has ended.
    """

    def __init__(self, sources: Mapping[str, HeartSource]) -> None:
        if not sources:
            raise ValueError("no sources to merge")
        self.sources = dict(sources)

    @property
    def description(self) -> str:
        """'anna: Polar H10 ... and ben: Polar H10 ...'."""
        return " and ".join(f"{name}: {s.description}" for name, s in self.sources.items())

    async def stream(self) -> AsyncIterator[AnyItem]:
        queue: asyncio.Queue[object] = asyncio.Queue()

        async def pump(name: str, source: HeartSource) -> None:
            items = source.stream()
            try:
                async for item in items:
                    queue.put_nowait(PersonItem(name, item))
            except Exception as exc:  # one strap's failure must not stop the other
                log.warning("the source of %s failed: %r", name, exc)
            finally:
                close = getattr(items, "aclose", None)
                if close is not None:
                    with contextlib.suppress(Exception):
                        await close()
                queue.put_nowait(_DONE)

        tasks = [
            asyncio.create_task(pump(name, source), name=f"source {name}")
            for name, source in self.sources.items()
        ]
        try:
            running = len(tasks)
            while running:
                item = await queue.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, PersonItem):
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
