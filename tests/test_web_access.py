"""Every page of the app is usable by everyone, checked in chromium: text contrast passes
WCAG AA, every control has a label, and a phone-sized screen needs no sideways scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flooding.io.store import Store
from tests.browser import AppProcess
from tests.session_factory import record

pytestmark = pytest.mark.slow

PAGES = (
    "/",
    "/agreement",
    "/sessions",
    "/sessions/1",
    "/progress",
    "/settings",
    "/strap",
    "/logged-out",
)
PHONE = {"width": 360, "height": 740}  # a small phone, in CSS pixels

# contrast of each text against the background it sits on (WCAG 2.1, AA: 4.5, large text 3)
CONTRAST_PROBLEMS = """() => {
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!own || style.visibility === "hidden" || !el.getClientRects().length) continue;
    if (el.closest("[hidden], .skip")) continue;
    const fg = rgba(style.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      const text = el.textContent.trim().slice(0, 30);
      problems.push(el.tagName + " '" + text + "' " + ratio.toFixed(2));
    }
  }
  return problems;
}"""

# how far the focused element's ring stands out from what is around it: the best contrast of
# its outline's and its box-shadow rings' colours against the background it sits on (WCAG
# 2.2 asks 3:1 of a focus indicator)
RING_CONTRAST = """() => {
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const colours = (text) => (text.match(/rgba?\\([^)]*\\)/g) || [])
    .map((c) => (c.match(/[\\d.]+/g) || []).map(Number))
    .filter((c) => c.length === 3 || c[3] > 0.5).map((c) => c.slice(0, 3));
  const el = document.activeElement;
  let bg = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const c = colours(getComputedStyle(up).backgroundColor);
    if (c.length) { bg = c[0]; break; }
  }
  const style = getComputedStyle(el);
  const rings = style.outlineStyle === "none" || parseFloat(style.outlineWidth) === 0
    ? [] : colours(style.outlineColor);
  rings.push(...colours(style.boxShadow));
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  return Math.max(0, ...rings.map((c) => ratio(c, bg)));
}"""

UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter((el) => !el.labels.length && !el.getAttribute("aria-label"))
  .map((el) => el.name)"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AppProcess]:
    """`flooding app` over a folder with one hard talk."""
    store = Store.open(tmp_path)
    try:
        record(store)
    finally:
        store.close()
    process = AppProcess("app", "--no-browser", "--data-dir", str(tmp_path))
    try:
        yield process
    finally:
        process.stop()


def test_text_contrast_passes_wcag_aa_on_every_page(chromium: Any, app: AppProcess) -> None:
    """No text on any page is fainter against its background than WCAG AA allows."""
    page = chromium.new_page()
    page.goto(app.link)
    found = {}
    for path in PAGES:
        page.goto(app.base + path)
        problems = page.evaluate(CONTRAST_PROBLEMS)
        if problems:
            found[path] = problems
    assert found == {}


def test_every_control_has_a_label(chromium: Any, app: AppProcess) -> None:
    """Every field a person fills in is named for screen readers and voice control."""
    page = chromium.new_page()
    page.goto(app.link)
    for path in PAGES:
        page.goto(app.base + path)
        assert page.evaluate(UNLABELLED) == [], path


def test_pages_fit_a_phone_without_sideways_scrolling(chromium: Any, app: AppProcess) -> None:
    """On a 360-pixel-wide screen no page is wider than the screen."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(app.link)
    for path in PAGES:
        page.goto(app.base + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
    context.close()


def test_the_pages_can_be_walked_with_the_keyboard(chromium: Any, app: AppProcess) -> None:
    """Tab reaches the skip link first, then the page links; Enter on one opens it."""
    page = chromium.new_page()
    page.goto(app.link)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to the page"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Sessions"
    page.keyboard.press("Enter")
    page.wait_for_url(app.base + "/sessions")


# the focused element, for the failure message
WHERE = "(el => el.tagName + ' ' + el.textContent.trim().slice(0, 20))(document.activeElement)"
FOCUS_STEPS = 40  # Tab presses on each page: the nav, the cards, the forms' first fields


def test_the_focus_ring_stands_out_on_every_background(chromium: Any, app: AppProcess) -> None:
    """Wherever the keyboard's focus lands on any page (the blue bar, the cards, the page),
    its ring stands out from the background at least 3:1."""
    page = chromium.new_page()
    page.goto(app.link)
    faint = {}
    for path in PAGES:
        page.goto(app.base + path)
        for _ in range(FOCUS_STEPS):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break  # past the page's last control
            where = page.evaluate(WHERE)
            ratio = page.evaluate(RING_CONTRAST)
            if ratio < 3:
                faint[f"{path} {where}"] = round(ratio, 2)
    assert faint == {}
