"""`flooding replay FILE`: the live monitor's engine over a recording, as fast as possible.

Reader -> the same `Engine` the monitor uses (`run_batch`, equal to live sample for sample) ->
alerts, flooding episodes and ready-to-return times. Times are local clock times when the file
has wall-clock time, else minutes:seconds from its start. Nothing is written unless `--save`,
which stores it exactly as `flooding import` does; what is printed is then what was stored.
A file without clock times is placed as `flooding import` places it (ending when it was last
modified), with or without --save, so replay and import give the same alerts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flooding.cli.commands._common import (
    CommandError,
    add_config_options,
    add_data_dir_option,
    data_dir,
    data_dir_hint,
    open_store,
    program,
    whole_number,
)
from flooding.core.catalogue import Figure, counted

if TYPE_CHECKING:
    from flooding.core.catalogue import Catalogue

KEPT = ("baseline_bpm",)  # of the replay's readings, the summary needs the last baseline


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], say: Catalogue) -> None:
    parser = commands.add_parser(
        "replay",
        help=say("help.replay"),
        description=say("help.replay.about"),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help=say("help.replay.file"))
    parser.add_argument(
        "--format",
        metavar="F",
        help=say("help.replay.format"),
    )
    parser.add_argument("--mode", choices=("talk", "workout"), help=say("help.replay.mode"))
    parser.add_argument(
        "--participant", type=whole_number, metavar="N", help=say("help.replay.participant")
    )
    parser.add_argument("--json", action="store_true", help=say("help.replay.json"))
    parser.add_argument("--save", action="store_true", help=say("help.replay.save"))
    add_config_options(parser, say)
    add_data_dir_option(parser, say)
    parser.set_defaults(run=run)


def from_start(seconds: float) -> str:
    """A time from the start of a file without clock times: 05:00, 1:05:00 from an hour on
    (as `countdown`: never 65:00)."""
    from flooding.core.timefmt import countdown

    return countdown(round(seconds)).rjust(5, "0")


def episode_line(
    episode: dict[str, Any],
    ready: list[dict[str, Any]],
    rule: str,
    *,
    workout: bool,
    say: Catalogue | None = None,
) -> str:
    """One stretch above the threshold in words: flooded (talk), or a raised heart that is
    no flooding in a workout; an episode still open at the end is not said to last to the
    end when a ready-to-return came after it began (the heart was back near calm). In the
    language of `say` (English without)."""
    from flooding.io.locale_files import load_catalogue

    say = say or load_catalogue()
    peak = "-" if episode["peak_bpm"] is None else f"{episode['peak_bpm']:.0f}"
    what = say("replay.exercise" if workout else "replay.flooded")
    if "end" in episode:
        span = say("replay.until", what=what, end=episode["end"])
    else:
        back = next((r for r in ready if r["t_s"] >= episode["start_s"]), None)
        span = (
            say("replay.until_the_end", what=what)
            if back is None
            else say("replay.back_by", what=what, time=back["time"])
        )
    return say("replay.episode", start=episode["start"], span=span, peak=peak, rule=rule)


def run(args: argparse.Namespace) -> int:
    from flooding.app.importing import anchored_table, has_wall_clock, import_recording
    from flooding.app.long_replay import replay_long
    from flooding.app.review import SAMPLE_CHUNK, episode_peaks
    from flooding.cli.commands._common import load_settings, pace_said
    from flooding.core.models import (
        Alert,
        EpisodeEnded,
        EpisodeStarted,
        Mode,
        PauseExtended,
        PauseStarted,
        ReadyToReturn,
    )
    from flooding.core.pause import nobody_counted
    from flooding.core.set_aside import seconds_above
    from flooding.core.timefmt import clock_time, duration, iso_local
    from flooding.io.files import content_sha256
    from flooding.io.locale_files import load_catalogue
    from flooding.io.readers import ReaderError, UnknownFormat, read
    from flooding.io.readers.recording import sample_chunks
    from flooding.io.store import StoreError

    settings = load_settings(args).settings
    say = load_catalogue(settings.language)
    mode = Mode(args.mode) if args.mode else settings.mode
    try:
        recording = read(args.file, args.format, participant=args.participant)
    except ReaderError as exc:
        raise CommandError(exc.said(say)) from None
    except UnknownFormat as exc:  # an unknown --format
        raise CommandError(exc.said(say), 2) from None
    except ValueError as exc:  # anything else the readers refuse as asked
        raise CommandError(str(exc), 2) from None
    # on the clock exactly as import stores it: the same samples give the same alerts
    table = anchored_table(recording)
    n_samples = int(table.t_s.size)
    if not n_samples:
        raise CommandError(say("replay.no_samples", file=args.file))
    # the last baseline and an open episode's peak come from the readings
    session_id = None
    stored_before = None  # the session that already holds this file (--save stores it once)
    if args.save:
        sha256 = content_sha256([args.file])
        store = open_store(args)  # --save writes
        try:
            stored_before = store.imported_as(sha256)
            if stored_before is None:  # run over the samples as stored, as import stores them
                imported = import_recording(
                    store, recording, settings, mode=mode, keep=KEPT, file_sha256=sha256
                )
                result, session_id, t0 = imported.replayed, imported.session_id, imported.start_s
        except StoreError as exc:
            raise CommandError(say("import.not_imported", problem=exc.said(say))) from None
        finally:
            store.close()
    if session_id is None:
        result = replay_long(table, settings, mode=mode, keep=KEPT)
        t0 = float(table.t_s[0])
    times = table.t_s
    wall = has_wall_clock(recording)

    def when(t_s: float) -> str:
        return clock_time(t_s, seconds=True) if wall else from_start(t_s - t0)

    alerts: list[dict[str, Any]] = []
    episodes: list[dict[str, Any]] = []
    ready: list[dict[str, Any]] = []
    extended: list[dict[str, Any]] = []
    open_episode: dict[str, Any] | None = None
    for event in result.events:
        if isinstance(event, Alert):
            alerts.append(
                {
                    "t_s": round(event.t_s - t0, 3),
                    "time": when(event.t_s),
                    "bpm": round(event.bpm, 1),
                    "baseline_bpm": None
                    if event.baseline_bpm is None
                    else round(event.baseline_bpm, 1),
                    "threshold_bpm": round(event.threshold_bpm, 1),
                    "rule": event.rule.value,
                }
            )
        elif isinstance(event, EpisodeStarted):
            open_episode = {
                "start_s": round(event.onset_s - t0, 3),
                "confirmed_s": round(event.t_s - t0, 3),
                "end_s": None,
                "peak_bpm": None,
                "rule": event.rule.value,
                "start": when(event.onset_s),
            }
            episodes.append(open_episode)
        elif isinstance(event, EpisodeEnded) and open_episode is not None:
            open_episode["end_s"] = round(event.t_s - t0, 3)
            open_episode["end"] = when(event.t_s)
            open_episode = None
        elif isinstance(event, ReadyToReturn):
            ready.append(
                {"t_s": round(event.t_s - t0, 3), "time": when(event.t_s), "bpm": round(event.bpm)}
            )
        elif isinstance(event, PauseExtended):
            extended.append(
                {
                    "t_s": round(event.t_s - t0, 3),
                    "time": when(event.t_s),
                    "unseen": nobody_counted(event),
                }
            )
    # the peak as review shows it: the highest usable reading from the onset to the end
    spans = [(e["start_s"] + t0, None if e["end_s"] is None else e["end_s"] + t0) for e in episodes]
    samples = itertools.chain.from_iterable(sample_chunks(table, SAMPLE_CHUNK))
    for e, peak in zip(episodes, episode_peaks(samples, spans), strict=True):
        e["peak_bpm"] = None if peak is None else round(peak, 1)
    pauses = sum(isinstance(e, PauseStarted) for e in result.events)
    duration_s = float(times[-1]) - t0
    final_baseline = float(result.trace["baseline_bpm"][-1])
    summary = {
        "samples": n_samples,
        "reading_step_s": result.step_s,
        "beats": recording.n_beats,
        "duration_s": round(duration_s, 3),
        "alerts": len(alerts),
        "episodes": len(episodes),
        "pauses": pauses,
        "ready": len(ready),
        "not_yet": len(extended),
        "final_baseline_bpm": None if math.isnan(final_baseline) else round(final_baseline, 1),
    }

    if args.json:
        data: dict[str, Any] = {
            "file": str(args.file),
            "format": recording.source_format,
            "mode": mode.value,
            "start": iso_local(t0) if wall else None,
            "alerts": alerts,
            "episodes": episodes,
            "ready": ready,
            "not_yet": extended,
            "summary": summary,
        }
        if args.save:  # the session holding the file, and whether this run stored it
            data["session"] = session_id if session_id is not None else stored_before
            data["saved"] = session_id is not None
        print(json.dumps(data, indent=2))
        return 0

    print(
        say(
            "replay.heading",
            file=args.file,
            format=recording.source_format,
            mode=say.choice("mode", mode.value),
            samples=counted("count.readings", n_samples),
            length=from_start(duration_s) if duration_s < 6000 else f"{duration_s / 3600:.1f} h",
            clock=say("replay.local_time" if wall else "replay.from_the_start"),
        )
    )
    pace = pace_said(say, result.step_s, result.gap_s)  # a watch's export: the rules follow it
    if pace is not None:
        print(pace)
    # the rules in plain words (`--json` keeps their names)
    limit_bpm = settings.detection.max_plausible_bpm
    set_aside_s = seconds_above(table.t_s, table.bpm, limit_bpm, result.gap_s)
    if set_aside_s >= 1:  # a racing heart above a limit set too low is not alerted: say so
        print(say("replay.set_aside", length=duration(set_aside_s), limit=Figure(limit_bpm)))
    if not alerts and not episodes:
        print(say("replay.no_alerts"))
    lines: list[tuple[float, str]] = []
    for a in alerts:
        base = "-" if a["baseline_bpm"] is None else f"{a['baseline_bpm']:.0f}"
        lines.append(
            (
                a["t_s"],
                say(
                    "replay.alert",
                    time=a["time"],
                    bpm=f"{a['bpm']:.0f}",
                    baseline=base,
                    threshold=f"{a['threshold_bpm']:.0f}",
                    rule=say.choice("rule_plain", a["rule"]),
                ),
            )
        )
    for e in episodes:
        rule = say.choice("rule_plain", e["rule"])
        lines.append(
            (
                e["start_s"],
                "  " + episode_line(e, ready, rule, workout=mode is Mode.WORKOUT, say=say),
            )
        )
    for r in ready:
        lines.append((r["t_s"], say("replay.ready", time=r["time"], bpm=r["bpm"])))
    for x in extended:
        key = "replay.not_yet_unseen" if x["unseen"] else "replay.not_yet"
        lines.append((x["t_s"], say(key, time=x["time"])))
    for _, line in sorted(lines, key=lambda item: item[0]):
        print(line)
    if session_id is not None:
        print(say("replay.saved", id=session_id, folder=data_dir(args)))
    if stored_before is not None:
        review = f"{program()} review {stored_before}{data_dir_hint(args)}"
        print(say("replay.stored_before", file=args.file.name, id=stored_before, command=review))
    return 0
