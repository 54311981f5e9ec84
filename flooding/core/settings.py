"""The settings schema: pydantic models with bounds and units, and pure helpers over them.

Reading the files, environment and command line that fill these models in layers is
`flooding.io.config_files.loading`; this module touches nothing outside itself.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from flooding.core.catalogue import Catalogue, Phrase, phrase
from flooding.core.models import Mode


class ConfigError(Exception):
    """A configuration that cannot be used; the message names every problem. `language`:
    the language the problems are worded in (None: English, or not known)."""

    def __init__(self, problems: list[str], language: str | None = None) -> None:
        self.problems = problems
        self.language = language
        super().__init__("\n".join(problems))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _overrides_of(model: type[_Section]) -> type[_Section]:
    """A table with `model`'s keys, each unset (None) unless given: the same types and bounds,
    so an override is refused exactly where the key itself would be. A key that is itself a
    table of overrides (e.g. [workout.detection]) keeps its type and default."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields[name] = (annotation, info)
            continue
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = (annotation | None, None)
    return create_model(f"{model.__name__}Overrides", __base__=_Section, **fields)


# Bounded types of [detection] (its per-mode and per-person overrides are derived from it,
# so they can never disagree about what is allowed). Units are in the key names.
RulesChoice = Literal["either", "absolute", "relative", "both"]
AbsoluteBpm = Annotated[float, Field(ge=60, le=220)]
MarginBpm = Annotated[float, Field(ge=3, le=60)]
MarginPct = Annotated[float, Field(ge=0, le=50)]
ConfirmS = Annotated[float, Field(ge=5, le=120)]
DipToleranceS = Annotated[float, Field(ge=0, le=15)]
ReleaseHysteresisBpm = Annotated[float, Field(ge=0, le=30)]
ReleaseS = Annotated[float, Field(ge=5, le=600)]
BaselineWindowS = Annotated[float, Field(ge=60, le=3600)]
BaselineMinCalmS = Annotated[float, Field(ge=30, le=1800)]
BaselineBpm = Annotated[float, Field(ge=30, le=150)]
GapS = Annotated[float, Field(ge=2, le=60)]
MinPlausibleBpm = Annotated[float, Field(ge=20, le=60)]
MaxPlausibleBpm = Annotated[float, Field(ge=150, le=260)]


def personal_margin_bpm(calm_bpm: float, margin_bpm: float, margin_pct: float) -> float:
    """The personal rule's margin over a calm level: `margin_bpm`, or `margin_pct` % of the
    calm when that is more (a fast calm heart swings more in bpm)."""
    return max(margin_bpm, calm_bpm * margin_pct / 100.0)


class DetectionSettings(_Section):
    """When a heart counts as flooded."""

    rules: RulesChoice = "either"
    absolute_bpm: AbsoluteBpm = 100
    margin_bpm: MarginBpm = 10
    margin_pct: MarginPct = 10
    confirm_s: ConfirmS = 20
    dip_tolerance_s: DipToleranceS = 3
    release_hysteresis_bpm: ReleaseHysteresisBpm = 5
    release_s: ReleaseS = 30
    baseline_window_s: BaselineWindowS = 300
    baseline_min_calm_s: BaselineMinCalmS = 120
    baseline_bpm: BaselineBpm | None = None
    gap_s: GapS = 5
    min_plausible_bpm: MinPlausibleBpm = 30
    max_plausible_bpm: MaxPlausibleBpm = 230

    def personal_margin_bpm(self, calm_bpm: float) -> float:
        """How far over a calm level the personal rule's threshold sits: `margin_bpm`, or
        `margin_pct` % of the calm when that is more."""
        return personal_margin_bpm(calm_bpm, self.margin_bpm, self.margin_pct)


# the base is made at run time from DetectionSettings, which mypy cannot follow
class DetectionOverrides(_overrides_of(DetectionSettings)):  # type: ignore[misc]
    """Some [detection] keys set differently for one mode; unset keys follow [detection]."""


class WorkoutSettings(_Section):
    """Workout mode: a high heart rate is expected there, so by default it never alerts."""

    alerts: bool = False
    detection: DetectionOverrides = DetectionOverrides()


class PauseSettings(_Section):
    """The break after an alert, and the check before going back."""

    minutes: float = Field(20, ge=20, le=1440)
    extend_minutes: float = Field(10, ge=1, le=120)
    recovery_margin_bpm: float = Field(5, ge=0, le=30)
    recovery_hold_s: float = Field(60, ge=0, le=900)
    breaths_per_minute: float = Field(6, ge=3, le=12)
    inhale_fraction: float = Field(0.4, ge=0.25, le=0.6)


# the break's and an extension's length: as numbers ({minutes}, {extend_minutes}) and in
# counted words ({break_time}, {extend_time}: "1 minute", "2 hours"); the time to come back:
# {return_time} (14:17; "01:57 tomorrow" when not today) and {return_at} ("at 14:17",
# "tomorrow at 01:57")
_TIMES = ("minutes", "extend_minutes", "break_time", "extend_time", "return_time", "return_at")
_COMMON = ("bpm", "baseline", *_TIMES)
# couple mode: {who} is "One of you" (couple_someone), or the person's name with
# couple.name_who; {not_counted} lists people whose heart was not counted; {waiting} names
# who is still settling (only with couple.name_who, else empty)
_COUPLE = ("who", *_TIMES, "not_counted", "waiting")
_REMOTE = _TIMES
# a ready message's: how long the break took, in words ({took_time}: "25 minutes",
# "24 hours and 3 minutes"; {minutes} there is the same as a number of minutes)
_TOOK = ("took_time",)
# The one table of placeholders: each message text may use exactly these, and
# flooding.core.messages fills in exactly these. The buttons belong to the alert. Every
# message text is named (a test holds it so); the suggestions and re-entry lines are shown as
# they are, inside another text, so they may use none.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "suggestions": (),
    "reentry_lines": (),
    "alert_title": (*_COMMON, "script", "suggestion"),
    "alert_body": (*_COMMON, "script", "suggestion"),
    "button_pause": (*_COMMON, "script", "suggestion"),
    "button_ok": (*_COMMON, "script", "suggestion"),
    "partner_scripts": _COMMON,
    "not_yet_title": (*_COMMON, "suggestion"),
    "not_yet_body": (*_COMMON, "suggestion"),
    "unseen_title": (*_COMMON, "suggestion"),
    "unseen_body": (*_COMMON, "suggestion"),
    "ready_title": (*_COMMON, *_TOOK, "reentry"),
    "ready_body": (*_COMMON, *_TOOK, "reentry"),
    "ready_no_calm_title": (*_COMMON, *_TOOK, "reentry"),
    "ready_no_calm_body": (*_COMMON, *_TOOK, "reentry"),
    "private_alert_title": (*_COMMON, "suggestion"),
    "private_alert_body": (*_COMMON, "suggestion"),
    "private_not_yet_title": (*_COMMON, "suggestion"),
    "private_not_yet_body": (*_COMMON, "suggestion"),
    "private_ready_title": (*_COMMON, *_TOOK, "reentry"),
    "private_ready_body": (*_COMMON, *_TOOK, "reentry"),
    # what leaves the computer for remote targets: never heart numbers or partner words
    "remote_alert": _REMOTE,
    "remote_not_yet": _REMOTE,
    "remote_ready": (*_REMOTE, *_TOOK),
    "private_unseen_title": (*_COMMON, "suggestion"),
    "private_unseen_body": (*_COMMON, "suggestion"),
    "remote_unseen": _REMOTE,
    "couple_someone": (),
    "couple_alert_title": (*_COUPLE, "script", "suggestion"),
    "couple_alert_body": (*_COUPLE, "script", "suggestion"),
    "couple_partner_scripts": _COUPLE,
    "couple_not_yet_title": (*_COUPLE, "suggestion"),
    "couple_not_yet_body": (*_COUPLE, "suggestion"),
    "couple_unseen_title": (*_COUPLE, "suggestion"),
    "couple_unseen_body": (*_COUPLE, "suggestion"),
    "couple_ready_title": (*_COUPLE, *_TOOK, "reentry"),
    "couple_ready_partly_title": (*_COUPLE, *_TOOK, "reentry"),
    "couple_ready_body": (*_COUPLE, *_TOOK, "reentry"),
    "couple_reentry_lines": (),
    "couple_suggestions": (),
    "couple_button_pause": (*_COUPLE, "script", "suggestion"),
    "couple_button_ok": (*_COUPLE, "script", "suggestion"),
    "couple_private_alert_body": (*_COUPLE, "suggestion"),
    "couple_private_not_yet_body": (*_COUPLE, "suggestion"),
    "couple_private_ready_body": (*_COUPLE, *_TOOK, "reentry"),
    "couple_private_unseen_body": (*_COUPLE, "suggestion"),
    "couple_remote_not_yet": _REMOTE,
    "couple_remote_ready": (*_REMOTE, *_TOOK),
    "couple_remote_unseen": _REMOTE,
    "couple_waiting": ("names",),
    "couple_not_counted": ("who", "reason"),
    "couple_reason_workout": (),
    "couple_reason_no_contact": (),
    "couple_reason_no_signal": (),
    "not_measured": (),
}


def fill_placeholders(key: str, text: str, values: dict[str, str]) -> str:
    """`text` (the message `key`, or an item of its list) with its placeholders filled in.

    Only the names PLACEHOLDERS allows for `key` are passed, so what loads is what fills.
    """
    return text.format(**{name: values[name] for name in PLACEHOLDERS[key]})


# what a message text's placeholder may be wrong in (the words: `problem.<kind>` of the
# message catalogue; these, in English, for pydantic's own message)
_PLACEHOLDER_PROBLEMS = {
    "placeholder_broken": "{item} a brace has no partner; allowed here: {allowed}",
    "placeholder_not_plain": "{item} {placeholder} is more than a name in braces; allowed"
    " here: {allowed}",
    "placeholder_unknown": "{item} {placeholder} cannot be filled in here; allowed here: {allowed}",
}


def _placeholder_problem(text: str, names: tuple[str, ...]) -> tuple[str, str] | None:
    """What is wrong with the placeholders of a message text (a `_PLACEHOLDER_PROBLEMS` kind
    and the placeholder as written), None when each is a plain allowed name. Only a plain
    name is filled in: a format (`{bpm:>9999}`), a conversion (`{bpm!r}`), an attribute or
    an index would make a text other than the words (a huge one, or Python's insides)."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:  # a { or } without its partner
        return "placeholder_broken", ""
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        written = "{" + name + ("" if conversion is None else "!" + conversion)
        written += ("" if not spec else ":" + spec) + "}"
        if spec or conversion is not None or not name.isidentifier():
            return "placeholder_not_plain", written
        if name not in names:
            return "placeholder_unknown", written
    return None


# a message text's most characters: far above what a notification shows (a few hundred; the
# longest shipped text has 198), so a person's own longer script still loads, yet bounded, so
# the Settings form with every text at its longest still sends (the app's body limit)
MAX_TEXT_CHARS = 1000
# a rotating list's most texts: a shipped one holds 5, and versions before any limit took
# any number, so a person's own list of a few dozen must still load (a refused file stops
# the monitor watching); the characters, not the count, are what fill the Settings form
MAX_TEXTS = 100
# a rotating list's texts together: twenty texts at their longest, so the Settings form with
# every list full still sends (the app's body limit)
MAX_LIST_CHARS = 20 * MAX_TEXT_CHARS


def _list_fits(texts: list[str]) -> list[str]:
    """The list, when its texts together hold no more than `MAX_LIST_CHARS` characters."""
    total = sum(len(text) for text in texts)
    if total > MAX_LIST_CHARS:
        raise PydanticCustomError(
            "texts_too_long",
            "the texts together are {length} characters; the most is {max}",
            {"length": total, "max": MAX_LIST_CHARS},
        )
    return texts


_ItemText = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]  # never empty
Texts = Annotated[  # one text at least
    list[_ItemText], Field(min_length=1, max_length=MAX_TEXTS), AfterValidator(_list_fits)
]


class MessageSettings(_Section):
    """Every word the person reads; placeholders in braces are filled in."""

    alert_title: Text
    alert_body: Text
    suggestions: Texts
    partner_scripts: Texts
    not_yet_title: Text
    not_yet_body: Text
    unseen_title: Text
    unseen_body: Text
    ready_title: Text
    ready_body: Text
    ready_no_calm_title: Text
    ready_no_calm_body: Text
    reentry_lines: Texts
    button_pause: Text
    button_ok: Text
    private_alert_title: Text
    private_alert_body: Text
    private_not_yet_title: Text
    private_not_yet_body: Text
    private_ready_title: Text
    private_ready_body: Text
    remote_alert: Text
    remote_not_yet: Text
    remote_ready: Text
    private_unseen_title: Text
    private_unseen_body: Text
    remote_unseen: Text
    couple_someone: Text
    couple_alert_title: Text
    couple_alert_body: Text
    couple_partner_scripts: Texts
    couple_not_yet_title: Text
    couple_not_yet_body: Text
    couple_unseen_title: Text
    couple_unseen_body: Text
    couple_ready_title: Text
    couple_ready_partly_title: Text
    couple_ready_body: Text
    couple_reentry_lines: Texts
    couple_suggestions: Texts
    couple_button_pause: Text
    couple_button_ok: Text
    couple_private_alert_body: Text
    couple_private_not_yet_body: Text
    couple_private_ready_body: Text
    couple_private_unseen_body: Text
    couple_remote_not_yet: Text
    couple_remote_ready: Text
    couple_remote_unseen: Text
    couple_waiting: Text
    couple_not_counted: Text
    couple_reason_workout: Text
    couple_reason_no_contact: Text
    couple_reason_no_signal: Text
    not_measured: Text

    @field_validator("*")
    @classmethod
    def _placeholders_can_be_filled(cls, value: str | list[str], info: Any) -> str | list[str]:
        # a text that cannot be filled in would fail at the moment of the alert: refuse it now
        names = PLACEHOLDERS[info.field_name]
        # the words are the config problem's (flooding.io.config_files.problems): the error
        # carries what they need, `item` is the list item ('' for a single text)
        context = {"allowed": ", ".join("{" + name + "}" for name in names)}
        for text in [value] if isinstance(value, str) else value:
            context["item"] = "" if isinstance(value, str) else repr(text)
            problem = _placeholder_problem(text, names)
            if problem is not None:
                kind, context["placeholder"] = problem
                raise PydanticCustomError(kind, _PLACEHOLDER_PROBLEMS[kind], context)
        return value


_TARGET_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def _target_url(value: str) -> str:
    if not _TARGET_URL_RE.match(value):
        raise PydanticCustomError(
            "target_url", "not a target URL: use an Apprise URL (service://address, no spaces)"
        )
    return value


# An Apprise target URL ("ntfy://host/topic", "json://127.0.0.1:8080/"): a scheme, then "://".
TargetUrl = Annotated[str, AfterValidator(_target_url)]


def mask_target(url: str) -> str:
    """A target URL with everything after its scheme hidden (its host, token and password)."""
    scheme, separator, _ = url.partition("://")
    return f"{scheme}://…" if separator else "…"


def holds_targets(path: str) -> bool:
    """Whether a key path holds remote target URLs (notify.targets, profiles.NAME.notify_targets)
    or one of them (an item, `notify.targets.0`)."""
    return _holds_targets(path.split("."))


def _holds_targets(parts: list[str]) -> bool:
    while parts and parts[-1].isdigit():
        parts = parts[:-1]
    return parts == ["notify", "targets"] or (
        len(parts) == 3 and parts[0] == "profiles" and parts[2] == "notify_targets"
    )


def _mask_all(value: Any) -> Any:
    if isinstance(value, str):
        return mask_target(value)
    if isinstance(value, list | tuple):
        return [_mask_all(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _mask_all(item) for key, item in value.items()}
    return value


def _masked_under(parts: list[str], value: Any) -> Any:
    if _holds_targets(parts):
        return _mask_all(value)
    if isinstance(value, Mapping):
        return {key: _masked_under([*parts, str(key)], item) for key, item in value.items()}
    return value


def masked_value(path: str, value: Any) -> Any:
    """`value` as set at `path`, with every target URL in it masked (a table's, too, whatever
    its keys): what a person may be shown of a setting without its secrets."""
    return _masked_under(path.split(".") if path else [], value)


def masked_settings_json(text: str) -> str:
    """A settings snapshot as kept with a session (JSON text), with every target URL in it
    masked as `masked_value` masks it: what is stored, exported or written to the waiting
    file never holds a target's secret (nothing sends from a stored snapshot). The text as
    given when it holds no target URL, or when it is not JSON (no settings to mask)."""
    try:
        stored = json.loads(text)
    except ValueError:
        return text
    masked = masked_value("", stored)
    return text if masked == stored else json.dumps(masked)


VolumePercent = Annotated[int, Field(ge=0, le=100)]


class NotifySettings(_Section):
    """Desktop notifications, their chime, and the person's own remote targets."""

    enabled: bool = True
    privacy: bool = True  # the desktop (and its lock screen) shows neutral words by default
    sound: bool = True
    volume: VolumePercent = 60
    targets: list[TargetUrl] = []
    remote_details: bool = False


class StrapSettings(_Section):
    """The person's own strap; the monitor connects to no other."""

    address: str = ""
    name: str = ""


PROFILE_NAME_RE = re.compile(r"^[^\s.\"'\[\]=#][^.\"'\[\]=#\x00-\x1f\x7f]{0,31}$")  # one line


def profile_name_problem(name: str) -> Phrase | None:
    """Why `name` cannot name a profile, a text of the message catalogue (None when it can)."""
    if not PROFILE_NAME_RE.match(name) or name != name.strip():
        return phrase("problem.profile_name", name=repr(name))
    return None


# the base is made at run time from WorkoutSettings, which mypy cannot follow
class ProfileWorkout(_overrides_of(WorkoutSettings)):  # type: ignore[misc]
    """One person's [workout] keys set differently; unset keys follow [workout]."""


class ProfileSettings(_Section):
    """One person in couple mode: their strap, and the settings that differ for them."""

    strap: StrapSettings = StrapSettings()
    mode: Mode | None = None
    detection: DetectionOverrides = DetectionOverrides()
    workout: ProfileWorkout = ProfileWorkout()
    notify_targets: list[TargetUrl] = []


class CoupleSettings(_Section):
    """Couple mode: both partners' straps in one conversation."""

    name_who: bool = False


class ServiceSettings(_Section):
    """The background service (`flooding monitor --headless`, `flooding service install`)."""

    session_gap_minutes: float = Field(10, ge=1, le=720)


class Settings(_Section):
    """All settings."""

    mode: Mode = Mode.TALK
    language: str = "en"
    detection: DetectionSettings = DetectionSettings()
    workout: WorkoutSettings = WorkoutSettings()
    pause: PauseSettings = PauseSettings()
    messages: MessageSettings
    notify: NotifySettings = NotifySettings()
    strap: StrapSettings = StrapSettings()
    service: ServiceSettings = ServiceSettings()
    couple: CoupleSettings = CoupleSettings()
    profiles: dict[str, ProfileSettings] = Field(default_factory=dict)

    @field_validator("profiles")
    @classmethod
    def _profile_names(cls, value: dict[str, ProfileSettings]) -> dict[str, ProfileSettings]:
        for name in value:
            if profile_name_problem(name) is not None:
                raise PydanticCustomError(
                    "profile_name", "{name} cannot name a profile", {"name": repr(name)}
                )
        return value


def merge_tables(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with every key of `top` set in it; a table in both is merged key by key."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = merge_tables(below, value)
        else:
            out[key] = value
    return out


_S = TypeVar("_S", bound=_Section)


def _overridden(base: _S, overrides: BaseModel) -> _S:
    """`base` with every key set in `overrides` (its unset keys are None) replacing its own."""
    return type(base).model_validate(
        merge_tables(base.model_dump(), overrides.model_dump(exclude_none=True))
    )


def profile_settings(settings: Settings, name: str) -> Settings:
    """One person's settings in couple mode: everything shared, with their profile on top.

    Their strap is the profile's; `mode`, `[detection]` keys and `[workout]` keys (and
    `[workout.detection]` keys) set in the profile replace the shared ones; the rest (pause,
    messages, notify, couple) is shared, since the pause is for both.
    """
    profile = settings.profiles[name]
    return settings.model_copy(
        update={
            "strap": profile.strap,
            "mode": profile.mode or settings.mode,
            "detection": _overridden(settings.detection, profile.detection),
            "workout": _overridden(settings.workout, profile.workout),
        }
    )


def couple_names(settings: Settings, say: Catalogue) -> tuple[str, str]:
    """The two profiles that make the couple, in the order of the file.

    Raises ConfigError unless there are exactly two, saying so in the language of `say`.
    """
    names = list(settings.profiles)
    if len(names) != 2:
        found = ", ".join(repr(n) for n in names) if names else say("problem.no_profiles")
        command = "flooding pair STRAP --as NAME"
        problem = say("problem.couple_profiles", found=found, command=command)
        raise ConfigError([problem], say.language)
    return names[0], names[1]


def detection_for(settings: Settings, mode: Mode) -> DetectionSettings:
    """The detection settings in effect in `mode`: [detection], with the mode's overrides."""
    overrides = settings.workout.detection
    if mode is not Mode.WORKOUT or not overrides.model_dump(exclude_none=True):
        return settings.detection
    return _overridden(settings.detection, overrides)


def alerts_in(settings: Settings, mode: Mode) -> bool:
    """Whether a flooded episode in `mode` gives an alert (talk: always; workout: if asked)."""
    return mode is Mode.TALK or settings.workout.alerts
