"""Turn pause-protocol events into the words the person reads, from config, never from code.

Lists (suggestions, partner scripts, re-entry lines) rotate by a counter the caller keeps,
so the same words do not come every time. Privacy mode swaps in neutral texts for the
desktop; the terminal always gets the full text. Each message also carries its chime and
the one neutral line that may go to remote targets (`messages.remote_*`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from flooding.core.models import (
    Absent,
    Alert,
    Event,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
)
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Action, Message
from flooding.core.pause import nobody_counted
from flooding.core.settings import MessageSettings, Settings, fill_placeholders
from flooding.core.timefmt import clock_time

CHIMES = {"alert": "alert", "ready": "ready"}  # the not-yet check comes without a sound


def _pick(options: list[str], turn: int) -> str:
    return options[turn % len(options)]


def _shifted(wall_offset_s: float) -> Callable[[float], str]:
    """`clock_time` of session times read on the wall clock (`wall_offset_s` later)."""
    return lambda t_s: clock_time(t_s + wall_offset_s)


@dataclass(frozen=True)
class RenderedMessage:
    """The full text (terminal, store) and the desktop text (maybe private)."""

    full: Message
    desktop: Message


class MessageBook:
    """Renders messages from the configured texts: for one person, or for the two of a
    couple (`people=2`: the words address both, non-blaming by default)."""

    def __init__(self, settings: Settings, people: int = 1) -> None:
        self.texts: MessageSettings = settings.messages
        self.settings = settings
        self.people = people

    def render(
        self,
        event: Event,
        pending: PauseStarted | None,
        turn: int,
        wall_offset_s: float = 0.0,
    ) -> RenderedMessage | None:
        """The message for an event (None for events the person is not told about).

        `pending` is the pause that an Alert starts (its planned end gives the return time).
        `turn` picks the rotating suggestion, script and re-entry line. `wall_offset_s` turns
        session times into the clock time the computer shows now (a live session whose wall
        clock was set since it began; see `flooding.io.clock`): "back at" names the time on
        the clock people look at.
        """
        if self.people > 1 and isinstance(event, Alert | PauseExtended | ReadyToReturn):
            return self._render_couple(event, pending, turn, wall_offset_s)
        on_wall = _shifted(wall_offset_s)
        t = self.texts
        minutes = f"{self.settings.pause.minutes:.0f}"
        extend = f"{self.settings.pause.extend_minutes:.0f}"
        if isinstance(event, Alert):
            until = pending.until_s if pending else event.t_s + self.settings.pause.minutes * 60
            values = {
                "bpm": self._bpm(event.bpm),
                "baseline": self._bpm(event.baseline_bpm),
                "minutes": minutes,
                "extend_minutes": extend,
                "return_time": on_wall(until),
            }
            values["script"] = fill_placeholders(
                "partner_scripts", _pick(t.partner_scripts, turn), values
            )
            values["suggestion"] = _pick(t.suggestions, turn)
            return self._render("alert", "alert", values, with_buttons=True)
        if isinstance(event, PauseExtended):
            values = {
                "bpm": self._bpm(event.bpm),
                "baseline": self._bpm(event.baseline_bpm),
                "minutes": minutes,
                "extend_minutes": extend,
                "return_time": on_wall(event.until_s),
                "suggestion": _pick(t.suggestions, turn + 1),
            }
            texts = "unseen" if nobody_counted(event, self.people) else "not_yet"
            return self._render("not-yet", texts, values, private="not_yet")
        if isinstance(event, ReadyToReturn):
            values = {
                "bpm": self._bpm(event.bpm),
                "baseline": self._bpm(event.baseline_bpm),
                "minutes": f"{(event.t_s - event.pause_start_s) / 60:.0f}",
                "extend_minutes": extend,
                "return_time": on_wall(event.t_s),
                "reentry": _pick(t.reentry_lines, turn),
            }
            # no calm was known: the check used a fixed level, so no word of a baseline
            calm_known = event.baseline_bpm is not None and not math.isnan(event.baseline_bpm)
            texts = "ready" if calm_known else "ready_no_calm"
            return self._render("ready", texts, values, private="ready")
        return None

    def _bpm(self, value: float | None) -> str:
        """A heart rate for a message, or the words for none yet (`messages.not_measured`)."""
        if value is None or math.isnan(value):
            return self.texts.not_measured
        return f"{value:.0f} bpm"

    def not_counted(self, absent: Absent) -> str:
        """One line per person whose heart is not counted, each after a line break."""
        t = self.texts
        reasons = {
            "workout": t.couple_reason_workout,
            "no-contact": t.couple_reason_no_contact,
            "no-signal": t.couple_reason_no_signal,
        }
        return "".join(
            "\n"
            + fill_placeholders(
                "couple_not_counted",
                t.couple_not_counted,
                {"who": who, "reason": reasons.get(why, why)},
            )
            for who, why in absent
        )

    def _render_couple(
        self,
        event: Alert | PauseExtended | ReadyToReturn,
        pending: PauseStarted | None,
        turn: int,
        wall_offset_s: float,
    ) -> RenderedMessage:
        """The messages for both partners (see flooding.core.pause): non-blaming by default."""
        on_wall = _shifted(wall_offset_s)
        t = self.texts
        pause = self.settings.pause
        name_who = self.settings.couple.name_who
        values = {
            "bpm": self._bpm(None),
            "baseline": self._bpm(None),
            "minutes": f"{pause.minutes:.0f}",
            "extend_minutes": f"{pause.extend_minutes:.0f}",
            "who": t.couple_someone,
            "not_counted": self.not_counted(event.absent),
            "waiting": "",
        }
        if isinstance(event, Alert):
            until = pending.until_s if pending else event.t_s + pause.minutes * 60
            if name_who:
                values["who"] = event.person
            values["return_time"] = on_wall(until)
            script = _pick(t.couple_partner_scripts, turn)
            values["script"] = fill_placeholders("couple_partner_scripts", script, values)
            values["suggestion"] = _pick(t.couple_suggestions, turn)
            return self._render(
                "alert", "couple_alert", values, private="alert", with_buttons=True, couple=True
            )
        if isinstance(event, PauseExtended):
            values["return_time"] = on_wall(event.until_s)
            values["suggestion"] = _pick(t.couple_suggestions, turn + 1)
            if name_who and event.waiting:
                names = {"names": ", ".join(event.waiting)}
                values["waiting"] = fill_placeholders("couple_waiting", t.couple_waiting, names)
            texts = "couple_unseen" if nobody_counted(event, self.people) else "couple_not_yet"
            return self._render("not-yet", texts, values, private="not_yet", couple=True)
        values["minutes"] = f"{(event.t_s - event.pause_start_s) / 60:.0f}"
        values["return_time"] = on_wall(event.t_s)
        values["reentry"] = _pick(t.couple_reentry_lines, turn)
        return self._render("ready", "couple_ready", values, private="ready", couple=True)

    def _text(self, key: str, values: dict[str, str]) -> str:
        """The message text `key` of the settings, filled in."""
        text: str = getattr(self.texts, key)
        return fill_placeholders(key, text, values)

    def _render(
        self,
        kind: str,
        texts: str,
        values: dict[str, str],
        *,
        private: str | None = None,
        with_buttons: bool = False,
        couple: bool = False,
    ) -> RenderedMessage:
        """The full message from the texts `{texts}_title` and `{texts}_body`, and what the
        desktop shows (`private_{private}_title` and body in privacy mode; `private` is
        `texts` unless given). A `couple`'s buttons, private bodies and remote lines are
        their own (`couple_button_*`, `couple_private_*_body`, `couple_remote_*`; the
        alert's remote line is shared)."""
        both = "couple_" if couple else ""
        actions = (
            (
                Action(ACTION_START_PAUSE, self._text(f"{both}button_pause", values)),
                Action(ACTION_NOT_FLOODED, self._text(f"{both}button_ok", values)),
            )
            if with_buttons
            else ()
        )
        remote = f"remote_{private or texts}"
        if couple and remote != "remote_alert":
            remote = both + remote
        full = Message(
            kind,
            self._text(f"{texts}_title", values),
            self._text(f"{texts}_body", values),
            actions=actions,
            chime=CHIMES.get(kind) if self.settings.notify.sound else None,
            summary=self._text(remote, values),
        )
        if not self.settings.notify.privacy:
            return RenderedMessage(full=full, desktop=full)
        hidden = f"private_{private or texts}"
        desktop = dataclasses.replace(
            full,
            title=self._text(f"{hidden}_title", values),
            body=self._text(f"{both}{hidden}_body", values),
        )
        return RenderedMessage(full=full, desktop=desktop)
