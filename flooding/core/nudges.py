"""How often a break's "still elevated" is told: a nudge, not a nag.

The pause protocol checks the heart every `pause.extend_minutes` while it stays up, and each
check is an event (`PauseExtended`, stored for the review and the export). Only some of them
are told: at most one per `NOT_YET_EVERY_S` and `NOT_YET_MOST` in one break; after that the
break goes on quietly (the status and the app still show it), and ready-to-return is always
told. One person or two, desktop, terminal or phone: every message comes from the one
`flooding.core.messages.MessageBook`, which asks this.
"""

from __future__ import annotations

from flooding.core.models import Event, PauseEnded, PauseExtended, PauseStarted, ReadyToReturn

NOT_YET_EVERY_S = 600.0  # at most one "still elevated" in 10 minutes: more often is a nag
#                          that keeps the upset going, whatever `pause.extend_minutes` checks at
NOT_YET_MOST = 3  # at most this many in a break: past three, being told again only adds
#                   pressure; ready-to-return still comes the moment the heart has settled
_SUM_SLACK_S = 1e-3  # check times are sums of floats: a check 10 minutes on may be a hair under


class NotYetPace:
    """Whether each "still elevated" of a break is told (`tells`), from the events in order."""

    def __init__(self) -> None:
        self._told = 0  # "still elevated" told in this break
        self._last_s: float | None = None  # when the last one was told

    def tells(self, event: Event) -> bool:
        """Whether the person is told about `event` (every event but a "still elevated" past
        the limits is)."""
        if isinstance(event, PauseStarted | PauseEnded | ReadyToReturn):
            self._told, self._last_s = 0, None  # a break begins or ends: counted afresh
            return True
        if not isinstance(event, PauseExtended):
            return True
        last = self._last_s
        if self._told >= NOT_YET_MOST or (
            last is not None and event.t_s - last < NOT_YET_EVERY_S - _SUM_SLACK_S
        ):
            return False
        self._told += 1
        self._last_s = event.t_s
        return True
