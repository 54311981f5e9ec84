"""The app's pages over the store: the sessions and each session (chart, episodes, note, false
alarms, export, delete).

Every figure comes from the same application functions as the commands (`review`, `report`,
`export`, the store); this module only turns them into pages and answers their forms.
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from flooding.app.export import CoupleEpisodesError, episodes_csv, samples_csv, session_json
from flooding.app.report import person_heart, plot_data, session_png, with_gaps
from flooding.app.review import (
    EpisodeReview,
    PeopleReview,
    PersonReview,
    SessionSummary,
    episode_notes,
    episodes,
    headline,
    people_review,
    people_story,
    review_session,
    source_words,
    summarize_sessions,
    with_movement,
    with_unseen_ends,
)
from flooding.app.scrub import scrub_soon
from flooding.app.session_files import delete_session_aside
from flooding.app.web.chart_words import one_heart_words, two_hearts_words
from flooding.app.web.form_errors import field_problems
from flooding.app.web.server import AppServer, form_of, server_of
from flooding.core.catalogue import Catalogue, counted
from flooding.core.models import NOTE_MAX_CHARS
from flooding.core.timefmt import clock_time, duration, session_clock, session_stamp, spans_days
from flooding.io.store import ALERT_KINDS, StillWaitingError, StoreError

# what a page says after a change (web.said.*)
SAID = ("note", "false-alarm", "undo", "deleted", "imported")
# of these, those that say the change is saved: not said while it waits (`Waiting`)
SAID_SAVED = ("note",)
# what a session's page says after it was imported, beyond web.said.imported: how a couple's
# two recordings were lined up (by the Import page, in the person's words)
AFTER_IMPORT = web.AppKey("words said after each session's import", dict[int, str])
# what a session page says when a change was refused (web.session.*): the address names one
# of these, never words of its own, which any page could put there
SESSION_ERRORS = ("not_an_alert", "not_confirmed", "still_recording", "still_waiting", "busy")


def add_routes(app: web.Application) -> None:
    """Register the store pages on the app."""
    app[AFTER_IMPORT] = {}
    app.router.add_get("/sessions", sessions_page)
    app.router.add_get("/sessions/{id:\\d+}", session_page)
    app.router.add_get("/sessions/{id:\\d+}/chart.json", session_chart)
    app.router.add_post("/sessions/{id:\\d+}/note", save_note)
    app.router.add_post("/sessions/{id:\\d+}/false-alarm", false_alarm)
    app.router.add_get("/sessions/{id:\\d+}/export.{format:csv|json|html}", export)
    app.router.add_get("/sessions/{id:\\d+}/episodes.csv", export)
    app.router.add_get("/sessions/{id:\\d+}/delete", confirm_delete)
    app.router.add_post("/sessions/{id:\\d+}/delete", delete)


def bpm_words(say: Catalogue, value: float | None) -> str:
    """A heart rate for people."""
    return say("web.not_known") if value is None else say("web.bpm", bpm=f"{value:.0f}")


def episode_words(say: Catalogue, episode: EpisodeReview, *, dated: bool = False) -> str:
    """One flooding episode, in plain words; its times with their date when `dated`."""

    def at(t_s: float) -> str:
        return session_clock(t_s, dated=dated)

    calm = (
        say("web.episode.calm", bpm=f"{episode.baseline_bpm:.0f}")
        if episode.baseline_bpm is not None
        else ""
    )
    peak = bpm_words(say, episode.peak_bpm)
    words = say("web.episode.rose", time=at(episode.start_s), bpm=peak, calm=calm)
    if episode.alert_s is not None:
        words += say("web.episode.told", time=at(episode.alert_s))
    if episode.pause_start_s is not None:
        if episode.ready_s is not None and episode.recovery_s is not None:
            words += say("web.episode.break_ready", duration=duration(episode.recovery_s))
        elif episode.pause_end_s is not None:
            words += say("web.episode.break_ended", time=at(episode.pause_end_s))
        else:
            words += say("web.episode.break")
    if episode.extensions:
        words += say("web.episode.longer", times=counted("count.times", episode.extensions))
    return words


def said(server: AppServer, request: web.Request) -> str:
    """What the page says after a change it redirected from ('' for none; nor that it is
    saved while it waits to be: every page says that then)."""
    what = request.query.get("said", "")
    if what not in SAID or (what in SAID_SAVED and server.waiting.now()):
        return ""
    return server.say(f"web.said.{what}")


SESSION_ID_MAX = 2**63 - 1  # the largest id SQLite holds: a longer number names no session


def _session_id(request: web.Request) -> int:
    """The session id in the address (digits, by the route); one SQLite cannot hold names
    no session: 404, as an id that does not exist."""
    session_id = int(request.match_info["id"])
    if session_id > SESSION_ID_MAX:
        say = server_of(request).say
        raise web.HTTPNotFound(text=say("web.session.no_such", id=session_id) + "\n")
    return session_id


def _summary(server: AppServer, session_id: int) -> SessionSummary:
    found = summarize_sessions(server.store, session_id)
    if not found:
        raise web.HTTPNotFound(text=server.say("web.session.no_such", id=session_id) + "\n")
    return found[0]


async def sessions_page(request: web.Request) -> web.StreamResponse:
    """All sessions, newest first."""
    server = server_of(request)
    server.store.flush()
    summaries = list(reversed(summarize_sessions(server.store)))
    return server.render(
        "sessions.html",
        page="sessions",
        sessions=summaries,
        stamp=lambda t_s: session_stamp(t_s, server.say),
        duration=duration,
        said=said(server, request),
    )


def _alert_ids(server: AppServer, session_id: int) -> dict[float, tuple[int, bool]]:
    """Each alert's time -> (its event id, marked as a false alarm)."""
    store = server.store
    return {
        row.t_s: (row.id, store.is_false_alarm(session_id, row.id))
        for row in store.events(session_id, ALERT_KINDS)
    }


async def session_page(request: web.Request) -> web.StreamResponse:
    """One session: chart, episodes in words, note, false alarms, export and delete."""
    code = request.query.get("error", "")
    error = server_of(request).say(f"web.session.{code}") if code in SESSION_ERRORS else ""
    return _session_view(request, error=error)


def _session_view(
    request: web.Request,
    *,
    error: str = "",
    typed: str | None = None,
    note_error: str = "",
    status: int = 200,
) -> web.Response:
    """The session page, saying `error`; `typed`: a note the person typed that was not
    saved, shown in its box again (nothing typed is lost), with `note_error`, why, beside it
    and linked from the summary at the top."""
    server = server_of(request)
    session_id = _session_id(request)
    server.store.flush()
    summary = _summary(server, session_id)
    both = people_review(server.store, session_id)
    dated = _spans_days(summary)
    if both is not None:  # two people: each by name, as `flooding review` tells it
        name_who = server.settings.couple.name_who  # else "one of you", as the alert says
        story = people_story(both, server.say, verbose=False, name_who=name_who)
        said_first = headline(both, server.say, verbose=False, name_who=name_who)[0]
        rows = _couple_alert_rows(server, session_id, both, dated=dated)
        marked = [
            t for t, (_, false_alarm) in _alert_ids(server, session_id).items() if false_alarm
        ]
        chart_words = two_hearts_words(server.say, both, marked, dated=dated)
    else:
        story, said_first = [], ""
        rows = _episode_rows(server, session_id, dated=dated)
        one = review_session(server.store, session_id)
        chart_words = "" if one is None else one_heart_words(server.say, one, dated=dated)
    said_now = said(server, request)
    if said_now and request.query.get("said") == "imported":
        said_now = " ".join(filter(None, [said_now, request.app[AFTER_IMPORT].get(session_id)]))
    return server.render(
        "session.html",
        page="sessions",
        s=summary,
        episodes=rows,
        couple=both is not None,
        story=[line for line in story if line],
        said_first=said_first,
        chart_words=chart_words,
        source=source_words(summary.source, server.say),
        stamp=lambda t_s: session_stamp(t_s, server.say),
        duration=duration,
        clock=clock_time,
        bpm_words=lambda value: bpm_words(server.say, value),
        note_max=NOTE_MAX_CHARS,
        typed=typed,
        error=error,
        note_error=note_error,
        problems=field_problems(
            {"note": note_error} if note_error else {},
            [("note", "note", server.say("web.session.note_label"))],
        ),
        said=said_now,
        status=status,
    )


def _spans_days(summary: SessionSummary) -> bool:
    """Whether the session's times need their date (it runs over more than one day)."""
    return spans_days((summary.started_s, summary.ended_s))


def _couple_alert_rows(
    server: AppServer, session_id: int, review: PeopleReview, *, dated: bool
) -> list[dict[str, Any]]:
    """A session of two's alerts for both, each with whose flooding set it off (only with
    couple.name_who) and its false-alarm mark (times dated when `dated`)."""
    alerts = _alert_ids(server, session_id)
    name_who = server.settings.couple.name_who
    return [
        {
            "words": server.say(
                "web.session.couple_alert",
                time=session_clock(pause.alert_s, dated=dated),
                name=pause.flooded,
            )
            if name_who
            else server.say(
                "web.session.couple_alert_unnamed", time=session_clock(pause.alert_s, dated=dated)
            ),
            "alert": alerts.get(pause.alert_s),
        }
        for pause in review.pauses
        if pause.alert_s is not None
    ]


def _episode_rows(server: AppServer, session_id: int, *, dated: bool) -> list[dict[str, Any]]:
    """One person's episodes in words, each with its alert's false-alarm mark (times dated
    when `dated`)."""
    found = episodes(server.store, session_id)
    if found and server.store.has_activity(session_id):  # a strap with an accelerometer
        found = with_movement(server.store, session_id, found)
    found = with_unseen_ends(server.store, session_id, found)
    alerts = _alert_ids(server, session_id)
    rows = []
    for episode in found:
        alert = alerts.get(episode.alert_s) if episode.alert_s is not None else None
        words = " ".join(
            [
                episode_words(server.say, episode, dated=dated),
                *episode_notes([episode], server.say),
            ]
        )
        rows.append({"words": words, "episode": episode, "alert": alert})
    return rows


def _finite(values: list[float | None] | list[float]) -> list[float | None]:
    return [None if v is None or not math.isfinite(v) else round(v, 1) for v in values]


async def session_chart(request: web.Request) -> web.StreamResponse:
    """The session's chart data: the same numbers `flooding plot` draws, with a null where
    the plot breaks its lines (readings further apart than its gap)."""
    server = server_of(request)
    session_id = _session_id(request)
    server.store.flush()
    both = people_review(server.store, session_id)
    if both is not None:
        return _json(_people_chart(server, session_id, both))
    data = plot_data(server.store, session_id)
    if data is None:
        raise web.HTTPNotFound(text=server.say("web.session.no_such", id=session_id) + "\n")
    times = data.table.t_s
    last_s = float(times[-1]) if times.size else None
    marks: list[dict[str, Any]] = []
    for episode in data.review.episodes:
        if episode.alert_s is not None:
            label = server.say(
                "web.chart.false_alarm" if episode.false_alarm else "web.chart.alert"
            )
            marks.append({"t": episode.alert_s, "kind": "alert", "label": label})
        if episode.pause_start_s is not None:
            end = episode.pause_end_s if episode.pause_end_s is not None else last_s
            marks.append({"t": episode.pause_start_s, "end": end, "kind": "pause"})
    ready = server.say("web.chart.ready")
    marks += [{"t": t, "kind": "ready", "label": ready} for t in data.ready_s]
    t_s = times.tolist()

    def gapped(values: list[float]) -> list[float]:
        """The values with a None wherever the plot breaks its lines (`with_gaps`)."""
        return with_gaps(t_s, values, data.gap_s)[1]

    body = {
        "t": with_gaps(t_s, t_s, data.gap_s)[0],
        "bpm": _finite(gapped(data.heart_bpm.tolist())),  # as the plot: usable readings only
        "baseline": _finite(gapped(data.baseline_bpm.tolist())),
        "threshold": _finite(gapped(data.threshold_bpm.tolist())),
        "marks": marks,
    }
    activity = data.table.activity_g
    if activity is not None:  # a strap with an accelerometer
        levels = gapped(activity.tolist())
        body["activity"] = [None if math.isnan(a) else round(a, 3) for a in levels]
    return _json(body)


def _json(body: dict[str, Any]) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")), content_type="application/json"
    )


def _person_line(say: Catalogue, review: PeopleReview, person: PersonReview) -> dict[str, Any]:
    """One partner's line on the chart: their name, times and heart (None at a gap or an
    unusable reading) and their calm baseline, with the words of its legend."""
    times, heart = person_heart(review, person.name)
    calm = person.calm_baseline_bpm
    return {
        "name": person.name,
        "label": say("plot.people.heart", name=person.name),
        "t": times,
        "bpm": _finite(heart),
        "calm": None if calm is None else round(calm, 1),
        "calm_label": say("plot.people.calm", name=person.name, bpm=f"{calm:.0f}")
        if calm is not None
        else "",
    }


def _people_chart(server: AppServer, session_id: int, review: PeopleReview) -> dict[str, Any]:
    """A session of two's chart data, as `flooding plot` draws it: each heart on its own
    line (its own times, broken at its gaps) with its calm, when each was flooded, and the
    pauses, the alert and ready-to-return for both."""
    say = server.say
    last_s = max((track[-1].t_s for track in review.tracks.values() if track), default=None)
    people = [_person_line(say, review, person) for person in review.people]
    marks: list[dict[str, Any]] = []
    for index, person in enumerate(review.people):
        marks += [
            {"t": e.start_s, "end": e.end_s if e.end_s is not None else last_s}
            | {"kind": "flooded", "person": index}
            for e in person.episodes
        ]
    alerts = _alert_ids(server, session_id)
    for pause in review.pauses:
        end = pause.end_s if pause.end_s is not None else last_s
        marks.append({"t": pause.start_s, "end": end, "kind": "pause"})
        if pause.alert_s is not None:
            marked = alerts.get(pause.alert_s, (0, False))[1]
            label = say("web.chart.false_alarm" if marked else "web.chart.alert")
            marks.append({"t": pause.alert_s, "kind": "alert", "label": label})
        if pause.ready_s is not None:
            marks.append({"t": pause.ready_s, "kind": "ready", "label": say("web.chart.ready")})
    return {"people": people, "marks": marks}


def _back(session_id: int, **query: str) -> web.Response:
    from urllib.parse import urlencode

    target = f"/sessions/{session_id}"
    if query:
        target += "?" + urlencode(query)
    return web.Response(status=303, headers={"Location": target})


async def save_note(request: web.Request) -> web.StreamResponse:
    """The note, as `flooding note` saves it."""
    server = server_of(request)
    session_id = _session_id(request)
    _summary(server, session_id)
    form = await form_of(request)
    if "note" not in form:  # not the page's form: it always sends the box, empty or not
        raise web.HTTPBadRequest(text=server.say("web.form.unreadable") + "\n")
    # a line break as the box counts it (one character), though a browser sends two
    typed = form["note"].replace("\r\n", "\n").replace("\r", "\n")
    note = typed.strip()
    if len(note) > NOTE_MAX_CHARS:
        error = server.say("web.session.note_too_long", n=len(note), most=NOTE_MAX_CHARS)
        return _session_view(request, typed=typed, note_error=error, status=400)
    server.store.set_note(session_id, note)
    await server.waiting.after_change()
    return _back(session_id, said="note")


async def false_alarm(request: web.Request) -> web.StreamResponse:
    """Mark an alert as a false alarm (as the alert's button and `flooding ok` do), or undo."""
    server = server_of(request)
    session_id = _session_id(request)
    _summary(server, session_id)
    form = await form_of(request)
    try:
        alert_id = int(form.get("alert", ""))
    except ValueError:
        return _back(session_id, error="not_an_alert")
    alerts = {row.id: row for row in server.store.events(session_id, ALERT_KINDS)}
    if alert_id not in alerts:
        return _back(session_id, error="not_an_alert")
    if form.get("undo") == "yes":
        server.store.unmark_false_alarm(session_id, alert_id)
        await server.waiting.after_change()
        return _back(session_id, said="undo")
    server.store.mark_false_alarm(session_id, alert_id, alerts[alert_id].t_s)
    await server.waiting.after_change()
    return _back(session_id, said="false-alarm")


async def export(request: web.Request) -> web.StreamResponse:
    """The session as `flooding export` (CSV of the readings, JSON; the episodes CSV as with
    `--episodes`) or `flooding plot --html` writes it (through the same functions)."""
    server = server_of(request)
    session_id = _session_id(request)
    kind = request.match_info.get("format", "episodes")  # episodes.csv: the episodes table
    _summary(server, session_id)
    server.store.flush()
    name = f"flooding-session-{session_id}.{kind}"
    if kind == "csv":  # the readings alone (a couple's with a person column), so that
        # `flooding import` reads them back
        text, content_type = samples_csv(server.store, session_id), "text/csv"
    elif kind == "episodes":  # as `flooding export --episodes FILE` writes them
        try:
            text, content_type = episodes_csv(server.store, session_id), "text/csv"
        except CoupleEpisodesError as exc:  # a couple's are in the JSON and the page
            raise web.HTTPConflict(text=exc.said(server.say) + "\n") from None
        name = f"flooding-session-{session_id}-episodes.csv"
    elif kind == "json":
        text = json.dumps(session_json(server.store, session_id), indent=1) + "\n"
        content_type = "application/json"
    else:
        name_who = server.settings.couple.name_who
        page = session_png(
            server.store, session_id, as_html=True, say=server.say, name_who=name_who
        )
        assert page is not None  # _summary made sure the session exists
        text, content_type = page.decode("utf-8"), "text/html"
    return web.Response(
        text=text,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def confirm_delete(request: web.Request) -> web.StreamResponse:
    """Ask before deleting."""
    server = server_of(request)
    session_id = _session_id(request)
    summary = _summary(server, session_id)
    return server.render(
        "delete.html",
        page="sessions",
        s=summary,
        stamp=lambda t_s: session_stamp(t_s, server.say),
        duration=duration,
    )


async def delete(request: web.Request) -> web.StreamResponse:
    """Delete a session for good (as `flooding delete` does), once confirmed."""
    server = server_of(request)
    session_id = _session_id(request)
    summary = _summary(server, session_id)
    if (await form_of(request)).get("confirm") != "yes":
        return _back(session_id, error="not_confirmed")
    if summary.recording:
        return _back(session_id, error="still_recording")
    try:  # another program's lock is waited for off the event loop, for a few seconds
        counts = await delete_session_aside(server.store, server.folder, session_id)
    except StillWaitingError:  # saved later, its last readings would bring it back
        return _back(session_id, error="still_waiting")
    except StoreError as exc:  # nothing of it is deleted: the person may try again
        if exc.key == "store.busy":
            return _back(session_id, error="busy")
        why = server.say("web.session.not_deleted", why=exc.said(server.say))
        return _session_view(request, error=why, status=503)
    if not counts.scrubbed:  # a reader holds the log: its old pages are emptied soon
        scrub_soon(server.store)
    return web.Response(status=303, headers={"Location": "/sessions?said=deleted"})
