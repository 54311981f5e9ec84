// The Settings page: the what-if preview follows the values as the person changes them
// (without this script, the form's Preview button gives the same with a page load).
"use strict";
(function () {
  const WAIT_MS = 500; // after the last key: typing "105" asks once, not three times
  const $ = (id) => document.getElementById(id);
  const form = document.querySelector("form[action='/settings']");
  const line = $("what-if-line");
  let timer = null;
  let asking = null; // the request under way (only the newest one is shown)

  function show(answer) {
    $("preview-verdict").textContent = answer.verdict;
    for (const name of ["sessions", "current", "candidate", "false", "missed", "added"]) {
      $("p-" + name).textContent = String(answer[name]);
    }
    const changed = $("p-changes");
    changed.replaceChildren();
    for (const change of answer.changes) {
      const code = document.createElement("code");
      code.textContent = change;
      changed.append(code, " ");
    }
    if (!answer.changes.length) changed.textContent = changed.dataset.nothing;
    $("preview").hidden = false;
    line.textContent = answer.verdict;
  }

  async function ask() {
    if (asking) asking.abort();
    const mine = new AbortController();
    asking = mine;
    line.textContent = line.dataset.working;
    try {
      const reply = await fetch("/settings/what-if", {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        signal: mine.signal,
      });
      if (reply.status === 204 || asking !== mine) return; // a newer value is on its way
      const answer = await reply.json();
      if (asking !== mine) return;
      if (reply.ok) show(answer);
      else line.textContent = answer.problems.join(" ");
    } catch (error) {
      if (error.name !== "AbortError" && asking === mine) line.textContent = line.dataset.failed;
    }
  }

  function soon(event) {
    // the message texts change no alert: only the values the detector and the pause use
    if (event.target.tagName === "TEXTAREA") return;
    clearTimeout(timer);
    timer = setTimeout(ask, WAIT_MS);
  }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
