"""The test doubles, one copy each: notifiers, notification backends and a view that record
what they got, and a strap that sends what it is given.

Each is checked against the real protocol it stands in for (bottom of this module), so a
change to `Notifier` or `View` that a double no longer meets fails `mypy`, not a test run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Generic, TypeVar

from flooding.app.session import View
from flooding.app.sources import HeartSource, TaggedSource
from flooding.core.models import BatteryLevel, LinkChanged, PersonItem, Reading, Sample, SourceItem
from flooding.io.notify import Backend, Message, NotificationFailed, Notifier


class RecordingNotifier:
    """Records every message it is asked to show, and says it was shown."""

    budget_s = 0.0

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> bool:
        self.sent.append(message)
        return True

    async def problem(self) -> str | None:
        return None


class RaisingNotifier:
    """Fails every time, as a broken desktop would; counts the attempts."""

    budget_s = 0.0

    def __init__(self) -> None:
        self.attempts = 0

    async def send(self, message: Message) -> bool:
        self.attempts += 1
        raise RuntimeError("the notification server went away")

    async def problem(self) -> str | None:
        return None


class HangingNotifier:
    """Never answers, as a stuck desktop would, breaking its promise to end within `budget_s`."""

    def __init__(self, budget_s: float = 0.2) -> None:
        self.attempts = 0
        self.budget_s = budget_s

    async def send(self, message: Message) -> bool:
        self.attempts += 1
        await asyncio.Event().wait()
        return True

    async def problem(self) -> str | None:
        return None


class RecordingView:
    """Records everything the runner shows; optionally calls a hook after each reading."""

    def __init__(self, on_reading: Callable[[Reading], None] | None = None) -> None:
        self.readings: list[Reading] = []
        self.person_readings: list[tuple[str, Reading]] = []
        self.messages: list[Message] = []
        self.links: list[LinkChanged] = []
        self.person_links: list[tuple[str, LinkChanged]] = []
        self.batteries: list[tuple[BatteryLevel, bool]] = []
        self.person_batteries: list[tuple[str, BatteryLevel, bool]] = []
        self.infos: list[str] = []
        self.answers: list[str] = []  # the answers to the alert, wherever given
        self._on_reading = on_reading

    def reading(self, reading: Reading) -> None:
        self.readings.append(reading)
        if self._on_reading is not None:
            self._on_reading(reading)

    def person_reading(self, person: str, reading: Reading) -> None:
        self.person_readings.append((person, reading))

    def message(self, message: Message) -> None:
        self.messages.append(message)

    def link(self, change: LinkChanged) -> None:
        self.links.append(change)

    def person_link(self, person: str, change: LinkChanged) -> None:
        self.person_links.append((person, change))

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.batteries.append((level, low))

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        self.person_batteries.append((person, level, low))

    def info(self, text: str) -> None:
        self.infos.append(text)

    def answered(self, action_id: str) -> None:
        self.answers.append(action_id)


class FakeBackend:
    """A backend that fails a given number of times, then shows; records every try."""

    has_buttons = False

    def __init__(self, name: str = "fake", failures: int = 0, reason: str | None = None) -> None:
        self.name = name
        self.failures = failures
        self.reason = reason
        self.tries: list[Message] = []
        self.shown: list[Message] = []

    async def unavailable_reason(self) -> str | None:
        return self.reason

    async def deliver(self, message: Message) -> None:
        self.tries.append(message)
        await asyncio.sleep(0)
        if len(self.tries) <= self.failures:
            raise NotificationFailed("the fake server refused")
        self.shown.append(message)


class HangingBackend(FakeBackend):
    """A backend whose delivery never finishes."""

    async def deliver(self, message: Message) -> None:
        self.tries.append(message)
        await asyncio.Event().wait()


class FirstTryLateBackend:
    """A desktop backend whose server answers the first delivery only after `late_s` (a
    busy server: it shows the message then); later ones at once."""

    name = "first-try-late"
    has_buttons = False

    def __init__(self, late_s: float) -> None:
        self.late_s = late_s
        self.tries = 0
        self.shown: list[Message] = []

    async def unavailable_reason(self) -> str | None:
        return None

    async def deliver(self, message: Message) -> None:
        self.tries += 1
        if self.tries == 1:
            await asyncio.sleep(self.late_s)
        self.shown.append(message)


ItemT = TypeVar("ItemT", bound=SourceItem | PersonItem)


class ListedSource(Generic[ItemT]):
    """A strap that sends the items given, then ends; with `stays`, it stays in range after
    them and sends nothing more (a strap not worn, a person gone for a while)."""

    def __init__(
        self, items: Sequence[ItemT], *, stays: bool = False, description: str = "listed items"
    ) -> None:
        self.items = items
        self.stays = stays
        self.description = description

    async def stream(self) -> AsyncIterator[ItemT]:
        for item in self.items:
            yield item
        if self.stays:
            await asyncio.Event().wait()


# The doubles meet the real protocols (checked by mypy; cheap to build at import).
_NOTIFIERS: tuple[Notifier, ...] = (RecordingNotifier(), RaisingNotifier(), HangingNotifier())
_BACKENDS: tuple[Backend, ...] = (FakeBackend(), HangingBackend(), FirstTryLateBackend(1.0))
_VIEW: View = RecordingView()
_SOURCES: tuple[HeartSource, TaggedSource] = (
    ListedSource[Sample]([]),
    ListedSource[PersonItem]([], stays=True),
)
