// Every form page: what the page says first after a refused (or saved) form gets the focus
// (a screen reader reads it, and the next Tab goes on from there); each problem in a refused
// form's summary links to its field, which following the link focuses, its label in sight.
"use strict";
(function () {
  const first = document.querySelector("[data-focus-first]");
  if (first) first.focus();
  for (const link of document.querySelectorAll(".error-summary a[href^='#']")) {
    link.addEventListener("click", (event) => {
      const field = document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      const label = document.querySelector("label[for='" + field.id + "']") || field;
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }
})();
