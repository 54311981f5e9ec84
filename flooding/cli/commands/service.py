"""`flooding service install|uninstall|status|logs`: the monitor in the background.

See `flooding.io.os_service` for what is written where on Linux (systemd user unit), macOS
(launchd agent) and Windows (Task Scheduler).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_data_dir_option,
    add_lang_option,
    data_dir_hint,
    program,
    whole_number,
    words_for_errors,
)

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.os_service import Plan

DEFAULT_LOG_LINES = 50


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "service",
        help=say("help.service"),
        description=say("help.service.about"),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = actions.add_parser("install", help=say("help.service.install"))
    install.add_argument("--dry-run", action="store_true", help=say("help.service.install.dry-run"))
    add_data_dir_option(install, say)
    add_config_options(install, say)
    uninstall = actions.add_parser("uninstall", help=say("help.service.uninstall"))
    uninstall.add_argument(
        "--dry-run", action="store_true", help=say("help.service.uninstall.dry-run")
    )
    add_data_dir_option(uninstall, say)
    add_lang_option(uninstall, say)
    status = actions.add_parser("status", help=say("help.service.status"))
    add_data_dir_option(status, say)
    add_lang_option(status, say)
    logs = actions.add_parser("logs", help=say("help.service.logs"))
    logs.add_argument(
        "-n",
        "--lines",
        type=whole_number,
        default=DEFAULT_LOG_LINES,
        help=say("help.service.logs.lines", lines=DEFAULT_LOG_LINES),
    )
    logs.add_argument("-f", "--follow", action="store_true", help=say("help.service.logs.follow"))
    add_data_dir_option(logs, say)
    add_lang_option(logs, say)
    parser.set_defaults(run=run)


def _explicit(args: argparse.Namespace, attribute: str, env_name: str) -> Path | None:
    """A folder or file the person chose (option or environment), made absolute."""
    chosen = getattr(args, attribute, None)
    if chosen is None and os.environ.get(env_name):
        chosen = os.environ[env_name]
    return None if chosen is None else Path(chosen).expanduser().absolute()


def _plan(args: argparse.Namespace) -> Plan:
    from flooding.io.config_files.loading import ENV_CONFIG_FILE
    from flooding.io.folders import ENV_DATA_DIR, current_platform
    from flooding.io.os_service import make_plan, service_environment, service_program

    platform = current_platform()
    command = service_program(platform)
    return make_plan(
        platform,
        Path.home(),
        command,
        environment=service_environment(command),
        data_dir=_explicit(args, "data_dir", ENV_DATA_DIR),
        config=_explicit(args, "config", ENV_CONFIG_FILE),
        user=os.environ.get("USERNAME") if platform.value == "windows" else None,
        options=_monitor_options(args),
    )


def _monitor_options(args: argparse.Namespace) -> list[str]:
    """What `install` was given for the service's monitor: each `--set`, and `--lang`
    (the other actions' `--lang` is for their own words, not the service's)."""
    if getattr(args, "action", None) != "install":
        return []
    from flooding.core.settings import holds_targets

    secret = [item for item in args.overrides if holds_targets(item.partition("=")[0].strip())]
    if secret:  # a service's command line is readable by every user of the computer (ps)
        raise CommandError(
            words_for_errors(args)(
                "service.targets_not_on_command_line",
                keys=", ".join(item.partition("=")[0].strip() for item in secret),
                command=f"{program()} config edit",
            ),
            2,
        )
    options = [word for item in args.overrides for word in ("--set", item)]
    return options + (["--lang", args.lang] if args.lang else [])


def _environment_note(args: argparse.Namespace) -> str | None:
    """A note naming each FLOODING_SECTION__KEY variable set here: the service does not get
    this shell's environment, so such a setting would hold here and not there."""
    from flooding.io.config_files.loading import settings_variables

    found = settings_variables(os.environ)
    if not found:
        return None
    say = words_for_errors(args)
    return say(
        "service.environment_not_carried",
        names=", ".join(found),
        keys=", ".join(found.values()),
        command=f"{program()} config edit",
    )


def installed_start(args: argparse.Namespace) -> str | None:
    """The command that starts the background service when it is installed (its file is the
    one `service install` wrote), else None."""
    from flooding.io.os_service import is_ours, read_service_file

    plan = _plan(args)
    existing = read_service_file(plan)
    if existing is None or not is_ours(existing) or not plan.ensure:
        return None
    return str(plan.ensure[-1])


def _pairing_note(args: argparse.Namespace) -> str | None:
    """A warning when the service could not start watching yet."""
    from flooding.cli.commands._common import load_settings
    from flooding.core.settings import ConfigError

    say = words_for_errors(args)
    try:
        settings = load_settings(args).settings
    except ConfigError as exc:
        return say("service.config_problem", problem=exc.problems[0])
    from flooding.app.readiness import pairing_problems

    problems = pairing_problems(settings, program(), say)
    if problems:
        return say("service.waits_for", steps=" ".join(problems))
    return None


def run(args: argparse.Namespace) -> int:
    from flooding.io.os_service import install, service_state, uninstall

    plan = _plan(args)
    if args.action == "install":
        report = install(plan, dry_run=args.dry_run, say=words_for_errors(args))
        if report.refused:
            raise CommandError("\n".join(report.lines))
        print("\n".join(report.lines))
        for note in (_environment_note(args), _pairing_note(args)):
            if note:
                print(note)
        if report.ok and not args.dry_run:
            say = words_for_errors(args)
            print(say("service.check_on_it", command=f"{program()} status{data_dir_hint(args)}"))
        return 0 if report.ok else 1
    if args.action == "uninstall":
        report = uninstall(plan, dry_run=args.dry_run, say=words_for_errors(args))
        if report.refused:
            raise CommandError("\n".join(report.lines))
        print("\n".join(report.lines))
        return 0 if report.ok else 1
    if args.action == "status":
        from flooding.cli.commands import status

        print("\n".join(service_state(plan, say=words_for_errors(args))))
        asked = argparse.Namespace(
            json=False, data_dir=args.data_dir, lang=getattr(args, "lang", None)
        )
        return int(status.run(asked))
    return _logs(args, plan)


def _logs(args: argparse.Namespace, plan: Plan) -> int:
    from flooding.io.os_service import tail

    if plan.logs_step is not None:
        argv = [*plan.logs_step.argv, "-n", str(args.lines)] + (["-f"] if args.follow else [])
        if shutil.which(argv[0]) is None:
            raise CommandError(words_for_errors(args)("service.no_journal", command=argv[0]))
        try:
            return subprocess.call(argv)
        except KeyboardInterrupt:
            return 0
    assert plan.log_file is not None
    say = words_for_errors(args)
    lines = tail(plan.log_file, args.lines)
    if not lines:
        print(say("service.nothing_logged", path=plan.log_file))
    else:
        print("\n".join(lines))
    if plan.crash_log is not None and tail(plan.crash_log, 1):
        print(say("service.crash_log", path=plan.crash_log))
    if args.follow:
        return _follow(plan.log_file)
    return 0


def _follow(path: Path) -> int:
    import time

    position = path.stat().st_size if path.exists() else 0
    try:
        while True:
            time.sleep(1.0)
            if not path.exists():
                continue
            size = path.stat().st_size
            if size < position:  # rotated
                position = 0
            if size > position:
                with path.open("rb") as stream:
                    stream.seek(position)
                    sys.stdout.write(stream.read().decode("utf-8", errors="replace"))
                    sys.stdout.flush()
                position = size
    except KeyboardInterrupt:
        return 0
