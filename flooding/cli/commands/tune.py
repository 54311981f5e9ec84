"""`flooding tune`: replay recorded sessions with your settings and a candidate, side by side."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    add_config_file_option,
    add_data_dir_option,
    add_details_option,
    add_lang_option,
    data_dir,
    data_dir_hint,
    number,
    open_store,
    program,
    wants_details,
    whole_number,
    words_for_errors,
)
from flooding.core.catalogue import Figure, counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue
    from flooding.io.config_files.loading import LoadedConfig


# the help names flooding.app.tune.DEFAULT_TOLERANCE_S (a test keeps the two alike); importing it
# here would load the detector at every start of `flooding`
TOLERANCE_HELP_DEFAULT = "300"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "tune",
        help=say("help.tune"),
        description=say("help.tune.about"),
    )
    parser.add_argument(
        "sessions", nargs="*", type=whole_number, metavar="SESSION", help=say("help.tune.sessions")
    )
    parser.add_argument("--all", action="store_true", help=say("help.tune.all"))
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=say("help.tune.set"),
    )
    add_config_file_option(parser, say)
    add_lang_option(parser, say)
    parser.add_argument(
        "--tolerance",
        type=number,
        default=None,
        metavar="SECONDS",
        help=say("help.tune.tolerance", tolerance=TOLERANCE_HELP_DEFAULT),
    )
    parser.add_argument("--json", action="store_true", help=say("help.tune.json"))
    add_details_option(parser, say)
    add_data_dir_option(parser, say)
    parser.set_defaults(run=run)


def changed_keys(
    current: LoadedConfig, candidate: LoadedConfig
) -> list[tuple[str, object, object]]:
    """The settings the candidate changes: (key, current value, candidate value)."""
    from flooding.io.config_files.loading import effective_values

    now = {key: value for key, value, _ in effective_values(current)}
    return [
        (key, now.get(key), value)
        for key, value, _ in effective_values(candidate)
        if now.get(key) != value
    ]


def run(args: argparse.Namespace) -> int:
    from flooding.app.tune import (
        DEFAULT_TOLERANCE_S,
        KeptAlerts,
        compare_sessions,
        load_sessions,
        totals,
        verdict,
    )
    from flooding.core.timefmt import iso_local, local_stamp
    from flooding.io.config_files.loading import load_config

    say = words_for_errors(args)
    tolerance_s: float = DEFAULT_TOLERANCE_S if args.tolerance is None else args.tolerance
    if tolerance_s < 0:
        raise CommandError(say("tune.bad_tolerance"), 2)
    if any(item.partition("=")[0].strip().lower() == "mode" for item in args.overrides):
        # each session is replayed in the mode it was recorded in: a candidate mode changes
        # nothing, and saying it did would mislead
        raise CommandError(
            say(
                "tune.mode_not_a_candidate",
                workout=f"{program()} workout on|off",
                monitor=f"{program()} monitor --mode workout",
            ),
            2,
        )
    current = load_config(args.config)
    candidate = load_config(args.config, overrides=args.overrides)
    changes = changed_keys(current, candidate)
    store = open_store(args, read_only=True)
    began = time.perf_counter()
    try:
        if args.all:
            ids = [s.id for s in store.sessions()]
        elif args.sessions:
            ids = list(args.sessions)
        else:
            latest = store.latest_session_id()
            ids = [] if latest is None else [latest]
        unknown = [i for i in ids if store.session(i) is None]
        if unknown:
            ids_text = ", ".join(map(str, unknown))
            raise CommandError(
                say(
                    "calibrate.no_session",
                    id=ids_text,
                    command=f"{program()} sessions{data_dir_hint(args)}",
                )
            )
        if not ids:
            raise CommandError(say("tune.no_sessions", folder=data_dir(args)))
        couples = store.couple_session_ids()
        skipped = [i for i in ids if i in couples]
        if skipped and len(skipped) == len(ids):
            note = _couple_note(skipped, say)
            raise CommandError(
                say(
                    "tune.nothing",
                    note=note,
                    command=f"{program()} tune --all{data_dir_hint(args)}",
                )
            )
        comparisons = compare_sessions(
            load_sessions(store, ids),
            current.settings,
            candidate.settings,
            tolerance_s,
            expected=len(ids),
            # what an earlier tune or what-if replayed is not replayed again
            kept=KeptAlerts(store, current.settings, candidate.settings),
        )
    finally:
        store.close()
    elapsed = time.perf_counter() - began
    total = totals(comparisons)

    if args.json:
        sessions = []
        for c in comparisons:
            row = c.as_dict()
            row["started"] = iso_local(c.started_s)
            sessions.append(row)
        data = {
            "candidate_changes": [
                {"key": key, "current": old, "candidate": new} for key, old, new in changes
            ],
            "tolerance_s": tolerance_s,
            "skipped_couple_sessions": skipped,
            "sessions": sessions,
            "total": total.as_dict(),
            "verdict": total.verdict,
            "replay_s": round(elapsed, 3),
        }
        print(json.dumps(data, indent=2))
        return 0

    if changes:
        listed = ", ".join(f"{k} {o} -> {n}" for k, o, n in changes)
        print(say("tune.candidate", changes=listed))
    else:
        print(say("tune.candidate_same"))
    head = {name: say(f"tune.column.{name}") for name in COLUMNS}
    # each column as wide as its heading in the person's language (English: the widths of old)
    w = {name: max(width, len(head[name])) for name, width in COLUMNS.items()}
    w["mode"] = max([w["mode"], *(len(say.choice("mode", c.mode)) for c in comparisons)])
    print(
        f"\n{head['session']:>{w['session']}}  {head['started']:{w['started']}}  "
        f"{head['mode']:{w['mode']}}  {head['alerts_now']:>{w['alerts_now']}}  "
        f"{head['candidate']:>{w['candidate']}}  {head['false_now']:>{w['false_now']}}  "
        f"{head['candidate']:>{w['candidate']}}  {head['missed']:>{w['missed']}}  "
        f"{head['added']:>{w['added']}}"
    )
    for c in comparisons:
        print(
            f"{c.session_id:>{w['session']}}  {local_stamp(c.started_s):{w['started']}}  "
            f"{say.choice('mode', c.mode):{w['mode']}}  "
            f"{len(c.current_alert_s):>{w['alerts_now']}}  "
            f"{len(c.candidate_alert_s):>{w['candidate']}}  "
            f"{c.current_false:>{w['false_now']}}  {c.candidate_false:>{w['candidate']}}  "
            f"{len(c.missed_s):>{w['missed']}}  {len(c.added_s):>{w['added']}}"
        )
    label = say.count("tune.total", total.sessions)
    first = w["session"] + w["started"] + w["mode"] + 4  # the three columns the label spans
    print(
        f"{label:<{first}}  {total.current_alerts:>{w['alerts_now']}}  "
        f"{total.candidate_alerts:>{w['candidate']}}  "
        f"{total.current_false:>{w['false_now']}}  {total.candidate_false:>{w['candidate']}}  "
        f"{total.missed:>{w['missed']}}  {total.added:>{w['added']}}"
    )
    if skipped:
        print("\n" + say("tune.not_replayed", note=_couple_note(skipped, say)))
    if total.marked_false:
        print("\n" + say("tune.marked", alerts=counted("count.alerts", total.marked_false)))
    said = verdict(
        total.current_alerts,
        total.candidate_alerts,
        total.current_false,
        total.candidate_false,
        total.missed,
        total.added,
        say,
    )
    print("\n" + say("tune.verdict", verdict=said))
    if wants_details(args):
        print(say("tune.replayed", samples=f"{total.samples:,}", seconds=Figure(elapsed, 1)))
    return 0


COLUMNS = {  # the table's columns and their narrowest widths (characters)
    "session": 7,
    "started": 16,
    "mode": 7,
    "alerts_now": 10,
    "candidate": 9,
    "false_now": 16,
    "missed": 6,
    "added": 5,
}


def _couple_note(session_ids: list[int], say: Catalogue) -> str:
    """Why couple sessions are left out of the replay."""
    which = ", ".join(map(str, session_ids))
    return say("tune.couples.one" if len(session_ids) == 1 else "tune.couples.many", ids=which)
