// Lengths of time on a page, by the rules the rest of the product uses (flooding/core/timefmt.py):
// a count-down as a clock reads it (`countdown`), and whole minutes in words from the
// catalogue's own texts (`spoken_minutes`), so the page never says "1435 minutes".
"use strict";
window.floodingTimeWords = (function () {
  // `key.one` for exactly one, `key.many` for any other number (the catalogue's `plural_key`)
  const counted = (say, key, n) => say(key + (n === 1 ? ".one" : ".many"), { n: n });
  return {
    // whole seconds: 19:58 below an hour, 23:59:59 (hours first) from an hour on
    clock: function (seconds) {
      seconds = Math.max(0, seconds);
      const minutes = Math.floor(seconds / 60), secs = String(seconds % 60).padStart(2, "0");
      if (minutes < 60) return minutes + ":" + secs;
      return Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0") + ":" + secs;
    },
    // whole minutes in words, with the page's `say`: 1 minute, 20 minutes, 2 hours,
    // 23 hours and 55 minutes
    spoken: function (minutes, say) {
      const hours = Math.floor(minutes / 60), rest = minutes % 60;
      if (!hours) return counted(say, "count.minutes", rest);
      if (!rest) return counted(say, "count.hours", hours);
      return say("when.hours_and_minutes", {
        hours: counted(say, "count.hours", hours),
        minutes: counted(say, "count.minutes", rest),
      });
    },
  };
})();
