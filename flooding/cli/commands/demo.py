"""`flooding demo`: a simulated strap plays a hard talk, so you can see what flooding does."""

from __future__ import annotations

import argparse
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._app import add_app_options, app_extras
from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_notify_option,
    data_dir,
    data_dir_hint,
    demo_folder,
    load_settings,
    number,
    open_store,
    program,
    screen_words,
)
from flooding.core.catalogue import counted
from flooding.core.timefmt import break_length, spoken_minutes

if TYPE_CHECKING:
    from flooding.app.review import EpisodeReview
    from flooding.app.session import SessionOutcome
    from flooding.app.sources import HeartSource
    from flooding.cli.view import TerminalView
    from flooding.core.catalogue import Catalogue
    from flooding.core.hrm import HeartRateMeasurement
    from flooding.core.settings import Settings
    from flooding.lab.simulate import Scenario

DEFAULT_SPEED = 60.0  # one simulated minute a second: the whole talk in under half a minute


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "demo",
        help=say("help.demo"),
        description=say("help.demo.about"),
    )
    parser.add_argument(
        "--speed",
        type=number,
        default=DEFAULT_SPEED,
        metavar="FACTOR",
        help=say("help.demo.speed", speed=f"{DEFAULT_SPEED:g}"),
    )
    add_notify_option(parser, say)
    parser.add_argument(
        "--couple",
        action="store_true",
        help=say("help.demo.couple"),
    )
    parser.add_argument(
        "--ble",
        action="store_true",
        help=say("help.demo.ble"),
    )
    add_app_options(parser, say)
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=say("help.demo.data-dir"),
    )
    parser.add_argument(
        "--with-real",
        action="store_true",
        help=say("help.demo.with-real"),
    )
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def demo_data_dir(args: argparse.Namespace) -> Path:
    """The demo's folder: `demo/` inside the data folder, so practice sessions never mix
    with real ones; the data folder itself with --with-real (asked for)."""
    return data_dir(args) if args.with_real else demo_folder(args)


ROOMY_SPEED = 10.0  # a talk played this fast leaves minutes to try the commands beside it
SAMPLE_SLACK_S = 2.0  # a played session ends at its last reading, a step short of the talk


def talk_minutes(seconds: float) -> int:
    """A demo talk's whole minutes, the same for the talk as planned and as recorded (which
    ends at its last reading, a second or two short)."""
    return int((seconds + SAMPLE_SLACK_S) // 60)


def _try_while_playing(args: argparse.Namespace, length_s: float, say: Catalogue) -> str:
    """The line that invites the person to try the commands that talk to a monitor (none
    when the talk plays at once: it is over before they could), and, when it plays faster
    than `ROOMY_SPEED`, how to have more time for them."""
    if args.speed == 0:
        return ""
    said = say("demo.try", command=f"{program()} status{data_dir_hint(args)}")
    if args.speed > ROOMY_SPEED:
        minutes = max(1, round(length_s / ROOMY_SPEED / 60))
        said += " " + say("demo.more_time", speed=f"{ROOMY_SPEED:g}", minutes=minutes)
    return said + "\n"


def _closing_lines(args: argparse.Namespace, folder: Path, say: Catalogue) -> list[str]:
    """Where the practice sessions are and how to look at them."""
    where = say("demo.kept_with_real" if args.with_real else "demo.kept_apart", folder=folder)
    review = f"{program()} review --data-dir {_quoted(folder)}"
    return [where, say("demo.review_it", command=review)]


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


@contextmanager
def _answering(folder: Path, say: Catalogue) -> Iterator[None]:
    """Hold the demo folder's monitor lock, so the demo can answer `flooding status` and
    the rest; a CommandError (in the language of `say`) when another demo or monitor
    already holds it."""
    from flooding.app import wiring

    try:
        with wiring.instance_lock(folder, program()):
            yield
    except wiring.StartError as exc:
        raise CommandError(exc.said(say), code=exc.code) from None


def _played(
    args: argparse.Namespace,
    say: Catalogue,
    session: Callable[[argparse.Namespace, Settings, Path, Catalogue], int],
) -> int:
    """Play the demo's `session` with the person's settings in the demo's folder (see
    `demo_data_dir`), answering the control channel meanwhile (see `_answering`)."""
    settings = load_settings(args).settings
    folder = demo_data_dir(args)
    with _answering(folder, say):
        return session(args, settings, folder, say)


@asynccontextmanager
async def _emulated_strap_playing(
    scenario: Scenario, speed: float
) -> AsyncIterator[tuple[HeartSource, Awaitable[object]]]:
    """The scenario played by an emulated strap (an H10, with its accelerometer), read
    through Bleak like a real one, and what is done when the scenario has been played.

    The strap sends a packet every 1/speed seconds; sample times come from a clock that runs
    `speed` times faster than real time, so the detector sees the talk at its true pace.
    """
    import asyncio

    from flooding.io.strap.ble import StrapSource
    from flooding.lab.emulator import emulated_straps
    from flooding.lab.emulator.movement import still
    from flooding.lab.simulate import packets

    finished = asyncio.Event()

    def feed() -> Iterator[HeartRateMeasurement]:
        for _t, measurement in packets(scenario):
            if measurement is not None:
                yield measurement
        finished.set()

    interval_s = 1.0 / speed
    # an H10 with its accelerometer: the person sits still through the talk, so the
    # detector hears the chest is still, as it would from a real strap
    async with emulated_straps(feed=feed(), interval_s=interval_s, movement=still()) as straps:
        air, strap, _ = straps
        origin_wall, origin = time.time(), time.monotonic()

        def clock() -> float:
            return origin_wall + (time.monotonic() - origin) * speed

        source = StrapSource(
            address=strap.address,
            scanner_backend=air.scanner_backend,
            client_backend=air.client_backend,
            clock=clock,
        )
        yield source, finished.wait()


def _view(args: argparse.Namespace, settings: Settings) -> TerminalView:
    """The demo's live lines: about one every 5 simulated seconds, at most two a second;
    the breathing cue at the pace of a real breath (the lines come seconds apart, so it
    changes from line to line), except when played at once."""
    from flooding.cli.view import TerminalView

    detection = settings.detection
    return TerminalView(
        every_s=max(5.0, 2.0 * args.speed),
        breathing=(settings.pause.breaths_per_minute, settings.pause.inhale_fraction),
        language=settings.language,
        release=(detection.release_hysteresis_bpm, detection.release_s),
        breath_clock=time.monotonic if args.speed > 0 else None,
    )


def _couple_demo(args: argparse.Namespace, say: Catalogue) -> int:
    """Two simulated hearts, one conversation: the couple session, its plot and summary."""
    if args.ble:
        raise CommandError(say("demo.couple_and_ble"), 2)
    if args.speed < 0:
        raise CommandError(say("demo.couple_speed"), 2, command="demo --couple")
    return _played(args, say, _couple_session)


def _couple_session(
    args: argparse.Namespace, settings: Settings, folder: Path, say: Catalogue
) -> int:
    """The couple demo's session in `folder`, answering the control channel meanwhile."""
    import asyncio

    from flooding.app import wiring
    from flooding.app.report import render_people_png
    from flooding.app.review import headline, people_review
    from flooding.app.session_files import chart_path
    from flooding.app.sources import MergedSource
    from flooding.io.files import write_private
    from flooding.lab.simulate import COUPLE_DEMO_NAMES, SimulatedStrap, pursue_withdraw

    store = open_store(args, folder)
    scenarios = dict(zip(COUPLE_DEMO_NAMES, pursue_withdraw(), strict=True))
    first, second = COUPLE_DEMO_NAMES
    length_s = max(s.duration_s for s in scenarios.values())
    talk = _talk_names(length_s, args, settings, say)
    intro = say("demo.couple_intro", first=first, second=second, **talk)
    print(intro + "\n" + _try_while_playing(args, length_s, say))
    start_s = time.time()
    source = MergedSource(
        {
            name: SimulatedStrap(
                scenario, start_s=start_s, speed=args.speed, strap_name=say("demo.strap_name")
            )
            for name, scenario in scenarios.items()
        }
    )
    view = _view(args, settings)
    proc = wiring.process(
        source,
        settings,
        store,
        view,
        kind="demo-couple",
        people=COUPLE_DEMO_NAMES,
        extras=app_extras(args, folder),
    )
    try:
        outcome = asyncio.run(wiring.run_session(proc, control=folder, program=program()))
        review = people_review(store, outcome.session_id)
    finally:
        store.close()
    if review is None:
        raise CommandError(say("demo.not_stored"))
    target = chart_path(folder, outcome.session_id)
    name_who = settings.couple.name_who  # else "one of you", as the alert says
    write_private(target, render_people_png(review, say=say, name_who=name_who))
    print("\n" + say("summary.couple_demo", **_outcome_names(outcome)))
    for line in headline(review, say, verbose=False, name_who=name_who):
        print(f"  {line}")
    print(say("demo.plot", path=target))
    print("\n".join(_closing_lines(args, folder, say)))
    return 0


def _talk_names(
    length_s: float, args: argparse.Namespace, settings: Settings, say: Catalogue
) -> dict[str, str]:
    """What a demo's introduction says of its talk of `length_s`: its minutes, how fast it
    plays and how long a pause lasts."""
    return {
        "minutes": str(talk_minutes(length_s)),
        "speed": _speed_text(args, say),
        "pause": break_length(settings.pause.minutes, say),
    }


def _outcome_names(outcome: SessionOutcome) -> dict[str, object]:
    """What a demo's summary says of its played session: its id, minutes, alerts, pauses and
    ready messages."""
    return {
        "id": outcome.session_id,
        "minutes": counted("count.minutes", talk_minutes(outcome.ended_s - outcome.started_s)),
        "alerts": counted("count.alerts", outcome.alerts),
        "pauses": counted("count.pauses", outcome.pauses),
        "ready": counted("summary.demo_ready", outcome.ready) if outcome.ready else "",
    }


def _speed_text(args: argparse.Namespace, say: Catalogue) -> str:
    """How fast the talk plays, in words."""
    return say("demo.at_once") if args.speed == 0 else say("demo.speed", factor=f"{args.speed:g}")


def run(args: argparse.Namespace) -> int:
    say = screen_words(args, tell=False)  # it refuses settings with a mistake itself
    if args.couple:
        return _couple_demo(args, say)
    if args.speed < 0 or (args.ble and args.speed == 0):
        said = say("demo.speed_positive") + ("" if args.ble else say("demo.or_at_once"))
        raise CommandError(said, 2, named=False)  # the words name the command themselves
    if args.ble and not _emulator_installed():
        raise CommandError(say("demo.needs_emulator"))
    return _played(args, say, _solo_session)


def _emulator_installed() -> bool:
    """Whether the `emulator` extra (Bumble), which `--ble` plays the strap with, is installed."""
    import importlib

    try:
        importlib.import_module("bumble")
    except ImportError:
        return False
    return True


def _solo_session(
    args: argparse.Namespace, settings: Settings, folder: Path, say: Catalogue
) -> int:
    """The demo's session in `folder`, answering the control channel meanwhile."""
    import asyncio

    from flooding.app import wiring
    from flooding.app.review import episodes
    from flooding.lab.simulate import SimulatedStrap, hard_talk

    store = open_store(args, folder)
    scenario = hard_talk()
    intro = say("demo.intro", **_talk_names(scenario.duration_s, args, settings, say))
    print(intro + "\n" + _try_while_playing(args, scenario.duration_s, say))
    view = _view(args, settings)

    async def play() -> SessionOutcome:
        if args.ble:
            async with _emulated_strap_playing(scenario, args.speed) as (source, played):
                proc = wiring.process(
                    source, settings, store, view, kind="demo-ble", extras=app_extras(args, folder)
                )
                return await wiring.run_session(
                    proc, until=played, control=folder, program=program()
                )
        source = SimulatedStrap(
            scenario, start_s=time.time(), speed=args.speed, strap_name=say("demo.strap_name")
        )
        proc = wiring.process(
            source, settings, store, view, kind="demo", extras=app_extras(args, folder)
        )
        return await wiring.run_session(proc, control=folder, program=program())

    try:
        outcome = asyncio.run(play())
        found = episodes(store, outcome.session_id)
    finally:
        store.close()
    said = counted("count.episodes", len(found))
    print("\n" + say("summary.demo", episodes=said, **_outcome_names(outcome)))
    for episode in found:
        print(_episode_line(episode, say))
    print(say("demo.stored_in", path=store.path))
    print("\n".join(_closing_lines(args, folder, say)))
    return 0


def _episode_line(episode: EpisodeReview, say: Catalogue) -> str:
    """The summary's line for one episode: its peak, its rule in plain words and how long
    after the alert the heart was ready to return, as a break's length is said."""
    peak = f"{episode.peak_bpm:.0f}" if episode.peak_bpm is not None else "?"
    recovery = (
        say("summary.ready_after", length=spoken_minutes(round(episode.recovery_s / 60), say))
        if episode.recovery_s is not None
        else ""
    )
    rule = say.choice("rule_plain", episode.rule)
    return say("summary.episode", peak=peak, rule=rule, recovery=recovery)
