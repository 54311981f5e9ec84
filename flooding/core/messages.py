"""Turn pause-protocol events into the words the person reads, from config, never from code.

Lists (suggestions, partner scripts, re-entry lines) rotate by a counter the caller keeps,
so the same words do not come every time. Privacy mode swaps in neutral texts for the
desktop; the terminal always gets the full text. Each message also carries its chime and
the one neutral line that may go to remote targets (`messages.remote_*`). A break's "still
elevated" is told as a nudge, not a nag (`flooding.core.nudges`): every way a message leaves
(terminal, app, desktop, phone) gets it from here, so one rule limits them all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

from flooding.core.catalogue import Catalogue
from flooding.core.models import (
    Absent,
    Alert,
    Event,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
)
from flooding.core.notice import ACTION_NOT_FLOODED, ACTION_START_PAUSE, Action, Message
from flooding.core.nudges import NotYetPace
from flooding.core.pause import nobody_counted, whole_minutes
from flooding.core.settings import MessageSettings, Settings, fill_placeholders
from flooding.core.timefmt import at_day_clock, break_length, day_clock, spoken_minutes

CHIMES = {"alert": "alert", "ready": "ready"}  # the not-yet check comes without a sound


def _pick(options: list[str], turn: int) -> str:
    return options[turn % len(options)]


def _shifted(wall_offset_s: float) -> Callable[[float], float]:
    """Session times as the wall clock reads them (`wall_offset_s` later)."""
    return lambda t_s: t_s + wall_offset_s


@dataclass(frozen=True)
class RenderedMessage:
    """The full text (terminal, store) and the desktop text (maybe private)."""

    full: Message
    desktop: Message


class MessageBook:
    """Renders messages from the configured texts: for one person, or for the two of a
    couple (`people=2`: the words address both, non-blaming by default). `say`: the screen
    words of the settings' language, for what the texts are filled in with (heart rates,
    lengths of time, a return time on another day)."""

    def __init__(self, settings: Settings, say: Catalogue, people: int = 1) -> None:
        self.texts: MessageSettings = settings.messages
        self.settings = settings
        self.say = say
        self.people = people
        self.pace = NotYetPace()  # which "still elevated" are told

    def _lengths(self) -> dict[str, str]:
        """The break's and an extension's length (whole minutes, as the pause protocol
        takes them): as numbers (`minutes`, `extend_minutes`) and in words (`break_time`,
        `extend_time`: "1 minute", "2 hours")."""
        pause = self.settings.pause
        minutes, extend = whole_minutes(pause.minutes), whole_minutes(pause.extend_minutes)
        return {
            "minutes": str(minutes),
            "extend_minutes": str(extend),
            "break_time": break_length(pause.minutes, self.say),
            "extend_time": break_length(pause.extend_minutes, self.say),
        }

    def _took(self, ready: ReadyToReturn) -> dict[str, str]:
        """How long the break took until ready, in the nearest whole minutes: as a number
        (`minutes`) and in words (`took_time`: "25 minutes", "24 hours and 3 minutes")."""
        minutes = round((ready.t_s - ready.pause_start_s) / 60)
        return {"minutes": str(minutes), "took_time": spoken_minutes(minutes, self.say)}

    def _return(self, until_s: float, now_s: float) -> dict[str, str]:
        """The time to come back (wall clock), said from `now_s`: `return_time` (14:17,
        with its day when not today: 01:57 tomorrow) and `return_at` (at 14:17, tomorrow
        at 01:57)."""
        return {
            "return_time": day_clock(until_s, now_s, self.say),
            "return_at": at_day_clock(until_s, now_s, self.say),
        }

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
        if not self.pace.tells(event) or not isinstance(
            event, Alert | PauseExtended | ReadyToReturn
        ):
            return None
        if self.people > 1:
            return self._render_couple(event, pending, turn, wall_offset_s)
        on_wall = _shifted(wall_offset_s)
        t = self.texts
        now_s = on_wall(event.t_s)
        if isinstance(event, Alert):
            until = on_wall(self._until(event, pending))
            values = {
                "bpm": self._bpm(event.bpm),
                "baseline": self._bpm(event.baseline_bpm),
                **self._lengths(),
                **self._return(until, now_s),
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
                **self._lengths(),
                **self._return(on_wall(event.until_s), now_s),
                "suggestion": _pick(t.suggestions, turn + 1),
            }
            # a heart that cannot be read has its own words, on the lock screen too
            texts = "unseen" if nobody_counted(event, self.people) else "not_yet"
            return self._render("not-yet", texts, values)
        values = {
            "bpm": self._bpm(event.bpm),
            "baseline": self._bpm(event.baseline_bpm),
            **self._lengths(),
            **self._took(event),
            **self._return(now_s, now_s),
            "reentry": _pick(t.reentry_lines, turn),
        }
        # no calm was known: the check used a fixed level, so no word of a baseline
        calm_known = event.baseline_bpm is not None and not math.isnan(event.baseline_bpm)
        texts = "ready" if calm_known else "ready_no_calm"
        return self._render("ready", texts, values, private="ready")

    def _bpm(self, value: float | None) -> str:
        """A heart rate for a message, or the words for none yet (`messages.not_measured`)."""
        if value is None or math.isnan(value):
            return self.texts.not_measured
        return self.say("bpm", bpm=f"{value:.0f}")

    def _until(self, alert: Alert, pending: PauseStarted | None) -> float:
        """The planned end of the break an alert starts (session time)."""
        if pending is not None:
            return pending.until_s
        return alert.t_s + whole_minutes(self.settings.pause.minutes) * 60

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
        name_who = self.settings.couple.name_who
        now_s = on_wall(event.t_s)
        values = {
            "bpm": self._bpm(None),
            "baseline": self._bpm(None),
            **self._lengths(),
            "who": t.couple_someone,
            "not_counted": self.not_counted(event.absent),
            "waiting": "",
        }
        if isinstance(event, Alert):
            if name_who:
                values["who"] = event.person
            values.update(self._return(on_wall(self._until(event, pending)), now_s))
            script = _pick(t.couple_partner_scripts, turn)
            values["script"] = fill_placeholders("couple_partner_scripts", script, values)
            values["suggestion"] = _pick(t.couple_suggestions, turn)
            return self._render(
                "alert", "couple_alert", values, private="alert", with_buttons=True, couple=True
            )
        if isinstance(event, PauseExtended):
            values.update(self._return(on_wall(event.until_s), now_s))
            values["suggestion"] = _pick(t.couple_suggestions, turn + 1)
            if name_who and event.waiting:
                names = {"names": ", ".join(event.waiting)}
                values["waiting"] = fill_placeholders("couple_waiting", t.couple_waiting, names)
            unseen = nobody_counted(event, self.people)
            texts, private = (
                ("couple_unseen", "unseen") if unseen else ("couple_not_yet", "not_yet")
            )
            return self._render("not-yet", texts, values, private=private, couple=True)
        values.update(self._took(event))
        values.update(self._return(now_s, now_s))
        values["reentry"] = _pick(t.couple_reentry_lines, turn)
        # a heart not counted was not checked: the title speaks only of the one that was
        title = "couple_ready_partly_title" if event.absent else None
        return self._render(
            "ready", "couple_ready", values, private="ready", couple=True, title=title
        )

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
        title: str | None = None,
    ) -> RenderedMessage:
        """The full message from the texts `{texts}_title` and `{texts}_body`, and what the
        desktop shows (`private_{private}_title` and body in privacy mode; `private` is
        `texts` unless given). A `couple`'s buttons, private bodies and remote lines are
        their own (`couple_button_*`, `couple_private_*_body`, `couple_remote_*`; the
        alert's remote line is shared). `title`: the full message's title text, when not
        `{texts}_title`."""
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
            self._text(title or f"{texts}_title", values),
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
