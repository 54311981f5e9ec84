"""Turn pause-protocol events into the words the person reads, from config, never from code.

Lists (suggestions, partner scripts, re-entry lines) rotate by a counter the caller keeps,
so the same words do not come every time. Privacy mode swaps in neutral texts for the
desktop; the terminal always gets the full text. Each message also carries its chime and
the one neutral line that may go to remote targets (`messages.remote_*`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from flooding.core.models import (
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
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Action, Message
from flooding.core.settings import MessageSettings, Settings
from flooding.core.timefmt import clock_time


def _bpm(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "not measured yet"
    return f"{value:.0f} bpm"


CHIMES = {"alert": "alert", "ready": "ready"}  # the not-yet check comes without a sound


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
            return self._render(
                "alert",
                (t.alert_title, t.alert_body),
                (t.private_alert_title, t.private_alert_body),
                values,
                with_buttons=True,
            )
        if isinstance(event, PauseExtended):
            values = {
                "bpm": _bpm(event.bpm),
                "baseline": _bpm(event.baseline_bpm),
                "minutes": minutes,
                "extend_minutes": extend,
                "return_time": clock_time(event.until_s),
                "suggestion": _pick(t.suggestions, turn + 1),
            }
            return self._render(
                "not-yet",
                (t.not_yet_title, t.not_yet_body),
                (t.private_not_yet_title, t.private_not_yet_body),
                values,
            )
        if isinstance(event, ReadyToReturn):
            values = {
                "bpm": _bpm(event.bpm),
                "baseline": _bpm(event.baseline_bpm),
                "minutes": f"{(event.t_s - event.pause_start_s) / 60:.0f}",
                "extend_minutes": extend,
                "return_time": clock_time(event.t_s),
                "reentry": _pick(t.reentry_lines, turn),
            }
            return self._render(
                "ready",
                (t.ready_title, t.ready_body),
                (t.private_ready_title, t.private_ready_body),
                values,
            )
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
        """The messages for both partners (see flooding.core.couple): non-blaming by default."""
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
            return self._render(
                "alert",
                (t.couple_alert_title, t.couple_alert_body),
                (t.private_alert_title, t.private_alert_body),
                values,
                with_buttons=True,
            )
        if isinstance(event, CouplePauseExtended):
            values["return_time"] = clock_time(event.until_s)
            values["suggestion"] = _pick(t.suggestions, turn + 1)
            if name_who and event.waiting:
                values["waiting"] = t.couple_waiting.format(names=", ".join(event.waiting))
            return self._render(
                "not-yet",
                (t.couple_not_yet_title, t.couple_not_yet_body),
                (t.private_not_yet_title, t.private_not_yet_body),
                values,
            )
        values["minutes"] = f"{(event.t_s - event.pause_start_s) / 60:.0f}"
        values["return_time"] = clock_time(event.t_s)
        values["reentry"] = _pick(t.couple_reentry_lines, turn)
        return self._render(
            "ready",
            (t.couple_ready_title, t.couple_ready_body),
            (t.private_ready_title, t.private_ready_body),
            values,
        )

    def _render(
        self,
        kind: str,
        texts: tuple[str, str],
        private_texts: tuple[str, str],
        values: dict[str, str],
        *,
        with_buttons: bool = False,
    ) -> RenderedMessage:
        """The full message, and what the desktop shows (the private texts in privacy mode)."""
        t = self.texts
        actions = (
            (
                Action(ACTION_START_PAUSE, t.button_pause.format(**values)),
                Action(ACTION_NOT_FLOODED, t.button_ok.format(**values)),
            )
            if with_buttons
            else ()
        )
        remote = {"alert": t.remote_alert, "not-yet": t.remote_not_yet, "ready": t.remote_ready}
        chime = CHIMES.get(kind) if self.settings.notify.sound else None
        summary = remote[kind].format(**values)
        title, body = texts
        full = Message(
            kind,
            title.format(**values),
            body.format(**values),
            actions=actions,
            chime=chime,
            summary=summary,
        )
        if not self.settings.notify.privacy:
            return RenderedMessage(full=full, desktop=full)
        title, body = private_texts
        private = dataclasses.replace(
            full, title=title.format(**values), body=body.format(**values)
        )
        return RenderedMessage(full=full, desktop=private)
