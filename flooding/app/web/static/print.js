// The agreement's print button (a script file: the page's policy allows no inline script).
"use strict";
document.getElementById("print").addEventListener("click", () => window.print());
