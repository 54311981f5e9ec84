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
  const people = []; // couple mode: the two names (the profiles' order, else as their hearts came)
  const hearts = [[], []]; // couple mode: each partner's heart, aligned with t (null between)
  const latestOf = {};
  let couple = false; // two people watched: the page's words address both
  // couple mode: whether a partner may be named as flooded (couple.name_who); else each
  // heart is shown without the word, as the alert says "one of you"
  const NAME_WHO = $("people").dataset.nameWho === "yes";
  const straps = {}; // couple mode: each partner's strap (link, name, battery), by name
  let latest = null, status = null, lastAlert = null, lastNotYet = null, drawPending = false;
  let chart = null;
  // the pause as last heard (a reading, or the monitor's status), and when it ends on the
  // page's own clock: the count-down runs between readings (none come while the strap is away)
  let pausing = false, pauseEndMs = null;
  // the server's time (its readings' `t`) less the page's clock, in s: known from the newest
  // reading heard live (null before one: the readings of a snapshot may be minutes old)
  let serverOffsetS = null;
  // what the monitor says instead of a heart now: "waiting" (no session: it ended), "away"
  // (the strap sends nothing); null while readings come
  let away = null;
  let lost = false; // the page cannot reach the monitor: nothing it shows is known now
  // the monitor's status gives the time left in tenths of a minute: a page's own end this
  // close to it is kept (it is finer), one further off is put right
  const STATUS_ROUNDING_MS = 6000 + 2000;
  const RECONNECT_MS = 5000; // a stream the browser gave up on (an error answer) is asked again
  const pageSeconds = () => performance.now() / 1000; // the page's clock: no wall-clock jumps
  window.floodingLag = []; // ms from the server's send to the chart drawn (for measurements)

  const chartBox = $("chart");
  const width = () => Math.max(280, chartBox.clientWidth);
  function makeChart() {
    const two = people.length > 0;
    const series = two
      ? [floodingTime.series(say("web.chart.time")), { label: say("web.chart.first_heart"), stroke: "#b3261e", width: 2, spanGaps: true },
             { label: say("web.chart.second_heart"), stroke: "#1d5e8c", width: 2, dash: [6, 3], spanGaps: true }]
      : [floodingTime.series(say("web.chart.time")), { label: say("web.chart.heart"), stroke: "#b3261e", width: 2, spanGaps: false },
             { label: say("web.chart.baseline"), stroke: "#1f6b3a", width: 2, dash: [6, 4] },
             { label: say("web.chart.line"), stroke: "#8a5a00", width: 2, dash: [2, 3] }];
    chart = new uPlot({
      width: width(), height: 260,
      scales: { x: { time: true }, y: { auto: true } },
      // no zoom: the next reading would undo it within a second, and it was the mouse's only
      cursor: { drag: { x: false, y: false, setScale: false } },
      axes: [floodingTime.axis("#4a5560"), { stroke: "#4a5560", label: say("web.chart.axis") }],
      legend: { show: false }, // the page has its own legend, and the numbers under Details
      series: series,
    }, chartData(), chartBox);
    window.floodingChart = chart; // what is drawn (for measurements and tests)
    if (two) {
      $("chart-title").textContent = say("web.live.couple_title");
      showCoupleLegend();
    }
  }
  // couple mode: each partner by name, with the colour and the pattern of their line (a
  // person who cannot tell red from blue tells solid from dashed)
  function showCoupleLegend() {
    const legend = document.querySelector(".legend");
    legend.textContent = "";
    const keys = ["heart-key", "second-key"], texts = ["web.live.couple_legend_first", "web.live.couple_legend_second"];
    people.forEach((name, i) => {
      const key = document.createElement("span");
      key.className = "key " + keys[i];
      legend.append(key, " " + say(texts[i], { name: name }) + " ");
    });
  }
  function chartData() { return people.length ? [t, hearts[0], hearts[1]] : [t, bpm, base, line]; }
  window.addEventListener("resize", () => chart && chart.setSize({ width: width(), height: 260 }));

  // what a screen reader is told: the regions are in the page from the start, and a text is
  // put in a moment after what it tells of is shown (a region filled as it appears is often
  // not read out)
  const ANNOUNCE_DELAY_MS = 150;
  function announce(text, urgent) {
    const region = $(urgent ? "say-urgent" : "say-polite");
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, ANNOUNCE_DELAY_MS);
  }

  // a count-down: 19:58, or 23:59:59 from an hour on
  const clock = (seconds) => floodingTimeWords.clock(Math.round(seconds));

  // a reading heard live: the server's clock against the page's, and the pause it says
  function hearLive(r) {
    serverOffsetS = r.t - pageSeconds();
    away = null;
    followPause(r);
  }

  // the pause a reading says, its end on the page's clock (the reading's time is the
  // server's now less `serverOffsetS`)
  function followPause(r) {
    pausing = !!r.pausing;
    const offset = serverOffsetS === null ? r.t - pageSeconds() : serverOffsetS;
    pauseEndMs = pausing && r.pause_until != null ? (r.pause_until - offset) * 1000 : null;
  }

  // the pause the monitor's status says (it is current: it also comes while no reading
  // does): none, or its time left
  function followStatusPause(s) {
    if (!s.pause) { pausing = false; pauseEndMs = null; return; }
    pausing = true;
    const said = performance.now() + s.pause.minutes_left * 60000;
    if (pauseEndMs === null || Math.abs(said - pauseEndMs) > STATUS_ROUNDING_MS) pauseEndMs = said;
  }

  function showCountdown() {
    showTitle();
    if (!pausing || pauseEndMs === null) { lastMark = null; return; }
    const leftS = (pauseEndMs - performance.now()) / 1000;
    // the break's time is over: the heart is checked now (not "0:00 left")
    $("countdown").textContent = leftS > 0 ? clock(leftS) : say("web.live.break_checking");
    document.querySelector("#pause-card .unit").hidden = !(leftS > 0);
    sayTimeLeft(leftS);
  }
  // the time left is said at every fifth minute and at the last one, never every second
  const MARK_S = 300;
  let lastMark = null;
  function sayTimeLeft(leftS) {
    if (leftS <= 0) return;
    const mark = leftS <= 60 ? 60 : Math.ceil(leftS / MARK_S) * MARK_S;
    if (lastMark !== null && mark < lastMark) {
      announce(mark === 60 ? say("web.live.left_one_minute")
        : say("web.live.left_time", { time: floodingTimeWords.spoken(mark / 60, say) }));
    }
    lastMark = mark;
  }
  setInterval(showCountdown, 250);

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

  // couple mode: the one state that speaks for both, the most pressing of the two
  const PRESSING = ["flooded", "no-contact", "gap", "rising", "warming", "calm"];
  function bothState() {
    const states = people.filter((name) => latestOf[name]).map((name) => latestOf[name].state);
    return PRESSING.find((state) => states.includes(state)) || latest.state;
  }

  // the strap's number of a reading the detector could not use (shown only in the words)
  const strapNumber = (r) => (r.strap_bpm == null ? "?" : Math.round(r.strap_bpm));

  const pausingWords = () => couple ? say("web.live.couple.pausing") : say("web.live.pausing");

  function showState() {
    const shown = $("state-words");
    $("state-card").classList.toggle("stale", lost);
    if (pausing && !wasPausing) { readyMessage = null; pauseShownMs = performance.now(); }
    wasPausing = pausing;
    $("pause-card").hidden = !pausing;
    $("start-pause").hidden = pausing;
    $("ready-card").hidden = !readyMessage;
    // a break can be taken at any time a session runs and none does
    const running = !lost && away !== "waiting" && (latest || (status && status.session_id != null));
    $("take-break").parentElement.hidden = !running || pausing;
    showCountdown();
    if (lost || away === "waiting" || !latest) { showNoHeart(shown); return showAlert(false); }
    // a reading the detector could not use has no heart rate (bpm null): "--", and why
    const counted = latest.bpm != null && !away;
    $("bpm").textContent = counted ? Math.round(latest.bpm) : "--";
    if (people.length) showPeople();
    const state = couple ? bothState() : away ? "gap" : latest.state;
    let text = couple ? words("web.live.couple.state.", state) : words("web.live.state.", state);
    // still above the line after "I'm OK — not flooded": their answer, not the alarm again
    const answered = state === "flooded" && alertAnswered;
    if (answered) text = done("answered_ok");
    if (pausing) text = pausingWords();
    if (workout()) text = say("web.live.workout");
    showStateWords(text);
    shown.className = "state-words " + (pausing ? "pausing" : answered ? "rising" : state);
    // no skin contact has its words already (the state's); a reading not believable, its own
    const why = away ? words("web.live.state.", "gap") : counted ? ""
      : latest.unusable === "no-contact" ? words("web.live.state.", "no-contact")
      : say("web.live.unusable." + latest.unusable, { bpm: strapNumber(latest) });
    const readingWords = $("reading-words");
    readingWords.textContent = why;
    // said once: not when the state's words say it already, nor beside both hearts' lines
    readingWords.hidden = !why || why === text || people.length > 0;
    if (couple) showNumbersOfEach(); else showNumbers();
    showAlert(state === "flooded");
  }
  let alertAnswered = false, wasPausing = false, pauseShownMs = 0;
  let readyMessage = null; // the ready-to-return message shown until dismissed or a pause starts

  // the state's words: said to a screen reader when they change (calm, rising, flooded, the
  // break), not at every reading
  let saidWords = null;
  function showStateWords(text) {
    const shown = $("state-words");
    if (shown.textContent !== text) shown.textContent = text;
    if (saidWords !== null && text !== saidWords) announce(text);
    saidWords = text;
  }

  // the alert's card (while flooded or on its break, until answered); the tab's title says it
  // too, for a person looking at another tab. Once its break runs and the heart is no longer
  // flooded, the card is no alarm any more: a quiet one with the words for the break (the
  // script, the buttons), and the tab's title says the break and its time left
  let alertOn = false, breakWords = false;
  function showAlert(flooded) {
    alertOn = !!(lastAlert && (flooded || pausing) && !alertAnswered);
    breakWords = alertOn && pausing && !flooded;
    const card = $("alert-card");
    card.hidden = !alertOn;
    card.classList.toggle("alert", !breakWords);
    card.classList.toggle("break-words", breakWords);
    const heading = breakWords ? done("break_words_title") : lastAlert ? lastAlert.title : "";
    if (alertOn && $("alert-title").textContent !== heading) $("alert-title").textContent = heading;
    showTitle();
  }
  function showTitle() {
    if (!lastAlert) alertOn = breakWords = false; // its break ended (ready) since last shown
    let title = PAGE_TITLE;
    if (alertOn && !breakWords) title = lastAlert.title + " · " + PAGE_TITLE;
    if (breakWords) {
      const leftS = pauseEndMs === null ? 0 : (pauseEndMs - performance.now()) / 1000;
      const left = leftS > 0
        ? say("web.live.tab_break_left", { time: floodingTimeWords.spoken(Math.ceil(leftS / 60), say) })
        : say("web.live.tab_break");
      title = left + " · " + PAGE_TITLE;
    }
    if (document.title !== title) document.title = title;
  }
  const PAGE_TITLE = document.title;

  // no heart to show as now: the page lost the monitor (greyed, and said so), or no session
  // runs (the words the page had before the first reading)
  function showNoHeart(shown) {
    $("bpm").textContent = "--";
    const none = lost ? say(couple ? "web.live.couple.unknown_now" : "web.live.unknown_now") : WAITING;
    showStateWords(pausing && !lost ? pausingWords() : none);
    shown.className = "state-words" + (lost ? " unknown" : "");
    $("reading-words").hidden = true;
    if (lost) {
      for (const id of ["n-bpm", "n-state"]) $(id).textContent = say("web.live.not_known_now");
    } else {
      $("n-bpm").textContent = $("n-state").textContent = "--";
    }
    if (people.length && !lost) $("people").textContent = "";
  }

  const perMinute = (value) => say("web.live.bpm", { bpm: value.toFixed(0) });
  // a heart's rate, or why the detector did not count it (its `unusable`)
  const rateOf = (r) => r.bpm != null ? perMinute(r.bpm)
    : say("web.live.not_counted." + r.unusable, { bpm: strapNumber(r) });
  function showNumbers() {
    $("n-bpm").textContent = away ? say("web.live.not_known_now") : rateOf(latest);
    $("n-baseline").textContent = latest.baseline == null ? say("web.live.not_known") : perMinute(latest.baseline);
    $("n-threshold").textContent = perMinute(latest.threshold);
    $("n-state").textContent = words("state.", latest.state);
  }

  function showNumbersOfEach() {
    // couple mode: each partner's own numbers, named (never one partner's as if the couple's)
    const each = (value) => people.filter((name) => latestOf[name])
      .map((name) => say("web.live.each", { name: name, value: value(latestOf[name]) })).join(" · ");
    $("n-bpm").textContent = each(rateOf);
    $("n-baseline").textContent = each((r) => r.baseline == null ? say("web.live.not_known") : perMinute(r.baseline));
    $("n-threshold").textContent = each((r) => perMinute(r.threshold));
    // who is flooded is named only with couple.name_who: else the state of both together
    $("n-state").textContent = NAME_WHO ? each((r) => words("web.live.person.", r.state))
      : words("state.", bothState());
  }

  function showPeople() {
    // couple mode: each heart in words, instead of one big number
    $("bpm").parentElement.hidden = true;
    const list = $("people");
    list.hidden = false;
    list.textContent = "";
    for (const name of people) {
      const r = latestOf[name];
      if (!r) continue; // no heart from this strap yet
      const item = document.createElement("li");
      const state = words("web.live.person.", r.state);
      item.textContent = r.bpm != null
        ? say(NAME_WHO ? "web.live.person_line" : "web.live.person_line_unnamed", { name: name, bpm: Math.round(r.bpm), state: state })
        : say("web.live.person_not_counted." + r.unusable, { name: name, bpm: strapNumber(r), state: state });
      list.appendChild(item);
    }
  }

  // a message (`heard`: it came now, not with the page's snapshot: only then it is said); one
  // the person put away (`put_away`, in this tab or another, before a reload) stays away
  function showMessage(m, heard) {
    if (m.kind === "alert") {
      lastAlert = m; alertAnswered = !!m.put_away; readyMessage = null;
      $("alert-title").textContent = m.title;
      $("alert-body").textContent = m.body;
      $("ready-words").textContent = "";
      showState();
      if (heard) announce(m.title + ". " + m.body, true);
    } else if (m.kind === "not-yet") {
      lastNotYet = m;
      $("ready-words").textContent = m.title + " " + m.body;
      if (heard) announce(m.title + ". " + m.body);
    } else if (m.kind === "ready") {
      // shown in a card of its own, where the pause was: the whole message, until the
      // person puts it away or a new pause starts; the alert's break is over with it (a
      // break taken later without an alert does not bring its card back)
      readyMessage = m.put_away ? null : m;
      lastAlert = null;
      $("ready-words").textContent = "";
      $("ready-title").textContent = m.title;
      $("ready-body").textContent = m.body;
      showState();
      if (heard) announce(m.title + ". " + m.body);
    }
  }

  function showStatus(s) {
    status = s;
    if (!s) return;
    followStatusPause(s);
    // no session (it ended), or one person's strap sending nothing: no heart now
    const strapAway = !couple && s.strap && !s.strap.connected && s.heart_bpm == null && !s.heart_not_counted;
    away = s.state === "waiting" ? "waiting" : strapAway ? "away" : null;
    const on = s.mode === "workout";
    const button = $("workout");
    button.textContent = say(on ? "web.live.talk_button" : "web.live.workout_button");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    // a session whose strap sends nothing now: no one can be told of flooding until it does
    const unheard = !couple && !on && s.state !== "waiting" && s.heart_bpm == null && !s.heart_not_counted;
    const mode = on ? "mode_workout" : unheard ? "mode_talk_no_signal" : "mode_talk";
    $("mode-words").textContent = couple ? say("web.live.couple." + mode) : say("web.live." + mode);
    if (couple && s.straps) {
      for (const [name, strap] of Object.entries(s.straps)) {
        showStrap({ person: name, state: strap.link, strap: strap.name, percent: strap.battery_percent });
      }
    } else if (!couple && s.strap) {
      showLink({ state: s.strap.link, strap: s.strap.name }, s.strap.battery_percent);
    }
    const desktop = $("desktop-words");
    desktop.hidden = !s.desktop_problem;
    const why = { why: s.desktop_problem };
    desktop.textContent = !s.desktop_problem ? ""
      : couple ? say("web.live.couple.desktop", why) : say("web.live.desktop", why);
    showState();
  }

  function showStrap(seen) {
    // couple mode: each partner's strap on a line of its own, saying whose it is
    const known = straps[seen.person] || {};
    for (const key of ["state", "strap", "percent"]) {
      if (seen[key] != null) known[key] = seen[key];
    }
    straps[seen.person] = known;
    const list = $("straps");
    if (!list) return;
    list.textContent = "";
    for (const name of people) {
      const strap = straps[name] || {};
      const whose = strap.strap
        ? say("web.live.whose_strap", { name: name, strap: strap.strap })
        : say("web.live.whose_unnamed_strap", { name: name });
      const battery = strap.percent == null ? say("web.live.battery_unknown")
        : say("web.live.battery", { percent: strap.percent }) + (strap.percent < 15 ? say("web.live.battery_low") : "");
      const item = document.createElement("li");
      item.textContent = say("web.live.strap_line", {
        strap: whose, link: words("web.live.strap.", strap.state || "searching"), battery: battery,
      });
      list.appendChild(item);
    }
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
    // the pace of the settings (as breathing.css): in for the inhale share of the cycle, then
    // out; the same with reduced motion, where the circle stands still and the words guide
    const box = document.querySelector(".breath-circle");
    if (!box || $("pause-card").hidden) return;
    const pace = box.parentElement.dataset;
    const cycle = parseFloat(pace.cycleS) || 10;
    const inhale = parseFloat(pace.inhale) || 0.4;
    // the circle's own clock: its animation starts when the pause card shows, not when the
    // page loaded (counted from the page, the words could say "in" while it shrank); with
    // no animation, from when the card showed
    const running = box.getAnimations ? box.getAnimations()[0] : undefined;
    const ms = running && running.currentTime !== null ? Number(running.currentTime) : performance.now() - pauseShownMs;
    const phase = ((ms / 1000) % cycle) / cycle;
    const words = say(phase < inhale ? "web.live.breathe_in" : "web.live.breathe_out");
    if ($("breath-words").textContent !== words) $("breath-words").textContent = words;
  }
  setInterval(breathWords, 250);

  // an action of a button; `focus`: the button goes away with it, and the focus moves to
  // the answer (not lost to the top of the page)
  async function act(request, done, focus) {
    const result = $("action-result");
    try {
      const response = await fetch("/api/control", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request), credentials: "same-origin",
      });
      const reply = await response.json();
      const refused = (couple && TEXTS["control.refused.couple." + reply.code]) || TEXTS["control.refused." + reply.code];
      result.textContent = reply.ok
        ? (reply.break_over ? done + " " + say("web.live.break_over") : done)
        : (refused || reply.error || say("web.live.failed"));
    } catch (e) {
      result.textContent = say("web.live.unreachable");
    }
    if (focus) result.focus();
  }

  const done = (name) => couple ? say("web.live.couple." + name) : say("web.live." + name);
  $("start-pause").addEventListener("click", () => act({ cmd: "pause" }, done("done_pause"), true));
  $("take-break").addEventListener("click", () => act({ cmd: "pause" }, done("done_pause"), true));
  $("not-flooded").addEventListener("click", () => {
    alertAnswered = true;
    act({ cmd: "ok" }, done("done_ok"), true);
    showState();
  });
  $("end-pause").addEventListener("click", () => act({ cmd: "resume" }, say("web.live.done_resume"), true));
  $("ready-done").addEventListener("click", () => {
    if (readyMessage) putAwayEverywhere(readyMessage.id);
    readyMessage = null;
    showState();
    $("state-words").focus();
  });

  // the person put a message away: the app keeps it so, for the page's other tabs and for
  // this one after a reload (the card is gone here at once either way)
  function putAwayEverywhere(id) {
    fetch("/api/put-away", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: id }), credentials: "same-origin",
    }).catch(() => { /* the card is gone here; the monitor away, nothing more to keep */ });
  }

  // a message put away in another tab (or "I'm OK" answered there): its card goes here too,
  // the focus kept on the page if it was on the card
  function putAway(id) {
    const cards = [];
    if (readyMessage && readyMessage.id === id) { readyMessage = null; cards.push("ready-card"); }
    if (lastAlert && lastAlert.id === id && !alertAnswered) { alertAnswered = true; cards.push("alert-card"); }
    const focusWasIn = cards.some((card) => $(card).contains(document.activeElement));
    showState();
    if (focusWasIn) $("state-words").focus();
  }
  $("workout").addEventListener("click", () => act({ cmd: "workout", on: !workout() }, say(workout() ? "web.live.done_talk" : "web.live.done_workout")));

  // the words the page had before the monitor said anything (the template's)
  const WAITING = $("state-words").textContent;
  const LINK_WAITING = $("link-words").textContent;

  // a snapshot starts the page afresh: after a reconnection it may be a new session's (the
  // monitor started again), and nothing of the last one is current
  function forget() {
    t.length = bpm.length = base.length = line.length = 0;
    hearts[0].length = hearts[1].length = people.length = 0;
    for (const name of Object.keys(latestOf)) delete latestOf[name];
    latest = lastAlert = lastNotYet = readyMessage = null;
    alertAnswered = false;
    pausing = wasPausing = false; pauseEndMs = null; away = null; // the server's clock offset is kept
    $("alert-card").hidden = true;
    $("ready-words").textContent = "";
    $("link-words").textContent = LINK_WAITING;
  }

  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("snapshot", (e) => {
      const snap = JSON.parse(e.data);
      lost = false;
      forget();
      couple = (snap.people || []).length > 1;
      if (couple) people.push(...snap.people.slice(0, 2));
      $("link-words").parentElement.hidden = couple; // a couple's straps: each on its own line
      if (chart) { chart.destroy(); chart = null; }
      snap.readings.forEach(addReading);
      if (latest) followPause(latest); // the status, if any, puts its end right
      snap.messages.forEach((m) => showMessage(m, false));
      if (couple) (snap.straps || []).forEach(showStrap);
      else showLink(snap.link, snap.battery && snap.battery.percent);
      showStatus(snap.status);
      draw();
    });
    source.addEventListener("reading", (e) => {
      const r = JSON.parse(e.data);
      addReading(r);
      hearLive(r);
      draw(r.w);
    });
    source.addEventListener("person-reading", (e) => {
      const r = JSON.parse(e.data);
      addReading(r);
      hearLive(r);
      draw(r.w);
    });
    source.addEventListener("message", (e) => showMessage(JSON.parse(e.data), true));
    source.addEventListener("put-away", (e) => putAway(JSON.parse(e.data).id));
    source.addEventListener("status", (e) => showStatus(JSON.parse(e.data)));
    source.addEventListener("link", (e) => showLink(JSON.parse(e.data), null));
    source.addEventListener("battery", (e) => showLink(null, JSON.parse(e.data).percent));
    source.addEventListener("person-strap", (e) => showStrap(JSON.parse(e.data)));
    source.addEventListener("info", (e) => { $("action-result").textContent = JSON.parse(e.data).text; });
    source.onerror = () => {
      // the browser tries again by itself (the monitor comes back on its port); one that gave
      // up (an error answer) is asked again here
      lost = true;
      $("link-words").textContent = say("web.live.lost");
      $("link-words").parentElement.hidden = false;
      showState();
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
    };
  }
  connect();
})();
