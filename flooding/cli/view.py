"""The terminal view: a live line every few seconds, and every message in full.

While flooded, the line says what ends it (the release rule: below the threshold minus the
hysteresis for `release_s`), counting down once the heart is under that level.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from flooding.core.breathing import phase_at
from flooding.core.models import BatteryLevel, LinkChanged, LinkState, Reading, State
from flooding.core.notice import Message
from flooding.core.timefmt import clock_time

LINE_EVERY_S = 5.0  # session seconds between live lines when nothing changes
MESSAGE_WIDTH_CHARS = 72


def _bpm(value: float | None) -> str:
    return "  --" if value is None else f"{value:4.0f}"


def _countdown(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:2d}:{seconds % 60:02d} left"


@dataclass
class ReleaseWatch:
    """What a flooded episode needs to end, as the detector's release rule has it: the heart
    below `threshold - hysteresis_bpm` for `release_s` seconds in a row."""

    hysteresis_bpm: float
    release_s: float
    below_since_s: float | None = None

    def words(self, reading: Reading) -> str:
        """', easing: below 72 for 18 s more' (or what it waits for), for a flooded reading;
        '' otherwise. Follows each reading, so call it for every one."""
        if reading.state is not State.FLOODED:
            self.below_since_s = None
            return ""
        level = reading.threshold_bpm - self.hysteresis_bpm
        if reading.bpm >= level:
            self.below_since_s = None
            return f", ends after {self.release_s:.0f} s below {level:.0f}"
        if self.below_since_s is None:
            self.below_since_s = reading.t_s
        left_s = max(0.0, self.release_s - (reading.t_s - self.below_since_s))
        return f", easing: below {level:.0f} for {left_s:.0f} s more"


class TerminalView:
    """Prints the session as it happens."""

    def __init__(
        self,
        *,
        every_s: float = LINE_EVERY_S,
        out: TextIO | None = None,
        breathing: tuple[float, float] | None = None,
        release: tuple[float, float] | None = None,
        breath_clock: Callable[[], float] | None = None,
    ) -> None:
        """`breathing`: (breaths a minute, inhale fraction) to cue breaths during a pause;
        `release`: (hysteresis bpm, release s) of the detection settings, to say what ends a
        flooded stretch; `breath_clock`: the seconds the breathing cue follows (a demo in
        accelerated time passes the real clock, so the cue moves at the pace of a real
        breath; default: the session's time)."""
        self.every_s = every_s
        self.breathing = breathing
        self.release = None if release is None else ReleaseWatch(*release)
        self.breath_clock = breath_clock
        self.out = out or sys.stdout
        self._last_shown_s: float | None = None
        self._last_state: str | None = None
        self.link_state = "connected"
        self.battery_percent: int | None = None
        self._people: dict[str, Reading] = {}
        self._people_release: dict[str, ReleaseWatch] = {}
        self._people_easing: dict[str, str] = {}
        self._people_state: tuple[tuple[str, str], ...] = ()

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _breath_word(self, t_s: float) -> str:
        """' - breathe in' or ' - breathe out' just now ('' without breathing settings)."""
        if self.breathing is None:
            return ""
        pace, inhale = self.breathing
        now_s = t_s if self.breath_clock is None else self.breath_clock()
        return f" - {phase_at(now_s, pace, inhale).word}"

    def reading(self, reading: Reading) -> None:
        easing = "" if self.release is None else self.release.words(reading)
        state = f"{reading.state.value}/{reading.pausing}"
        due = self._last_shown_s is None or reading.t_s - self._last_shown_s >= self.every_s
        if not due and state == self._last_state:
            return
        self._last_shown_s = reading.t_s
        self._last_state = state
        label = reading.state.value
        if reading.state is State.FLOODED:
            label = label.upper() + easing
        if reading.pausing and reading.pause_until_s is not None:
            label += f", pause {_countdown(reading.pause_until_s - reading.t_s)}"
            label += self._breath_word(reading.t_s)
        battery = "" if self.battery_percent is None else f"  battery {self.battery_percent}%"
        self._print(
            f"{clock_time_s(reading.t_s)}  heart {_bpm(reading.bpm)} bpm"
            f"  baseline {_bpm(reading.baseline_bpm)}  threshold {_bpm(reading.threshold_bpm)}"
            f"  {label}{battery}"
        )

    def person_reading(self, person: str, reading: Reading) -> None:
        """Couple mode: one live line with both partners' hearts."""
        self._people[person] = reading
        if self.release is not None:
            watch = self._people_release.setdefault(
                person, ReleaseWatch(self.release.hysteresis_bpm, self.release.release_s)
            )
            self._people_easing[person] = watch.words(reading)
        states = tuple((p, f"{r.state.value}/{r.pausing}") for p, r in self._people.items())
        due = self._last_shown_s is None or reading.t_s - self._last_shown_s >= self.every_s
        if not due and states == self._people_state:
            return
        self._last_shown_s = reading.t_s
        self._people_state = states
        parts = []
        for name, r in self._people.items():
            label = (
                r.state.value.upper() + self._people_easing.get(name, "")
                if r.state is State.FLOODED
                else r.state.value
            )
            parts.append(
                f"{name} {_bpm(r.bpm).strip()} bpm (calm {_bpm(r.baseline_bpm).strip()}) {label}"
            )
        line = f"{clock_time_s(reading.t_s)}  " + "  |  ".join(parts)
        if reading.pausing and reading.pause_until_s is not None:
            line += f"  |  pause for both, {_countdown(reading.pause_until_s - reading.t_s)}"
            line += self._breath_word(reading.t_s)
        self._print(line)

    def message(self, message: Message) -> None:
        rule = "=" * MESSAGE_WIDTH_CHARS
        self._print(rule)
        self._print(f"  {message.title}")
        for paragraph in message.body.splitlines():
            for line in textwrap.wrap(paragraph, MESSAGE_WIDTH_CHARS - 4) or [""]:
                self._print(f"    {line}")
        self._print(rule)

    def link(self, change: LinkChanged) -> None:
        self.link_state = change.state.value
        when = clock_time_s(change.t_s)
        if change.state is LinkState.CONNECTED:
            self._print(f"{when}  connected to {change.strap_name or 'the strap'}")
        elif change.state is LinkState.DISCONNECTED:
            why = f" ({change.reason})" if change.reason else ""
            self._print(
                f"{when}  strap disconnected{why}. Still recording; reconnecting on its own."
            )
        else:
            self._print(f"{when}  {change.state.value} {change.strap_name or ''}".rstrip())

    def battery(self, level: BatteryLevel, low: bool) -> None:
        self.battery_percent = level.percent
        if low:
            self._print(
                f"{clock_time_s(level.t_s)}  strap battery low ({level.percent}%): "
                "replace or charge it soon, or an alert may be missed."
            )

    def info(self, text: str) -> None:
        self._print(text)


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

    def battery(self, level: BatteryLevel, low: bool) -> None:
        pass

    def info(self, text: str) -> None:
        pass


def clock_time_s(t_s: float) -> str:
    """Local clock time with seconds."""
    return clock_time(t_s, seconds=True)
