"""The pause protocol, pure: alert -> pausing -> ready to return (or: not yet, more time).

- A confirmed flooded episode while watching gives one Alert and starts a pause of
  `pause.minutes`; no new alerts while pausing.
- Ready to return needs both: the pause has lasted its planned length, and the heart rate has
  stayed within `recovery_margin_bpm` of the calm baseline from *before* the flooding for
  `recovery_hold_s`. Once the planned length has passed, ready comes as soon as that holds.
- At each planned end while still elevated: PauseExtended ("not yet, give it 10 more
  minutes"), and the check goes on. Back within the margin but not yet for the whole hold
  is not "still elevated": ready-to-return comes once the hold is complete.
- Samples without contact, implausible readings and gaps never count as recovered.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence

from flooding.core.models import (
    Alert,
    EpisodeStarted,
    Event,
    PauseEnded,
    PauseExtended,
    PauseStarted,
    ReadyToReturn,
)
from flooding.core.settings import DetectionSettings, PauseSettings

MINUTE_S = 60.0
RECOVERY_SMOOTHING_S = 10.0  # time constant of the average the recovery check looks at:
#                              breathing swings a resting pulse by a few bpm every few seconds


class Recovery:
    """The way back to calm during a pause: a 10-s average of the usable readings, and since
    when it has stayed at or under `ceiling_bpm`.

    An unusable reading (None: no contact, implausible) or a stretch of more than `gap_s`
    without readings proves nothing: the average and the time since start over. One person
    in a pause, each partner in a couple's pause, and a review measuring it afterwards all
    use this rule.
    """

    def __init__(self, ceiling_bpm: float, gap_s: float, t_s: float) -> None:
        self.ceiling_bpm = ceiling_bpm
        self.gap_s = gap_s
        self.level_bpm: float | None = None
        self.recovered_since: float | None = None
        self._t = t_s  # the pause start, then the latest reading

    def feed(self, t_s: float, bpm: float | None) -> None:
        """One reading (None: not usable)."""
        if t_s - self._t > self.gap_s:  # a stretch without readings proves nothing
            self.level_bpm = None
            self.recovered_since = None
        if bpm is None:
            self.level_bpm = None
        elif self.level_bpm is None:
            self.level_bpm = bpm
        else:
            weight = 1.0 - math.exp(-max(0.0, t_s - self._t) / RECOVERY_SMOOTHING_S)
            self.level_bpm += weight * (bpm - self.level_bpm)
        self._t = t_s
        if self.level_bpm is None or self.level_bpm > self.ceiling_bpm:
            self.recovered_since = None
        elif self.recovered_since is None:
            self.recovered_since = t_s

    def held(self, t_s: float, hold_s: float) -> bool:
        """Whether the average has stayed at or under the ceiling for `hold_s` by `t_s`."""
        return self.recovered_since is not None and t_s - self.recovered_since >= hold_s


class Phase(enum.StrEnum):
    """Where the person is in the protocol."""

    WATCHING = "watching"
    PAUSING = "pausing"


class PauseProtocol:
    """Turns detector episodes and heart readings into alerts and pause events."""

    def __init__(self, pause: PauseSettings, detection: DetectionSettings) -> None:
        self.pause = pause
        self.detection = detection
        self.phase = Phase.WATCHING
        self.started_s = 0.0
        self.until_s = 0.0  # the next check: the planned end, later the end of an extension
        self.min_end_s = 0.0  # the planned end: no ready-to-return before it
        self.baseline_bpm: float | None = None
        self._recovery = Recovery(self.recovery_ceiling_bpm(), detection.gap_s, 0.0)

    @property
    def pausing(self) -> bool:
        """Whether a pause is running."""
        return self.phase is Phase.PAUSING

    def recovery_ceiling_bpm(self) -> float:
        """Heart rate at or below which the person counts as back near their calm baseline."""
        if self.baseline_bpm is not None:
            return self.baseline_bpm + self.pause.recovery_margin_bpm
        # no baseline was known: fall back to well under the absolute threshold
        return self.detection.absolute_bpm - self.detection.margin_bpm

    def on_episode(self, episode: EpisodeStarted, alerts_allowed: bool) -> list[Event]:
        """A confirmed flooded episode: alert and pause, unless already pausing."""
        if self.pausing or not alerts_allowed:
            return []
        alert = Alert(
            t_s=episode.t_s,
            bpm=episode.bpm,
            baseline_bpm=episode.baseline_bpm,
            threshold_bpm=episode.threshold_bpm,
            rule=episode.rule,
        )
        return [alert, self._start(episode.t_s, episode.baseline_bpm, manual=False)]

    def start_manual(
        self, t_s: float, baseline_bpm: float | None, minutes: float | None = None
    ) -> list[Event]:
        """The person starts a pause by hand (they feel it coming)."""
        if self.pausing:
            return []
        return [self._start(t_s, baseline_bpm, manual=True, minutes=minutes)]

    def end_manual(self, t_s: float) -> list[Event]:
        """The person ends the pause early by hand."""
        if not self.pausing:
            return []
        self.phase = Phase.WATCHING
        return [PauseEnded(t_s=t_s, pause_start_s=self.started_s)]

    def on_reading(self, t_s: float, bpm: float | None) -> list[Event]:
        """A reading during the pause (None: no usable reading — contact lost, gap)."""
        if not self.pausing:
            return []
        recovery = self._recovery
        # a mode switch during the pause changes the detection settings these come from
        recovery.ceiling_bpm = self.recovery_ceiling_bpm()
        recovery.gap_s = self.detection.gap_s
        recovery.feed(t_s, bpm)
        if t_s < self.min_end_s:
            return []
        if recovery.held(t_s, self.pause.recovery_hold_s) and bpm is not None:
            self.phase = Phase.WATCHING
            return [
                ReadyToReturn(
                    t_s=t_s, bpm=bpm, baseline_bpm=self.baseline_bpm, pause_start_s=self.started_s
                )
            ]
        if t_s >= self.until_s and recovery.recovered_since is None:
            # still elevated (or not measured); when already back within the margin, the
            # hold is under way and ready-to-return follows without a "not yet" first
            self.until_s = t_s + self.pause.extend_minutes * MINUTE_S
            return [
                PauseExtended(
                    t_s=t_s,
                    until_s=self.until_s,
                    bpm=bpm if bpm is not None else float("nan"),
                    baseline_bpm=self.baseline_bpm,
                )
            ]
        return []

    def on_usable_readings(
        self, times_s: Sequence[float], bpms: Sequence[float], start: int, stop: int
    ) -> tuple[list[tuple[int, Event]], int | None]:
        """`on_reading` for each usable reading `start` .. `stop` - 1 of the two sequences, in
        one call (a replay): the same arithmetic as `Recovery.feed`, in the same order.

        Returns the events with the index of the reading that gave each, and the index of the
        reading that ended the pause (None: still pausing); readings after it are not read.
        """
        if not self.pausing:
            return [], start
        recovery = self._recovery
        ceiling = recovery.ceiling_bpm = self.recovery_ceiling_bpm()
        gap_s = recovery.gap_s = self.detection.gap_s
        level = recovery.level_bpm
        since = recovery.recovered_since
        previous = recovery._t
        hold_s = self.pause.recovery_hold_s
        min_end_s = self.min_end_s
        exp = math.exp
        events: list[tuple[int, Event]] = []
        ended: int | None = None
        for index in range(start, stop):
            t_s = times_s[index]
            bpm = bpms[index]
            step_s = t_s - previous
            if step_s > gap_s:  # a stretch without readings proves nothing
                level = None
                since = None
            if level is None:
                level = bpm
            else:
                level += (1.0 - exp(-(step_s if step_s > 0.0 else 0.0) / RECOVERY_SMOOTHING_S)) * (
                    bpm - level
                )
            previous = t_s
            if level > ceiling:
                since = None
            elif since is None:
                since = t_s
            if t_s < min_end_s:
                continue
            if since is not None and t_s - since >= hold_s:
                self.phase = Phase.WATCHING
                ready = ReadyToReturn(
                    t_s=t_s, bpm=bpm, baseline_bpm=self.baseline_bpm, pause_start_s=self.started_s
                )
                events.append((index, ready))
                ended = index
                break
            if t_s >= self.until_s and since is None:
                self.until_s = t_s + self.pause.extend_minutes * MINUTE_S
                extended = PauseExtended(
                    t_s=t_s, until_s=self.until_s, bpm=bpm, baseline_bpm=self.baseline_bpm
                )
                events.append((index, extended))
        recovery.level_bpm = level
        recovery.recovered_since = since
        recovery._t = previous
        return events, ended

    def _start(
        self, t_s: float, baseline_bpm: float | None, *, manual: bool, minutes: float | None = None
    ) -> PauseStarted:
        self.phase = Phase.PAUSING
        self.started_s = t_s
        length_min = self.pause.minutes if minutes is None else minutes
        self.until_s = self.min_end_s = t_s + length_min * MINUTE_S
        self.baseline_bpm = baseline_bpm
        self._recovery = Recovery(self.recovery_ceiling_bpm(), self.detection.gap_s, t_s)
        return PauseStarted(t_s=t_s, until_s=self.until_s, baseline_bpm=baseline_bpm, manual=manual)
