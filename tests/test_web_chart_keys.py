"""The app's charts for a person without a mouse, in a real browser (chromium): a stored
session's chart zooms and moves from the keyboard as the mouse zooms it (its movement chart
with it), says its keys in words, and shows where the focus is; the live chart on Now has no
zoom only a mouse could make."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.core.models import State
from flooding.io.locale_files import screen_texts
from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import record, record_with_movement
from tests.test_web_access import RING_CONTRAST
from tests.test_web_import import tab_to
from tests.test_web_live import FedApp, fed

pytestmark = pytest.mark.slow

EN = screen_texts("en")
DE = screen_texts("de")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a hard talk recorded with the strap's accelerometer."""
    path = tmp_path_factory.mktemp("keys")
    store = Store.open(path)
    try:
        record_with_movement(store, (-30.0, 60.0), start_s=1_790_000_000.0)
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def app(folder: Path) -> Iterator[AppProcess]:
    """`flooding app` over the folder, no browser of its own."""
    process = AppProcess("app", "--no-browser", "--data-dir", str(folder))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser(app: AppProcess, chromium: Any) -> Iterator[Any]:
    """A browser logged in to the app (its link works once)."""
    context = chromium.new_context()
    try:
        context.new_page().goto(app.link)
        yield context
    finally:
        context.close()


def near(seconds: tuple[float, float]) -> Any:
    """Times equal to these within a hundredth of a second (epoch seconds are large)."""
    return pytest.approx(seconds, abs=0.01)


def shown(page: Any, chart: int = 0) -> tuple[float, float]:
    """The time a chart of the page shows (0: the heart's, 1: the movement's): the start and
    end of its x scale, the scale the mouse's drag sets."""
    low, high = page.evaluate(
        "(i) => { const u = i ? floodingCharts[i] : floodingChart;"
        " return [u.scales.x.min, u.scales.x.max]; }",
        chart,
    )
    return float(low), float(high)


def session_page(browser: Any, app: AppProcess) -> Any:
    """The session's page, its charts drawn."""
    page = browser.new_page()
    page.goto(app.base + "/sessions/1")
    page.wait_for_selector("#chart[data-ready='yes'] canvas")
    return page


def test_the_session_chart_zooms_and_moves_from_the_keyboard(browser: Any, app: AppProcess) -> None:
    """Tab reaches the chart, its focus ring standing out; + shows half the time around the
    middle, the arrows move by a quarter of it (never past the session, and without
    scrolling the page), - shows twice as much (never more than the whole), and 0 and Home
    show the whole session again, as the chart first showed it."""
    page = session_page(browser, app)
    whole = shown(page)
    tab_to(page, "chart")
    assert page.evaluate(RING_CONTRAST) >= 3
    scrolled = page.evaluate("window.scrollY")

    page.keyboard.press("+")
    low, high = shown(page)
    middle = (whole[0] + whole[1]) / 2
    assert high - low == pytest.approx((whole[1] - whole[0]) / 2)
    assert (low + high) / 2 == pytest.approx(middle, abs=0.01)
    page.keyboard.press("ArrowRight")
    assert shown(page) == near((low + (high - low) / 4, high + (high - low) / 4))
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert shown(page)[1] == pytest.approx(whole[1], abs=0.01)  # no further than the session's end
    for _ in range(12):
        page.keyboard.press("ArrowLeft")
    assert shown(page) == near((whole[0], whole[0] + high - low))  # nor its start
    assert page.evaluate("window.scrollY") == scrolled

    page.keyboard.press("+")
    narrow = shown(page)
    page.keyboard.press("-")
    assert shown(page)[1] - shown(page)[0] == pytest.approx(2 * (narrow[1] - narrow[0]))
    for _ in range(4):
        page.keyboard.press("-")
    assert shown(page) == near(whole)

    for reset in ("0", "Home"):
        page.keyboard.press("+")
        page.keyboard.press("ArrowRight")
        assert shown(page) != near(whole)
        page.keyboard.press(reset)
        assert shown(page) == near(whole), reset
    page.close()


def test_the_movement_chart_follows_the_keys_and_answers_them_too(
    browser: Any, app: AppProcess
) -> None:
    """The movement chart under the heart shows the same time as the heart chart when the
    keys zoom either of them; the keys are said in words beside the charts, which point to
    them for screen readers."""
    page = session_page(browser, app)
    tab_to(page, "chart")
    page.keyboard.press("+")
    page.keyboard.press("ArrowLeft")
    assert shown(page, 1) == near(shown(page))
    tab_to(page, "movement-chart")
    assert page.evaluate(RING_CONTRAST) >= 3
    page.keyboard.press("+")
    assert shown(page, 1) == near(shown(page))
    keys = EN["web.session.chart_keys"]
    assert page.inner_text("#chart-keys") == keys
    for chart in ("#chart", "#movement-chart"):
        assert "chart-keys" in (page.get_attribute(chart, "aria-describedby") or "").split()
    page.close()


def test_the_keys_are_said_in_german_on_a_german_page(chromium: Any, tmp_path: Path) -> None:
    """In German the words for the chart's keys are German (Pos1 for Home)."""
    store = Store.open(tmp_path)
    try:
        sid = record(store, start_s=1_790_000_000.0)
    finally:
        store.close()
    process = AppProcess("app", "--no-browser", "--lang", "de", "--data-dir", str(tmp_path))
    try:
        page = chromium.new_page()
        page.goto(process.link)
        page.goto(process.base + f"/sessions/{sid}")
        assert page.inner_text("#chart-keys") == DE["web.session.chart_keys"]
        assert "Pos1" in DE["web.session.chart_keys"]
        page.close()
    finally:
        process.stop()


def test_the_live_chart_has_no_zoom_only_a_mouse_makes(tmp_path: Path, chromium: Any) -> None:
    """A drag across the live chart on Now leaves it showing the last minutes (a zoom there
    would be for mouse users only, and undone by the next reading)."""
    app = FedApp(tmp_path)
    try:
        app.send(*[fed(t, 70.0 + t % 5, State.CALM) for t in range(120)])
        page = chromium.new_page()
        page.goto(app.server.link())
        page.wait_for_function("() => window.floodingChart && window.floodingChart.data[0].length")
        before = page.evaluate("[floodingChart.scales.x.min, floodingChart.scales.x.max]")
        box = page.locator("#chart .u-over").bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.3, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
        page.mouse.up()
        after = page.evaluate("[floodingChart.scales.x.min, floodingChart.scales.x.max]")
        assert after == before
        page.close()
    finally:
        app.close()
