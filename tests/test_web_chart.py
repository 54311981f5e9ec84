"""A session's chart data in the app (over a real server on loopback): the numbers `flooding
plot` draws, readings not worth showing left out the same way."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import aiohttp

from flooding.app.report import plot_data
from flooding.app.web.server import AppServer
from flooding.core.models import Sample
from flooding.io.store import Store
from tests.session_factory import stored_readings
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
