"""What `flooding status` shows about the running monitor: the latest reading, the strap's
link and battery (in couple mode each partner's strap's). `StatusBoard` is a view that
remembers these and passes every call on to the view behind it (the terminal, the log, the
local app).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading
from flooding.io.control.protocol import NOT_CONNECTED_YET
from flooding.io.notify import Message

if TYPE_CHECKING:
    from flooding.app.session import View

STALE_READING_S = 10.0  # a heart rate older than this is not shown as "current"


@dataclass
class StrapSeen:
    """One partner's strap as last heard of (couple mode)."""

    link_state: LinkState | None = None
    name: str | None = None
    address: str | None = None
    battery_percent: int | None = None
    connected_before: bool = False  # it has connected since the monitor started


def link_word(state: LinkState | None, connected_before: bool) -> str:
    """A strap's link as `flooding status` and the live page say it: "searching" before
    anything is heard of it, and `NOT_CONNECTED_YET` for one dropped that never connected
    (nothing of it is recorded yet), not "disconnected"."""
    if state is None:
        return LinkState.SEARCHING.value
    if state is LinkState.DISCONNECTED and not connected_before:
        return NOT_CONNECTED_YET
    return state.value


def heart_now(reading: Reading | None) -> tuple[float | None, str | None, float | None]:
    """What `flooding status` says of a reading's heart: its rate (None: none, or one the
    detector could not use), why not counted (`Reading.unusable`), and the strap's number
    then (for the words, not a heart rate; None when it is no number)."""
    if reading is None:
        return None, None, None
    if reading.unusable is None:
        return reading.bpm, None, None
    strap = reading.bpm if math.isfinite(reading.bpm) else None
    return None, reading.unusable.value, strap


class StatusBoard:
    """A view that remembers what `flooding status` shows, then passes it on."""

    def __init__(self, inner: View, clock: Callable[[], float] = time.monotonic) -> None:
        self.inner = inner
        self.clock = clock
        self.latest: Reading | None = None
        self.reading_at: float | None = None  # monotonic time of the latest reading
        self.link_state: LinkState | None = None
        self.strap_name: str | None = None
        self.strap_address: str | None = None
        self.battery_percent: int | None = None
        self.connected_before = False  # the strap has connected since the monitor started
        self.straps: dict[str, StrapSeen] = {}  # couple mode: each partner's strap, by name

    def reading(self, reading: Reading) -> None:
        self.latest = reading
        self.reading_at = self.clock()
        self.inner.reading(reading)

    def person_reading(self, person: str, reading: Reading) -> None:
        """Couple mode: one partner's reading (the latest of either is remembered)."""
        self.latest = reading
        self.reading_at = self.clock()
        self.inner.person_reading(person, reading)

    def message(self, message: Message) -> None:
        self.inner.message(message)

    def link(self, change: LinkChanged) -> None:
        self.note_link(change)
        self.inner.link(change)

    def person_link(self, person: str, change: LinkChanged) -> None:
        """Couple mode: one partner's strap's link."""
        self.note_link(change, person)
        self.inner.person_link(person, change)

    def note_link(self, change: LinkChanged, person: str = "") -> None:
        """Remember a link change seen outside a session (`person`: whose strap, in couple
        mode)."""
        connected = change.state is LinkState.CONNECTED
        if person:
            strap = self.straps.setdefault(person, StrapSeen())
            strap.link_state = change.state
            strap.connected_before = strap.connected_before or connected
            strap.name = change.strap_name or strap.name
            strap.address = change.strap_address or strap.address
            return
        self.link_state = change.state
        self.connected_before = self.connected_before or connected
        self.strap_name = change.strap_name or self.strap_name
        self.strap_address = change.strap_address or self.strap_address

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.note_battery(level.percent)
        self.inner.battery(level, low)

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        """Couple mode: one partner's strap's battery."""
        self.note_battery(level.percent, person)
        self.inner.person_battery(person, level, low)

    def note_battery(self, percent: int, person: str = "") -> None:
        """Remember a battery level seen outside a session (`person`: whose strap, in couple
        mode)."""
        if person:
            self.straps.setdefault(person, StrapSeen()).battery_percent = percent
        else:
            self.battery_percent = percent

    def info(self, text: str) -> None:
        self.inner.info(text)

    def answered(self, action_id: str) -> None:
        self.inner.answered(action_id)

    def forget_reading(self) -> None:
        """The session ended: no current heart rate any more."""
        self.latest = None
        self.reading_at = None

    def current_reading(self) -> Reading | None:
        """The latest reading if it is recent enough to call current."""
        if self.latest is None or self.reading_at is None:
            return None
        if self.clock() - self.reading_at > STALE_READING_S:
            return None
        return self.latest
