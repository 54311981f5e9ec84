// A session's chart: uPlot with zoom (the mouse's drag, or the keys of chart_keys.js) and
// hover values; alerts, breaks and ready marked; a session of two draws each heart on its
// own line, and when each was flooded.
"use strict";
(function () {
  const box = document.getElementById("chart");
  // the words, in the person's language: the server puts them into the page
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const say = (key) => TEXTS[key] || key;
  const COLORS = { alert: "#b3261e", ready: "#1f6b3a", pause: "rgba(29, 94, 140, 0.15)" };
  // the marks differ by pattern too (red and green look alike to many): the alert solid,
  // ready-to-return dashed (as the legend says)
  const DASHES = { alert: [], ready: [6, 4] };
  // a session of two: each person's colour (as `flooding plot`: apart for colour-blind eyes too)
  const PERSON_COLORS = ["#1f3b73", "#b8860b"];
  const FLOODED_BAR = 5;  // px: the bar at the top that shows when a person was flooded

  // one heart: the readings, the calm baseline and the flooding line, over the same times
  function oneHeart(d) {
    return {
      data: [d.t, d.bpm, d.baseline, d.threshold],
      series: [
        floodingTime.series(say("web.chart.time")),
        { label: say("web.chart.heart"), stroke: "#b3261e", width: 1.5 },
        { label: say("web.chart.baseline"), stroke: "#1f6b3a", width: 2, dash: [6, 4] },
        { label: say("web.chart.line"), stroke: "#8a5a00", width: 2, dash: [2, 3] },
      ],
    };
  }

  // two hearts: each on its own times, joined on one axis (a null from the server is a gap in
  // that heart; a time only the other heart has is spanned), each with its calm baseline
  function twoHearts(d) {
    const tables = d.people.map((p) => [p.t, p.bpm, p.t.map(() => p.calm)]);
    const series = [floodingTime.series(say("web.chart.time"))];
    d.people.forEach((p, i) => {
      const stroke = PERSON_COLORS[i % PERSON_COLORS.length];
      series.push({ label: p.label, stroke: stroke, width: 1.5 });
      series.push({ label: p.calm_label, stroke: stroke, width: 1, dash: [6, 4], show: p.calm !== null });
    });
    return { data: uPlot.join(tables), series: series };
  }

  function marksPlugin(marks) {
    return {
      hooks: {
        drawClear: [(u) => {
          const ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          ctx.save();
          for (const m of marks) {
            if (m.kind !== "pause" && m.kind !== "flooded") continue;
            const x0 = u.valToPos(m.t, "x", true), x1 = u.valToPos(m.end, "x", true);
            if (m.kind === "pause") {
              ctx.fillStyle = COLORS.pause;
              ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
            } else {  // when one of two was flooded: a bar in their colour at the top
              const bar = FLOODED_BAR * devicePixelRatio;
              ctx.fillStyle = PERSON_COLORS[m.person % PERSON_COLORS.length];
              ctx.fillRect(x0, top + m.person * (bar + devicePixelRatio), Math.max(1, x1 - x0), bar);
            }
          }
          ctx.restore();
        }],
        draw: [(u) => {
          const ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          for (const m of marks) {
            if (m.kind === "pause" || m.kind === "flooded") continue;
            const x = u.valToPos(m.t, "x", true);
            ctx.strokeStyle = COLORS[m.kind] || "#000";
            ctx.setLineDash((DASHES[m.kind] || []).map((d) => d * devicePixelRatio));
            ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
  }

  fetch("/sessions/" + box.dataset.session + "/chart.json", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((d) => {
      const hearts = d.people ? twoHearts(d) : oneHeart(d);
      const opts = {
        width: Math.max(280, box.clientWidth), height: 300,
        scales: { x: { time: true } },
        cursor: { drag: { x: true, y: false } },
        axes: [floodingTime.axis("#4a5560"), Object.assign({ stroke: "#4a5560", label: say("web.chart.axis") }, d.activity ? { size: 64 } : {})],
        series: hearts.series,
        plugins: [marksPlugin(d.marks)],
      };
      opts.cursor.sync = { key: "session" };
      const chart = new uPlot(opts, hearts.data, box);
      window.floodingChart = chart; // what is drawn (for measurements and tests)
      const charts = [[chart, 300]];
      const focusable = [box];
      if (d.activity) {  // the strap's accelerometer: how much the body moved, under the heart
        const moved = document.getElementById("movement");
        moved.hidden = false;
        const band = document.getElementById("movement-chart");
        const movement = new uPlot({
          width: Math.max(280, box.clientWidth), height: 120,
          scales: { x: { time: true } },
          cursor: { drag: { x: true, y: false }, sync: { key: "session" } },
          axes: [floodingTime.axis("#4a5560"), { stroke: "#4a5560", label: say("web.chart.moved_axis"), size: 64 }],
          series: [floodingTime.series(say("web.chart.time")), { label: say("web.chart.movement"), stroke: "#6b4fa0", fill: "rgba(107, 79, 160, 0.25)", width: 1 }],
        }, [d.t, d.activity], band);
        charts.push([movement, 120]);
        focusable.push(band);
        band.dataset.ready = "yes";
      }
      window.floodingCharts = charts.map(([c]) => c); // the heart's, then the movement's
      floodingChartKeys(focusable, window.floodingCharts);
      window.addEventListener("resize", () => {
        for (const [c, h] of charts) c.setSize({ width: Math.max(280, box.clientWidth), height: h });
      });
      box.dataset.ready = "yes";
    });
})();
