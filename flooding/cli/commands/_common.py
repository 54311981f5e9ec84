"""Options and helpers shared by several commands."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.config_files.loading import LoadedConfig
    from flooding.io.store import Store


def add_config_file_option(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--config FILE."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=say("help.option.config"),
    )


def add_config_options(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--config FILE, --set KEY=VALUE and --lang LANG."""
    add_config_file_option(parser, say)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=say("help.option.set"),
    )
    add_lang_option(parser, say)


def add_lang_option(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--lang LANG (default: `language` in the person's settings)."""
    parser.add_argument("--lang", metavar="LANG", help=say("help.option.lang"))


def add_notify_option(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--no-notify (the commands that run a session)."""
    parser.add_argument(
        "--no-notify",
        action="store_true",
        help=say("help.option.no-notify"),
    )


def _argparse_words(message: str) -> str:
    """`message` in the language argparse speaks right now (see `argparse_speaking`)."""
    words: Callable[[str], str] = vars(argparse)["_"]
    return words(message)


class _Unwarned(logging.Filter):
    """Lets through all but warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno != logging.WARNING


@contextmanager
def said_in_words(args: argparse.Namespace, *loggers: str) -> Iterator[None]:
    """Within the block the warnings of `loggers` stay off the screen, unless the person
    asked for details (-v): the command says the same in the person's own words (the log's
    are English, for engineers)."""
    if wants_details(args):
        yield
        return
    quiet = _Unwarned()
    for name in loggers:
        logging.getLogger(name).addFilter(quiet)
    try:
        yield
    finally:
        for name in loggers:
            logging.getLogger(name).removeFilter(quiet)


def number(text: str) -> float:
    """A command-line value that is a number ("25", "1.5"), or argparse's error saying, in
    the person's language, that it is not one."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_argparse_words("%r is not a number") % text) from None


def whole_number(text: str) -> int:
    """A command-line value that is a whole number ("3"), or argparse's error saying, in the
    person's language, that it is not one."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _argparse_words("%r is not a whole number") % text
        ) from None


def add_session_argument(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """An optional SESSION id; `chosen_session` turns a missing one into the latest."""
    parser.add_argument(
        "session",
        nargs="?",
        type=whole_number,
        metavar="SESSION",
        help=say("help.option.session"),
    )


def add_data_dir_option(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--data-dir DIR."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=say("help.option.data-dir"),
    )


class CommandError(Exception):
    """A command cannot go on; the message says why and what to do. The command line prints
    it on stderr after `flooding COMMAND: ` and exits with `code` (the one way a command
    refuses)."""

    def __init__(
        self, message: str, code: int = 1, *, command: str | None = None, named: bool = True
    ) -> None:
        super().__init__(message)
        self.code = code
        # the command as the message names it (`import --couple`); None: the one that was run
        self.command = command
        # False: the message stands on its own lines, without `flooding COMMAND: ` before it
        self.named = named

    def shown(self, command: str) -> str:
        """The whole refusal as printed when `command` was run."""
        if not self.named:
            return str(self)
        return f"flooding {self.command or command}: {self}"


def open_store(
    args: argparse.Namespace, folder: Path | None = None, *, read_only: bool = False
) -> Store:
    """The store in `folder` (default: the data directory), or a CommandError saying why it
    cannot be used. `read_only`: for commands that only read (they work on a read-only
    folder)."""
    from flooding.io.store import DB_NAME, Store, StoreError

    where = data_dir(args) if folder is None else folder
    if read_only and not (where / DB_NAME).exists():
        # a command that only reads leaves a folder as it found it (no empty database in a
        # mistyped folder)
        raise NothingRecorded(where, words_for_errors(args))
    try:
        return Store.open_read_only(where) if read_only else Store.open(where)
    except StoreError as exc:
        raise CommandError(exc.said(words_for_errors(args))) from None


def words_for_errors(args: argparse.Namespace) -> Catalogue:
    """The person's language for a message that stops a command (English when even the
    settings cannot say which)."""
    from flooding.core.settings import ConfigError
    from flooding.io.locale_files import load_catalogue

    try:
        return screen_words(args, tell=False)
    except ConfigError:
        return load_catalogue()


class NothingRecorded(CommandError):
    """A command that only reads was pointed at a folder with no recordings at all."""

    def __init__(self, folder: Path, say: Catalogue | None = None) -> None:
        from flooding.io.locale_files import load_catalogue

        command = "flooding sessions --data-dir FOLDER"
        super().__init__(
            (say or load_catalogue())("error.nothing_recorded", folder=folder, command=command)
        )
        self.folder = folder


def chosen_session(store: Store, session: int | None, say: Catalogue) -> int:
    """The session asked for (default: the one added last, a just-imported old recording
    included), or a CommandError saying there is none (in the language of `say`)."""
    if session is None:
        latest = store.latest_session_id()
        if latest is None:
            raise CommandError(say("error.no_sessions", folder=store.path.parent))
        return latest
    if store.session(session) is None:
        command = f"{program()} sessions{_folder_hint(store)}"
        raise CommandError(say("error.no_session", id=session, command=command))
    return session


def _folder_hint(store: Store) -> str:
    """` --data-dir DIR` for a store outside the data folder a bare command would use."""
    import shlex

    from flooding.io.folders import data_dir as resolve

    folder = store.path.parent
    if folder.absolute() == resolve(None).absolute():
        return ""
    return f" --data-dir {shlex.quote(str(folder))}"


def command_line_overrides(args: argparse.Namespace) -> list[str]:
    """The settings the command line sets, as `--set` takes them: each `--set KEY=VALUE`,
    then `--lang` as `language`."""
    overrides = list(getattr(args, "overrides", []))
    if getattr(args, "lang", None):
        overrides.append(f'language="{args.lang}"')
    return overrides


def load_settings(args: argparse.Namespace) -> LoadedConfig:
    """The effective configuration for a command's arguments (`--no-notify` included)."""
    from dataclasses import replace

    from flooding.io.config_files.loading import load_config

    loaded = load_config(getattr(args, "config", None), overrides=command_line_overrides(args))
    if not getattr(args, "no_notify", False):
        return loaded
    settings = loaded.settings
    quiet = settings.notify.model_copy(update={"enabled": False})
    return replace(loaded, settings=settings.model_copy(update={"notify": quiet}))


def names_who(args: argparse.Namespace) -> bool:
    """Whether a couple's words may name who flooded (couple.name_who); settings that cannot
    be read name nobody, as the default does."""
    from flooding.core.settings import ConfigError

    try:
        return load_settings(args).settings.couple.name_who
    except ConfigError:
        return False


def data_dir(args: argparse.Namespace) -> Path:
    """The data directory: --data-dir, FLOODING_DATA_DIR, or the platform's user data dir."""
    from flooding.io.folders import data_dir as resolve

    return resolve(getattr(args, "data_dir", None))


DEMO_FOLDER_NAME = "demo"  # the demo's practice sessions: a folder of their own in the data folder


def demo_folder(args: argparse.Namespace) -> Path:
    """Where the demo keeps its practice sessions: `demo/` inside the data folder (see
    `data_dir`), so they never mix with real ones."""
    return data_dir(args) / DEMO_FOLDER_NAME


def data_dir_hint(args: argparse.Namespace) -> str:
    """The options a printed hint must repeat to reach the same data: ` --data-dir DIR`
    when one was given (FLOODING_DATA_DIR stays set by itself), else nothing."""
    import shlex

    given = getattr(args, "data_dir", None)
    return "" if given is None else f" --data-dir {shlex.quote(str(given))}"


def config_hint(args: argparse.Namespace) -> str:
    """` --config FILE` when one was given (a printed hint must reach the same file), else
    nothing."""
    import shlex

    given = getattr(args, "config", None)
    return "" if given is None else f" --config {shlex.quote(str(given))}"


def program() -> str:
    """How to call this program again: `flooding` when it is on PATH, else its full path."""
    import shutil
    import sys

    if shutil.which("flooding"):
        return "flooding"
    script = Path(sys.argv[0])
    return str(script.resolve()) if script.name == "flooding" else "python -m flooding"


def add_details_option(parser: argparse.ArgumentParser, say: Catalogue) -> None:
    """--verbose: the figures behind the plain words (as `flooding -v COMMAND` does)."""
    parser.add_argument(
        "--verbose",
        dest="details",
        action="store_true",
        help=say("help.option.verbose"),
    )


def wants_details(args: argparse.Namespace) -> bool:
    """Whether the person asked for the figures: `COMMAND --verbose` or `flooding -v COMMAND`."""
    return bool(getattr(args, "details", False) or getattr(args, "verbose", 0))


def screen_words(args: argparse.Namespace, *, tell: bool = True) -> Catalogue:
    """The screen texts in the person's language (`--lang`, else `language` in their settings).

    A command that only reads sessions does not need the settings: when they cannot be read it
    speaks the language they name (English when even that cannot be read), or the language
    `--lang` asked for (an unknown one is a ConfigError naming the shipped ones), and, with
    `tell`, says so on stderr once, naming each problem as `flooding config check` does (not
    `tell`: the command refuses such settings itself, or is about to write them).
    """
    from flooding.core.settings import ConfigError
    from flooding.io.config_files.loading import load_config
    from flooding.io.locale_files import load_catalogue

    try:
        language = load_settings(args).settings.language
    except ConfigError as exc:
        asked = getattr(args, "lang", None)
        if not asked:  # the language the problems were worded in: the one the settings name
            language = exc.language or "en"
        else:  # the settings cannot be read (or the file is yet to be made, as for `pair`):
            # the language asked for still counts, once checked against the shipped ones
            only = load_config(
                None, env={}, overrides=[f'language="{asked}"'], use_default_user_file=False
            )
            language = only.settings.language
        if tell:
            _tell_going_on_without(args, exc.problems, load_catalogue(language))
    return load_catalogue(language)


def _tell_going_on_without(args: argparse.Namespace, problems: list[str], say: Catalogue) -> None:
    """Say on stderr, once for the command, that the settings have a mistake and that it goes
    on without them, with each problem."""
    import sys

    if getattr(args, "settings_problem_told", False):
        return
    args.settings_problem_told = True
    print(
        say("error.going_on_without_settings", command=f"{program()} config check"), file=sys.stderr
    )
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def pace_said(say: Catalogue, step_s: float, gap_s: float) -> str | None:
    """What to say of a recording read at its own pace (a watch's export), with the gap
    that pace gives, and whether a sudden jump can be seen at it; None at a strap's pace
    (`flooding.core.batch.usual_step_s`)."""
    from flooding.core.detector import STRAP_STEP_S, steps_seen_at

    if step_s <= STRAP_STEP_S:
        return None
    said = say("replay.pace", step=f"{step_s:g}", gap=f"{gap_s:g}")
    return said if steps_seen_at(step_s) else f"{said} {say('replay.pace_no_steps')}"


def confirmed(say: Catalogue, question: str) -> bool:
    """Ask `question` on the terminal with the language's yes/no hint ("[y/N]", "[j/N]");
    whether the answer is one of its words for yes (no answer, or end of input: no)."""
    try:
        answer = input(f"{question} {say('ask.yes_no')} ")
    except EOFError:
        return False
    return answer.strip().lower() in say("ask.yes_words").split()
