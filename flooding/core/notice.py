"""What a message for the person is, independent of how it reaches them.

`Message` (with its buttons as `Action`s), the ids of the alert's buttons, which kinds are
urgent, and the `Notifier` interface the application sends through (implemented in
`flooding.io.notify`). Pure: no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

# Action ids of the flooding alert's buttons; `on_action` receives one of these.
ACTION_START_PAUSE = "start-pause"
ACTION_NOT_FLOODED = "not-flooded"

URGENT_KINDS = frozenset({"alert"})  # shown as critical: stays until the person answers


@dataclass(frozen=True, slots=True)
class Action:
    """A button on a notification: a stable id for the program, a label for the person."""

    id: str
    label: str


ALERT_ACTIONS: tuple[Action, ...] = (
    Action(ACTION_START_PAUSE, "Start my 20-minute pause"),
    Action(ACTION_NOT_FLOODED, "I'm OK — not flooded"),
)
"""Default buttons of the flooding alert (callers with configured labels pass their own)."""


@dataclass(frozen=True, slots=True)
class Message:
    """A message for the person: the alert, the pause check, ready-to-return.

    `key` is a stable id (e.g. "alert:<episode id>"): a message whose key was already
    shown is not shown again. Without a key every send is shown. `actions` become buttons
    where the platform has them and are left out where it has not, so the body must make
    sense without them. `chime` names the sound that comes with it ("alert", "ready"; None:
    silent). `summary` is the one neutral line that may leave the computer (remote
    targets); None: the message stays on this computer unless the person opted in to
    details. Title, body and summary are kept out of the repr, so they never reach a log
    by accident.
    """

    kind: str  # "alert", "not-yet", "ready", "info"
    title: str = field(repr=False)
    body: str = field(repr=False)
    actions: tuple[Action, ...] = ()
    key: str | None = None
    chime: str | None = None
    summary: str | None = field(default=None, repr=False)


ActionHandler = Callable[[Message, str], object]
"""Called with the message and the action id when the person presses a button.
May be a plain function or return an awaitable (it is then run as a task)."""


class Notifier(Protocol):
    """Something that tells the person a message (desktop, sound, phone).

    `send` never raises and returns within `budget_s` seconds: the notifier owns its time
    limit (per-attempt timeouts and a retry inside it), so callers need no cut of their own.
    """

    @property
    def budget_s(self) -> float:
        """The longest one `send` can take, retry included."""
        ...

    async def send(self, message: Message) -> bool:
        """Tell the message; True when it was handed to a notification server."""
        ...

    async def problem(self) -> str | None:
        """Why a message cannot reach the desktop now (e.g. no notification server), in a
        few words; None when it can, or when this notifier shows nothing by choice."""
        ...


class NullNotifier:
    """Tells nothing (`--no-notify`, notifications disabled, tests)."""

    budget_s = 0.0

    async def send(self, message: Message) -> bool:
        return False

    async def problem(self) -> str | None:
        return None  # nothing is shown by choice: no problem to tell
