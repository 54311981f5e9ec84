"""Turn pause-protocol events into the words the person reads, from config, never from code.

Lists (suggestions, partner scripts, re-entry lines) rotate by a counter the caller keeps,
so the same words do not come every time. Privacy mode swaps in neutral texts for the
desktop; the terminal always gets the full text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flooding.config import MessageSettings, Settings
from flooding.models import (
    Absent,
    Alert,
    CoupleAlert,
    CouplePauseExtended,
    CouplePauseStarted,
    CoupleReady,
    Event,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
)
from flooding.notify import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Action, Message
from flooding.timefmt import clock_time


def _bpm(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "not measured yet"
    return f"{value:.0f} bpm"


def _pick(options: list[str], turn: int) -> str:
    return options[turn % len(options)]


@dataclass(frozen=True)
class RenderedMessage:
    """The full text (terminal, store) and the desktop text (maybe private)."""

    full: Message
    desktop: Message


class MessageBook:
    """Renders messages from the configured texts."""

    def __init__(self, settings: Settings) -> None:
        self.texts: MessageSettings = settings.messages
        self.settings = settings

    def render(
        self, event: Event, pending: PauseStarted | CouplePauseStarted | None, turn: int
    ) -> RenderedMessage | None:
        """The message for an event (None for events the person is not told about).

        `pending` is the pause that an Alert starts (its planned end gives the return time).
        `turn` picks the rotating suggestion, script and re-entry line.
        """
        if isinstance(event, CoupleAlert | CouplePauseExtended | CoupleReady):
            return self._render_couple(event, pending, turn)
        t = self.texts
        minutes = f"{self.settings.pause.minutes:.0f}"
        extend = f"{self.settings.pause.extend_minutes:.0f}"
        if isinstance(event, Alert):
            until = pending.until_s if pending else event.t_s + self.settings.pause.minutes * 60
            values = {
                "bpm": _bpm(event.bpm),
                "baseline": _bpm(event.baseline_bpm),
                "minutes": minutes,
                "extend_minutes": extend,
                "return_time": clock_time(until),
            }
            values["script"] = _pick(t.partner_scripts, turn).format(**values)
            values["suggestion"] = _pick(t.suggestions, turn)
            actions = (
                Action(ACTION_START_PAUSE, t.button_pause.format(**values)),
                Action(ACTION_NOT_FLOODED, t.button_ok.format(**values)),
            )
            full = Message(
                "alert",
                t.alert_title.format(**values),
                t.alert_body.format(**values),
                actions=actions,
            )
            private = Message(
                "alert",
                t.private_alert_title.format(**values),
                t.private_alert_body.format(**values),
                actions=actions,
            )
            return self._pair(full, private)
        if isinstance(event, PauseExtended):
            values = {
                "bpm": _bpm(event.bpm),
                "baseline": _bpm(event.baseline_bpm),
                "minutes": minutes,
                "extend_minutes": extend,
                "return_time": clock_time(event.until_s),
                "suggestion": _pick(t.suggestions, turn + 1),
            }
            full = Message(
                "not-yet", t.not_yet_title.format(**values), t.not_yet_body.format(**values)
            )
            private = Message(
                "not-yet",
                t.private_not_yet_title.format(**values),
                t.private_not_yet_body.format(**values),
            )
            return self._pair(full, private)
        if isinstance(event, ReadyToReturn):
            values = {
                "bpm": _bpm(event.bpm),
                "baseline": _bpm(event.baseline_bpm),
                "minutes": f"{(event.t_s - event.pause_start_s) / 60:.0f}",
                "extend_minutes": extend,
                "return_time": clock_time(event.t_s),
                "reentry": _pick(t.reentry_lines, turn),
            }
            full = Message("ready", t.ready_title.format(**values), t.ready_body.format(**values))
            private = Message(
                "ready",
                t.private_ready_title.format(**values),
                t.private_ready_body.format(**values),
            )
            return self._pair(full, private)
        return None

    def not_counted(self, absent: Absent) -> str:
        """One line per person whose heart is not counted, each after a line break."""
        t = self.texts
        reasons = {
            "workout": t.couple_reason_workout,
            "no-contact": t.couple_reason_no_contact,
            "no-signal": t.couple_reason_no_signal,
        }
        return "".join(
            "\n" + t.couple_not_counted.format(who=who, reason=reasons.get(why, why))
            for who, why in absent
        )

    def _render_couple(
        self,
        event: CoupleAlert | CouplePauseExtended | CoupleReady,
        pending: PauseStarted | CouplePauseStarted | None,
        turn: int,
    ) -> RenderedMessage:
        """The messages for both partners (see flooding.couple): non-blaming by default."""
        t = self.texts
        pause = self.settings.pause
        name_who = self.settings.couple.name_who
        values = {
            "bpm": _bpm(None),
            "baseline": _bpm(None),
            "minutes": f"{pause.minutes:.0f}",
            "extend_minutes": f"{pause.extend_minutes:.0f}",
            "who": t.couple_someone,
            "not_counted": self.not_counted(event.absent),
            "waiting": "",
        }
        if isinstance(event, CoupleAlert):
            until = pending.until_s if pending else event.t_s + pause.minutes * 60
            if name_who:
                values["who"] = event.person
            values["return_time"] = clock_time(until)
            values["script"] = _pick(t.couple_partner_scripts, turn).format(**values)
            values["suggestion"] = _pick(t.suggestions, turn)
            actions = (
                Action(ACTION_START_PAUSE, t.button_pause.format(**values)),
                Action(ACTION_NOT_FLOODED, t.button_ok.format(**values)),
            )
            full = Message(
                "alert",
                t.couple_alert_title.format(**values),
                t.couple_alert_body.format(**values),
                actions=actions,
            )
            private = Message(
                "alert",
                t.private_alert_title.format(**values),
                t.private_alert_body.format(**values),
                actions=actions,
            )
            return self._pair(full, private)
        if isinstance(event, CouplePauseExtended):
            values["return_time"] = clock_time(event.until_s)
            values["suggestion"] = _pick(t.suggestions, turn + 1)
            if name_who and event.waiting:
                values["waiting"] = t.couple_waiting.format(names=", ".join(event.waiting))
            full = Message(
                "not-yet",
                t.couple_not_yet_title.format(**values),
                t.couple_not_yet_body.format(**values),
            )
            private = Message(
                "not-yet",
                t.private_not_yet_title.format(**values),
                t.private_not_yet_body.format(**values),
            )
            return self._pair(full, private)
        values["minutes"] = f"{(event.t_s - event.pause_start_s) / 60:.0f}"
        values["return_time"] = clock_time(event.t_s)
        values["reentry"] = _pick(t.couple_reentry_lines, turn)
        full = Message(
            "ready", t.couple_ready_title.format(**values), t.couple_ready_body.format(**values)
        )
        private = Message(
            "ready",
            t.private_ready_title.format(**values),
            t.private_ready_body.format(**values),
        )
        return self._pair(full, private)

    def _pair(self, full: Message, private: Message) -> RenderedMessage:
        return RenderedMessage(full=full, desktop=private if self.settings.notify.privacy else full)
