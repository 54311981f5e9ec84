"""`flooding calibrate`: measure your calm resting heart rate and set your own thresholds."""

from __future__ import annotations

import argparse
import os
import shlex
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_data_dir_option,
    add_details_option,
    add_lang_option,
    confirmed,
    data_dir,
    data_dir_hint,
    number,
    program,
    wants_details,
    whole_number,
)
from flooding.core.catalogue import Figure
from flooding.core.os_errors import os_problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from bleak.backends.client import BaseBleakClient
    from bleak.backends.scanner import BaseBleakScanner

    from flooding.app.calibrate import Calibration, Proposal
    from flooding.app.sources import HeartSource
    from flooding.core.catalogue import Catalogue
    from flooding.core.models import LinkChanged, Sample
    from flooding.core.settings import Settings

    # opens the person's strap through the scanner and client backends given
    OpenStrap = Callable[
        [Settings, type[BaseBleakScanner] | None, type[BaseBleakClient] | None], HeartSource
    ]

DEFAULT_MINUTES = 5.0
MIN_MINUTES = 2.0  # one minute of settling plus at least one measured
LINE_EVERY_S = 10.0  # a count-down line this often (session seconds)
SIMULATED_CALM_BPM = 64.0
GIVE_UP_AFTER_S = 60.0  # without the strap this long, calibrate stops and says why


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "calibrate",
        help=say("help.calibrate"),
        description=say("help.calibrate.about"),
    )
    parser.add_argument(
        "--minutes",
        type=number,
        default=DEFAULT_MINUTES,
        metavar="N",
        help=say(
            "help.calibrate.minutes",
            minutes=f"{DEFAULT_MINUTES:g}",
            minimum=f"{MIN_MINUTES:g}",
        ),
    )
    parser.add_argument(
        "--from",
        dest="from_session",
        type=whole_number,
        metavar="SESSION",
        help=say("help.calibrate.from"),
    )
    parser.add_argument("--yes", action="store_true", help=say("help.calibrate.yes"))
    add_details_option(parser, say)
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=say("help.calibrate.config"),
    )
    # for tests and trying it out: a simulated strap, calm at BPM, played at once
    parser.add_argument(
        "--simulate",
        type=number,
        nargs="?",
        const=SIMULATED_CALM_BPM,
        metavar="BPM",
        help=argparse.SUPPRESS,
    )
    # for tests and trying it out: the emulated strap, as `monitor --emulated`
    parser.add_argument("--emulated", action="store_true", help=argparse.SUPPRESS)
    add_data_dir_option(parser, say)
    add_lang_option(parser, say)
    parser.set_defaults(run=run)


def strap_source(
    settings: Settings,
    scanner: type[BaseBleakScanner] | None = None,
    client: type[BaseBleakClient] | None = None,
) -> HeartSource:
    """The person's own strap as a heart source (through the Bleak backends given: the
    emulator's, or None for the computer's Bluetooth).

    The one place where the Bluetooth strap is plugged into calibration; imported lazily, so
    that other commands do not load Bluetooth support at start-up.
    """
    from flooding.io.locale_files import load_catalogue
    from flooding.io.strap.ble import StrapSource

    try:
        source: HeartSource = StrapSource(
            settings.strap.address,
            settings.strap.name,
            scanner_backend=scanner,
            client_backend=client,
            give_up_after_s=GIVE_UP_AFTER_S,
        )
    except ValueError:  # no strap is chosen
        raise SourceUnavailable(load_catalogue(settings.language)("calibrate.no_strap")) from None
    return source


def simulated_source(bpm: float, total_s: float) -> HeartSource:
    """A simulated strap, calm at `bpm`, played as fast as possible."""
    from flooding.lab.simulate import Scenario, Segment, SimulatedStrap

    scenario = Scenario("calm sitting", (Segment(total_s + 5.0, bpm, noise_bpm=1.0),))
    return SimulatedStrap(scenario, start_s=time.time(), speed=0)


class SourceUnavailable(Exception):
    """No heart source can be opened; the message says what to do instead."""


def run(args: argparse.Namespace, open_strap: OpenStrap = strap_source) -> int:
    """Calibrate live from the strap `open_strap` opens (or --simulate), or --from a session."""
    from flooding.app.calibrate import DRIFT_WARN_BPM, CalibrationError, propose
    from flooding.io.config_files.loading import ENV_CONFIG_FILE, load_config, user_config_path
    from flooding.io.locale_files import load_catalogue

    path = user_config_path(args.config)
    # the file to be written is the one read (it may not exist yet)
    env = {k: v for k, v in os.environ.items() if k != ENV_CONFIG_FILE}
    file = path if path.is_file() else None
    language = [f'language="{args.lang}"'] if args.lang else []
    settings = load_config(file, env=env, use_default_user_file=False, overrides=language).settings
    say = load_catalogue(settings.language)
    try:
        if args.from_session is not None:
            calibration = _from_session(args, settings, say)
        else:
            calibration = _live(args, settings, open_strap, say)
    except CalibrationError as exc:
        raise CommandError(exc.said(say)) from None
    except SourceUnavailable as exc:
        raise CommandError(str(exc)) from None

    print(
        "\n"
        + say(
            "calibrate.result",
            bpm=Figure(calibration.baseline_bpm, 1),
            spread=Figure(calibration.spread_bpm, 1),
        )
    )
    if wants_details(args):
        print(
            say(
                "calibrate.figures",
                bpm=Figure(calibration.baseline_bpm, 1),
                spread=Figure(calibration.spread_bpm, 1),
                iqr=Figure(calibration.iqr_bpm, 1),
                readings=calibration.readings,
            )
        )
    if abs(calibration.drift_bpm) >= DRIFT_WARN_BPM:
        trend = "calibrate.falling" if calibration.drift_bpm < 0 else "calibrate.rising"
        print(say(trend, drift=f"{calibration.drift_bpm:+.0f}"))
    proposals = propose(calibration, settings.detection)
    _show(proposals, say)
    return _write(proposals, path, say, assume_yes=args.yes)


def _live(
    args: argparse.Namespace,
    settings: Settings,
    open_strap: OpenStrap,
    say: Catalogue,
) -> Calibration:
    from flooding.app.calibrate import SETTLE_S, measure
    from flooding.core.timefmt import countdown

    if args.minutes < MIN_MINUTES:
        raise CommandError(say("calibrate.minutes_too_few", minimum=f"{MIN_MINUTES:g}"))
    total_s = args.minutes * 60.0

    def intro(source: HeartSource) -> None:
        print(
            say(
                "calibrate.intro",
                minutes=f"{args.minutes:g}",
                source=source.description,
                settle=f"{SETTLE_S:.0f}",
            )
            + "\n"
        )

    shown = [-LINE_EVERY_S]

    def progress(sample: Sample, elapsed_s: float) -> None:
        if elapsed_s - shown[0] < LINE_EVERY_S and elapsed_s < total_s:
            return
        shown[0] = elapsed_s
        left = max(0, int(total_s - elapsed_s))
        phase = say("calibrate.settling" if elapsed_s < SETTLE_S else "calibrate.measuring")
        heart = (
            say("calibrate.no_contact")
            if sample.contact is False
            else say("calibrate.heart", bpm=f"{sample.bpm:3.0f}")
        )
        left_text = say("live.left", time=countdown(left).rjust(5))
        print(f"  {left_text}   {heart}   ({phase})", flush=True)

    def link(change: LinkChanged) -> None:
        from flooding.cli.view import link_reason

        state = say.choice("strap_link", change.state.value)
        reason = link_reason(change, say)
        print(say("calibrate.strap", state=state) + (f" ({reason})" if reason else ""))

    samples = _record(args, settings, open_strap, total_s, intro, progress, link, say)
    detection = settings.detection
    plausible = (detection.min_plausible_bpm, detection.max_plausible_bpm)
    return measure(samples, plausible_bpm=plausible)


def _record(
    args: argparse.Namespace,
    settings: Settings,
    open_strap: OpenStrap,
    total_s: float,
    intro: Callable[[HeartSource], None],
    progress: Callable[[Sample, float], None],
    link: Callable[[LinkChanged], None],
    say: Catalogue,
) -> list[Sample]:
    """The calm sit's samples, from --simulate or the strap (through the same backends as
    `monitor`: the computer's Bluetooth, or the emulated strap); SourceUnavailable when the
    strap cannot be reached, saying why and what to do in the language of `say`."""
    import asyncio

    from flooding.app.calibrate import record_calm
    from flooding.cli.commands._common import config_hint
    from flooding.cli.commands._strap import bluetooth_off_text, strap_backends
    from flooding.io.strap.backoff import Failure, advice
    from flooding.io.strap.ble import StrapUnavailableError

    async def sit() -> list[Sample]:
        if args.simulate is not None:
            source = simulated_source(args.simulate, total_s)
            intro(source)
            return await record_calm(source, total_s, progress, link)
        async with strap_backends(args) as (scanner, client, _strap):
            source = open_strap(settings, scanner, client)
            intro(source)
            return await record_calm(source, total_s, progress, link)

    try:
        return asyncio.run(sit())
    except StrapUnavailableError as exc:
        if exc.failure is Failure.BLUETOOTH_OFF:  # calibrate has stopped: run it again
            minutes = "" if args.minutes == DEFAULT_MINUTES else f" --minutes {args.minutes:g}"
            command = f"calibrate{minutes}{config_hint(args)}"
            raise SourceUnavailable(bluetooth_off_text(command, say=say)) from None
        said = advice(exc.failure, exc.strap, attempts=exc.attempts, say=say, still_trying=False)
        raise SourceUnavailable(said) from None


def _from_session(args: argparse.Namespace, settings: Settings, say: Catalogue) -> Calibration:
    from flooding.app.calibrate import CalibrationError, calm_stretch, measure
    from flooding.core.batch import samples_step_s
    from flooding.core.engine import run_batch
    from flooding.core.models import EpisodeStarted, Mode
    from flooding.io.store import Store, StoreError

    try:
        store = Store.open(data_dir(args))
    except StoreError as exc:
        raise CommandError(exc.said(say)) from None
    try:
        session = store.session(args.from_session)
        if session is None:
            command = f"{program()} sessions{data_dir_hint(args)}"
            said = say("calibrate.no_session", id=args.from_session, command=command)
            raise CommandError(said, named=False)
        if session.mode == Mode.WORKOUT.value:
            raise CalibrationError("calibrate.from_workout", id=session.id)
        people = [p.person for p in store.people(session.id)]
        if people:
            # its two hearts would mix into one track: not anyone's calm
            raise CalibrationError(
                "calibrate.from_couple",
                id=session.id,
                people=", ".join(people),
                command="flooding calibrate",
            )
        samples = list(store.iter_samples(session.id))
        stored = [row.data["onset_s"] for row in store.events(session.id, "episode-started")]
    finally:
        store.close()
    # the stored episodes, and those today's settings would find
    replayed = [
        e.onset_s
        for e in run_batch(samples, settings, mode=Mode.TALK).events
        if isinstance(e, EpisodeStarted)
    ]
    calm = calm_stretch(samples, stored + replayed)
    detection = settings.detection
    print(say("calibrate.from_session", id=session.id, readings=len(calm)))
    return measure(
        calm,
        last_s=args.minutes * 60.0,
        plausible_bpm=(detection.min_plausible_bpm, detection.max_plausible_bpm),
        step_s=samples_step_s(samples),  # a watch's export is judged at its own pace
    )


def _show(proposals: list[Proposal], say: Catalogue) -> None:
    print("\n" + say("calibrate.proposed"))
    for p in proposals:
        current = say("calibrate.unset") if p.current is None else f"{p.current:g}"
        print(f"  {p.key} = {p.value:g}   " + say("calibrate.now", current=current))
        print("      " + say("calibrate.why", reason=p.said(say)))


def _write(proposals: list[Proposal], path: Path, say: Catalogue, *, assume_yes: bool) -> int:
    from flooding.core.settings import ConfigError
    from flooding.io.config_files.loading import load_config
    from flooding.io.config_files.user_file import ensure_user_file, set_user_values

    if not assume_yes and not confirmed(say, "\n" + say("calibrate.ask", path=path)):
        print(say("calibrate.nothing_written"))
        return 0
    try:
        created = ensure_user_file(path)
        set_user_values(path, {p.key: _plain_number(p.value) for p in proposals})
    except OSError as exc:
        said = say("calibrate.cannot_write", path=path, error=os_problem(exc))
        raise CommandError(said) from None
    except ValueError as exc:  # the file is not TOML, or holds a value where a section goes
        command = f"{program()} config edit {shlex.quote(str(path))}"
        said = say("calibrate.cannot_set", path=path, error=exc, command=command)
        raise CommandError(said) from None
    print(say("calibrate.created" if created else "calibrate.updated", path=path))
    try:
        load_config(path, env={})
    except ConfigError as exc:
        command = f"{program()} config edit {shlex.quote(str(path))}"
        lines = [say("calibrate.now_broken", command=command)]
        lines += [f"  {problem}" for problem in exc.problems]
        raise CommandError("\n".join(lines), 2, named=False) from None
    return 0


def _plain_number(value: float) -> int | float:
    """Whole numbers are written as integers (`margin_bpm = 12`, not `12.0`)."""
    return int(value) if float(value).is_integer() else value
