"""scripts/screenshots: every page of the app in chromium, from the demo; prints timings.

Plays the demo (its live page through the calm start, the alert and the pause), then serves
the recorded session with `flooding app` for the other pages. Writes PNGs (desktop width, and
the live page at phone width too) and prints first-paint times and the sample-to-chart delay.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(ROOT := Path(__file__).resolve().parent.parent))
from flooding.app.web.guard import load_secret, mint_code
from tests.browser import CHROMIUM_ARGS, AppProcess

CHROMIUM = os.environ.get("FLOODING_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1100, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone, in CSS pixels
DEMO_SPEED = "20"  # slow enough to catch each state of the live page
TIMEOUT_MS = 120_000


def served(*args: str) -> AppProcess:
    """A `flooding` command serving the app (the tests' AppProcess); exits when it prints no
    App: line."""
    try:
        return AppProcess(*args)
    except AssertionError as exc:
        raise SystemExit(f"screenshots: `flooding {args[0]}` printed no App: line\n{exc}") from None


def logged_in(browser: Any, app: AppProcess, data: Path, viewport: dict[str, int]) -> Any:
    """A browser context (its own cookies) let in with a fresh one-time code."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{app.base}/open?code={mint_code(load_secret(data))}")
    page.close()
    return context


def first_paint_ms(page: Any) -> float:
    """The page's first contentful paint, from navigation start."""
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0", timeout=10_000
    )
    return float(
        page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
            " || -1"
        )
    )


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="flooding-shots-"))
    paints: dict[str, float] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # --with-real: the app below shows the demo's session from the same folder
        demo = served(
            "demo", "--speed", DEMO_SPEED, "--no-notify", "--with-real", "--data-dir", str(data)
        )
        try:
            desktop = browser.new_context(viewport=DESKTOP)
            page = desktop.new_page()
            page.goto(demo.link)
            fresh = desktop.new_page()  # timed without the link's redirect and a cold browser
            fresh.goto(demo.base + "/")
            paints["Now (live)"] = first_paint_ms(fresh)
            fresh.close()
            phone = logged_in(browser, demo, data, PHONE).new_page()
            phone.goto(demo.base + "/")
            page.wait_for_function("() => window.floodingLag.length > 200", timeout=TIMEOUT_MS)
            page.screenshot(path=out / "now.png", full_page=True)
            page.wait_for_selector("#alert-card", state="visible", timeout=TIMEOUT_MS)
            page.screenshot(path=out / "now-alert.png", full_page=True)
            page.wait_for_selector("#pause-card", state="visible", timeout=TIMEOUT_MS)
            page.wait_for_timeout(1500)
            page.screenshot(path=out / "now-pause.png", full_page=True)
            phone.screenshot(path=out / "now-pause-phone.png", full_page=True)
            lags = [float(x) for x in page.evaluate("() => window.floodingLag")]
            demo.process.wait(300)
        finally:
            demo.stop()
        app = served("app", "--no-browser", "--data-dir", str(data))
        try:
            desktop = browser.new_context(viewport=DESKTOP)
            page = desktop.new_page()
            page.goto(app.link)
            page.goto(app.base + "/agreement")
            page.get_by_label("Our signal word for a break").fill("pineapple")
            page.get_by_label("Where the first of us goes").fill("a walk round the block")
            page.get_by_label("Where the second of us goes").fill("the bedroom, with music")
            page.get_by_role("button", name="Save our agreement").click()
            page.wait_for_selector(".agreement")
            for name, path in (
                ("Before a talk", "/agreement"),
                ("Sessions", "/sessions"),
                ("Session", "/sessions/1"),
                ("Progress", "/progress"),
                ("Settings", "/settings"),
                ("Strap", "/strap"),
                ("Now (no monitor)", "/"),
            ):
                shot = desktop.new_page()
                shot.goto(app.base + path)
                if path == "/sessions/1":
                    shot.wait_for_selector("#chart[data-ready='yes'] canvas")
                paints[name] = first_paint_ms(shot)
                file = "session" if path == "/sessions/1" else (path.strip("/") or "now-idle")
                # the settings form is long: its first screen shows what it is like
                shot.screenshot(path=out / f"{file}.png", full_page=path != "/settings")
                shot.close()
            phone = logged_in(browser, app, data, PHONE).new_page()
            phone.goto(app.base + "/sessions/1")
            phone.wait_for_selector("#chart[data-ready='yes'] canvas")
            phone.screenshot(path=out / "session-phone.png", full_page=True)
        finally:
            app.stop()
        browser.close()
    print(f"Screenshots in {out}")
    print("First contentful paint (chromium, headless, this machine):")
    for name, ms in paints.items():
        print(f"  {name:<18} {ms:6.0f} ms")
    if lags:
        lags.sort()
        p95 = lags[int(0.95 * (len(lags) - 1))]
        print(
            f"Strap sample to live chart: median {statistics.median(lags):.0f} ms, "
            f"95th percentile {p95:.0f} ms, over {len(lags)} samples"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
