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

from flooding.core.catalogue import Catalogue
from flooding.core.settings import ConfigError, Settings, merge_tables
from flooding.io.config_files.place import (  # where the file is: re-exported, as before
    ENV_CONFIG_FILE as ENV_CONFIG_FILE,
)
from flooding.io.config_files.place import (
    ENV_LANGUAGE,
    named_config_file,
    read_settings_text,
    system_language,
)
from flooding.io.config_files.place import (
    default_user_config_path as default_user_config_path,
)
from flooding.io.config_files.place import user_config_path as user_config_path
from flooding.io.config_files.problems import (
    problem_text,
    toml_error_text,
    validate_tree,
    where_set,
)
from flooding.io.config_files.unreadable import set_twice_text, unreadable_text
from flooding.io.folders import ENV_DATA_DIR
from flooding.io.locale_files import SOURCE_LANGUAGE, load_catalogue, message_texts

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


def _read_toml(path: Path, say: Catalogue) -> tuple[dict[str, Any], str]:
    try:
        text = read_settings_text(path)
    except FileNotFoundError:
        raise ConfigError([say("problem.no_such_file", path=path)], say.language) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([unreadable_text(path, exc, say)], say.language) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        problem = set_twice_text(path, text, exc, say) or toml_error_text(path, exc, say)
        raise ConfigError([problem], say.language) from None


def _problem_words(language: str | None) -> Catalogue:
    """The words for the problems: in `language` when it is a shipped one, else English (an
    unknown language is itself one of the problems)."""
    shipped = isinstance(language, str) and language in available_languages()
    return load_catalogue(language if shipped else SOURCE_LANGUAGE)


def _asked_language(
    language: str | None, overrides: list[str], env: Mapping[str, str]
) -> str | None:
    """The language asked for before the files are read: `language`, else the last
    `language=...` among the overrides (as `--lang` gives it), else FLOODING_LANGUAGE."""
    if language is not None:
        return language
    asked = None
    for item in overrides:
        path, sep, raw = item.partition("=")
        value = parse_value(raw.strip()) if sep and path.strip() == "language" else None
        asked = value if isinstance(value, str) else asked
    if asked is None and env.get(ENV_LANGUAGE):
        value = parse_value(env[ENV_LANGUAGE])
        asked = value if isinstance(value, str) else None
    if asked is None:
        system = system_language(env)
        asked = system[0] if system is not None and system[0] in available_languages() else None
    return asked


def settings_variables(env: Mapping[str, str]) -> dict[str, str]:
    """The environment variables that set a setting, in the order they are applied, each with
    the key path it sets (`FLOODING_PAUSE__MINUTES`: `pause.minutes`)."""
    found = {}
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS:
            continue
        path = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        # settings are FLOODING_SECTION__KEY (or a top-level key such as FLOODING_MODE);
        # other FLOODING_* variables belong to the program, not to the settings
        if "." not in path and path not in Settings.model_fields:
            continue
        found[name] = path
    return found


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
    language: str | None = None,
) -> LoadedConfig:
    """Build the effective settings from all layers, or raise ConfigError naming each problem,
    in `language` (default: the language the settings ask for; English when they cannot)."""
    env = os.environ if env is None else env
    overrides = list(overrides)
    say = _problem_words(_asked_language(language, overrides, env))
    default_text = default_toml_text()
    tree = tomllib.loads(default_text)
    origins: dict[str, str] = {path: "default" for path in _leaf_paths(tree)}
    texts: dict[str, str] = {}

    user_file = named_config_file(config_file, env)
    if user_file is None and use_default_user_file:
        candidate = default_user_config_path()
        user_file = candidate if candidate.exists() else None  # a folder there is named
    if user_file is not None:
        user_tree, text = _read_toml(user_file, say)
        tree = merge_tables(tree, user_tree)
        texts[str(user_file)] = text
        origins.update({path: str(user_file) for path in _leaf_paths(user_tree)})

    for name, path in settings_variables(env).items():
        _set_path(tree, path, parse_value(env[name]))
        origins[path] = f"environment {name}"

    problems = []
    for item in overrides:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            problems.append(say("problem.set_form", item=repr(item)))
            continue
        _set_path(tree, path.strip(), parse_value(raw.strip()))
        origins[path.strip()] = "command line"
    if problems:
        raise ConfigError(problems, say.language)
    _system_language_unless_set(tree, origins, env)

    if language is None:  # the settings' own language, now that every layer has had its say
        say = _problem_words(tree.get("language"))
    found = _apply_locale(tree, origins, texts, say)
    settings = validate_tree(tree, origins, texts, found, say)
    settings = _own_suggestions_for_both(settings, origins)
    return LoadedConfig(settings=settings, origins=origins, user_file=user_file)


def _system_language_unless_set(
    tree: dict[str, Any], origins: dict[str, str], env: Mapping[str, str]
) -> None:
    """With `language` set nowhere (file, FLOODING_LANGUAGE, command line), the system's
    language (LC_ALL, LC_MESSAGES, LANG) when its texts are shipped; else the default."""
    if origins.get("language", "default") != "default":
        return
    system = system_language(env)
    if system is not None and system[0] in available_languages():
        tree["language"] = system[0]
        origins["language"] = f"environment {system[1]}"


def _shipped(origin: str) -> bool:
    """Whether a value's layer is one the program ships (its defaults, a language's texts),
    not one of the person's (their file, the environment, the command line)."""
    return origin == "default" or origin.startswith("language ")


def _own_suggestions_for_both(settings: Settings, origins: dict[str, str]) -> Settings:
    """The person's own `messages.suggestions` for the couple's messages too, when they
    wrote those but not `messages.couple_suggestions`: their words beat shipped ones. (After
    the checks: a problem with their suggestions is named once, where they wrote it.)"""
    own = origins.get("messages.suggestions", "default")
    if _shipped(own) or not _shipped(origins.get("messages.couple_suggestions", "default")):
        return settings
    origins["messages.couple_suggestions"] = own
    messages = settings.messages.model_copy(
        update={"couple_suggestions": list(settings.messages.suggestions)}
    )
    return settings.model_copy(update={"messages": messages})


def available_languages() -> list[str]:
    """Languages with shipped message texts ('en' is config/default.toml itself)."""
    shipped = resources.files("flooding").joinpath("locales")
    names = [e.name.removesuffix(".toml") for e in shipped.iterdir() if e.name.endswith(".toml")]
    return sorted({"en", *names})


def _apply_locale(
    tree: dict[str, Any], origins: dict[str, str], texts: Mapping[str, str], say: Catalogue
) -> list[str]:
    """Swap in the chosen language's texts for every message the person did not write; the
    problem with a language that does not exist (the other checks go on without it)."""
    language = tree.get("language", "en")
    if not isinstance(language, str) or language == "en":
        return []
    if language not in available_languages():
        allowed = ", ".join(repr(name) for name in available_languages())
        what = say("problem.allowed", allowed=allowed)
        return [problem_text("language", language, what, origins, texts, say)]
    for key, value in message_texts(language).items():
        path = f"messages.{key}"
        if origins.get(path, "default") == "default":
            tree.setdefault("messages", {})[key] = value
            origins[path] = f"language {language}"
    return []


def default_settings() -> Settings:
    """The shipped defaults, with no person's file or environment."""
    return load_config(env={}, use_default_user_file=False).settings
