"""`flooding config show | check | edit`: the settings in effect, checking and editing yours."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_lang_option,
    load_settings,
    program,
    words_for_errors,
)
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue

VALUE_WIDTH = 50  # long texts (messages) are shortened in the table; --json shows them whole


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "config",
        help=say("help.config"),
        description=say("help.config.about"),
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION", required=True)

    show = actions.add_parser(
        "show",
        help=say("help.config.show"),
        description=say("help.config.show.about"),
    )
    show.add_argument("--json", action="store_true", help=say("help.config.show.json"))
    _add_file_argument(show, say)
    add_config_options(show, say)
    show.set_defaults(run=run_show)

    check = actions.add_parser(
        "check",
        help=say("help.config.check"),
        description=say("help.config.check.about"),
    )
    _add_file_argument(check, say)
    check.add_argument("--config", type=Path, metavar="FILE", help=say("help.config.check.config"))
    add_lang_option(check, say)
    check.set_defaults(run=run_check)

    edit = actions.add_parser(
        "edit",
        help=say("help.config.edit"),
        description=say("help.config.edit.about"),
    )
    _add_file_argument(edit, say)
    edit.add_argument("--config", type=Path, metavar="FILE", help=say("help.config.edit.config"))
    add_lang_option(edit, say)
    edit.set_defaults(run=run_edit)


def _add_file_argument(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """An optional FILE: every config action takes its file as FILE or as --config FILE."""
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        metavar="FILE",
        help=say("help.config.file"),
    )


def chosen_file(args: argparse.Namespace) -> Path | None:
    """The file named as FILE or --config FILE (None: the person's own); a CommandError when
    the two name different files."""
    positional, option = args.file, getattr(args, "config", None)
    if positional is not None and option is not None and positional != option:
        say = words_for_errors(argparse.Namespace(lang=getattr(args, "lang", None)))
        text = say("config.two_files", first=positional, second=option)
        raise CommandError(text, code=2)
    chosen: Path | None = positional if positional is not None else option
    args.config = chosen  # what load_settings and the rest read
    return chosen


def run_show(args: argparse.Namespace) -> int:
    from flooding.core.settings import masked_value
    from flooding.io.config_files.loading import effective_values
    from flooding.io.config_files.place import read_settings_text
    from flooding.io.config_files.problems import line_of

    chosen_file(args)
    loaded = load_settings(args)
    text = read_settings_text(loaded.user_file) if loaded.user_file else ""
    rows: list[dict[str, Any]] = []
    for path, value, origin in effective_values(loaded):
        value = masked_value(path, value)  # target URLs hold secrets
        row: dict[str, Any] = {"key": path, "value": value, "origin": origin}
        if loaded.user_file is not None and origin == str(loaded.user_file):
            row["origin"] = "file"
            row["file"] = str(loaded.user_file)
            row["line"] = line_of(text, path)
        elif origin.startswith("environment "):
            row["origin"] = "environment"
            row["variable"] = origin.removeprefix("environment ")
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0

    say = words_for_errors(args)
    if loaded.user_file is not None:
        print(say("config.your_file", path=loaded.user_file))
    else:
        from flooding.io.config_files.loading import user_config_path

        own = user_config_path(None)
        print(say("config.no_file_yet", path=own, command="flooding config edit"))
    width = max(len(row["key"]) for row in rows)
    values = [_shown(row["key"], row["value"], say) for row in rows]
    value_width = max(len(value) for value in values)
    for row, value in zip(rows, values, strict=True):
        if row["origin"] == "file":
            line = row["line"]
            where = say("config.from_line", line=line) if line else say("config.from_file")
        elif row["origin"] == "environment":
            where = say("config.from_environment", variable=row["variable"])
        else:
            origin = row["origin"]
            where = (
                say("config.from_language", language=origin.removeprefix("language "))
                if origin.startswith("language ")
                else say.choice("config.origin", origin)
            )
        print(f"{row['key']:<{width}}  {value:<{value_width}}  {where}")
    return 0


def _shown(key: str, value: Any, say: Catalogue) -> str:
    if value is None:
        if key.startswith("workout.detection."):
            return say("config.as_key", setting=f"detection.{key.rpartition('.')[2]}")
        return say("config.unset")
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= VALUE_WIDTH else text[: VALUE_WIDTH - 3] + "..."


def check_problems(path: Path | None, say: Catalogue) -> tuple[list[str], list[str], list[str]]:
    """Every problem in a config file (layered over the defaults; None: the defaults alone)
    and in the settings this environment sets (`FLOODING_SECTION__KEY`: every command takes
    them), then any remote target Apprise does not understand, and, when there is none, what
    still keeps the monitor from watching (no strap
    paired), and notes on settings that load but cannot work as meant (a limit never reached)."""
    from flooding.app.readiness import pairing_problems, profile_problems, target_problems
    from flooding.core.settings import ConfigError
    from flooding.core.settings_notes import unreachable_limits
    from flooding.io.config_files.loading import load_config

    try:
        loaded = load_config(
            path, env=os.environ, use_default_user_file=False, language=say.language
        )
    except ConfigError as exc:
        return exc.problems, [], []
    notes = unreachable_limits(loaded.settings, say)
    unknown = target_problems(loaded, say) + profile_problems(loaded.settings, program(), say)
    if unknown:
        return unknown, [], notes
    return [], pairing_problems(loaded.settings, program(), say), notes


def _report(
    path: Path, problems: list[str], not_ready: list[str], notes: list[str], say: Catalogue
) -> int:
    if not problems:
        print(say("config.ok", path=path))
        _say_notes(notes, say)
        _say_not_ready(not_ready, say)
        return 0
    print(say("config.problems", path=path, problems=counted("count.problems", len(problems))))
    for problem in problems:
        print(f"  {problem}")
    _say_notes(notes, say)
    return 1


def _say_notes(notes: list[str], say: Catalogue) -> None:
    """Settings that load but cannot work as meant, under their own heading."""
    if notes:
        print(say("config.notes"))
        for note in notes:
            print(f"  {note}")


def _say_not_ready(not_ready: list[str], say: Catalogue) -> None:
    """The settings are fine, but the service cannot watch yet: say why (no strap paired)."""
    if not_ready:
        print(say("config.not_ready"))
        for reason in not_ready:
            print(f"  {reason}")


def run_check(args: argparse.Namespace) -> int:
    from flooding.io.config_files.loading import user_config_path

    named = chosen_file(args)
    say = words_for_errors(args)
    if named is not None:
        return _report(named, *check_problems(named, say), say)
    path = user_config_path(None)
    if not path.exists():  # a folder there is named as one
        problems, not_ready, notes = check_problems(None, say)  # the environment's, if any
        if problems:
            count = counted("count.problems", len(problems))
            print(say("config.problems_no_file", path=path, problems=count))
            for problem in problems:
                print(f"  {problem}")
            return 1
        print(say("config.ok_no_file", path=path))
        _say_notes(notes, say)
        _say_not_ready(not_ready, say)
        return 0
    return _report(path, *check_problems(path, say), say)


def editor_command(env: Mapping[str, str], platform: str = sys.platform) -> list[str] | None:
    """The editor to run: $VISUAL, $EDITOR, else the usual one for the platform."""
    for name in ("VISUAL", "EDITOR"):
        if env.get(name, "").strip():
            return shlex.split(env[name], posix=not platform.startswith("win"))
    if platform.startswith("win"):
        return ["notepad"]
    if platform == "darwin":
        return ["open", "-W", "-t"]  # the default text editor, waiting until it is closed
    for candidate in ("sensible-editor", "nano", "vi"):
        found = shutil.which(candidate)
        if found:
            return [found]
    return None


def _named_editor(env: Mapping[str, str]) -> bool:
    """Whether the person chose an editor ($VISUAL or $EDITOR)."""
    return any(env.get(name, "").strip() for name in ("VISUAL", "EDITOR"))


def _in_a_terminal() -> bool:
    """Whether this command talks to a terminal (a terminal editor needs one both ways)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run_edit(args: argparse.Namespace) -> int:
    from flooding.io.config_files.loading import user_config_path
    from flooding.io.config_files.user_file import ensure_user_file

    path = user_config_path(chosen_file(args))
    say = words_for_errors(args)
    command = editor_command(os.environ)
    if command is None:
        raise CommandError(say("config.no_editor", path=path))
    windowed = sys.platform.startswith("win") or sys.platform == "darwin"  # opens a window
    if not _named_editor(os.environ) and not windowed and not _in_a_terminal():
        check = f"{program()} config check"
        raise CommandError(say("config.no_terminal", path=path, command=check))
    if ensure_user_file(path, say.language):
        print(say("config.created", path=path))
    try:
        result = subprocess.run([*command, str(path)], check=False)
    except OSError as exc:
        said = say("config.editor_failed", editor=repr(command[0]), error=exc)
        raise CommandError(said) from None
    if result.returncode != 0:
        print(say("config.editor_error", code=result.returncode))
        _report(path, *check_problems(path, say), say)
        return 1
    return _report(path, *check_problems(path, say), say)
