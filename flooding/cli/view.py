"""The terminal view: a live line every few seconds, and every message in full.

While flooded, the line says what ends it (the release rule: below the threshold minus the
hysteresis for `release_s`), counting down once the heart is under that level. A reading the
detector could not use (`Reading.unusable`) shows no heart rate ("--"), and an implausible
one says so in plain words: the strap's number is not the heart's.
"""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TextIO

from flooding.core.breathing import phase_at
from flooding.core.catalogue import Catalogue, whose_strap
from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading, State, Unusable
from flooding.core.notice import Message
from flooding.core.pause import time_over
from flooding.core.timefmt import clock_time, countdown
from flooding.io.locale_files import load_catalogue

LINE_EVERY_S = 5.0  # session seconds between live lines when nothing changes
MESSAGE_WIDTH_CHARS = 72


def _bpm(value: float | None) -> str:
    return "  --" if value is None else f"{value:4.0f}"


def _heart(reading: Reading) -> float | None:
    """The heart rate to show: None for a reading the detector could not use."""
    return reading.bpm if reading.unusable is None else None


def _not_counted(say: Catalogue, reading: Reading) -> str:
    """', the strap's reading is not believable (300 bpm): ...' for an implausible reading,
    '' otherwise (a reading without skin contact says so in its state)."""
    if reading.unusable is not Unusable.IMPLAUSIBLE:
        return ""
    return say("live.implausible", bpm=f"{reading.bpm:.0f}")


def _countdown(say: Catalogue, seconds: float) -> str:
    """'19:58 left' of a break's planned time, '23:59:59 left' from an hour on (rounded up:
    never "0:00 left" while some is left)."""
    return say("live.left", time=countdown(math.ceil(seconds)).rjust(5))


def _pause_words(say: Catalogue, reading: Reading, couple: bool = False) -> str:
    """The line's part on a break: the time left, or once that is over, that the heart is
    checked now (`time_over`, as `flooding status` says it); '' when not on a break."""
    if not reading.pausing or reading.pause_until_s is None:
        return ""
    left_s = reading.pause_until_s - reading.t_s
    if time_over(left_s):
        return say("live.pause_both_checking" if couple else "live.pause_checking")
    return say("live.pause_both" if couple else "live.pause", left=_countdown(say, left_s))


def _breath(say: Catalogue, t_s: float, breathing: tuple[float, float]) -> str:
    pace, inhale = breathing
    return say("breath.in" if phase_at(t_s, pace, inhale).inhaling else "breath.out")


@dataclass
class ReleaseWatch:
    """What a flooded episode needs to end, as the detector's release rule has it: the heart
    below `threshold - hysteresis_bpm` for `release_s` seconds in a row."""

    hysteresis_bpm: float
    release_s: float
    below_since_s: float | None = None

    def words(self, say: Catalogue, reading: Reading) -> str:
        """', easing: below 72 for 18 s more' (or what it waits for), for a flooded reading;
        '' otherwise. Follows each reading, so call it for every one; a reading the detector
        could not use (an implausible rate) changes nothing, as it changes nothing there."""
        if reading.state is not State.FLOODED:
            self.below_since_s = None
            return ""
        below = reading.threshold_bpm - self.hysteresis_bpm
        level = f"{below:.0f}"
        if reading.unusable is None:
            if reading.bpm >= below:
                self.below_since_s = None
            elif self.below_since_s is None:
                self.below_since_s = reading.t_s
        since = self.below_since_s
        if since is None:
            return say("live.release_rule", seconds=f"{self.release_s:.0f}", level=level)
        left_s = max(0.0, self.release_s - (reading.t_s - since))
        return say("live.easing", level=level, seconds=f"{left_s:.0f}")


class TerminalView:
    """Prints the session as it happens."""

    def __init__(
        self,
        *,
        every_s: float = LINE_EVERY_S,
        out: TextIO | None = None,
        breathing: tuple[float, float] | None = None,
        language: str = "en",
        release: tuple[float, float] | None = None,
        breath_clock: Callable[[], float] | None = None,
    ) -> None:
        """`breathing`: (breaths a minute, inhale fraction) to cue breaths during a pause;
        `language`: of the screen texts (`settings.language`); `release`: (hysteresis bpm,
        release s) of the detection settings, to say what ends a flooded stretch;
        `breath_clock`: the seconds the breathing cue follows (a demo in accelerated time
        passes the real clock, so the cue moves at the pace of a real breath; default: the
        session's time)."""
        self.say = load_catalogue(language)
        self.every_s = every_s
        self.breathing = breathing
        self.release = None if release is None else ReleaseWatch(*release)
        self.breath_clock = breath_clock
        self.out = out or sys.stdout
        self._last_shown_s: float | None = None
        self._last_state: str | None = None
        self.link_state = "connected"
        self._connected: set[str] = set()  # the straps (address, else name) connected so far
        self._people_connected: set[str] = set()  # couple mode: whose straps connected so far
        self.battery_percent: int | None = None
        self._people: dict[str, Reading] = {}
        self._people_release: dict[str, ReleaseWatch] = {}
        self._people_easing: dict[str, str] = {}
        self._people_state: tuple[tuple[str, str], ...] = ()
        self._people_battery: dict[str, int] = {}  # couple mode: each strap's battery, by person

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _breath_word(self, t_s: float) -> str:
        """' - breathe in' or ' - breathe out' just now ('' without breathing settings)."""
        if self.breathing is None:
            return ""
        now_s = t_s if self.breath_clock is None else self.breath_clock()
        return f" - {_breath(self.say, now_s, self.breathing)}"

    def reading(self, reading: Reading) -> None:
        easing = "" if self.release is None else self.release.words(self.say, reading)
        state = f"{reading.state.value}/{reading.pausing}"
        due = self._last_shown_s is None or reading.t_s - self._last_shown_s >= self.every_s
        if not due and state == self._last_state:
            return
        self._last_shown_s = reading.t_s
        self._last_state = state
        say = self.say
        label = say.choice("state", reading.state.value)
        if reading.state is State.FLOODED:
            label += easing
        if reading.waiting is not None:  # what a rise waits for (settling, movement, ...)
            label += f" ({say.choice('waiting', reading.waiting.value)})"
        label += _not_counted(say, reading)
        pause = _pause_words(say, reading)
        if pause:
            label += pause + self._breath_word(reading.t_s)
        battery = (
            ""
            if self.battery_percent is None
            else say("live.battery", percent=self.battery_percent)
        )
        self._print(
            say(
                "live.line",
                time=clock_time_s(reading.t_s),
                bpm=_bpm(_heart(reading)),
                baseline=_bpm(reading.baseline_bpm),
                threshold=_bpm(reading.threshold_bpm),
                state=label,
                battery=battery,
            )
        )

    def person_reading(self, person: str, reading: Reading) -> None:
        """Couple mode: one live line with both partners' hearts."""
        self._people[person] = reading
        if self.release is not None:
            watch = self._people_release.setdefault(
                person, ReleaseWatch(self.release.hysteresis_bpm, self.release.release_s)
            )
            self._people_easing[person] = watch.words(self.say, reading)
        states = tuple((p, f"{r.state.value}/{r.pausing}") for p, r in self._people.items())
        due = self._last_shown_s is None or reading.t_s - self._last_shown_s >= self.every_s
        if not due and states == self._people_state:
            return
        self._last_shown_s = reading.t_s
        self._people_state = states
        say = self.say
        parts = []
        for name, r in self._people.items():
            label = say.choice("person_state", r.state.value)
            if r.state is State.FLOODED:
                label += self._people_easing.get(name, "")
            label += _not_counted(say, r)
            parts.append(
                say(
                    "live.person",
                    name=name,
                    bpm=_bpm(_heart(r)).strip(),
                    baseline=_bpm(r.baseline_bpm).strip(),
                    state=label,
                )
                + self._battery_of(name)
            )
        line = f"{clock_time_s(reading.t_s)}  " + "  |  ".join(parts)
        pause = _pause_words(say, reading, couple=True)
        if pause:
            line += "  |  " + pause + self._breath_word(reading.t_s)
        self._print(line)

    def _battery_of(self, person: str) -> str:
        """'  battery 80%' of a partner's strap ('' while not known)."""
        percent = self._people_battery.get(person)
        return "" if percent is None else self.say("live.battery", percent=percent)

    def message(self, message: Message) -> None:
        rule = "=" * MESSAGE_WIDTH_CHARS
        self._print(rule)
        self._print(f"  {message.title}")
        for paragraph in message.body.splitlines():
            for line in textwrap.wrap(paragraph, MESSAGE_WIDTH_CHARS - 4) or [""]:
                self._print(f"    {line}")
        self._print(rule)

    def link(self, change: LinkChanged) -> None:
        strap_key = change.strap_address or change.strap_name or ""
        if change.state is LinkState.CONNECTED:
            self._connected.add(strap_key)
        before = strap_key in self._connected if strap_key else bool(self._connected)
        self._say_link(change, before)

    def person_link(self, person: str, change: LinkChanged) -> None:
        """Couple mode: a partner's strap's link, said as whose strap it is."""
        if change.state is LinkState.CONNECTED:
            self._people_connected.add(person)
        whose = whose_strap(self.say, person, change.strap_name)
        self._say_link(replace(change, strap_name=whose), person in self._people_connected, whose)

    def _say_link(self, change: LinkChanged, before: bool, whose: str | None = None) -> None:
        """The line of a link change; `before`: the strap has connected since the start (a
        strap never connected was not "disconnected", and nothing of it is recorded);
        `whose`: a partner's strap in words (couple mode), named in the line."""
        self.link_state = change.state.value
        when = clock_time_s(change.t_s)
        say = self.say
        if change.state is LinkState.CONNECTED:
            strap = change.strap_name or say("link.the_strap")
            self._print(say("link.connected", time=when, strap=strap))
        elif change.state is LinkState.DISCONNECTED:
            reason = link_reason(change, say).rstrip(".")  # the line goes on after it
            why = f" ({reason})" if reason else ""
            if whose is None:
                key = "link.disconnected" if before else "link.not_connected_yet"
            else:
                key = "link.person_disconnected" if before else "link.person_not_connected_yet"
            self._print(say(key, time=when, why=why, strap=whose))
        else:
            state = say.choice("link", change.state.value)
            self._print(f"{when}  {state} {change.strap_name or ''}".rstrip())

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.battery_percent = level.percent
        if low:
            self._print(
                self.say("battery.low", time=clock_time_s(level.t_s), percent=level.percent)
            )

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        """Couple mode: a partner's strap's battery, shown on their part of the line."""
        self._people_battery[person] = level.percent
        self.battery(level, low)

    def info(self, text: str) -> None:
        self._print(text)

    def answered(self, action_id: str) -> None:
        """An answer to the alert: what it did is said by the lines around it (`info`)."""


class QuietView:
    """Shows nothing (the headless service: notifications only)."""

    def reading(self, reading: Reading) -> None:
        pass

    def person_reading(self, person: str, reading: Reading) -> None:
        pass

    def message(self, message: Message) -> None:
        pass

    def link(self, change: LinkChanged) -> None:
        pass

    def person_link(self, person: str, change: LinkChanged) -> None:
        pass

    def battery(self, level: BatteryLevel, low: bool) -> None:
        pass

    def person_battery(self, person: str, level: BatteryLevel, low: bool) -> None:
        pass

    def info(self, text: str) -> None:
        pass

    def answered(self, action_id: str) -> None:
        pass


def link_reason(change: LinkChanged, say: Catalogue) -> str:
    """Why a strap's link dropped, in plain words in the language of `say`: what went wrong
    and what the person can do (a source that names no kind of failure: its own reason)."""
    from flooding.io.strap.backoff import Failure, advice

    if not change.failure:
        return change.reason
    name, address = change.strap_name, change.strap_address
    strap = f"{name} ({address})" if name and address else (name or address)
    return advice(Failure(change.failure), strap, attempts=max(1, change.attempts), say=say)


def clock_time_s(t_s: float) -> str:
    """Local clock time with seconds."""
    return clock_time(t_s, seconds=True)
