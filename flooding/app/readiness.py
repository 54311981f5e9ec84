"""Whether the service can start watching: settings that load, and a strap paired (one for
each partner of a couple). `wait_for_settings` keeps a service that cannot start yet alive: it
says why once (log and desktop), then looks again every few seconds until it is fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from flooding.core.catalogue import Catalogue
from flooding.core.settings import ConfigError, Settings
from flooding.io.config_files.loading import LoadedConfig
from flooding.io.config_files.place import read_settings_text
from flooding.io.config_files.problems import problem_text
from flooding.io.locale_files import load_catalogue
from flooding.io.notify import Message, Notifier

log = logging.getLogger(__name__)

SETTINGS_RETRY_S = 10.0  # how often a service waiting for a usable config looks again


# heads the list of config problems (in English: settings that cannot be read cannot say
# the person's language)
CONFIG_PROBLEMS = load_catalogue()("service.config_problems")


def what_to_do(problems: list[str], program: str, say: Catalogue | None = None) -> str:
    """The hint under the problems: `config check` for the configuration's; the pairing's
    own lines already name `flooding pair` (in the language of `say`, English without)."""
    say = say or load_catalogue()
    if problems and problems[0] == CONFIG_PROBLEMS:
        return say("service.fix_config", command=f"{program} config check")
    return say("service.pair_first")


def problem_message(problems: list[str], program: str, say: Catalogue | None = None) -> Message:
    """The desktop message for a service that cannot start: what is wrong, and what to do
    (in the language of `say`, English without)."""
    say = say or load_catalogue()
    more = [say("service.and_more", n=len(problems) - 3)] if len(problems) > 3 else []
    return Message(
        kind="info",
        title=say("service.not_watching"),
        body="\n".join(problems[:3] + more) + "\n" + what_to_do(problems, program, say),
        key="service-problem:" + "|".join(problems),
    )


def target_problems(loaded: LoadedConfig, say: Catalogue | None = None) -> list[str]:
    """Each remote target Apprise does not understand (`nfty://` for `ntfy://`), as a config
    problem naming where it is set, its URL masked, and what to do (loads Apprise, when a
    target is set)."""
    say = say or load_catalogue()
    settings = loaded.settings
    owned = [(f"notify.targets.{n}", url) for n, url in enumerate(settings.notify.targets)]
    for name, profile in settings.profiles.items():
        owned += [
            (f"profiles.{name}.notify_targets.{n}", url)
            for n, url in enumerate(profile.notify_targets)
        ]
    if not owned:
        return []
    from flooding.io.notify.remote import understood

    texts = (
        {str(loaded.user_file): read_settings_text(loaded.user_file)} if loaded.user_file else {}
    )
    what = say("problem.target_unknown")
    return [
        problem_text(path, url, what, loaded.origins, texts, say)
        for path, url in owned
        if not understood(url)
    ]


def is_couple(settings: Settings) -> bool:
    """Whether the service watches a couple: exactly two profiles exist."""
    return len(settings.profiles) == 2


def profile_problems(settings: Settings, program: str, say: Catalogue | None = None) -> list[str]:
    """More than two profiles: neither one person nor a couple, so the service cannot tell
    whom to watch (pairing again would only add one); in the language of `say`."""
    say = say or load_catalogue()
    if len(settings.profiles) <= 2:
        return []
    names = ", ".join(settings.profiles)
    command = f"{program} config edit"
    return [
        say("service.too_many_profiles", count=len(settings.profiles), names=names, command=command)
    ]


def pairing_problems(settings: Settings, program: str, say: Catalogue | None = None) -> list[str]:
    """Why the service cannot watch yet: more than two profiles, no strap paired (or, for a
    couple, a profile without one); in the language of `say`, English without."""
    say = say or load_catalogue()
    too_many = profile_problems(settings, program, say)
    if too_many:
        return too_many
    if is_couple(settings):
        return [
            say("service.unpaired_person", name=name, command=f"{program} pair STRAP --as {name}")
            for name, profile in settings.profiles.items()
            if not (profile.strap.address or profile.strap.name)
        ]
    if settings.strap.address or settings.strap.name:
        return []
    return [say("service.unpaired", command=f"{program} pair")]


async def wait_for_settings(
    load: Callable[[], Settings],
    *,
    notifier: Notifier,
    program: str,
    stopped: asyncio.Event,
    retry_s: float = SETTINGS_RETRY_S,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Settings | None:
    """Settings with a strap chosen, waiting (and saying why, once per problem) until then.

    Returns None when `stopped` is set first.
    """
    last: list[str] | None = None
    while not stopped.is_set():
        say = load_catalogue()  # English while the settings cannot say the language
        try:
            settings = load()
            say = load_catalogue(settings.language)
            too_many = profile_problems(settings, program, say)  # the settings' to fix
            problems = [CONFIG_PROBLEMS, *too_many] if too_many else []
            problems = problems or pairing_problems(settings, program, say)
        except ConfigError as exc:
            problems = [CONFIG_PROBLEMS, *exc.problems]
        if not problems:
            return settings
        if problems != last:
            last = problems
            for problem in problems:
                log.error("%s", problem)
            if problems[0] == CONFIG_PROBLEMS:
                log.error("not watching until this is fixed; `%s config check` shows it", program)
            else:
                log.error("not watching until a strap is paired")
            try:
                await notifier.send(problem_message(problems, program, say))
            except Exception as exc:  # the log already has it
                log.warning("could not show the problem on the desktop: %r", exc)
        if sleep is not None:
            await sleep(retry_s)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), retry_s)
    return None
