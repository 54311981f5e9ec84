"""A session's chart data in the app (over a real server on loopback): the numbers `flooding
plot` draws, readings not worth showing left out the same way, lines broken at gaps, one line
for each partner of a couple; and what the page says of a session no heart was read in."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from flooding.app.report import plot_data
from flooding.app.review import episodes, people_review
from flooding.app.web.server import AppServer
from flooding.core.models import Sample
from flooding.core.timefmt import session_clock
from flooding.io.store import Store
from tests.session_factory import record, stored_readings
from tests.test_couple import couple_tracks, store_couple
from tests.test_web_guard import base, cookie_of, serve

START_S = 1_790_000_000.0
# a calm heart with a glitch (250), a dropped reading (0), a reading without contact and a
# strap's accelerometer on some readings
READINGS = [
    Sample(START_S + k, bpm, (), contact, activity_g=activity)
    for k, (bpm, contact, activity) in enumerate(
        [
            (70.0, True, 0.02),
            (71.0, True, None),
            (250.0, True, 0.02),
            (0.0, True, 0.3),
            (72.0, False, 0.3),
            (73.5, None, 0.01),
        ]
    )
]


def test_the_chart_shows_the_readings_the_plot_draws(tmp_path: Path) -> None:
    """Glitches, dropped readings and readings without contact are gaps in the app's chart,
    as in the plot; times and activity levels come through."""
    sid = stored_readings(tmp_path, READINGS, source="strap")
    got: dict[str, Any] = {}

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        headers = {"Cookie": await cookie_of(server, client)}
        url = f"{base(server)}/sessions/{sid}/chart.json"
        async with client.get(url, headers=headers) as answer:
            assert answer.status == 200
            got.update(json.loads(await answer.text()))

    serve(tmp_path, check)
    assert got["t"] == [s.t_s for s in READINGS]
    assert got["bpm"] == [70.0, 71.0, None, None, None, 73.5]
    assert got["activity"] == [0.02, None, 0.02, 0.3, 0.3, 0.01]
    store = Store.open(tmp_path)
    try:
        data = plot_data(store, sid)
        assert data is not None
        drawn = [None if math.isnan(v) else v for v in data.heart_bpm.tolist()]
    finally:
        store.close()
    assert got["bpm"] == drawn


def chart_of(folder: Path, session_id: int) -> dict[str, Any]:
    """The chart data the app serves for a session (over a real server on loopback)."""
    got: dict[str, Any] = {}

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        headers = {"Cookie": await cookie_of(server, client)}
        url = f"{base(server)}/sessions/{session_id}/chart.json"
        async with client.get(url, headers=headers) as answer:
            assert answer.status == 200
            got.update(json.loads(await answer.text()))

    serve(folder, check)
    return got


def test_a_couple_chart_gives_each_heart_its_own_line_and_the_breaks_for_both(
    tmp_path: Path,
) -> None:
    """A session of two charts each partner's own readings and calm under their name, when
    each was flooded, and the alert, break and ready-to-return for both, as `flooding plot`."""
    store = Store.open(tmp_path)
    try:
        tracks = couple_tracks()
        sid = store_couple(store, tracks)
        review = people_review(store, sid)
    finally:
        store.close()
    assert review is not None
    got = chart_of(tmp_path, sid)
    assert [p["name"] for p in got["people"]] == list(tracks)
    for line, person in zip(got["people"], review.people, strict=True):
        read = [v for v in line["bpm"] if v is not None]
        assert read == [round(s.bpm, 1) for s in tracks[person.name] if s.usable]
        assert line["calm"] == pytest.approx(person.calm_baseline_bpm, abs=0.05)
        assert line["label"] == f"{person.name}'s heart"
    kinds = [m["kind"] for m in got["marks"]]
    assert kinds.count("alert") == 1
    assert kinds.count("pause") == 1
    assert kinds.count("ready") == 1
    flooded = {m["person"] for m in got["marks"] if m["kind"] == "flooded"}
    assert flooded == {0, 1}  # both flooded, each marked as themself
    (pause,) = review.pauses
    (alert,) = [m for m in got["marks"] if m["kind"] == "alert"]
    assert alert["t"] == pause.alert_s


def test_the_chart_breaks_every_line_where_the_recording_has_a_gap(tmp_path: Path) -> None:
    """Two hours without readings are a break in the heart, calm and flooding lines (a null
    between the two stretches, as the plot breaks them), not a straight line across."""
    before = [Sample(START_S + k, 70.0 + k % 3, (), True) for k in range(120)]
    after = [Sample(START_S + 7200.0 + k, 80.0 + k % 3, (), True) for k in range(120)]
    sid = stored_readings(tmp_path, before + after, source="strap")
    got = chart_of(tmp_path, sid)
    assert len(got["t"]) == len(before) + len(after) + 1
    gap = len(before)  # the point between the stretches
    assert before[-1].t_s < got["t"][gap] < after[0].t_s
    for line in ("bpm", "baseline", "threshold"):
        assert got[line][gap] is None, line
    assert got["bpm"][gap + 1 :] == [s.bpm for s in after]
    assert [t for k, t in enumerate(got["t"]) if k != gap] == [s.t_s for s in before + after]


def page_of(folder: Path, path: str) -> str:
    """A page the app serves (over a real server on loopback), as HTML."""
    got: list[str] = []

    async def check(server: AppServer, client: aiohttp.ClientSession) -> None:
        headers = {"Cookie": await cookie_of(server, client)}
        async with client.get(base(server) + path, headers=headers) as answer:
            assert answer.status == 200
            got.append(await answer.text())

    serve(folder, check)
    return got[0]


def test_a_session_without_a_heart_read_says_so_not_that_it_stayed_calm(tmp_path: Path) -> None:
    """A session whose every reading was 0 or without skin contact says no heart rate was
    read, not that the heart stayed below the flooding line."""
    unread = [Sample(START_S + k, 0.0 if k % 2 else 72.0, (), bool(k % 2)) for k in range(300)]
    sid = stored_readings(tmp_path, unread, source="strap")
    page = page_of(tmp_path, f"/sessions/{sid}")
    assert "No heart rate was read in this session" in page
    assert "stayed below the flooding line" not in page
    assert "No flooding in this talk" not in page


def test_a_session_over_midnight_gives_its_episode_times_with_their_date(tmp_path: Path) -> None:
    """A talk that began before midnight tells its episode's times with their date (a clock
    time alone could be either day), as `flooding review` does."""
    midnight = datetime(2026, 9, 22).astimezone().timestamp()
    store = Store.open(tmp_path)
    try:
        sid = record(store, start_s=midnight - 120.0)  # flooded a few minutes in
        (episode,) = episodes(store, sid)
    finally:
        store.close()
    page = page_of(tmp_path, f"/sessions/{sid}")
    assert f"At {session_clock(episode.start_s, dated=True)}" in page
    assert "2026-09-22 " in session_clock(episode.start_s, dated=True)
