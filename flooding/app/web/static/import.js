// The Import page: a file larger than the app takes is said before it is sent; each file's
// own time goes with it (a recording without times ends then, as on the command line); while
// the import runs, the page says so and the button waits, and a bar shows how far it has
// come (asked of the app now and then under a name the form sends; the status says the
// percentage at each quarter, not at every answer).
"use strict";
(function () {
  const form = document.getElementById("import-form");
  const status = document.getElementById("import-status");
  const button = document.getElementById("import-button");
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const say = (key, values) => (TEXTS[key] || key).replace(/\{(\w+)\}/g, (m, name) =>
    values && name in values ? String(values[name]) : m);
  const maxBytes = Number(form.dataset.maxBytes);
  const FILES = ["file", "second"];
  const token = document.getElementById("progress-token");
  const bar = document.getElementById("import-progress");
  const barBox = document.getElementById("import-progress-box");
  const ASK_MS = 500;  // how often the bar asks how far the import has come
  const SAY_EVERY = 25;  // the status says the percentage when it passes each quarter
  let asking = null;

  function newToken() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ask how far the import named `name` has come, until the page is left (its session opens)
  function follow(name) {
    let said = 0;
    asking = setInterval(async () => {
      let seen;
      try {
        const answer = await fetch("/import/progress?id=" + name, { cache: "no-store" });
        if (!answer.ok) return;
        seen = await answer.json();
      } catch (error) {
        return;  // asked again at the next turn
      }
      if (!seen.total) return;  // not started yet: the bar shows work without a measure
      const percent = Math.min(100, Math.floor((100 * seen.done) / seen.total));
      bar.value = percent;
      const passed = Math.floor(percent / SAY_EVERY) * SAY_EVERY;
      if (passed > said) {
        said = passed;
        status.textContent = say("import.progress", { percent: percent });
      }
    }, ASK_MS);
  }

  function stopFollowing() {
    if (asking !== null) clearInterval(asking);
    asking = null;
    barBox.hidden = true;
    bar.removeAttribute("value");
  }

  function tooLarge() {
    for (const name of FILES) {
      const file = document.getElementById(name).files[0];
      if (file && file.size > maxBytes) return document.getElementById(name);
    }
    return null;
  }

  for (const name of FILES) {
    document.getElementById(name).addEventListener("change", () => {
      const file = document.getElementById(name).files[0];
      document.getElementById("modified_ms_" + name).value = file ? String(file.lastModified) : "";
      status.textContent = tooLarge() ? say("web.import.script.too_large") : "";
    });
  }

  form.addEventListener("submit", (event) => {
    const large = tooLarge();
    if (large) {
      event.preventDefault();
      status.textContent = say("web.import.script.too_large");
      large.focus();
      return;
    }
    if (!document.getElementById("file").files.length) return;  // the browser says so
    status.textContent = say("web.import.script.importing");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    stopFollowing();
    token.value = newToken();
    barBox.hidden = false;
    follow(token.value);
  });

  // back to this page from the browser's history: the button works again
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    form.removeAttribute("aria-busy");
    stopFollowing();
  });
})();
