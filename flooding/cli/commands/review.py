"""`flooding review`: the flooding episodes of a session, its calm baseline and variability."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from flooding.cli.commands._common import (
    CommandError,
    NothingRecorded,
    add_config_options,
    add_data_dir_option,
    add_details_option,
    add_session_argument,
    chosen_session,
    demo_folder,
    names_who,
    open_store,
    program,
    screen_words,
    wants_details,
)
from flooding.core.catalogue import Figure, counted

if TYPE_CHECKING:
    from flooding.app.review import SessionReview
    from flooding.core.catalogue import Catalogue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser("review", help=say("help.review"))
    add_session_argument(parser, say)
    parser.add_argument("--json", action="store_true", help=say("help.review.json"))
    add_details_option(parser, say)
    add_data_dir_option(parser, say)
    add_config_options(parser, say)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flooding.app.review import SessionReview, people_lines, review
    from flooding.core.timefmt import iso_local

    say = screen_words(args)
    verbose = wants_details(args)
    try:
        store = open_store(args, read_only=True)
    except NothingRecorded as exc:
        raise CommandError(f"{exc}{_demo_hint(args, say)}") from None
    try:
        try:
            chosen = chosen_session(store, args.session, say)
        except CommandError as exc:
            if args.session is not None or store.latest_session_id() is not None:
                raise
            raise CommandError(f"{exc}{_demo_hint(args, say)}") from None
        found = review(store, chosen)
    finally:
        store.close()
    assert found is not None  # chosen_session made sure the session exists
    if args.json:
        data = found.as_dict()
        data["started"] = iso_local(found.summary.started_s)
        print(json.dumps(data, indent=2))
    elif isinstance(found, SessionReview):
        print("\n".join(review_lines(found, say, verbose=verbose)))
    else:
        print("\n".join(people_lines(found, say, verbose=verbose, name_who=names_who(args))))
    return 0


def _demo_hint(args: argparse.Namespace, say: Catalogue) -> str:
    """When the data folder has no sessions but the demo's folder inside it has: a line
    saying where they are and the command that reviews them (else nothing)."""
    import shlex

    from flooding.io.store import DB_NAME

    folder = demo_folder(args)
    if not (folder / DB_NAME).exists():
        return ""
    command = f"{program()} review --data-dir {shlex.quote(str(folder))}"
    return "\n" + say("review.demo_sessions_there", folder=folder, command=command)


def review_lines(
    review: SessionReview, say: Catalogue | None = None, *, verbose: bool = False
) -> list[str]:
    """The review as lines of text for the terminal: plain words, or with `verbose` the
    figures behind them (the RMSSD's details, the rules' names)."""
    from flooding.app.review import ending_note, note_lines, source_words
    from flooding.core.timefmt import duration, session_stamp
    from flooding.io.locale_files import load_catalogue

    say = say or load_catalogue()
    s = review.summary
    lines = [
        say(
            "review.title",
            id=s.id,
            started=session_stamp(s.started_s, say),
            length=duration(s.duration_s),
            strap=s.strap or source_words(s.source, say),
        )
        + ending_note(s, say)
    ]
    lines += note_lines(s.note, say)
    base = review.calm_baseline_bpm
    lines.append(say("review.calm", bpm="-" if base is None else say("bpm", bpm=f"{base:.0f}")))
    r = review.rmssd
    if r.rmssd_ms is None:
        lines.append(say("review.hrv_none" if verbose else "review.hrv_none_plain"))
    elif r.irregular and not verbose:
        lines.append(say("review.hrv_irregular_plain"))
    elif not verbose:
        lines.append(say("review.hrv_plain", ms=f"{r.rmssd_ms:.0f}"))
    else:
        # the range of the very parts the figure is made of, so the figure lies within it
        windows = (
            say("review.hrv_windows", low=f"{r.part_min_ms:.0f}", high=f"{r.part_max_ms:.0f}")
            if r.part_min_ms is not None and r.part_max_ms is not None and r.windows
            else ""
        )
        lines.append(
            say(
                "review.hrv",
                ms=f"{r.rmssd_ms:.0f}",
                windows=windows,
                calm=duration(r.calm_s),
                pairs=r.differences_used,
                corrected=counted("count.corrected_beats", r.beats_corrected),
                dropped=r.differences_dropped,
            )
        )
        if r.irregular:
            lines.append(say("review.hrv_irregular", pct=f"{r.jumping_pct:.0f}"))
    if review.set_aside_s >= 1:
        lines.append(
            say(
                "review.set_aside",
                length=duration(review.set_aside_s),
                limit=Figure(review.plausible_max_bpm),
            )
        )
    if not review.episodes:
        lines.append(say("review.no_episodes"))
        return lines
    from flooding.app.review import EPISODE_COLUMNS, episode_table
    from flooding.core.timefmt import spans_days

    # a session over more than one day: clock times alone could be any of its days
    times = [s.started_s, s.ended_s] + [t for e in review.episodes for t in (e.start_s, e.end_s)]
    rows = episode_table(review.episodes, say, verbose=verbose, dated=spans_days(times) or None)
    headers = tuple(say("column." + short.replace(" ", "_")) for short, _ in EPISODE_COLUMNS)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines.append("")
    for row in (headers, *rows):
        cells = [
            c.rjust(w) if i < 5 or 5 < i < 11 else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(say("review.footnote"))
    from flooding.app.review import episode_notes

    lines.extend(episode_notes(review.episodes, say))
    return lines
