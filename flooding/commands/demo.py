"""`flooding demo`: a simulated strap plays a hard talk, so you can see what flooding does."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from flooding.commands._common import (
    add_config_options,
    add_data_dir_option,
    data_dir,
    load_settings,
    program,
)

DEFAULT_SPEED = 60.0  # one simulated minute a second: the whole talk in under half a minute


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="watch a simulated hard talk: a flooding alert, the pause, ready to return",
        description=(
            "A simulated chest strap plays a hard conversation in accelerated time: calm "
            "minutes, a rise, flooding, the 20-minute pause and recovery. Nothing is needed "
            "but this program."
        ),
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=DEFAULT_SPEED,
        metavar="FACTOR",
        help=f"how many times faster than real time (default {DEFAULT_SPEED:g}; 0 = at once)",
    )
    parser.add_argument(
        "--no-notify", action="store_true", help="no desktop notifications (terminal only)"
    )
    add_data_dir_option(parser)
    add_config_options(parser)
    parser.set_defaults(run=run)


def demo_data_dir(args: argparse.Namespace) -> Path:
    """The demo's own folder, so practice sessions never mix with real ones."""
    if args.data_dir is not None:
        return Path(args.data_dir)
    return data_dir(args) / "demo"


def run(args: argparse.Namespace) -> int:
    from flooding.notify import choose_notifier
    from flooding.review import episodes
    from flooding.service import SessionRunner, run_until_signalled
    from flooding.simulate import SimulatedStrap, hard_talk
    from flooding.store import Store, StoreError
    from flooding.view import TerminalView

    if args.speed < 0:
        print("flooding demo: --speed must be 0 or more (60 plays a minute a second)")
        return 2
    loaded = load_settings(args)
    settings = loaded.settings
    folder = demo_data_dir(args)
    try:
        store = Store.open(folder)
    except StoreError as exc:
        print(f"flooding demo: {exc}")
        return 1
    scenario = hard_talk()
    speed_text = "as fast as possible" if args.speed == 0 else f"{args.speed:g}x real time"
    print(
        f"Demo: a simulated strap plays a hard talk of {scenario.duration_s / 60:.0f} minutes, "
        f"{speed_text}.\nWatch the heart rate climb, the flooding alert, the "
        f"{settings.pause.minutes:.0f}-minute pause and the ready-to-return check.\n"
    )
    if args.no_notify:
        settings = settings.model_copy(
            update={"notify": settings.notify.model_copy(update={"enabled": False})}
        )
    view = TerminalView(every_s=max(5.0, 2.0 * args.speed))
    runner = SessionRunner(
        source=SimulatedStrap(scenario, start_s=time.time(), speed=args.speed),
        settings=settings,
        store=store,
        view=view,
        source_kind="demo",
    )
    runner.notifier = choose_notifier(settings.notify, on_action=runner.handle_action)
    try:
        outcome = asyncio.run(run_until_signalled(runner))
        found = episodes(store, outcome.session_id)
    finally:
        store.close()
    minutes = (outcome.ended_s - outcome.started_s) / 60
    print(
        f"\nSession {outcome.session_id}: {minutes:.0f} minutes, {outcome.samples} samples, "
        f"{len(found)} flooding episode(s), {outcome.alerts} alert(s), {outcome.pauses} "
        f"pause(s), ready to return {outcome.ready} time(s)."
    )
    for episode in found:
        peak = f"{episode.peak_bpm:.0f}" if episode.peak_bpm is not None else "?"
        recovery = (
            f", ready to return after {episode.recovery_s / 60:.0f} min"
            if episode.recovery_s is not None
            else ""
        )
        print(f"  episode: peak {peak} bpm, rule {episode.rule}{recovery}")
    print(f"Stored in {store.path}")
    print(f"Review it: {program()} review --data-dir {folder}")
    return 0
