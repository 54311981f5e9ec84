"""Views of a session other than the terminal: the log of the headless service, and `Views`,
which passes everything on to several views at once (the terminal or log, and the local app).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading
from flooding.io.notify import Message

if TYPE_CHECKING:
    from flooding.app.session import View

log = logging.getLogger(__name__)


class LogView:
    """The headless view: link changes and messages go to the log (the journal), briefly.

    Heart numbers and message texts stay out of the log (they are private and the
    desktop shows them); only what happened is logged.
    """

    def __init__(self) -> None:
        self._connected = False
        self._people_connected: set[str] = set()  # couple mode: whose strap is connected

    def reading(self, reading: Reading) -> None:
        pass

    def person_reading(self, person: str, reading: Reading) -> None:
        pass

    def message(self, message: Message) -> None:
        log.info("shown on the desktop: %s message", message.kind)

    def link(self, change: LinkChanged) -> None:
        if change.state is LinkState.CONNECTED:
            self._connected = True
            log.info("connected to %s", change.strap_name or change.strap_address or "the strap")
        elif change.state is LinkState.DISCONNECTED and self._connected:
            self._connected = False
            log.info("the strap went away; reconnecting on its own")

    def person_link(self, person: str, change: LinkChanged) -> None:
        if change.state is LinkState.CONNECTED:
            self._people_connected.add(person)
            strap = change.strap_name or change.strap_address or "no name given"
            log.info("connected to %s's strap (%s)", person, strap)
        elif change.state is LinkState.DISCONNECTED and person in self._people_connected:
            self._people_connected.discard(person)
            log.info("%s's strap went away; reconnecting on its own", person)

    def battery(self, level: BatteryLevel, low: bool) -> None:
        if low:
            log.warning(
                "strap battery low (%d%%): replace or charge it soon, or an alert may be missed",
                level.percent,
            )

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        if low:
            log.warning(
                "%s's strap battery low (%d%%): replace or charge it soon, or an alert may be"
                " missed",
                person,
                level.percent,
            )

    def info(self, text: str) -> None:
        log.info("%s", text)

    def answered(self, action_id: str) -> None:
        log.info("the alert was answered: %s", action_id)


class Views:
    """Several views as one: every reading, message, link change, line and answer goes to
    each.

    This is where more views join a running session (the local app), beside the terminal or
    the log, without the session runner knowing how many there are.
    """

    def __init__(self, views: Sequence[View]) -> None:
        self.views = tuple(views)

    def reading(self, reading: Reading) -> None:
        for view in self.views:
            view.reading(reading)

    def person_reading(self, person: str, reading: Reading) -> None:
        for view in self.views:
            view.person_reading(person, reading)

    def message(self, message: Message) -> None:
        for view in self.views:
            view.message(message)

    def link(self, change: LinkChanged) -> None:
        for view in self.views:
            view.link(change)

    def person_link(self, person: str, change: LinkChanged) -> None:
        for view in self.views:
            view.person_link(person, change)

    def battery(self, level: BatteryLevel, low: bool) -> None:
        for view in self.views:
            view.battery(level, low)

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        for view in self.views:
            view.person_battery(person, level, low)

    def info(self, text: str) -> None:
        for view in self.views:
            view.info(text)

    def answered(self, action_id: str) -> None:
        for view in self.views:
            view.answered(action_id)
