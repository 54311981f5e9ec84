"""What a session's chart shows, said in words: the calm baseline, the highest heart rate,
when it was above the flooding line, the alerts and ready-to-return, for a person who
cannot see the chart or point at it (the page ties the words to the chart)."""

from __future__ import annotations

from collections.abc import Sequence

from flooding.app.review import PeopleReview, SessionReview
from flooding.core.catalogue import Catalogue
from flooding.core.timefmt import session_clock


def one_heart_words(say: Catalogue, review: SessionReview, *, dated: bool) -> str:
    """One person's chart in words (times dated when `dated`)."""
    calm = review.calm_baseline_bpm
    said = [
        say("web.chart_words.no_calm")
        if calm is None
        else say("web.chart_words.calm", bpm=_bpm(say, calm))
    ]
    peak = review.summary.peak_bpm
    if peak is not None:
        said.append(say("web.chart_words.peak", bpm=_bpm(say, peak)))
    spans = [(e.start_s, e.end_s) for e in review.episodes]
    said.append(
        say("web.chart_words.flooded", spans=_spans(say, spans, dated))
        if spans
        else say("web.chart_words.never_flooded")
    )
    alerts = [(e.alert_s, e.false_alarm) for e in review.episodes if e.alert_s is not None]
    ready = [e.ready_s for e in review.episodes if e.ready_s is not None]
    said += _marks(say, alerts, ready, dated)
    return " ".join(said)


def two_hearts_words(
    say: Catalogue,
    review: PeopleReview,
    false_alarms: Sequence[float],
    *,
    dated: bool,
) -> str:
    """A couple's chart in words, each partner by name (`false_alarms`: the times of the
    alerts marked so; times dated when `dated`)."""
    said = []
    for person in review.people:
        name = person.name
        calm = person.calm_baseline_bpm
        said.append(
            say("web.chart_words.person_no_calm", name=name)
            if calm is None
            else say("web.chart_words.person_calm", name=name, bpm=_bpm(say, calm))
        )
        if person.peak_bpm is not None:
            said.append(
                say("web.chart_words.person_peak", name=name, bpm=_bpm(say, person.peak_bpm))
            )
        spans = [(e.start_s, e.end_s) for e in person.episodes]
        said.append(
            say("web.chart_words.person_flooded", name=name, spans=_spans(say, spans, dated))
            if spans
            else say("web.chart_words.person_never", name=name)
        )
    alerts = [
        (p.alert_s, p.alert_s in false_alarms) for p in review.pauses if p.alert_s is not None
    ]
    ready = [p.ready_s for p in review.pauses if p.ready_s is not None]
    said += _marks(say, alerts, ready, dated)
    return " ".join(said)


def _bpm(say: Catalogue, value: float) -> str:
    return say("web.bpm", bpm=f"{value:.0f}")


def _spans(say: Catalogue, spans: Sequence[tuple[float, float | None]], dated: bool) -> str:
    """Stretches of time, "20:05 to 20:09, 20:31 to the end"."""
    return ", ".join(
        say("web.chart_words.span_open", start=session_clock(start, dated=dated))
        if end is None
        else say(
            "web.chart_words.span",
            start=session_clock(start, dated=dated),
            end=session_clock(end, dated=dated),
        )
        for start, end in spans
    )


def _marks(
    say: Catalogue, alerts: Sequence[tuple[float, bool]], ready: Sequence[float], dated: bool
) -> list[str]:
    """The alerts (a false alarm said so) and the ready-to-return times, in sentences."""
    said = []
    if alerts:
        times = ", ".join(
            say("web.chart_words.false_alarm", time=session_clock(t, dated=dated))
            if false_alarm
            else session_clock(t, dated=dated)
            for t, false_alarm in alerts
        )
        said.append(say.count("web.chart_words.alerts", len(alerts), times=times))
    if ready:
        times = ", ".join(session_clock(t, dated=dated) for t in ready)
        said.append(say.count("web.chart_words.ready", len(ready), times=times))
    return said
