"""A session as a picture and a one-file report: heart rate over the local clock, with the
calm baseline, the flooding threshold, flooded stretches, pauses, alerts and ready-to-return
(and, when the strap had an accelerometer, how much the body moved, in a band below);
for a session of two, both hearts on one time axis with each one's calm and episodes.

Pure of the command line: functions take a store or plain values and return bytes or text.
matplotlib (Agg backend, no screen needed) is imported only when a plot is drawn.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from flooding.app.long_replay import rates_of, replay_long
from flooding.app.review import (
    EPISODE_COLUMNS,
    REVIEW_KINDS,
    STRETCH_GAP_S,
    PeopleReview,
    SessionReview,
    episode_notes,
    episode_table,
    headline,
    people_lines,
    people_review,
    review_session,
    source_words,
)
from flooding.core.beats.columns import SampleColumns
from flooding.core.catalogue import Catalogue
from flooding.core.detector import MOVING_G
from flooding.core.models import PLAUSIBLE_MAX_BPM, PLAUSIBLE_MIN_BPM, Mode, Sample
from flooding.core.settings import Settings
from flooding.core.timefmt import (
    day_and_month,
    duration,
    is_wall_clock,
    long_date,
    session_clock,
)
from flooding.io.config_files.loading import default_settings
from flooding.io.locale_files import load_catalogue
from flooding.io.readers.recording import samples_of
from flooding.io.store import Store

log = logging.getLogger(__name__)

FIGURE_SIZE_IN = (12.0, 5.6)
FIGURE_DPI = 110  # 1320 x 616 px: sharp on a laptop screen and in print

COLOURS = {
    "heart": "#1f3b73",
    "baseline": "#2e8b57",
    "threshold": "#d2691e",
    "flooded": "#d62728",
    "pause": "#4a90d9",
    "ready": "#2e8b57",
    "activity": "#7b5ea7",
}
ACTIVITY_HEIGHT_IN = 1.5  # the movement band under the heart rate, when the strap had one
ACTIVITY_TOP_G = 0.3  # the band shows at least up to brisk walking (0.1-0.3 g)

PERSON_COLOURS = ("#1f3b73", "#b8860b")  # deep blue, dark gold: apart for colour-blind eyes too
DAYS_AXIS_S = 2 * 86400.0  # longer spans are labelled by date: 48 hourly labels fill the axis
MAX_DAY_LABELS = 16  # dates on a long axis, at most
PAUSE_LABEL_MIN_FRACTION = 0.02  # a pause narrower than this share of the plot gets no words
PAUSE_CHAR_FRACTION = 0.0085  # share of the plot's width a character of a pause's words takes
#                               (10-pt bold, ~9 px, of the ~1000 px the axes get): a pause
#                               narrower than its words, or overlapping the words before, gets none
RASTER_ABOVE_POINTS = 2000  # a line of more points is drawn as pixels inside an SVG or PDF
#                             (its text and axes stay vector): a month stays a small file
MAX_LABELLED_MARKS = 20  # more alerts (or ready marks) than this: symbols only, no clock times
LABEL_BOX = {"boxstyle": "round,pad=0.25", "fc": "white", "ec": "none", "alpha": 0.9}


class Mark(NamedTuple):
    """How the plot marks one kind of moment: a symbol over the heart line, a legend entry
    and a label at each (their words: keys of the screen-text catalogue)."""

    marker: str
    size: float  # on the plot
    legend_size: float
    colour: str  # a key of COLOURS
    legend: str  # the key of the legend entry
    label: str  # the key of the label, which takes the clock time
    offset: tuple[float, float]  # of the label, in points
    align: str


ALERT_MARK = Mark("v", 13, 11, "flooded", "plot.legend.alert", "plot.alert_at", (-8, 10), "right")
READY_MARK = Mark("*", 18, 14, "ready", "plot.legend.ready", "plot.ready_at", (0, 16), "center")


@dataclass(frozen=True, eq=False)
class PlotData:
    """What the plot shows, gathered from the store; times are session-clock seconds.

    The samples are held as columns (`table`, without their beats: nothing drawn needs
    them), the baseline and threshold as arrays (NaN: no baseline yet), so a session of
    millions of samples costs a few bytes a sample.
    """

    review: SessionReview
    table: SampleColumns
    baseline_bpm: npt.NDArray[np.float64]  # per sample, as the monitor had it
    threshold_bpm: npt.NDArray[np.float64]
    alerts_s: list[float]
    ready_s: list[float]
    gap_s: float
    release_below_bpm: float  # a flooded heart is released below threshold minus this

    @cached_property
    def samples(self) -> list[Sample]:
        """Every sample as a `Sample` (built when asked for; no RR values)."""
        return samples_of(self.table)

    @property
    def heart_bpm(self) -> npt.NDArray[np.float64]:
        """The strap's heart rate where it is worth showing (`Sample.usable`), else NaN."""
        bpm = self.table.bpm
        usable = (self.table.contact != 0) & (bpm >= PLAUSIBLE_MIN_BPM) & (bpm <= PLAUSIBLE_MAX_BPM)
        return np.where(usable, bpm, np.nan)


def session_settings(store: Store, session_id: int) -> Settings:
    """The settings a session was recorded with (stored with it), else today's defaults."""
    text = store.settings_json(session_id)
    defaults = default_settings()
    try:
        stored: dict[str, Any] = json.loads(text) if text is not None else {}
        stored["messages"] = defaults.messages.model_dump()
        return Settings.model_validate(stored)
    except Exception as exc:  # an older or damaged settings record: the defaults will do
        log.info("session %d: stored settings not usable (%s); using defaults", session_id, exc)
        return defaults


def plot_data(store: Store, session_id: int) -> PlotData | None:
    """Everything needed to draw a session (None: no such session)."""
    if store.session(session_id) is None:
        return None
    events = store.events(session_id, REVIEW_KINDS)  # what is drawn or reviewed: no gaps
    table = store.sample_columns(session_id)
    review = review_session(store, session_id, events=events, table=table)
    if review is None:
        return None
    settings = session_settings(store, session_id)
    try:
        mode = Mode(review.summary.mode)
    except ValueError:
        mode = None
    # replaying the samples gives the baseline and threshold the monitor had at every moment;
    # the beats are needed for the rates only (nothing drawn needs them): let them go first
    rates = rates_of(table)
    n = table.t_s.size
    shown = SampleColumns(
        table.t_s, table.bpm, table.contact, np.zeros(n, np.int64), np.zeros(0), table.activity_g
    )
    del table
    kept = ("baseline_bpm", "threshold_bpm")
    trace = replay_long(shown, settings, mode=mode, keep=kept, rates=rates).trace
    del rates
    return PlotData(
        review=review,
        table=shown,
        baseline_bpm=trace["baseline_bpm"] if n else np.zeros(0),
        threshold_bpm=trace["threshold_bpm"] if n else np.zeros(0),
        alerts_s=[e.t_s for e in events if e.kind == "alert"],
        ready_s=[e.t_s for e in events if e.kind == "ready-to-return"],
        gap_s=max(STRETCH_GAP_S, settings.detection.gap_s),
        release_below_bpm=settings.detection.release_hysteresis_bpm,
    )


DECIMATE_ABOVE = 4  # more samples than this many per pixel column: thinned before drawing


def decimated(
    t_s: npt.NDArray[np.float64], series: Sequence[npt.NDArray[np.float64]], columns: int
) -> npt.NDArray[np.intp]:
    """The samples worth drawing when `columns` pixels show them all: in each pixel's time
    span the first and the last sample (so every break between samples stays where it is)
    and, for each series, its lowest and highest value (so every peak stays)."""
    n = t_s.size
    if n <= DECIMATE_ABOVE * columns or t_s[-1] <= t_s[0]:
        return np.arange(n)
    pixel = np.minimum(
        ((t_s - t_s[0]) / (t_s[-1] - t_s[0]) * columns).astype(np.int64), columns - 1
    )
    starts = np.flatnonzero(np.concatenate(([True], pixel[1:] != pixel[:-1])))
    keep = [starts, np.append(starts[1:] - 1, n - 1)]
    of_sample = np.repeat(np.arange(starts.size, dtype=np.int32), np.diff(np.append(starts, n)))
    for values in series:
        with np.errstate(invalid="ignore"):
            for extreme in (np.fmin.reduceat(values, starts), np.fmax.reduceat(values, starts)):
                hit = np.flatnonzero(values == extreme[of_sample])
                _, first = np.unique(of_sample[hit], return_index=True)
                keep.append(hit[first])
    return np.unique(np.concatenate(keep))


def with_gaps(
    times_s: Sequence[float], values: Sequence[float | None], gap_s: float
) -> tuple[list[float], list[float]]:
    """Times and values with a NaN inserted wherever samples are more than `gap_s` apart,
    so a line plot shows a dropped link as a break rather than a straight line across it."""
    import numpy as np

    t = np.asarray(times_s, dtype=np.float64)
    v = np.array([math.nan if value is None else value for value in values], dtype=np.float64)
    after = np.flatnonzero(np.diff(t) > gap_s) + 1  # the first sample after each gap
    xs = np.insert(t, after, (t[after] + t[after - 1]) / 2)
    ys = np.insert(v, after, math.nan)
    return xs.tolist(), ys.tolist()


def local_tz(t_s: float) -> tzinfo | None:
    """This computer's time zone at `t_s` (the plots show local clock times)."""
    return datetime.fromtimestamp(t_s).astimezone().tzinfo


def clock_axis(ax: Any, span_s: float, tz: tzinfo | None, say: Catalogue) -> None:
    """Label a time-of-day x axis (matplotlib date numbers) in local clock times, `HH:MM`,
    every 5, 15 or 60 minutes by the span shown; over two days, by date (`DD Mon`, the
    month's name in the language of `say`)."""
    import matplotlib.dates
    from matplotlib.ticker import FuncFormatter

    mdates: Any = matplotlib.dates  # untyped: matplotlib's date helpers carry no annotations
    if span_s > DAYS_AXIS_S:  # hourly labels would pile up: one a day (or fewer), by date
        days = max(1, math.ceil(span_s / 86400.0 / MAX_DAY_LABELS))

        def by_date(value: float, _position: int | None = None) -> str:
            return day_and_month(mdates.num2date(value, tz=tz).date(), say)

        ax.xaxis.set_major_locator(mdates.DayLocator(interval=days, tz=tz))
        ax.xaxis.set_major_formatter(FuncFormatter(by_date))
        return
    minutes = 5 if span_s <= 3600 else 15 if span_s <= 4 * 3600 else 60
    ax.xaxis.set_major_locator(
        mdates.MinuteLocator(byminute=range(0, 60, minutes), tz=tz)
        if minutes < 60
        else mdates.HourLocator(tz=tz)
    )
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=tz))


def pause_words(
    paused: Sequence[tuple[float, float]], span_s: float, say: Catalogue | None = None
) -> list[tuple[float, str]]:
    """The words written in pause bands (start, end) over a plot of `span_s`, and where
    (the middle of each): only in a pause wide enough to hold them, never over the words
    before (in the language of `say`, English without)."""
    say = say or load_catalogue()
    out: list[tuple[float, str]] = []
    words_end_s = -math.inf
    for first_s, stop in paused:
        words = say("plot.pause", length=duration(stop - first_s))
        words_s = len(words) * PAUSE_CHAR_FRACTION * span_s
        if stop - first_s < max(span_s * PAUSE_LABEL_MIN_FRACTION, words_s):
            continue  # too narrow to hold its words at this scale
        mid_s = (first_s + stop) / 2
        if mid_s - words_s / 2 < words_end_s:
            continue  # the words before are there
        words_end_s = mid_s + words_s / 2
        out.append((mid_s, words))
    return out


def plot_title(
    review: SessionReview, last_sample_s: float | None, say: Catalogue | None = None
) -> str:
    """The plot's title: when the talk was (in the language of `say`, English without)."""
    say = say or load_catalogue()
    s = review.summary
    if not is_wall_clock(s.started_s):
        when = say("plot.title.no_clock", id=s.id, length=duration(s.duration_s))
    else:
        start = datetime.fromtimestamp(s.started_s).astimezone()
        end_s = last_sample_s if last_sample_s is not None else s.ended_s
        day, clock = long_date(start.date(), say), f"{start:%H:%M}"
        end = None if end_s is None else datetime.fromtimestamp(end_s).astimezone()
        if end is None:
            when = say("plot.when", date=day, start=clock)
        elif end.date() != start.date():
            # a recording of days: the end's date too, not a clock time read as the same day
            end_day = long_date(end.date(), say)
            when = say("plot.when_to", date=day, start=clock, end_date=end_day, end=f"{end:%H:%M}")
        else:
            when = say("plot.when_until", date=day, start=clock, end=f"{end:%H:%M}")
    title = say("plot.title", when=when)
    if s.note:
        title += f"\n\u201c{s.note}\u201d"
    return title


def baseline_label(review: SessionReview, say: Catalogue) -> str:
    """The legend entry for the baseline line, with its value (in the language of `say`)."""
    base = review.calm_baseline_bpm
    if base is None:
        return say("plot.legend.baseline")
    return say("plot.legend.baseline_bpm", bpm=f"{base:.0f}")


def threshold_label(review: SessionReview, say: Catalogue) -> str:
    """The legend entry for the threshold line, with the value the first alert used (in the
    language of `say`)."""
    first = review.episodes[0].threshold_bpm if review.episodes else None
    if first is None:
        return say("plot.legend.threshold")
    return say("plot.legend.threshold_bpm", bpm=f"{first:.0f}")


IMAGE_FORMATS = ("png", "svg", "pdf")  # what a plot can be written as (matplotlib's names)
ONE_READING_SPAN_S = 60.0  # a session of one reading is drawn a minute wide, not zero wide


def x_range(first_s: float, last_s: float) -> tuple[float, float]:
    """The time span to show: the readings' own, or a minute around a single reading (a
    zero-wide axis is singular: matplotlib warns and its tick locators run away)."""
    if last_s - first_s > 0:
        return first_s, last_s
    return first_s - ONE_READING_SPAN_S / 2, last_s + ONE_READING_SPAN_S / 2


def render_png(data: PlotData, image_format: str = "png", say: Catalogue | None = None) -> bytes:
    """The session plot as PNG bytes (or `image_format`: one of IMAGE_FORMATS), its words in
    the language of `say` (English without)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    say = say or load_catalogue()
    review = data.review
    t_all = data.table.t_s
    heart_all = data.heart_bpm
    wall = is_wall_clock(review.summary.started_s)
    tz = local_tz(review.summary.started_s) if wall else None
    origin = float(t_all[0]) if t_all.size and not wall else 0.0

    def x(t_s: float) -> Any:
        if wall:
            return t_s / 86400.0  # matplotlib's date numbers: days since 1970 (UTC)
        return (t_s - origin) / 60.0

    def xs(times: Sequence[float]) -> list[Any]:
        at = np.asarray(times, dtype=np.float64)  # NaN stays NaN
        result: list[Any] = ((at / 86400.0) if wall else (at - origin) / 60.0).tolist()
        return result

    # a break narrower than a pixel cannot be seen, and each one is a shape to draw: a month
    # of a watch that skips seconds would be tens of thousands of them
    span_s = float(t_all[-1] - t_all[0]) if t_all.size else 0.0
    width_px = int(FIGURE_SIZE_IN[0] * FIGURE_DPI)
    gap_s = max(data.gap_s, span_s / width_px)
    moved = data.table.activity_g is not None
    if moved:
        fig, (ax, activity_ax) = plt.subplots(
            2,
            1,
            sharex=True,
            figsize=(FIGURE_SIZE_IN[0], FIGURE_SIZE_IN[1] + ACTIVITY_HEIGHT_IN),
            dpi=FIGURE_DPI,
            layout="constrained",
            gridspec_kw={"height_ratios": (FIGURE_SIZE_IN[1], ACTIVITY_HEIGHT_IN)},
        )
    else:
        fig, ax = plt.subplots(figsize=FIGURE_SIZE_IN, dpi=FIGURE_DPI, layout="constrained")
    handles: list[Any] = []
    labels: dict[int, str] = {}  # for handles that are tuples (a band with its line)
    # what matplotlib sees: a few samples per pixel column, every peak and break kept
    levels = data.table.activity_g
    series = (heart_all, data.threshold_bpm, data.baseline_bpm)
    keep = decimated(t_all, series if levels is None else (*series, levels), width_px)
    times: list[float] = t_all[keep].tolist()
    heart: list[float] = heart_all[keep].tolist()  # NaN: not worth showing
    threshold: list[float] = data.threshold_bpm[keep].tolist()
    baseline: list[float] = data.baseline_bpm[keep].tolist()
    shown = heart_all[~np.isnan(heart_all)]
    top = max([*([float(shown.max())] if shown.size else []), *threshold, 100.0]) + 12
    bottom = max(0.0, min([*([float(shown.min())] if shown.size else []), 60.0]) - 15)

    # flooded stretches and pauses first, so the heart line is drawn over them (each kind
    # one collection: a month holds hundreds)
    end_s = times[-1] if times else review.summary.started_s
    flooded = [(e.start_s, e.end_s if e.end_s is not None else end_s) for e in review.episodes]
    bands(ax, [(x(a), x(b)) for a, b in flooded], (0.0, 1.0), COLOURS["flooded"], 0.2)
    if review.episodes:
        handles.append(Patch(color=COLOURS["flooded"], alpha=0.3, label=say("plot.legend.flooded")))
    pauses = [e for e in review.episodes if e.pause_start_s is not None]
    paused: list[tuple[float, float]] = []
    for e in pauses:
        assert e.pause_start_s is not None
        paused.append((e.pause_start_s, e.pause_end_s if e.pause_end_s is not None else end_s))
    bands(ax, [(x(a), x(b)) for a, b in paused], (0.0, 0.07), COLOURS["pause"], 0.55)
    for mid_s, words in pause_words(paused, span_s, say):
        ax.text(
            x(mid_s),
            bottom + (top - bottom) * 0.035,
            words,
            ha="center",
            va="center",
            color="white",
            fontsize=10,
            fontweight="bold",
        )
    if pauses:
        handles.append(Patch(color=COLOURS["pause"], alpha=0.55, label=say("plot.legend.pause")))

    # the flooding threshold: the line, and the band below it down to the release level
    if times:
        raster = len(times) > RASTER_ABOVE_POINTS
        tx, ty = with_gaps(times, threshold, gap_s)
        band = [v - data.release_below_bpm for v in ty]
        ax.fill_between(
            xs(tx), band, ty, color=COLOURS["threshold"], alpha=0.18, lw=0, rasterized=raster
        )
        ax.plot(xs(tx), ty, color=COLOURS["threshold"], lw=1.6, ls="--", rasterized=raster)
        threshold_handle = (
            Patch(color=COLOURS["threshold"], alpha=0.18, lw=0),
            Line2D([], [], color=COLOURS["threshold"], lw=1.6, ls="--"),
        )
        handles.append(threshold_handle)
        labels[id(threshold_handle)] = threshold_label(review, say)
        bx, by = with_gaps(times, baseline, gap_s)
        if any(not math.isnan(v) for v in by):
            ax.plot(xs(bx), by, color=COLOURS["baseline"], lw=2.0, rasterized=raster)
            handles.append(
                Line2D([], [], color=COLOURS["baseline"], lw=2.0, label=baseline_label(review, say))
            )
        hx, hy = with_gaps(times, heart, gap_s)
        ax.plot(xs(hx), hy, color=COLOURS["heart"], lw=1.3, rasterized=raster)
        handles.insert(
            0, Line2D([], [], color=COLOURS["heart"], lw=1.3, label=say("plot.legend.heart"))
        )

    def bpm_at(t_s: float) -> float:
        if not t_all.size:
            return top - 8
        i = min(int(np.searchsorted(t_all, t_s, side="left")), t_all.size - 1)
        value = float(heart_all[i])
        return top - 8 if math.isnan(value) else value

    for when, mark in ((data.alerts_s, ALERT_MARK), (data.ready_s, READY_MARK)):
        if not when:
            continue
        colour = COLOURS[mark.colour]
        ax.plot(
            [x(t) for t in when],
            [bpm_at(t) + 5 for t in when],
            ls="none",
            marker=mark.marker,
            ms=mark.size,
            color=colour,
            markeredgecolor="white",
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker=mark.marker,
                ms=mark.legend_size,
                color=colour,
                label=say(mark.legend),
            )
        )
        for t in when if len(when) <= MAX_LABELLED_MARKS else ():
            ax.annotate(
                say(mark.label, time=session_clock(t)),
                (x(t), bpm_at(t) + 5),
                xytext=mark.offset,
                textcoords="offset points",
                ha=mark.align,
                fontsize=10,
                color=colour,
                bbox=LABEL_BOX,
            )

    ax.set_ylim(bottom, top)
    ax.set_ylabel(say("plot.heart_axis"), fontsize=11)
    axis = ax
    if moved:
        axis = activity_ax
        assert levels is not None
        shown_levels = [None if v != v else v for v in levels[keep].tolist()]  # NaN: no level
        activity_band(activity_ax, xs, times, shown_levels, gap_s, say)
        ax.tick_params(labelbottom=False)
    if wall:
        shown_s = times[-1] - times[0] if len(times) > 1 else 0.0
        clock_axis(axis, shown_s, tz, say)
        time_axis = "plot.date_axis" if shown_s > DAYS_AXIS_S else "plot.time_axis"
        axis.set_xlabel(say(time_axis), fontsize=11)
    else:
        axis.set_xlabel(say("plot.minutes_axis"), fontsize=11)
    if times:
        lo, hi = x_range(times[0], times[-1])
        ax.set_xlim(x(lo), x(hi))
    ax.grid(True, color="#dddddd", lw=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(plot_title(review, times[-1] if times else None, say), fontsize=14, loc="left")
    if not times:
        ax.text(
            0.5,
            0.5,
            say("plot.no_readings"),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=13,
        )
    if handles:
        ax.legend(
            handles=handles,
            labels=[labels.get(id(h)) or h.get_label() for h in handles],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=10.5,
        )
    out = io.BytesIO()
    fig.savefig(out, format=image_format, dpi=FIGURE_DPI)
    plt.close(fig)
    return out.getvalue()


def bands(
    ax: Any,
    spans: Sequence[tuple[float, float]],
    height: tuple[float, float],
    colour: str,
    alpha: float,
) -> None:
    """Vertical bands over `spans` (x from, x to), from `height[0]` to `height[1]` of the
    axes' height, in one collection."""
    from matplotlib.collections import PolyCollection

    if not spans:
        return
    low, high = height
    shapes = [[(a, low), (a, high), (b, high), (b, low)] for a, b in spans]
    ax.add_collection(
        PolyCollection(
            shapes,
            transform=ax.get_xaxis_transform(),
            facecolors=colour,
            edgecolors="none",
            linewidths=0,
            alpha=alpha,
        ),
        autolim=False,
    )


def activity_band(
    ax: Any,
    xs: Any,
    times: Sequence[float],
    levels: Sequence[float | None],
    gap_s: float,
    say: Catalogue,
) -> None:
    """How much the body moved (the strap's activity level), filled, with the level above
    which it counts as moving; breaks where there is no level or no reading (its words in
    the language of `say`)."""
    tx, ty = with_gaps(times, levels, gap_s)
    at = xs(tx)
    shown = [0.0 if math.isnan(v) else v for v in ty]
    ax.fill_between(at, 0.0, ty, color=COLOURS["activity"], alpha=0.35, lw=0)
    ax.plot(at, ty, color=COLOURS["activity"], lw=1.0)
    ax.axhline(MOVING_G, color=COLOURS["activity"], lw=0.8, ls=":")
    ax.text(
        0.0,
        MOVING_G,
        " " + say("plot.moving"),
        transform=ax.get_yaxis_transform(),
        va="bottom",
        fontsize=9,
        color=COLOURS["activity"],
    )
    ax.set_ylim(0.0, max([*shown, ACTIVITY_TOP_G]) * 1.1)
    ax.set_ylabel(say("plot.movement_axis"), fontsize=11)
    ax.grid(True, color="#dddddd", lw=0.7)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def session_png(
    store: Store,
    session_id: int,
    *,
    as_html: bool = False,
    image_format: str = "png",
    say: Catalogue | None = None,
    name_who: bool = False,
) -> bytes | None:
    """The plot of a session, of one track or of two, as PNG bytes (or `image_format`, one
    of IMAGE_FORMATS), or with `as_html` the one-page report around the PNG (None: no such
    session; `say`: the words of the picture and the report, English without; who of two
    flooded first is named only with `name_who`, couple.name_who)."""
    form = "png" if as_html else image_format
    both = people_review(store, session_id)
    if both is not None:
        png = render_people_png(both, form, say, name_who=name_who)
        if not as_html:
            return png
        return render_people_html(both, png, say, name_who=name_who).encode("utf-8")
    data = plot_data(store, session_id)
    if data is None:
        return None
    png = render_png(data, form, say)
    return render_html(data.review, png, say).encode("utf-8") if as_html else png


def render_html(review: SessionReview, png: bytes, say: Catalogue | None = None) -> str:
    """One self-contained HTML page: the plot (embedded) and the table of episodes, in the
    language of `say` (English without)."""
    from flooding.core.timefmt import session_stamp

    say = say or load_catalogue()
    s = review.summary
    e = html.escape
    head = "".join(
        f"<th>{e(say('web.report.column.' + short.replace(' ', '_')))}</th>"
        for short, _ in EPISODE_COLUMNS
    )
    rows = "".join(
        "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>"
        for row in episode_table(review.episodes, say)
    )
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if review.episodes
        else f"<p>{e(say('web.report.no_episodes'))}</p>"
    )
    base = review.calm_baseline_bpm
    r = review.rmssd
    stamp = session_stamp(s.started_s, say)
    calm = "-" if base is None else say("web.report.bpm", bpm=f"{base:.0f}")
    facts = [
        say("web.report.started", when=stamp, duration=duration(s.duration_s)),
        say("web.report.strap", strap=s.strap or source_words(s.source, say)),
        say("web.report.baseline", bpm=calm),
        say("review.hrv_none_plain")
        if r.rmssd_ms is None
        else say("review.hrv_irregular_plain")
        if r.irregular
        else say("review.hrv_plain", ms=f"{r.rmssd_ms:.0f}"),
        say("web.report.pauses", pauses=s.pauses, false_alarms=s.false_alarms),
    ]
    note = f"<p class=note>{e(s.note)}</p>" if s.note else ""
    notes = "".join(f"<p>{e(line)}</p>\n" for line in episode_notes(review.episodes, say))
    image = base64.b64encode(png).decode("ascii")
    return f"""<!DOCTYPE html>
<html lang="{say.language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(say("web.report.title", id=s.id, when=stamp))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222;
       padding: 0 1em; }}
img {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border: 1px solid #ccc; padding: 0.35em 0.6em; text-align: left; }}
th {{ background: #f3f3f3; }}
.note {{ font-style: italic; }}
</style></head><body>
<h1>{e(say("web.session.title", id=s.id))}</h1>
{note}
<ul>{"".join(f"<li>{e(fact)}</li>" for fact in facts)}</ul>
<img alt="{e(say("web.report.image"))}" src="data:image/png;base64,{image}">
<h2>{e(say("web.report.episodes"))}</h2>
{table}
{notes}<p>{e(say("web.report.footnote"))}</p>
</body></html>
"""


# -- a session of two: both hearts on one time axis -----------------------------------------------


def person_heart(review: PeopleReview, name: str) -> tuple[list[float], list[float]]:
    """One partner's heart as it is drawn: their times and usable readings (NaN for the
    others), with a NaN wherever their readings are more than `STRETCH_GAP_S` apart."""
    track = review.tracks.get(name, [])
    times = [s.t_s for s in track]
    return with_gaps(times, [s.bpm if s.usable else None for s in track], STRETCH_GAP_S)


def render_people_png(
    review: PeopleReview,
    image_format: str = "png",
    say: Catalogue | None = None,
    *,
    name_who: bool = False,
) -> bytes:
    """`people_figure` as PNG bytes (or `image_format`)."""
    import matplotlib.pyplot as plt

    fig = people_figure(review, say, name_who=name_who)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=image_format)
    plt.close(fig)
    return buffer.getvalue()


def people_figure(
    review: PeopleReview, say: Catalogue | None = None, *, name_who: bool = False
) -> Any:
    """Both hearts on one time axis, with each person's baseline and episodes, the pauses
    for both, the alert and ready-to-return, its words in the language of `say` (English
    without); the legend beside the chart, where it hides none of it (a matplotlib Figure;
    the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    say = say or load_catalogue()
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
            say("plot.people.pause", length=duration(stop - pause.start_s)),
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
        tx, ty = person_heart(review, person.name)
        ax.plot(
            [x(t) for t in tx],
            ty,
            color=colour,
            lw=1.4,
            label=say("plot.people.heart", name=person.name),
        )
        if person.calm_baseline_bpm is not None:
            ax.axhline(
                person.calm_baseline_bpm,
                color=colour,
                lw=1.0,
                ls="--",
                label=say(
                    "plot.people.calm", name=person.name, bpm=f"{person.calm_baseline_bpm:.0f}"
                ),
            )
        for e in person.episodes:
            stop = e.end_s if e.end_s is not None else end_s
            band = (0.93 - 0.05 * index, 0.97 - 0.05 * index)
            ax.axvspan(x(e.start_s), x(stop), ymin=band[0], ymax=band[1], color=colour, lw=0)
        if person.episodes:
            ax.plot([], [], color=colour, lw=6, label=say("plot.people.flooded", name=person.name))
    ax.plot([], [], color=COLOURS["flooded"], lw=1.2, label=say("plot.people.alert"))
    if any(p.ready_s is not None for p in review.pauses):
        ax.plot([], [], color=COLOURS["ready"], lw=1.2, ls=":", label=say("plot.legend.ready"))
    ax.set_ylim(bottom, top)
    if all_times and end_s <= min(all_times):  # one instant: matplotlib's own range runs away
        lo, hi = x_range(min(all_times), end_s)
        ax.set_xlim(x(lo), x(hi))
    ax.set_ylabel(say("plot.people.heart_axis"))
    if wall:
        span_s = end_s - min(all_times, default=end_s)
        clock_axis(ax, span_s, local_tz(review.summary.started_s), say)
        ax.set_xlabel(say("plot.time_axis"))
    else:
        ax.set_xlabel(say("plot.minutes_axis"))
    names = say("plot.people.and").join(p.name for p in review.people)
    title = say("plot.people.title", names=names)
    ax.set_title(title + "\n" + " ".join(headline(review, say, name_who=name_who)[:1]))
    ax.grid(alpha=0.25)
    # beside the chart, as the plot of one heart has it: inside it hid the flooded bars
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    return fig


def render_people_html(
    review: PeopleReview, png: bytes, say: Catalogue | None = None, *, name_who: bool = False
) -> str:
    """One page with the picture and the review (in the language of `say`, English without),
    to open or to share with a therapist (who flooded first named only with `name_who`)."""
    say = say or load_catalogue()
    e = html.escape
    # plain words: a page for people
    lines = people_lines(review, say, verbose=False, name_who=name_who)
    body = "".join(f"<p>{e(line)}</p>" for line in lines if line)
    image = base64.b64encode(png).decode("ascii")
    return (
        f"<!doctype html><html lang='{say.language}'><head><meta charset='utf-8'>"
        f"<title>{e(say('web.session.title', id=review.summary.id))}</title></head><body>"
        f"<img alt='{e(say('web.report.both_hearts'))}' src='data:image/png;base64,{image}' "
        f"style='max-width:100%'>{body}</body></html>"
    )
