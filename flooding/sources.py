"""What every heart-data source offers: an async iterator of samples and link events.

The live strap (`flooding.ble`), the simulated strap (`flooding.simulate`) and recordings
all look the same to the session runner, so replays and simulations go through the very
same detector as a live session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from flooding.models import SourceItem


class HeartSource(Protocol):
    """A source of heart data for one session."""

    @property
    def description(self) -> str:
        """A short human name for the source, e.g. 'Polar H10 A1B2C3' or 'simulated strap'."""
        ...

    def stream(self) -> AsyncIterator[SourceItem]:
        """Yield samples and link events until the source ends or the task is cancelled."""
        ...
