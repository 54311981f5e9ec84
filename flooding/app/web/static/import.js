// The Import page: a file larger than the app takes is said before it is sent; each file's
// own time goes with it (a recording without times ends then, as on the command line); while
// the import runs, the page says so and the button waits.
"use strict";
(function () {
  const form = document.getElementById("import-form");
  const status = document.getElementById("import-status");
  const button = document.getElementById("import-button");
  const TEXTS = JSON.parse(document.getElementById("texts").textContent);
  const say = (key) => TEXTS[key] || key;
  const maxBytes = Number(form.dataset.maxBytes);
  const FILES = ["file", "second"];

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
  });

  // back to this page from the browser's history: the button works again
  window.addEventListener("pageshow", () => {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  });
})();
