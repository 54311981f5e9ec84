// A chart's zoom from the keyboard: the same time scale the mouse's drag and double-click set
// (uPlot's `setScale` on "x"), for a person who does not use a mouse. On the focused chart:
// + zooms in and - out around the middle, the left and right arrows move along the time, 0 or
// Home shows the whole again. Charts over the same times (the heart and the movement under
// it) move together.
"use strict";
window.floodingChartKeys = (function () {
  const STEP = 2; // + shows half as much, - twice as much
  const PAN = 0.25; // an arrow moves by a quarter of what is shown
  const MIN_SHOWN_S = 10; // zoomed no further in than ten seconds

  // the whole time the first chart's data spans
  function whole(chart) {
    const times = chart.data[0];
    return { min: times[0], max: times[times.length - 1] };
  }

  // the time shown, kept within the whole (as wide as the whole at most)
  function within(all, min, max) {
    const width = Math.min(Math.max(max - min, MIN_SHOWN_S), all.max - all.min);
    min = Math.max(all.min, Math.min(min, all.max - width));
    return { min: min, max: min + width };
  }

  // the keys a chart answers: the time it then shows, from the time it shows now
  const KEYS = {
    "+": (s, all) => { const mid = (s.min + s.max) / 2, half = (s.max - s.min) / STEP / 2; return within(all, mid - half, mid + half); },
    "-": (s, all) => { const mid = (s.min + s.max) / 2, half = (s.max - s.min) * STEP / 2; return within(all, mid - half, mid + half); },
    ArrowLeft: (s, all) => within(all, s.min - (s.max - s.min) * PAN, s.max - (s.max - s.min) * PAN),
    ArrowRight: (s, all) => within(all, s.min + (s.max - s.min) * PAN, s.max + (s.max - s.min) * PAN),
    "0": (s, all) => all,
    Home: (s, all) => all,
  };
  KEYS["="] = KEYS["+"]; // the + key without Shift on many keyboards
  KEYS["_"] = KEYS["-"];

  // `boxes` answer the keys when focused; `charts` (uPlot) all follow
  return function attach(boxes, charts) {
    for (const box of boxes) {
      box.addEventListener("keydown", (e) => {
        const key = KEYS[e.key];
        if (!key || e.altKey || e.ctrlKey || e.metaKey) return; // the browser's own zoom stays
        e.preventDefault(); // the arrows do not scroll the page too
        const x = charts[0].scales.x;
        const shown = key({ min: x.min, max: x.max }, whole(charts[0]));
        for (const chart of charts) chart.setScale("x", shown);
      });
    }
  };
})();
