// The live page: the heart from the monitor's Server-Sent Events, drawn with uPlot.
"use strict";
(function () {
  const WINDOW_S = 300; // the chart shows the last five minutes of the session
  // the words, in the person's language: the server puts them into the page
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const say = (key, values) => (TEXTS[key] || key).replace(/\{(\w+)\}/g, (m, name) =>
    values && name in values ? String(values[name]) : m);
  const words = (prefix, name) => TEXTS[prefix + name] || name;
  const $ = (id) => document.getElementById(id);
  const t = [], bpm = [], base = [], line = [];
  const people = []; // couple mode: the two names, in the order their hearts first came
  const hearts = [[], []]; // couple mode: each partner's heart, aligned with t (null between)
  const latestOf = {};
  let latest = null, status = null, lastAlert = null, lastNotYet = null, drawPending = false;
  let chart = null;
  window.floodingLag = []; // ms from the server's send to the chart drawn (for measurements)

  const chartBox = $("chart");
  const width = () => Math.max(280, chartBox.clientWidth);
  function makeChart() {
    const couple = people.length > 0;
    const series = couple
      ? [floodingTime.series(say("web.chart.time")), { label: say("web.chart.first_heart"), stroke: "#b3261e", width: 2, spanGaps: true },
             { label: say("web.chart.second_heart"), stroke: "#1d5e8c", width: 2, spanGaps: true }]
      : [floodingTime.series(say("web.chart.time")), { label: say("web.chart.heart"), stroke: "#b3261e", width: 2, spanGaps: false },
             { label: say("web.chart.baseline"), stroke: "#1f6b3a", width: 2, dash: [6, 4] },
             { label: say("web.chart.line"), stroke: "#8a5a00", width: 2, dash: [2, 3] }];
    chart = new uPlot({
      width: width(), height: 260,
      scales: { x: { time: true }, y: { auto: true } },
      axes: [floodingTime.axis("#4a5560"), { stroke: "#4a5560", label: say("web.chart.axis") }],
      legend: { show: false }, // the page has its own legend, and the numbers under Details
      series: series,
    }, chartData(), chartBox);
    window.floodingChart = chart; // what is drawn (for measurements and tests)
    if (couple) {
      $("chart-title").textContent = say("web.live.couple_title");
      document.querySelector(".legend").textContent = people[1]
        ? say("web.live.couple_legend_two", { first: people[0], second: people[1] })
        : say("web.live.couple_legend_one", { first: people[0] });
    }
  }
  function chartData() { return people.length ? [t, hearts[0], hearts[1]] : [t, bpm, base, line]; }
  window.addEventListener("resize", () => chart && chart.setSize({ width: width(), height: 260 }));

  function clock(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + String(s).padStart(2, "0");
  }

  function addReading(r) {
    if (r.person !== undefined) return addPersonReading(r);
    t.push(r.t); bpm.push(r.bpm); base.push(r.baseline); line.push(r.threshold);
    while (t.length && r.t - t[0] > WINDOW_S) { t.shift(); bpm.shift(); base.shift(); line.shift(); }
    latest = r;
  }

  function addPersonReading(r) {
    let i = people.indexOf(r.person);
    if (i < 0 && people.length < 2) {
      people.push(r.person);
      i = people.length - 1;
      if (chart) { chart.destroy(); chart = null; }
    }
    if (i < 0) return;
    t.push(r.t); hearts[i].push(r.bpm); hearts[1 - i].push(null);
    while (t.length && r.t - t[0] > WINDOW_S) { t.shift(); hearts[0].shift(); hearts[1].shift(); }
    latestOf[r.person] = r;
    latest = r;
  }

  function draw(sentMs) {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      if (!chart) makeChart(); else chart.setData(chartData());
      showState();
      if (sentMs) {
        window.floodingLag.push(Date.now() - sentMs);
        if (window.floodingLag.length > 1000) window.floodingLag.shift();
      }
    });
  }

  function workout() { return status && status.mode === "workout"; }

  // the strap's number of a reading the detector could not use (shown only in the words)
  const strapNumber = (r) => (r.strap_bpm == null ? "?" : Math.round(r.strap_bpm));

  function showState() {
    const shown = $("state-words");
    if (!latest) return;
    // a reading the detector could not use has no heart rate (bpm null): "--", and why
    const counted = latest.bpm != null;
    $("bpm").textContent = counted ? Math.round(latest.bpm) : "--";
    if (people.length) showPeople();
    let text = words("web.live.state.", latest.state);
    if (latest.pausing) text = say("web.live.pausing");
    if (workout()) text = say("web.live.workout");
    shown.textContent = text;
    shown.className = "state-words " + (latest.pausing ? "pausing" : latest.state);
    // no skin contact has its words already (the state's); a reading not believable, its own
    const why = counted ? "" : latest.unusable === "no-contact" ? words("web.live.state.", "no-contact")
      : say("web.live.unusable." + latest.unusable, { bpm: strapNumber(latest) });
    const readingWords = $("reading-words");
    readingWords.textContent = why;
    // said once: not when the state's words say it already, nor beside both hearts' lines
    readingWords.hidden = !why || why === text || people.length > 0;
    const perMinute = (value) => say("web.live.bpm", { bpm: value.toFixed(0) });
    $("n-bpm").textContent = counted ? perMinute(latest.bpm)
      : say("web.live.not_counted." + latest.unusable, { bpm: strapNumber(latest) });
    $("n-baseline").textContent = latest.baseline == null ? say("web.live.not_known") : perMinute(latest.baseline);
    $("n-threshold").textContent = perMinute(latest.threshold);
    $("n-state").textContent = words("state.", latest.state);
    const pausing = latest.pausing;
    $("pause-card").hidden = !pausing;
    $("alert-card").hidden = !(lastAlert && (latest.state === "flooded" || pausing) && !alertAnswered);
    $("start-pause").hidden = pausing;
    if (pausing && latest.pause_until) {
      $("countdown").textContent = clock(latest.pause_until - latest.t);
    }
  }
  let alertAnswered = false;

  function showPeople() {
    // couple mode: each heart in words, instead of one big number
    $("bpm").parentElement.hidden = true;
    const list = $("people");
    list.hidden = false;
    list.textContent = "";
    for (const name of people) {
      const r = latestOf[name];
      const item = document.createElement("li");
      const state = words("web.live.person.", r.state);
      item.textContent = r.bpm != null
        ? say("web.live.person_line", { name: name, bpm: Math.round(r.bpm), state: state })
        : say("web.live.person_not_counted." + r.unusable, { name: name, bpm: strapNumber(r), state: state });
      list.appendChild(item);
    }
  }

  function showMessage(m) {
    if (m.kind === "alert") {
      lastAlert = m; alertAnswered = false;
      $("alert-title").textContent = m.title;
      $("alert-body").textContent = m.body;
      $("ready-words").textContent = "";
      $("alert-card").hidden = false;
    } else if (m.kind === "not-yet") {
      lastNotYet = m;
      $("ready-words").textContent = m.title + " " + m.body;
    } else if (m.kind === "ready") {
      $("ready-words").textContent = m.title + " " + m.body;
      $("action-result").textContent = m.title;
    }
  }

  function showStatus(s) {
    status = s;
    if (!s) return;
    const on = s.mode === "workout";
    const button = $("workout");
    button.textContent = say(on ? "web.live.talk_button" : "web.live.workout_button");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    $("mode-words").textContent = say(on ? "web.live.mode_workout" : "web.live.mode_talk");
    if (s.strap) showLink({ state: s.strap.link, strap: s.strap.name }, s.strap.battery_percent);
    const desktop = $("desktop-words");
    desktop.hidden = !s.desktop_problem;
    desktop.textContent = s.desktop_problem ? say("web.live.desktop", { why: s.desktop_problem }) : "";
    showState();
  }

  function showLink(link, percent) {
    if (link) {
      const state = words("web.live.link.", link.state);
      $("link-words").textContent = state + (link.strap ? " (" + link.strap + ")" : "");
    }
    if (percent != null) {
      $("battery-words").textContent =
        say("web.live.battery", { percent: percent }) + (percent < 15 ? say("web.live.battery_low") : "");
    }
  }

  function breathWords() {
    // the same rhythm as breathing.css: in for the inhale share of the cycle, then out
    const box = document.querySelector(".breath-circle");
    if (!box || $("pause-card").hidden) return;
    const style = getComputedStyle(box);
    const cycle = parseFloat(style.animationDuration) || 10;
    // the circle's own clock: its animation starts when the pause card shows, not when the
    // page loaded (counted from the page, the words could say "in" while it shrank)
    const running = box.getAnimations ? box.getAnimations()[0] : undefined;
    const ms = running && running.currentTime !== null ? Number(running.currentTime) : performance.now();
    const phase = ((ms / 1000) % cycle) / cycle;
    const inhale = parseFloat(document.body.dataset.inhale || "0.4");
    $("breath-words").textContent = say(phase < inhale ? "web.live.breathe_in" : "web.live.breathe_out");
  }
  setInterval(breathWords, 250);

  async function act(request, done) {
    const result = $("action-result");
    try {
      const response = await fetch("/api/control", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request), credentials: "same-origin",
      });
      const reply = await response.json();
      result.textContent = reply.ok
        ? (reply.break_over ? done + " " + say("web.live.break_over") : done)
        : (TEXTS["control.refused." + reply.code] || reply.error || say("web.live.failed"));
    } catch (e) {
      result.textContent = say("web.live.unreachable");
    }
  }

  $("start-pause").addEventListener("click", () => act({ cmd: "pause" }, say("web.live.done_pause")));
  $("not-flooded").addEventListener("click", () => {
    alertAnswered = true;
    act({ cmd: "ok" }, say("web.live.done_ok"));
    showState();
  });
  $("end-pause").addEventListener("click", () => act({ cmd: "resume" }, say("web.live.done_resume")));
  $("workout").addEventListener("click", () => act({ cmd: "workout", on: !workout() }, say(workout() ? "web.live.done_talk" : "web.live.done_workout")));

  const source = new EventSource("/events");
  source.addEventListener("snapshot", (e) => {
    const snap = JSON.parse(e.data);
    t.length = bpm.length = base.length = line.length = 0;
    hearts[0].length = hearts[1].length = people.length = 0;
    if (chart) { chart.destroy(); chart = null; }
    snap.readings.forEach(addReading);
    snap.messages.forEach(showMessage);
    showLink(snap.link, snap.battery && snap.battery.percent);
    showStatus(snap.status);
    draw();
  });
  source.addEventListener("reading", (e) => {
    const r = JSON.parse(e.data);
    addReading(r);
    draw(r.w);
  });
  source.addEventListener("person-reading", (e) => {
    const r = JSON.parse(e.data);
    addReading(r);
    draw(r.w);
  });
  source.addEventListener("message", (e) => showMessage(JSON.parse(e.data)));
  source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
  source.addEventListener("link", (e) => showLink(JSON.parse(e.data), null));
  source.addEventListener("battery", (e) => showLink(null, JSON.parse(e.data).percent));
  source.addEventListener("info", (e) => { $("action-result").textContent = JSON.parse(e.data).text; });
  source.onerror = () => { $("link-words").textContent = say("web.live.lost"); };
})();
