"""`flooding review`: the flooding episodes of a session."""

from __future__ import annotations

import argparse
import json

from flooding.commands._common import add_data_dir_option, data_dir


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("review", help="show the flooding episodes of a session")
    parser.add_argument(
        "session", nargs="?", type=int, metavar="SESSION", help="session id (default: the latest)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.review import episodes, summarize_sessions
    from flooding.store import Store, StoreError
    from flooding.timefmt import clock_time, duration, iso_local, local_stamp

    try:
        store = Store.open(data_dir(args))
    except StoreError as exc:
        print(f"flooding review: {exc}")
        return 1
    try:
        session_id = args.session if args.session is not None else store.latest_session_id()
        if session_id is None:
            print(f"No sessions recorded yet in {data_dir(args)}.")
            return 1
        summary = next((s for s in summarize_sessions(store) if s.id == session_id), None)
        if summary is None:
            print(f"No session {session_id}. `flooding sessions` lists them.")
            return 1
        found = episodes(store, session_id)
    finally:
        store.close()

    if args.json:
        data = summary.as_dict()
        data["started"] = iso_local(summary.started_s)
        data["episodes"] = [e.as_dict() for e in found]
        print(json.dumps(data, indent=2))
        return 0

    print(
        f"Session {summary.id}, {local_stamp(summary.started_s)}, "
        f"{duration(summary.duration_s)}, {summary.strap or summary.source}"
        + (f" - {summary.note}" if summary.note else "")
    )
    if not found:
        print("No flooding episodes.")
        return 0

    def at(t: float | None) -> str:
        return "-" if t is None else clock_time(t)

    print(
        f"{'start':>5}  {'length':>7}  {'peak':>4}  {'base':>4}  {'thr':>4}  {'rule':8}  "
        f"{'alert':>5}  {'pause':>5}  {'ready':>5}  {'recovered in':>12}  false alarm"
    )
    for e in found:
        length = None if e.end_s is None else e.end_s - e.start_s
        base = "-" if e.baseline_bpm is None else f"{e.baseline_bpm:.0f}"
        peak = "-" if e.peak_bpm is None else f"{e.peak_bpm:.0f}"
        print(
            f"{at(e.start_s):>5}  {duration(length):>7}  {peak:>4}  {base:>4}  "
            f"{e.threshold_bpm:4.0f}  {e.rule:8}  {at(e.alert_s):>5}  {at(e.pause_start_s):>5}  "
            f"{at(e.ready_s):>5}  {duration(e.recovery_s):>12}  {'yes' if e.false_alarm else 'no'}"
        )
    return 0
