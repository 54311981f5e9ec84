"""Plain, frozen values that flow through the program; units are in the field names.

Times `t_s` are seconds on the session clock: unix epoch seconds for live and simulated
sessions, seconds since the first sample for replays of files without wall-clock times.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Mode(enum.StrEnum):
    """What the person is doing with the strap on."""

    TALK = "talk"  # a conversation: flooding alerts are on
    WORKOUT = "workout"  # exercise: a high heart rate is expected, no flooding alerts


class State(enum.StrEnum):
    """The detector's view of the heart right now."""

    WARMING = "warming"  # no calm baseline yet: only the absolute rule applies
    CALM = "calm"
    RISING = "rising"  # above a threshold, not yet for the confirmation window
    FLOODED = "flooded"
    NO_CONTACT = "no-contact"  # the strap reports no skin contact: detection paused
    GAP = "gap"  # no samples for a while (a dropped link)


class Unusable(enum.StrEnum):
    """Why the detector could not use a reading's rate (`Detector.feed_values` decides): the
    live views show such a reading as not counted, never as the heart's rate."""

    NO_CONTACT = "no-contact"  # the strap reports no skin contact
    IMPLAUSIBLE = "implausible"  # outside detection.min_plausible_bpm .. max_plausible_bpm


class Waiting(enum.StrEnum):
    """What the detector waits for before a rise may alert (shown beside the state)."""

    SETTLING = "settling"  # the first minutes: the strap and the heart settle
    LEARNING = "learning"  # learning the person's calm: only the absolute rule applies
    MOVEMENT = "movement"  # the body moved (accelerometer): the rise is not counted
    STEP = "step"  # a sudden step without an accelerometer: waiting to see it stay up


class Rule(enum.StrEnum):
    """Which flooding rule fired."""

    ABSOLUTE = "absolute"  # heart rate above a fixed number (Gottman: about 100 bpm)
    RELATIVE = "relative"  # heart rate well above the person's own calm baseline


PLAUSIBLE_MIN_BPM = 30  # below this a strap reading is noise, not a human heart at rest
PLAUSIBLE_MAX_BPM = 230  # above this it is noise: no adult heart sustains it
UNSEEN_S = 600.0  # a heart unseen this long (no usable reading: the strap taken off, a watch
#                  not worn overnight; the background service ends its session after as long,
#                  `service.session_gap_minutes`) is watched as a strap put on again: an open
#                  episode ends at the last reading (`Detector`); a shorter dropout changes nothing


@dataclass(frozen=True, slots=True)
class Sample:
    """One heart-rate reading, as the strap sends it about once a second."""

    t_s: float
    bpm: float
    rr_s: tuple[float, ...] = ()
    contact: bool | None = None  # None: the strap cannot tell
    energy_kj: int | None = None
    activity_g: float | None = None  # how much the body moved over the last second
    #                                  (core/activity.py); None: the strap has no accelerometer

    @property
    def has_contact(self) -> bool:
        """False only when the strap positively reports lost skin contact."""
        return self.contact is not False

    @property
    def usable(self) -> bool:
        """A reading worth showing and measuring: skin contact (or a strap that cannot
        tell) and a plausible 30-230 bpm."""
        return self.has_contact and PLAUSIBLE_MIN_BPM <= self.bpm <= PLAUSIBLE_MAX_BPM


Absent = tuple[tuple[str, str], ...]  # (person, why not counted: "workout"/"no-contact"/...)
NOTE_MAX_CHARS = 500  # a session's note: a line or two about what the talk was about
SOLO = ""  # the one person of an ordinary session (its samples and events are on this track)


@dataclass(frozen=True, slots=True)
class Alert:
    """The moment the people are told that one of them is flooded (the one alert)."""

    t_s: float
    bpm: float
    baseline_bpm: float | None
    threshold_bpm: float
    rule: Rule
    person: str = SOLO  # who flooded (named in a couple's message only with couple.name_who)
    absent: Absent = ()  # people not counted right now, and why


@dataclass(frozen=True, slots=True)
class EpisodeStarted:
    """Heart rate crossed a threshold and stayed there for the confirmation window."""

    t_s: float
    onset_s: float  # when the confirmed run above threshold began
    bpm: float
    baseline_bpm: float | None
    threshold_bpm: float
    rule: Rule


@dataclass(frozen=True, slots=True)
class EpisodeEnded:
    """Heart rate came back below the release level and stayed there."""

    t_s: float
    start_s: float
    peak_bpm: float


@dataclass(frozen=True, slots=True)
class PauseStarted:
    """A break begins; no more alerts until it ends."""

    t_s: float
    until_s: float  # the planned end, when the ready-to-return check runs
    baseline_bpm: float | None  # one person's calm baseline from before (None for several)
    manual: bool = False
    baselines: tuple[tuple[str, float | None], ...] = ()  # each person's calm from before


@dataclass(frozen=True, slots=True)
class PauseExtended:
    """The planned pause is over but a counted heart is still elevated: more time for all."""

    t_s: float
    until_s: float
    bpm: float  # the latest reading (NaN: not usable)
    baseline_bpm: float | None  # that person's calm from before the pause
    waiting: tuple[str, ...] = ()  # the counted people not yet back near their calm
    absent: Absent = ()


@dataclass(frozen=True, slots=True)
class ReadyToReturn:
    """The pause has lasted long enough and every counted heart is back near its calm."""

    t_s: float
    bpm: float  # the latest reading (NaN: not usable)
    baseline_bpm: float | None  # that person's calm from before the pause
    pause_start_s: float
    levels: tuple[tuple[str, float], ...] = ()  # each counted person's settled heart rate
    absent: Absent = ()


@dataclass(frozen=True, slots=True)
class PauseEnded:
    """The pause was ended early by hand."""

    t_s: float
    pause_start_s: float


@dataclass(frozen=True, slots=True)
class ContactChanged:
    """The strap lost or regained skin contact."""

    t_s: float
    contact: bool


@dataclass(frozen=True, slots=True)
class GapDetected:
    """No samples arrived between two times; the stretch counts as neither calm nor flooded."""

    start_s: float
    end_s: float


Event = (
    Alert
    | EpisodeStarted
    | EpisodeEnded
    | PauseStarted
    | PauseExtended
    | ReadyToReturn
    | PauseEnded
    | ContactChanged
    | GapDetected
)
# the pause protocol's events: they belong to the whole session, stored on its own track
PAUSE_EVENTS = (Alert, PauseStarted, PauseExtended, ReadyToReturn, PauseEnded)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the pure core says after each sample: for the live line and the store.

    `bpm` is the heart rate the detector was given: from the beats when the strap sends RR
    intervals (see `flooding.core.beats.fast`), else the strap's own value. When the
    detector could not use it (`unusable`: no skin contact, an implausible rate) it is the
    number as it came, for words that say why it is not counted, never to show as the heart's.
    """

    t_s: float
    bpm: float
    state: State
    baseline_bpm: float | None
    threshold_bpm: float
    pausing: bool
    pause_until_s: float | None
    events: tuple[Event, ...] = field(default=())
    waiting: Waiting | None = None  # what the detector waits for before a rise may alert
    unusable: Unusable | None = None  # why the detector could not use `bpm` (None: it did)

    @property
    def usable(self) -> bool:
        """Whether the detector used `bpm`: a rate to show as the heart's."""
        return self.unusable is None


class LinkState(enum.StrEnum):
    """The connection to the strap, as the live line shows it."""

    SEARCHING = "searching"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The source's connection changed (a strap connected, dropped, or stalled)."""

    t_s: float
    state: LinkState
    strap_name: str | None = None
    strap_address: str | None = None
    reason: str = ""  # what happened, for the log and the store (English, with the details)
    failure: str = ""  # a dropped link: the kind of failure (`io.strap.backoff.Failure` value)
    attempts: int = 0  # ... and how many tries in a row have failed


@dataclass(frozen=True, slots=True)
class BatteryLevel:
    """The strap's battery, read on connect and now and then."""

    t_s: float
    percent: int


@dataclass(frozen=True, slots=True)
class SensorLocation:
    """Where the strap says it is worn (Body Sensor Location, 0x2A38)."""

    t_s: float
    location: str


SourceItem = Sample | LinkChanged | BatteryLevel | SensorLocation


@dataclass(frozen=True, slots=True)
class PersonItem:
    """An item from one person's strap, in a source that merges both partners' straps."""

    person: str
    item: SourceItem


def untagged(item: SourceItem | PersonItem) -> SourceItem:
    """The item itself, whoever's strap it came from."""
    return item.item if isinstance(item, PersonItem) else item
