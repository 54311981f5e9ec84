"""A couple session afterwards: both tracks, who flooded first, recovery, linkage, a plot.

Reads the store only (samples per person, each person's episode events, the couple's
alert / pause / ready events). Times are session-clock seconds.

- *Who flooded first*: the earliest confirmed-episode onset of either person; *by how long*:
  until the other's first onset (None when the other did not flood).
- *Back near calm*, per person and pause: from the pause start until their 10-s average
  has stayed within `pause.recovery_margin_bpm` of the calm baseline they had when the
  pause began, for `pause.recovery_hold_s` (the live check's rule, `coach.Recovery`: a gap
  of more than their `detection.gap_s` starts it over) - measured from the data, so it can
  be earlier than the ready message (which waits for the planned pause length).
  *Both recovered*: the later of the two; *ready*: when the message came.
- *Linkage*: see `flooding.core.linkage`.
"""

from __future__ import annotations

import io
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from flooding.app.review import SessionSummary, episode_events, summarize_session
from flooding.core.linkage import Linkage, linkage
from flooding.core.models import Sample
from flooding.core.pause import Recovery
from flooding.core.settings import DetectionSettings, PauseSettings
from flooding.io.store import EventRow, Store

PERSON_COLOURS = ("#1f3b73", "#b8860b")  # deep blue, dark gold: apart for colour-blind eyes too


@dataclass(frozen=True)
class PersonEpisode:
    """One person's confirmed flooded episode."""

    start_s: float  # onset of the confirmed run above threshold
    confirmed_s: float
    end_s: float | None
    peak_bpm: float
    baseline_bpm: float | None
    threshold_bpm: float
    rule: str


@dataclass(frozen=True)
class PersonReview:
    """One partner's track."""

    name: str
    strap: str | None
    mode: str
    samples: int
    calm_baseline_bpm: float | None
    peak_bpm: float | None
    episodes: list[PersonEpisode]
    back_near_calm_s: list[float | None]  # per pause: seconds from its start (None: never)


@dataclass(frozen=True)
class CouplePause:
    """One pause for both."""

    start_s: float
    alert_s: float | None  # None: started by hand
    flooded: str | None  # whose episode set it off
    end_s: float | None  # ready, or ended by hand (None: open at the end of the session)
    ready_s: float | None
    extensions: int
    manual: bool
    baselines: dict[str, float | None]


@dataclass(frozen=True)
class CoupleReview:
    """Everything `flooding review` shows for a couple session."""

    summary: SessionSummary
    people: list[PersonReview]
    pauses: list[CouplePause]
    first_flooded: str | None
    lead_s: float | None  # how long before the other flooded (None: the other did not)
    both_back_near_calm_s: float | None  # first pause: the later person's, from its start
    ready_after_s: float | None  # first pause: from its start to the ready message
    linkage: Linkage
    tracks: dict[str, list[Sample]] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the samples themselves are left out)."""
        data = self.summary.as_dict()
        data["couple"] = True
        data["people"] = [asdict(p) for p in self.people]
        data["pauses"] = [asdict(p) for p in self.pauses]
        data["first_flooded"] = self.first_flooded
        data["first_flooded_lead_s"] = self.lead_s
        data["both_back_near_calm_s"] = self.both_back_near_calm_s
        data["ready_after_s"] = self.ready_after_s
        data["linkage"] = self.linkage.as_dict()
        return data


def _pause_settings(settings_json: str) -> tuple[PauseSettings, DetectionSettings]:
    """A person's stored pause and detection settings (the defaults where not usable)."""
    try:
        stored = json.loads(settings_json)
    except ValueError:  # a damaged record: the defaults will do
        stored = None
    if not isinstance(stored, dict):
        stored = {}
    try:
        pause = PauseSettings.model_validate(stored.get("pause", {}))
    except Exception:  # an older or damaged record
        pause = PauseSettings()
    try:
        detection = DetectionSettings.model_validate(stored.get("detection", {}))
    except Exception:
        detection = DetectionSettings()
    return pause, detection


def _episodes(rows: Sequence[EventRow]) -> list[PersonEpisode]:
    return [
        PersonEpisode(
            start_s=start.data["onset_s"],
            confirmed_s=start.t_s,
            end_s=ended.t_s if ended else None,
            peak_bpm=ended.data["peak_bpm"] if ended else start.data["bpm"],
            baseline_bpm=start.data["baseline_bpm"],
            threshold_bpm=start.data["threshold_bpm"],
            rule=start.data["rule"],
        )
        for start, ended in episode_events(rows)
    ]


def back_near_calm(
    samples: Sequence[Sample], start_s: float, ceiling_bpm: float, hold_s: float, gap_s: float
) -> float | None:
    """Seconds from `start_s` until the 10-s average stayed at or under `ceiling_bpm` for
    `hold_s`, or None: the live check's rule (`flooding.core.pause.Recovery`), a gap of more
    than `gap_s` or an unusable reading starting it over."""
    recovery = Recovery(ceiling_bpm, gap_s, start_s)
    for s in samples:
        if s.t_s < start_s:
            continue
        recovery.feed(s.t_s, s.bpm if s.usable else None)
        if recovery.recovered_since is not None and recovery.held(s.t_s, hold_s):
            return recovery.recovered_since - start_s
    return None


def _pauses(shared: Sequence[EventRow]) -> list[CouplePause]:
    out = []
    starts = [r for r in shared if r.kind == "couple-pause-started"]
    for i, start in enumerate(starts):
        following = starts[i + 1].t_s if i + 1 < len(starts) else math.inf
        within = [r for r in shared if start.t_s <= r.t_s < following]
        alert = next(
            (r for r in shared if r.kind == "couple-alert" and abs(r.t_s - start.t_s) < 1e-6),
            None,
        )
        ready = next((r for r in within if r.kind == "couple-ready"), None)
        ended = next((r for r in within if r.kind == "couple-pause-ended"), None)
        end = min((r.t_s for r in (ready, ended) if r is not None), default=None)
        out.append(
            CouplePause(
                start_s=start.t_s,
                alert_s=alert.t_s if alert else None,
                flooded=alert.data["person"] if alert else None,
                end_s=end,
                ready_s=ready.t_s if ready else None,
                extensions=sum(1 for r in within if r.kind == "couple-pause-extended"),
                manual=bool(start.data.get("manual")),
                baselines={name: value for name, value in start.data.get("baselines", [])},
            )
        )
    return out


def _calm_baseline(
    samples: Sequence[Sample], episodes: Sequence[PersonEpisode], pauses: Sequence[CouplePause]
) -> float | None:
    for e in episodes:
        if e.baseline_bpm is not None:
            return e.baseline_bpm
    end = samples[-1].t_s if samples else 0.0
    busy = [(e.start_s, e.end_s if e.end_s is not None else end) for e in episodes]
    busy += [(p.start_s, p.end_s if p.end_s is not None else end) for p in pauses]
    calm = [s.bpm for s in samples if s.usable and not any(a <= s.t_s <= b for a, b in busy)]
    return float(statistics.median(calm)) if calm else None


def couple_review(store: Store, session_id: int) -> CoupleReview | None:
    """A couple session's review (None: no such session, or not a couple session)."""
    people_rows = store.people(session_id)
    if len(people_rows) < 2:
        return None
    summary = summarize_session(store, session_id)
    if summary is None:
        return None
    shared = store.events(session_id, person="")
    pauses = _pauses(shared)
    people: list[PersonReview] = []
    tracks: dict[str, list[Sample]] = {}
    for row in people_rows:
        samples = list(store.iter_samples(session_id, row.person))
        tracks[row.person] = samples
        episodes = _episodes(store.events(session_id, person=row.person))
        pause_settings, detection = _pause_settings(row.settings_json)
        baseline = _calm_baseline(samples, episodes, pauses)
        back = []
        for pause in pauses:
            at_pause = pause.baselines.get(row.person)
            reference = at_pause if at_pause is not None else baseline
            back.append(
                None
                if reference is None
                else back_near_calm(
                    samples,
                    pause.start_s,
                    reference + pause_settings.recovery_margin_bpm,
                    pause_settings.recovery_hold_s,
                    detection.gap_s,
                )
            )
        readings = [s.bpm for s in samples if s.usable]
        people.append(
            PersonReview(
                name=row.person,
                strap=row.strap_name,
                mode=row.mode,
                samples=len(samples),
                calm_baseline_bpm=baseline,
                peak_bpm=max(readings) if readings else None,
                episodes=episodes,
                back_near_calm_s=back,
            )
        )
    onsets = sorted((p.episodes[0].start_s, p.name) for p in people if p.episodes)
    first = onsets[0][1] if onsets else None
    lead = onsets[1][0] - onsets[0][0] if len(onsets) > 1 else None
    both: float | None = None
    ready_after: float | None = None
    if pauses:
        firsts = [p.back_near_calm_s[0] for p in people]
        both = None if any(v is None for v in firsts) else max(v for v in firsts if v is not None)
        if pauses[0].ready_s is not None:
            ready_after = pauses[0].ready_s - pauses[0].start_s
    names = [p.name for p in people]
    return CoupleReview(
        summary=summary,
        people=people,
        pauses=pauses,
        first_flooded=first,
        lead_s=lead,
        both_back_near_calm_s=both,
        ready_after_s=ready_after,
        linkage=linkage(tracks[names[0]], tracks[names[1]]),
        tracks=tracks,
    )


# -- words -----------------------------------------------------------------------------------


def headline(review: CoupleReview) -> list[str]:
    """Who flooded first and by how long, recovery and linkage, as plain sentences."""
    from flooding.core.timefmt import duration

    lines = []
    names = [p.name for p in review.people]
    if review.first_flooded is None:
        lines.append("Neither of you was flooded.")
    elif review.lead_s is None:
        lines.append(f"Only {review.first_flooded} was flooded.")
    else:
        other = next(n for n in names if n != review.first_flooded)
        lines.append(
            f"{review.first_flooded} was flooded first; {other} followed "
            f"{duration(review.lead_s)} later."
        )
    if review.pauses:
        if review.both_back_near_calm_s is not None:
            lines.append(
                "Both of you were back near your calm "
                f"{duration(review.both_back_near_calm_s)} into the first pause."
            )
        else:
            lines.append("Not both of you were measured back near your calm in the first pause.")
        if review.ready_after_s is not None:
            lines.append(f"Ready to return came after {duration(review.ready_after_s)}.")
    link = review.linkage
    if link.median_r is None or link.share_above is None:
        lines.append("Linkage: not enough overlapping data to say.")
    else:
        lines.append(
            f"Linkage (how much your heart-rate changes moved together): median r = "
            f"{link.median_r:.2f} over {link.windows} one-minute windows; "
            f"{link.share_above:.0%} of them above {link.threshold_r}."
        )
    return lines


def review_lines(review: CoupleReview) -> list[str]:
    """The couple review for the terminal."""
    from flooding.core.timefmt import duration, session_clock, session_stamp

    s = review.summary
    lines = [
        f"Session {s.id} (couple), {session_stamp(s.started_s)}, {duration(s.duration_s)}"
        + (" (not ended)" if s.recording else "")
    ]
    if s.note:
        lines.append(f"Note: {s.note}")

    def bpm(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} bpm"

    for p in review.people:
        lines.append(
            f"{p.name}: calm baseline {bpm(p.calm_baseline_bpm)}, peak {bpm(p.peak_bpm)}, "
            f"{len(p.episodes)} flooding episode(s)"
            + (f" ({p.mode} mode)" if p.mode != "talk" else "")
            + (f", strap {p.strap}" if p.strap else "")
        )
        for e in p.episodes:
            length = duration(None if e.end_s is None else e.end_s - e.start_s)
            lines.append(
                f"  from {session_clock(e.start_s, seconds=True)}, {length}, peak "
                f"{e.peak_bpm:.0f} bpm (threshold {e.threshold_bpm:.0f}, {e.rule})"
            )
    for pause in review.pauses:
        how = "by hand" if pause.manual else "after the alert"
        end = session_clock(pause.end_s, seconds=True) if pause.end_s is not None else "-"
        lines.append(
            f"Pause for both {how}: {session_clock(pause.start_s, seconds=True)} to {end}"
            + (f", {pause.extensions} extension(s)" if pause.extensions else "")
        )
    lines.append("")
    lines += headline(review)
    return lines


# -- the picture -----------------------------------------------------------------------------


def render_couple_png(review: CoupleReview) -> bytes:
    """Both hearts on one time axis, with each person's baseline and episodes, the pauses
    for both, the alert and ready-to-return, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from flooding.app.report import (
        COLOURS,
        FIGURE_DPI,
        FIGURE_SIZE_IN,
        clock_axis,
        local_tz,
        with_gaps,
    )
    from flooding.app.review import STRETCH_GAP_S
    from flooding.core.timefmt import duration, is_wall_clock

    wall = is_wall_clock(review.summary.started_s)
    all_times = [s.t_s for track in review.tracks.values() for s in track]
    origin = min(all_times) if all_times and not wall else 0.0

    def x(t_s: float) -> Any:
        return t_s / 86400.0 if wall else (t_s - origin) / 60.0

    fig, ax = plt.subplots(figsize=FIGURE_SIZE_IN, dpi=FIGURE_DPI, layout="constrained")
    end_s = max(all_times) if all_times else review.summary.started_s
    values = [s.bpm for track in review.tracks.values() for s in track if s.usable]
    top = max([*values, 100.0]) + 12
    bottom = max(0.0, min([*values, 60.0]) - 15)
    for pause in review.pauses:
        stop = pause.end_s if pause.end_s is not None else end_s
        ax.axvspan(x(pause.start_s), x(stop), color=COLOURS["pause"], alpha=0.12, lw=0)
        ax.text(
            x((pause.start_s + stop) / 2),
            bottom + (top - bottom) * 0.04,
            f"Pause for both ({duration(stop - pause.start_s)})",
            ha="center",
            color=COLOURS["pause"],
            fontsize=10,
            fontweight="bold",
        )
        if pause.alert_s is not None:
            ax.axvline(x(pause.alert_s), color=COLOURS["flooded"], lw=1.2)
        if pause.ready_s is not None:
            ax.axvline(x(pause.ready_s), color=COLOURS["ready"], lw=1.2, ls=":")
    for index, person in enumerate(review.people):
        colour = PERSON_COLOURS[index % len(PERSON_COLOURS)]
        track = review.tracks.get(person.name, [])
        times = [s.t_s for s in track]
        heart = [s.bpm if s.usable else None for s in track]
        tx, ty = with_gaps(times, heart, STRETCH_GAP_S)
        ax.plot([x(t) for t in tx], ty, color=colour, lw=1.4, label=f"{person.name}'s heart")
        if person.calm_baseline_bpm is not None:
            ax.axhline(
                person.calm_baseline_bpm,
                color=colour,
                lw=1.0,
                ls="--",
                label=f"{person.name}'s calm ({person.calm_baseline_bpm:.0f} bpm)",
            )
        for e in person.episodes:
            stop = e.end_s if e.end_s is not None else end_s
            band = (0.93 - 0.05 * index, 0.97 - 0.05 * index)
            ax.axvspan(x(e.start_s), x(stop), ymin=band[0], ymax=band[1], color=colour, lw=0)
        if person.episodes:
            ax.plot([], [], color=colour, lw=6, label=f"{person.name} flooded")
    ax.plot([], [], color=COLOURS["flooded"], lw=1.2, label="Alert for both")
    if any(p.ready_s is not None for p in review.pauses):
        ax.plot([], [], color=COLOURS["ready"], lw=1.2, ls=":", label="Ready to return")
    ax.set_ylim(bottom, top)
    ax.set_ylabel("Heart rate (bpm)")
    if wall:
        clock_axis(ax, end_s - min(all_times, default=end_s), local_tz(review.summary.started_s))
        ax.set_xlabel("Time of day")
    else:
        ax.set_xlabel("Minutes from the start")
    names = " and ".join(p.name for p in review.people)
    ax.set_title(f"Two hearts in one conversation: {names}\n" + " ".join(headline(review)[:1]))
    ax.grid(alpha=0.25)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def render_couple_html(review: CoupleReview, png: bytes) -> str:
    """One page with the picture and the review, to open or to share with a therapist."""
    import base64
    import html

    body = "".join(f"<p>{html.escape(line)}</p>" for line in review_lines(review) if line)
    image = base64.b64encode(png).decode("ascii")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Session {review.summary.id}</title></head><body>"
        f"<img alt='Both hearts over the session' src='data:image/png;base64,{image}' "
        f"style='max-width:100%'>{body}</body></html>"
    )
