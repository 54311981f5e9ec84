"""Settings: pydantic models with bounds and units, loaded in layers from TOML.

Layers, later wins: `config/default.toml` < the person's file < environment < command line.
Environment keys look like `FLOODING_DETECTION__ABSOLUTE_BPM=95`; command-line overrides
like `--set detection.absolute_bpm=95`. Values are read as TOML values (`95`, `true`,
`"text"`, `[1, 2]`), falling back to a plain string.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flooding.models import Mode

ENV_PREFIX = "FLOODING_"
ENV_CONFIG_FILE = "FLOODING_CONFIG"
ENV_DATA_DIR = "FLOODING_DATA_DIR"
_NOT_SETTINGS = {ENV_CONFIG_FILE, ENV_DATA_DIR}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class DetectionSettings(_Section):
    """When a heart counts as flooded."""

    rules: Literal["either", "absolute", "relative", "both"] = "either"
    absolute_bpm: float = Field(100, ge=60, le=220)
    margin_bpm: float = Field(10, ge=3, le=60)
    margin_pct: float = Field(10, ge=0, le=50)
    confirm_s: float = Field(20, ge=5, le=120)
    dip_tolerance_s: float = Field(3, ge=0, le=15)
    release_hysteresis_bpm: float = Field(5, ge=0, le=30)
    release_s: float = Field(30, ge=5, le=600)
    baseline_window_s: float = Field(300, ge=60, le=3600)
    baseline_min_calm_s: float = Field(120, ge=30, le=1800)
    baseline_bpm: float | None = Field(None, ge=30, le=150)
    gap_s: float = Field(5, ge=2, le=60)
    min_plausible_bpm: float = Field(30, ge=20, le=60)
    max_plausible_bpm: float = Field(230, ge=150, le=260)


class PauseSettings(_Section):
    """The break after an alert, and the check before going back."""

    minutes: float = Field(20, ge=20, le=1440)
    extend_minutes: float = Field(10, ge=1, le=120)
    recovery_margin_bpm: float = Field(5, ge=0, le=30)
    recovery_hold_s: float = Field(60, ge=0, le=900)


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
    private_ready_title: str = Field(min_length=1)
    private_ready_body: str = Field(min_length=1)


class NotifySettings(_Section):
    """Desktop notifications."""

    enabled: bool = True
    privacy: bool = False


class StrapSettings(_Section):
    """The person's own strap; the monitor connects to no other."""

    address: str = ""
    name: str = ""


class ServiceSettings(_Section):
    """The background service (`flooding monitor --headless`, `flooding service install`)."""

    session_gap_minutes: float = Field(10, ge=1, le=720)


class Settings(_Section):
    """All settings."""

    mode: Mode = Mode.TALK
    detection: DetectionSettings = DetectionSettings()
    pause: PauseSettings = PauseSettings()
    messages: MessageSettings
    notify: NotifySettings = NotifySettings()
    strap: StrapSettings = StrapSettings()
    service: ServiceSettings = ServiceSettings()


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
    return (Path(__file__).resolve().parent.parent / "config" / "default.toml").read_text(
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


def _line_of(text: str, path: str) -> int | None:
    """The 1-based line where `path` is set in TOML text, found by section and key."""
    *sections, key = path.split(".")
    want = ".".join(sections)
    current = ""
    key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            current = header.group(1).strip()
            continue
        if current == want and key_re.match(line):
            return number
    return None


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
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None


def _describe(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; `flooding config show` lists every key)"
    if kind == "missing":
        return "required key is missing"
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
            origin = origins.get(path, "default")
            where = origin
            text = texts.get(origin)
            if text is not None:
                line = _line_of(text, path)
                if line is not None:
                    where = f"{origin}:{line}"
            value = error.get("input")
            shown = "" if error.get("type") == "missing" else f" = {value!r}"
            problems.append(f"{where}: {path}{shown}: {_describe(error)}")
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

    settings = validate_tree(tree, origins, texts)
    return LoadedConfig(settings=settings, origins=origins, user_file=user_file)


def default_settings() -> Settings:
    """The shipped defaults, with no person's file or environment."""
    return load_config(env={}, use_default_user_file=False).settings
