"""Settings: pydantic models with bounds and units, loaded in layers from TOML.

Layers, later wins: `config/default.toml` < the person's file < environment < command line.
Environment keys look like `FLOODING_DETECTION__ABSOLUTE_BPM=95`; command-line overrides
like `--set detection.absolute_bpm=95`. Values are read as TOML values (`95`, `true`,
`"text"`, `[1, 2]`), falling back to a plain string.
"""

from __future__ import annotations

import difflib
import enum
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from flooding.core.models import Mode

ENV_PREFIX = "FLOODING_"
ENV_CONFIG_FILE = "FLOODING_CONFIG"
ENV_DATA_DIR = "FLOODING_DATA_DIR"
_NOT_SETTINGS = {ENV_CONFIG_FILE, ENV_DATA_DIR}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# Bounded types shared by [detection] and its per-mode overrides ([workout.detection]), so
# the two can never disagree about what is allowed. Units are in the key names.
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


class DetectionOverrides(_Section):
    """Some [detection] keys set differently for one mode; unset keys follow [detection]."""

    rules: RulesChoice | None = None
    absolute_bpm: AbsoluteBpm | None = None
    margin_bpm: MarginBpm | None = None
    margin_pct: MarginPct | None = None
    confirm_s: ConfirmS | None = None
    dip_tolerance_s: DipToleranceS | None = None
    release_hysteresis_bpm: ReleaseHysteresisBpm | None = None
    release_s: ReleaseS | None = None
    baseline_window_s: BaselineWindowS | None = None
    baseline_min_calm_s: BaselineMinCalmS | None = None
    baseline_bpm: BaselineBpm | None = None
    gap_s: GapS | None = None
    min_plausible_bpm: MinPlausibleBpm | None = None
    max_plausible_bpm: MaxPlausibleBpm | None = None


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


_COMMON = ("bpm", "baseline", "minutes", "extend_minutes", "return_time")
# couple mode: {who} is "One of you" (couple_someone), or the person's name with
# couple.name_who; {not_counted} lists people whose heart was not counted; {waiting} names
# who is still settling (only with couple.name_who, else empty)
_COUPLE = ("who", "minutes", "extend_minutes", "return_time", "not_counted", "waiting")
_REMOTE = ("minutes", "extend_minutes", "return_time")
# the placeholders each text is filled in with (see flooding.core.messages); lists not named
# here (suggestions, re-entry lines) are shown as they are
_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "alert_title": (*_COMMON, "script", "suggestion"),
    "alert_body": (*_COMMON, "script", "suggestion"),
    "partner_scripts": _COMMON,
    "not_yet_title": (*_COMMON, "suggestion"),
    "not_yet_body": (*_COMMON, "suggestion"),
    "ready_title": (*_COMMON, "reentry"),
    "ready_body": (*_COMMON, "reentry"),
    "private_alert_title": (*_COMMON, "suggestion"),
    "private_alert_body": (*_COMMON, "suggestion"),
    "private_not_yet_title": (*_COMMON, "suggestion"),
    "private_not_yet_body": (*_COMMON, "suggestion"),
    "private_ready_title": (*_COMMON, "reentry"),
    "private_ready_body": (*_COMMON, "reentry"),
    # what leaves the computer for remote targets: never heart numbers or partner words
    "remote_alert": _REMOTE,
    "remote_not_yet": _REMOTE,
    "remote_ready": _REMOTE,
    "couple_someone": (),
    "couple_alert_title": (*_COUPLE, "script", "suggestion"),
    "couple_alert_body": (*_COUPLE, "script", "suggestion"),
    "couple_partner_scripts": _COUPLE,
    "couple_not_yet_title": (*_COUPLE, "suggestion"),
    "couple_not_yet_body": (*_COUPLE, "suggestion"),
    "couple_ready_title": (*_COUPLE, "reentry"),
    "couple_ready_body": (*_COUPLE, "reentry"),
    "couple_reentry_lines": (),
    "couple_waiting": ("names",),
    "couple_not_counted": ("who", "reason"),
    "couple_reason_workout": (),
    "couple_reason_no_contact": (),
    "couple_reason_no_signal": (),
}


class MessageSettings(_Section):
    """Every word the person reads; placeholders in braces are filled in."""

    alert_title: str = Field(min_length=1)
    alert_body: str = Field(min_length=1)
    suggestions: list[str] = Field(min_length=1)
    partner_scripts: list[str] = Field(min_length=1)
    not_yet_title: str = Field(min_length=1)
    not_yet_body: str = Field(min_length=1)
    ready_title: str = Field(min_length=1)
    ready_body: str = Field(min_length=1)
    reentry_lines: list[str] = Field(min_length=1)
    button_pause: str = Field(min_length=1)
    button_ok: str = Field(min_length=1)
    private_alert_title: str = Field(min_length=1)
    private_alert_body: str = Field(min_length=1)
    private_not_yet_title: str = Field(min_length=1)
    private_not_yet_body: str = Field(min_length=1)
    private_ready_title: str = Field(min_length=1)
    private_ready_body: str = Field(min_length=1)
    remote_alert: str = Field(min_length=1)
    remote_not_yet: str = Field(min_length=1)
    remote_ready: str = Field(min_length=1)
    couple_someone: str = Field(min_length=1)
    couple_alert_title: str = Field(min_length=1)
    couple_alert_body: str = Field(min_length=1)
    couple_partner_scripts: list[str] = Field(min_length=1)
    couple_not_yet_title: str = Field(min_length=1)
    couple_not_yet_body: str = Field(min_length=1)
    couple_ready_title: str = Field(min_length=1)
    couple_ready_body: str = Field(min_length=1)
    couple_reentry_lines: list[str] = Field(min_length=1)
    couple_waiting: str = Field(min_length=1)
    couple_not_counted: str = Field(min_length=1)
    couple_reason_workout: str = Field(min_length=1)
    couple_reason_no_contact: str = Field(min_length=1)
    couple_reason_no_signal: str = Field(min_length=1)

    @field_validator("*")
    @classmethod
    def _placeholders_can_be_filled(cls, value: str | list[str], info: Any) -> str | list[str]:
        # a text that cannot be filled in would fail at the moment of the alert: refuse it now
        names = _PLACEHOLDERS.get(info.field_name)
        if names is None:
            return value
        dummy = dict.fromkeys(names, "x")
        for text in [value] if isinstance(value, str) else value:
            try:
                text.format(**dummy)
            except (KeyError, IndexError, ValueError, AttributeError) as exc:
                raise ValueError(
                    f"{text!r} has a placeholder that cannot be filled ({exc!r}); "
                    f"allowed here: {', '.join('{' + n + '}' for n in names)}"
                ) from None
        return value


VolumePercent = Annotated[int, Field(ge=0, le=100)]
_TARGET_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")


def _target_url(value: str) -> str:
    # the value itself is not repeated: a target URL holds secrets
    if not _TARGET_URL_RE.match(value):
        raise ValueError(
            "not a target URL: use an Apprise URL such as "
            '"ntfys://ntfy.example.org/your-topic" (service://address, no spaces)'
        )
    return value


# An Apprise target URL ("ntfy://host/topic", "json://127.0.0.1:8080/"): a scheme, then "://".
TargetUrl = Annotated[str, AfterValidator(_target_url)]


class NotifySettings(_Section):
    """Desktop notifications, their chime, and the person's own remote targets."""

    enabled: bool = True
    privacy: bool = False
    sound: bool = True
    volume: VolumePercent = 60
    targets: list[TargetUrl] = []
    remote_details: bool = False


class StrapSettings(_Section):
    """The person's own strap; the monitor connects to no other."""

    address: str = ""
    name: str = ""


PROFILE_NAME_RE = re.compile(r"^[^\s.\"'\[\]=#][^.\"'\[\]=#]{0,31}$")
PROFILE_NAME_RULE = "1 to 32 characters, not starting with a space, without . \" ' [ ] = #"


def profile_name_problem(name: str) -> str | None:
    """Why `name` cannot name a profile (None when it can)."""
    if not PROFILE_NAME_RE.match(name) or name != name.strip():
        return f"{name!r} cannot name a profile: use {PROFILE_NAME_RULE}"
    return None


class ProfileWorkout(_Section):
    """One person's [workout] keys set differently; unset keys follow [workout]."""

    alerts: bool | None = None
    detection: DetectionOverrides = DetectionOverrides()


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
            problem = profile_name_problem(name)
            if problem is not None:
                raise ValueError(problem)
        return value


def _merged(base: BaseModel, overrides: BaseModel) -> dict[str, Any]:
    return {**base.model_dump(), **overrides.model_dump(exclude_none=True)}


def profile_settings(settings: Settings, name: str) -> Settings:
    """One person's settings in couple mode: everything shared, with their profile on top.

    Their strap is the profile's; `mode`, `[detection]` keys and `[workout]` keys (and
    `[workout.detection]` keys) set in the profile replace the shared ones; the rest (pause,
    messages, notify, couple) is shared, since the pause is for both.
    """
    profile = settings.profiles[name]
    workout = settings.workout
    return settings.model_copy(
        update={
            "strap": profile.strap,
            "mode": profile.mode or settings.mode,
            "detection": DetectionSettings.model_validate(
                _merged(settings.detection, profile.detection)
            ),
            "workout": WorkoutSettings(
                alerts=workout.alerts if profile.workout.alerts is None else profile.workout.alerts,
                detection=DetectionOverrides.model_validate(
                    _merged(workout.detection, profile.workout.detection)
                ),
            ),
        }
    )


def couple_names(settings: Settings) -> tuple[str, str]:
    """The two profiles that make the couple, in the order of the file.

    Raises ConfigError unless there are exactly two.
    """
    names = list(settings.profiles)
    if len(names) != 2:
        found = ", ".join(repr(n) for n in names) if names else "none"
        raise ConfigError(
            [
                f"couple mode needs exactly two profiles (found {found}); pair each "
                "partner's strap with `flooding pair STRAP --as NAME`"
            ]
        )
    return names[0], names[1]


def detection_for(settings: Settings, mode: Mode) -> DetectionSettings:
    """The detection settings in effect in `mode`: [detection], with the mode's overrides."""
    overrides = settings.workout.detection
    if mode is not Mode.WORKOUT or not overrides.model_dump(exclude_none=True):
        return settings.detection
    return DetectionSettings.model_validate(_merged(settings.detection, overrides))


def alerts_in(settings: Settings, mode: Mode) -> bool:
    """Whether a flooded episode in `mode` gives an alert (talk: always; workout: if asked)."""
    return mode is Mode.TALK or settings.workout.alerts


class ConfigError(Exception):
    """A configuration that cannot be used; the message names every problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class LoadedConfig:
    """The effective settings and, for each key path set by a layer, where it came from."""

    settings: Settings
    origins: dict[str, str] = field(default_factory=dict)
    user_file: Path | None = None


def default_toml_text() -> str:
    """The text of the shipped `default.toml` (installed copy, else the source tree's)."""
    packaged = resources.files("flooding").joinpath("default.toml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "config" / "default.toml").read_text(
        encoding="utf-8"
    )


def default_user_config_path() -> Path:
    """Where the person's own config file lives on this platform."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("flooding", appauthor=False)) / "config.toml"


def parse_value(text: str) -> Any:
    """Read an override value as TOML, or as a plain string when it is not TOML."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _set_path(tree: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = tree
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _leaf_paths(tree: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaf_paths(value, f"{path}.")
        else:
            yield path


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_HEADER_RE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')"""
_KEY_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _dotted(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))


def _line_of(text: str, path: str) -> int | None:
    """The 1-based line where `path` (or, failing that, its nearest parent) is set in TOML text.

    Knows `[section]` headers, dotted keys (`detection.absolute_bpm = 90`) and list items
    (`messages.suggestions.0` is the line of `suggestions`).
    """
    parts = path.split(".")
    while parts and parts[-1].isdigit():
        parts.pop()
    found: dict[str, int] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER_RE.match(line)
        if header:
            current = _dotted(header.group(1))
            found.setdefault(current, number)
            continue
        key = _KEY_RE.match(line)
        if key:
            full = f"{current}.{_dotted(key.group(1))}" if current else _dotted(key.group(1))
            found.setdefault(full, number)
    while parts:
        line_number = found.get(".".join(parts))
        if line_number is not None:
            return line_number
        parts.pop()
    return None


def _unit(name: str) -> str:
    for suffix, unit in (("_bpm", "bpm"), ("_pct", "%"), ("_s", "seconds"), ("minutes", "min")):
        if name.endswith(suffix):
            return f" ({unit})"
    return ""


def _constraints(annotation: Any, metadata: list[Any]) -> tuple[list[Any], list[Any]]:
    """The base types and the constraint objects (Ge, Le, MinLen, ...) of an annotation."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        more = [m for item in extra for m in getattr(item, "metadata", [item])]
        return _constraints(base, metadata + more)
    if origin in (Union, UnionType):
        bases: list[Any] = []
        for arg in get_args(annotation):
            if arg is not type(None):
                sub_bases, metadata = _constraints(arg, metadata)
                bases += sub_bases
        return bases, metadata
    return [annotation], metadata


def field_for(path: str) -> tuple[str, Any] | None:
    """The settings field a dotted key path names (list items name their list), or None."""
    model: type[BaseModel] | None = Settings
    found: tuple[str, Any] | None = None
    keyed: type[BaseModel] | None = None  # a table of named tables ([profiles.NAME]) is next
    for part in path.split("."):
        if keyed is not None:
            model, keyed = keyed, None
            continue
        if model is None:
            return found if part.isdigit() else None
        info = model.model_fields.get(part)
        if info is None:
            return None
        found = (part, info)
        annotation = info.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if get_origin(annotation) is dict:
            value_type = get_args(annotation)[1]
            if isinstance(value_type, type) and issubclass(value_type, BaseModel):
                keyed = value_type
    return found


def allowed_values(path: str) -> str | None:
    """What a key accepts, in words: 'a number >= 60 and <= 220 (bpm)', 'one of: ...'."""
    found = field_for(path)
    if found is None:
        return None
    name, info = found
    bases, metadata = _constraints(info.annotation, list(info.metadata))
    low = next((getattr(m, "ge", None) for m in metadata if hasattr(m, "ge")), None)
    high = next((getattr(m, "le", None) for m in metadata if hasattr(m, "le")), None)
    not_empty = any(getattr(m, "min_length", 0) for m in metadata)
    base = bases[0] if bases else None
    if get_origin(base) is Literal:
        return "one of: " + ", ".join(f'"{choice}"' for choice in get_args(base))
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return "one of: " + ", ".join(f'"{m.value}"' for m in base)
    if base is bool:
        return "true or false"
    if base in (int, float):
        if low is not None and high is not None:
            return f"a number >= {low:g} and <= {high:g}{_unit(name)}"
        return f"a number{_unit(name)}"
    if base is str:
        return "text" + (", not empty" if not_empty else "")
    if get_origin(base) is list:
        return "a list of text" + (", not empty" if not_empty else "")
    if isinstance(base, type) and issubclass(base, BaseModel):
        return f"a table of keys ({', '.join(base.model_fields)})"
    return None


def _origin_of(path: str, origins: Mapping[str, str]) -> tuple[str, str]:
    """The layer that set `path`, and the key path it set: the path itself, a parent set as
    a whole (an item of a list), or a key under it (a whole misspelt section)."""
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in origins:
            return origins[prefix], prefix
    below = [origin for key, origin in origins.items() if key.startswith(f"{path}.")]
    return (below[-1] if below else "default"), path


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such config file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read it ({exc})"]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([toml_error_text(path, exc)]) from None


def toml_error_text(path: Path | str, exc: tomllib.TOMLDecodeError) -> str:
    """A TOML syntax error as `file:line:column: not valid TOML: what`."""
    message = str(exc)
    where = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
    if where:
        message = message[: where.start()] + message[where.end() :]
        return f"{path}:{where.group(1)}:{where.group(2)}: not valid TOML: {message}"
    message = re.sub(r"\s*\(at end of document\)", "", message)
    lines = Path(path).read_text(encoding="utf-8").count("\n") + 1 if Path(path).is_file() else 1
    return f"{path}:{lines}: not valid TOML (at the end of the file): {message}"


def _describe(error: Mapping[str, Any], path: str) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        parent = path.rpartition(".")[0]
        siblings = list(_keys_under(parent))
        close = difflib.get_close_matches(path.rpartition(".")[2], siblings, n=1)
        if close:
            return (
                f"unknown key (did you mean {close[0]!r}? `flooding config show` lists every key)"
            )
        where = f"[{parent}]" if parent else "the top level"
        return f"unknown key (allowed in {where}: {', '.join(siblings)})"
    if kind == "missing":
        return "required key is missing"
    if kind == "value_error":  # a validator of ours: its message says what is allowed
        return str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    allowed = allowed_values(path)
    if allowed is not None:
        return f"allowed: {allowed}"
    bounds = [
        f"{word} {ctx[name]}"
        for name, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))
        if name in ctx
    ]
    if bounds:
        return "allowed: " + " and ".join(bounds)
    if "expected" in ctx:
        return f"allowed: {ctx['expected']}"
    return str(error.get("msg", "invalid value"))


def _keys_under(parent: str) -> Iterable[str]:
    if not parent:
        return Settings.model_fields
    found = field_for(parent)
    annotation = found[1].annotation if found else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_fields
    return ()


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def effective_values(loaded: LoadedConfig) -> list[tuple[str, Any, str]]:
    """Every leaf key path of the effective settings, its value and where it came from."""
    rows: list[tuple[str, Any, str]] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{path}.")
            else:
                rows.append((path, value, origin_of(path, loaded.origins)))

    walk(loaded.settings.model_dump(mode="json"), "")
    return rows


def origin_of(path: str, origins: Mapping[str, str]) -> str:
    """Where a key path got its value: its own origin, else its nearest parent's, else default."""
    return _origin_of(path, origins)[0]


def validate_tree(
    tree: Mapping[str, Any], origins: Mapping[str, str], texts: Mapping[str, str]
) -> Settings:
    """Validate a merged tree; each problem names its origin, key, value and what is allowed."""
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            origin, set_path = _origin_of(path, origins)
            where = origin
            text = texts.get(origin)
            if text is not None:
                line = _line_of(text, set_path)
                if line is not None:
                    where = f"{origin}:{line}"
            value = error.get("input")
            shown = "" if error.get("type") == "missing" else f" = {_short(value)}"
            problems.append(f"{where}: {path}{shown}: {_describe(error, path)}")
        raise ConfigError(problems) from None


def load_config(
    config_file: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Iterable[str] = (),
    use_default_user_file: bool = True,
) -> LoadedConfig:
    """Build the effective settings from all layers, or raise ConfigError naming each problem."""
    env = os.environ if env is None else env
    default_text = default_toml_text()
    tree = tomllib.loads(default_text)
    origins: dict[str, str] = {path: "default" for path in _leaf_paths(tree)}
    texts: dict[str, str] = {}

    user_file = config_file
    if user_file is None and env.get(ENV_CONFIG_FILE):
        user_file = Path(env[ENV_CONFIG_FILE])
    elif user_file is None and use_default_user_file:
        candidate = default_user_config_path()
        user_file = candidate if candidate.is_file() else None
    if user_file is not None:
        user_tree, text = _read_toml(user_file)
        tree = _merge(tree, user_tree)
        texts[str(user_file)] = text
        origins.update({path: str(user_file) for path in _leaf_paths(user_tree)})

    for name, raw in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        path = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        # settings are FLOODING_SECTION__KEY (or a top-level key such as FLOODING_MODE);
        # other FLOODING_* variables belong to the program, not to the settings
        if "." not in path and path not in Settings.model_fields:
            continue
        _set_path(tree, path, parse_value(raw))
        origins[path] = f"environment {name}"

    problems = []
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            problems.append(
                f"command line: --set {item!r}: expected KEY=VALUE, e.g. pause.minutes=30"
            )
            continue
        _set_path(tree, path.strip(), parse_value(raw.strip()))
        origins[path.strip()] = "command line"
    if problems:
        raise ConfigError(problems)

    _apply_locale(tree, origins)
    settings = validate_tree(tree, origins, texts)
    return LoadedConfig(settings=settings, origins=origins, user_file=user_file)


def available_languages() -> list[str]:
    """Languages with shipped message texts ('en' is config/default.toml itself)."""
    shipped = resources.files("flooding").joinpath("locales")
    names = [e.name.removesuffix(".toml") for e in shipped.iterdir() if e.name.endswith(".toml")]
    return sorted({"en", *names})


def _apply_locale(tree: dict[str, Any], origins: dict[str, str]) -> None:
    """Swap in the chosen language's texts for every message the person did not write."""
    language = tree.get("language", "en")
    if not isinstance(language, str) or language == "en":
        return
    if language not in available_languages():
        where = origins.get("language", "default")
        raise ConfigError(
            [
                f"{where}: language = {language!r}: allowed: "
                + ", ".join(repr(name) for name in available_languages())
            ]
        )
    text = resources.files("flooding").joinpath("locales", f"{language}.toml").read_text("utf-8")
    messages = tomllib.loads(text).get("messages", {})
    for key, value in messages.items():
        path = f"messages.{key}"
        if origins.get(path, "default") == "default":
            tree.setdefault("messages", {})[key] = value
            origins[path] = f"language {language}"


def default_settings() -> Settings:
    """The shipped defaults, with no person's file or environment."""
    return load_config(env={}, use_default_user_file=False).settings
