"""The notification preview on the Settings page: the alert and the ready-to-return in full
(as the app and the terminal show them) and, in privacy mode, as the desktop and its lock
screen show them, rendered by the notifier's own MessageBook with example numbers."""

from __future__ import annotations

from dataclasses import dataclass

from flooding.core.catalogue import Catalogue
from flooding.core.messages import MessageBook
from flooding.core.models import Alert, PauseStarted, ReadyToReturn, Rule
from flooding.core.notice import Message
from flooding.core.pause import whole_minutes
from flooding.core.settings import Settings
from flooding.io.locale_files import load_catalogue

EXAMPLE_T_S = 1_790_000_000.0  # a fixed moment, so the preview reads the same each time
EXAMPLE_BPM = 118.0  # a flooded heart, well above the example calm
EXAMPLE_CALM_BPM = 72.0  # a typical resting heart rate
EXAMPLE_READY_BPM = 76.0  # back near calm after the break


@dataclass(frozen=True)
class Notice:
    """One example notification: what it is, its title, body and buttons."""

    name: str
    title: str
    body: str
    buttons: tuple[str, ...]


def example_notices(settings: Settings, say: Catalogue | None = None) -> list[Notice]:
    """The alert and the ready-to-return with example numbers, in full; in privacy mode
    (`notify.privacy`) followed by the neutral words the desktop shows instead (each named in
    the language of `say`, English without)."""
    say = say or load_catalogue()
    book = MessageBook(settings, load_catalogue(settings.language))  # the messages' language
    until_s = EXAMPLE_T_S + whole_minutes(settings.pause.minutes) * 60
    alert = Alert(EXAMPLE_T_S, EXAMPLE_BPM, EXAMPLE_CALM_BPM, EXAMPLE_CALM_BPM + 25, Rule.RELATIVE)
    pause = PauseStarted(EXAMPLE_T_S, until_s, EXAMPLE_CALM_BPM)
    ready = ReadyToReturn(until_s, EXAMPLE_READY_BPM, EXAMPLE_CALM_BPM, EXAMPLE_T_S)
    private = settings.notify.privacy
    full: list[Notice] = []
    desktop: list[Notice] = []
    for name, event, pending in (("alert", alert, pause), ("ready", ready, None)):
        rendered = book.render(event, pending, turn=0)
        if rendered is None:
            continue
        what = say(f"web.notice.{name}")
        shown = say("web.notice.in_full", what=what) if private else what
        full.append(_notice(shown, rendered.full))
        if private:
            desktop.append(_notice(say("web.notice.on_desktop", what=what), rendered.desktop))
    return full + desktop


def _notice(name: str, shown: Message) -> Notice:
    return Notice(name, shown.title, shown.body, tuple(action.label for action in shown.actions))
