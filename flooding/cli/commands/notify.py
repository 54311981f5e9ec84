"""`flooding notify test`: a test message to every remote target, and which of them worked."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    load_settings,
    said_in_words,
)
from flooding.core.catalogue import counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.config_files.loading import LoadedConfig


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "notify",
        help=say("help.notify"),
        description=say("help.notify.about"),
    )
    actions = parser.add_subparsers(dest="notify_action", metavar="ACTION", required=True)
    test = actions.add_parser(
        "test",
        help=say("help.notify.test"),
        description=say("help.notify.test.about"),
    )
    add_config_options(test, say)
    test.set_defaults(run=run_test)


def _readable_by_others(path: Path) -> bool:
    """Whether a file's permissions let other accounts read it (POSIX; False elsewhere)."""
    try:
        return os.name == "posix" and bool(path.stat().st_mode & 0o077)
    except OSError:
        return False


def run_test(args: argparse.Namespace) -> int:
    import asyncio

    from flooding.io.locale_files import load_catalogue
    from flooding.io.notify import RemoteTargets

    loaded = load_settings(args)
    settings = loaded.settings
    say = load_catalogue(settings.language)
    owners = [("notify.targets", url) for url in settings.notify.targets]
    for name, profile in settings.profiles.items():
        owners.extend((f"profiles.{name}.notify_targets", url) for url in profile.notify_targets)
    if not owners:
        raise CommandError(say("notify.no_targets"))
    if loaded.user_file is not None and _readable_by_others(loaded.user_file):
        print(say("notify.readable_by_others", path=loaded.user_file))
    targets = RemoteTargets([url for _, url in owners])
    print(say("notify.sending", targets=counted("count.targets", len(owners))))
    with said_in_words(args, "flooding.io.notify.remote"):
        results = asyncio.run(targets.test(say("notify.test_body")))
    for result in results:
        owner = owners[result.number - 1][0]
        if result.delivered:
            outcome = say("notify.worked")
        else:
            why = result.problem
            if result.kind:
                why = say(f"notify.problem.{result.kind}", detail=result.detail)
            outcome = say("notify.failed", why=why)
        service = result.service or say("notify.unknown_service")
        print(f"  {result.number}. {service} ({owner}): {outcome}")
    failed = sum(1 for result in results if not result.delivered)
    if failed:
        print(say("notify.some_failed", failed=failed, count=len(results)))
    else:
        print(say("notify.all_worked"))
    if not settings.notify.enabled:
        print(_notifications_off(loaded, say))
    return 1 if failed else 0


def _notifications_off(loaded: LoadedConfig, say: Catalogue) -> str:
    """That alerts will not be sent while notify.enabled is false, and where it is set so."""
    from flooding.io.config_files.problems import origin_words, where_set

    origin, _ = where_set("notify.enabled", loaded.origins)
    return say("notify.off", origin=origin_words(origin, say))
