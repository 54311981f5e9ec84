"""The settings in effect, built in layers, later wins: the shipped `default.toml` < the
person's file < environment (`FLOODING_DETECTION__ABSOLUTE_BPM=95`) < command line
(`--set detection.absolute_bpm=95`); then the chosen language's texts for unset messages.

Override values are read as TOML values (`95`, `true`, `"text"`, `[1, 2]`), falling back to a
plain string. Each key path remembers the layer that set it, for `config show` and the errors.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from flooding.core.settings import ConfigError, Settings, merge_tables
from flooding.io.config_files.place import (  # where the file is: re-exported, as before
    ENV_CONFIG_FILE as ENV_CONFIG_FILE,
)
from flooding.io.config_files.place import (
    default_user_config_path as default_user_config_path,
)
from flooding.io.config_files.place import named_config_file
from flooding.io.config_files.place import user_config_path as user_config_path
from flooding.io.config_files.problems import (
    problem_text,
    toml_error_text,
    validate_tree,
    where_set,
)
from flooding.io.folders import ENV_DATA_DIR

ENV_PREFIX = "FLOODING_"
_NOT_SETTINGS = {ENV_CONFIG_FILE, ENV_DATA_DIR}


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
    return (Path(__file__).resolve().parents[3] / "config" / "default.toml").read_text(
        encoding="utf-8"
    )


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


def effective_values(loaded: LoadedConfig) -> list[tuple[str, Any, str]]:
    """Every leaf key path of the effective settings, its value and where it came from."""
    tree = loaded.settings.model_dump(mode="json")
    return [
        (path, _value_at(tree, path), where_set(path, loaded.origins)[0])
        for path in _leaf_paths(tree)
    ]


def _value_at(tree: Mapping[str, Any], path: str) -> Any:
    node: Any = tree
    for part in path.split("."):
        node = node[part]
    return node


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

    user_file = named_config_file(config_file, env)
    if user_file is None and use_default_user_file:
        candidate = default_user_config_path()
        user_file = candidate if candidate.is_file() else None
    if user_file is not None:
        user_tree, text = _read_toml(user_file)
        tree = merge_tables(tree, user_tree)
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

    found = _apply_locale(tree, origins, texts)
    settings = validate_tree(tree, origins, texts, found)
    return LoadedConfig(settings=settings, origins=origins, user_file=user_file)


def available_languages() -> list[str]:
    """Languages with shipped message texts ('en' is config/default.toml itself)."""
    shipped = resources.files("flooding").joinpath("locales")
    names = [e.name.removesuffix(".toml") for e in shipped.iterdir() if e.name.endswith(".toml")]
    return sorted({"en", *names})


def _apply_locale(
    tree: dict[str, Any], origins: dict[str, str], texts: Mapping[str, str]
) -> list[str]:
    """Swap in the chosen language's texts for every message the person did not write; the
    problem with a language that does not exist (the other checks go on without it)."""
    language = tree.get("language", "en")
    if not isinstance(language, str) or language == "en":
        return []
    if language not in available_languages():
        allowed = ", ".join(repr(name) for name in available_languages())
        return [problem_text("language", language, f"allowed: {allowed}", origins, texts)]
    text = resources.files("flooding").joinpath("locales", f"{language}.toml").read_text("utf-8")
    messages = tomllib.loads(text).get("messages", {})
    for key, value in messages.items():
        path = f"messages.{key}"
        if origins.get(path, "default") == "default":
            tree.setdefault("messages", {})[key] = value
            origins[path] = f"language {language}"
    return []


def default_settings() -> Settings:
    """The shipped defaults, with no person's file or environment."""
    return load_config(env={}, use_default_user_file=False).settings
