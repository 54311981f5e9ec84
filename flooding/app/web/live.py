"""The live page's feed: the session's view calls, fanned out to Server-Sent Event streams.

`LiveFeed` is a `View`: the session runner calls it for every reading, message, link change and
battery level (the same calls the terminal gets, beside the notifier), and it hands each one,
as a small JSON event, to every open page. It also keeps the last minutes of readings, so a page
opened mid-talk draws its chart at once, and the latest messages, each with an id: one a
person put away (`put_away`) stays away in every page, and in one opened or reloaded later. In
couple mode it names the two people, and keeps each one's strap (its link and battery) apart.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from flooding.app.status import link_word
from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading
from flooding.io.notify import Message

log = logging.getLogger(__name__)

HISTORY_S = 300.0  # the live chart shows the last five minutes of the session
QUEUE_EVENTS = 2000  # a page that falls this far behind is dropped (it reconnects by itself)
MESSAGES_KEPT = 5  # the latest messages, so a page opened after an alert still shows it

Status = Callable[[], dict[str, Any]]


def reading_event(reading: Reading) -> dict[str, Any]:
    """A reading as the page draws it. One the detector could not use (`Reading.unusable`)
    has no heart rate (`bpm` null: the chart leaves it out), and says why (`unusable`) with
    the strap's number (`strap_bpm`, for the words); those two only then."""
    unusable = reading.unusable
    data = {
        "t": reading.t_s,
        "bpm": round(reading.bpm, 1) if unusable is None else None,
        "state": reading.state.value,
        "baseline": None if reading.baseline_bpm is None else round(reading.baseline_bpm, 1),
        "threshold": round(reading.threshold_bpm, 1),
        "pausing": reading.pausing,
        "pause_until": reading.pause_until_s,
        "waiting": None if reading.waiting is None else reading.waiting.value,
    }
    if unusable is not None:
        data["unusable"] = unusable.value
        # NaN is no JSON: such a number is not told
        data["strap_bpm"] = round(reading.bpm, 1) if math.isfinite(reading.bpm) else None
    return data


def message_event(message: Message) -> dict[str, Any]:
    """A message as the page shows it (the words the notification has)."""
    return {
        "kind": message.kind,
        "title": message.title,
        "body": message.body,
        "actions": [action.id for action in message.actions],
    }


class LiveFeed:
    """A view that sends everything to the open live pages."""

    def __init__(
        self,
        status: Status | None = None,
        history_s: float = HISTORY_S,
        people: Sequence[str] = (),
    ) -> None:
        """`people`: a couple's two names (empty for one person)."""
        self.status = status
        self.history_s = history_s
        self.people = tuple(people)
        self.straps: dict[str, dict[str, Any]] = {}  # couple mode: each one's strap, by name
        self.readings: deque[dict[str, Any]] = deque()
        self.messages: deque[dict[str, Any]] = deque(maxlen=MESSAGES_KEPT)
        # a message's id: this feed's own (a page left open across a restart of the monitor
        # never puts away the new feed's message of the same number) and its number
        self._feed_id = secrets.token_hex(4)
        self._numbers = itertools.count(1)
        self.link_state: dict[str, Any] | None = None
        self._connected: set[str] = set()  # whose straps have connected ("": one person's)
        self.battery_state: dict[str, Any] | None = None
        self._subscribers: set[asyncio.Queue[str]] = set()

    # -- the View protocol -------------------------------------------------------------------

    def reading(self, reading: Reading) -> None:
        data = reading_event(reading)
        self._remember(data)
        self._send_reading("reading", data)

    def person_reading(self, person: str, reading: Reading) -> None:
        data = {"person": person, **reading_event(reading)}
        self._remember(data)
        self._send_reading("person-reading", data)

    def message(self, message: Message) -> None:
        data = {
            "id": f"{self._feed_id}-{next(self._numbers)}",
            **message_event(message),
            "put_away": False,
        }
        self.messages.append(data)
        self._send("message", data)
        self.send_status()

    def _link_word(self, whose: str, change: LinkChanged) -> str:
        """The link's state as the page says it, as `flooding status` does (`link_word`):
        a strap that has not connected yet is not "disconnected"."""
        if change.state is LinkState.CONNECTED:
            self._connected.add(whose)
        return link_word(change.state, whose in self._connected)

    def link(self, change: LinkChanged) -> None:
        self.link_state = {
            "state": self._link_word("", change),
            "strap": change.strap_name,
            "reason": change.reason,
        }
        self._send("link", self.link_state)

    def person_link(self, person: str, change: LinkChanged) -> None:
        strap = self._strap(person)
        strap["state"] = self._link_word(person, change)
        strap["strap"] = change.strap_name or strap["strap"]
        self._send("person-strap", strap)

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.battery_state = {"percent": level.percent, "low": low}
        self._send("battery", self.battery_state)

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        strap = self._strap(person)
        strap["percent"] = level.percent
        self._send("person-strap", strap)

    def info(self, text: str) -> None:
        self._send("info", {"text": text})
        self.send_status()

    def answered(self, action_id: str) -> None:
        """The person answered the alert, wherever they did (its notification's button, a
        command, a page): its card goes from every page; a break it started shows on."""
        self.put_away_alerts()

    # -- what the person put away ----------------------------------------------------------

    def put_away(self, message_id: str) -> bool:
        """The person put the message away (its card's button): every open page is told, and
        the snapshot says so from now on. False: no message of that id is kept."""
        for data in self.messages:
            if data["id"] == message_id:
                self._put_away(data)
                return True
        return False

    def put_away_alerts(self) -> None:
        """The person answered the alert: its card goes from every page."""
        for data in self.messages:
            if data["kind"] == "alert":
                self._put_away(data)

    def _put_away(self, data: dict[str, Any]) -> None:
        if not data["put_away"]:
            data["put_away"] = True
            self._send("put-away", {"id": data["id"]})

    def _strap(self, person: str) -> dict[str, Any]:
        """A partner's strap as the page shows it (what is not known yet: None)."""
        return self.straps.setdefault(
            person, {"person": person, "state": None, "strap": None, "percent": None}
        )

    def _remember(self, data: dict[str, Any]) -> None:
        self.readings.append(data)
        while self.readings and data["t"] - self.readings[0]["t"] > self.history_s:
            self.readings.popleft()

    # -- the pages ---------------------------------------------------------------------------

    def send_status(self) -> None:
        """Tell the pages the monitor's status (after an action, a message)."""
        if self.status is not None:
            self._send("status", self.status())

    def status_frame(self) -> str | None:
        """The monitor's status now, as one event for a page (None: no status here)."""
        return None if self.status is None else frame("status", self.status())

    def snapshot(self) -> dict[str, Any]:
        """Everything a newly opened page needs to draw itself."""
        return {
            "readings": list(self.readings),
            "messages": list(self.messages),
            "link": self.link_state,
            "battery": self.battery_state,
            "people": list(self.people),
            "straps": [self.straps[name] for name in self.people if name in self.straps],
            "status": self.status() if self.status is not None else None,
        }

    def subscribe(self) -> asyncio.Queue[str]:
        """A queue of ready-to-send SSE frames for one page."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_EVENTS)
        queue.put_nowait(frame("snapshot", self.snapshot()))
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        """The page went away."""
        self._subscribers.discard(queue)

    def _send_reading(self, kind: str, data: dict[str, Any]) -> None:
        """A reading, stamped with when it was sent (to time the page); nothing to do, for
        every reading, while no page is open."""
        if self._subscribers:
            self._send(kind, {**data, "w": round(time.time() * 1000)})

    def _send(self, kind: str, data: dict[str, Any]) -> None:
        if not self._subscribers:
            return
        text = frame(kind, data)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:
                log.info("a live page fell behind; it reconnects by itself")
                self._subscribers.discard(queue)


def frame(kind: str, data: dict[str, Any]) -> str:
    """One Server-Sent Event."""
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
