"""`flooding review`: the flooding episodes of a session, its calm baseline and variability."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    add_data_dir_option,
    add_session_argument,
    chosen_session,
    open_store,
)

if TYPE_CHECKING:
    from flooding.app.review import SessionReview


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("review", help="show the flooding episodes of a session")
    add_session_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_data_dir_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import SessionReview, people_lines, review
    from flooding.core.timefmt import iso_local

    store = open_store(args, read_only=True)
    try:
        found = review(store, chosen_session(store, args.session))
    finally:
        store.close()
    assert found is not None  # chosen_session made sure the session exists
    if args.json:
        data = found.as_dict()
        data["started"] = iso_local(found.summary.started_s)
        print(json.dumps(data, indent=2))
    elif isinstance(found, SessionReview):
        print("\n".join(review_lines(found)))
    else:
        print("\n".join(people_lines(found)))
    return 0


def review_lines(review: SessionReview) -> list[str]:
    """The review as lines of text for the terminal."""
    from flooding.app.review import ending_note
    from flooding.core.timefmt import duration, session_stamp

    s = review.summary
    lines = [
        f"Session {s.id}, {session_stamp(s.started_s)}, {duration(s.duration_s)}, "
        f"{s.strap or s.source}" + ending_note(s)
    ]
    if s.note:
        lines.append(f"Note: {s.note}")
    base = review.calm_baseline_bpm
    lines.append(f"Your calm baseline: {'-' if base is None else f'{base:.0f} bpm'}")
    r = review.rmssd
    if r.rmssd_ms is None:
        lines.append("Heart-rate variability while calm (RMSSD): not enough clean beats")
    else:
        windows = (
            f"5-minute stretches {r.window_min_ms:.0f}-{r.window_max_ms:.0f} ms, "
            if r.window_min_ms is not None and r.window_max_ms is not None
            else ""
        )
        lines.append(
            f"Heart-rate variability while calm (RMSSD): {r.rmssd_ms:.0f} ms ({windows}"
            f"{duration(r.calm_s)} calm, {r.differences_used} beat pairs, "
            f"{r.beats_corrected} beats corrected as artifacts, "
            f"{r.differences_dropped} pairs set aside)"
        )
    if not review.episodes:
        lines.append("No flooding episodes.")
        return lines
    from flooding.app.review import EPISODE_COLUMNS, episode_table

    rows = episode_table(review.episodes)
    headers = tuple(short for short, _ in EPISODE_COLUMNS)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines.append("")
    for row in (headers, *rows):
        cells = [
            c.rjust(w) if i < 5 or 5 < i < 11 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(
        "peak, base (your calm baseline) and limit (the flooding threshold) are in beats per "
        "minute; 'recovered in' runs from the alert to ready-to-return."
    )
    from flooding.app.review import movement_lines

    lines.extend(movement_lines(review.episodes))
    return lines
