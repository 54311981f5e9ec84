// Time on a chart: its axis and its hover value in the page's language (<html lang>), by the
// browser's own formats. uPlot's are English, with US dates (its "5/4/24" reads as 5 April
// in German); a chart over more than a day gives the date with the clock time. Clock times
// are in 24 hours in every language, as the messages and the words for the partner say them
// ("back at 16:33"): one page never gives 04:33 PM beside 16:33.
"use strict";
window.floodingTime = (function () {
  const lang = document.documentElement.lang || undefined;
  const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const exact = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  const day = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const DAY_S = 86400;
  const MINUTE_S = 60;
  const at = (s) => new Date(s * 1000);
  return {
    // the x axis: clock times (with seconds when ticks are under a minute apart), dated when
    // the chart shows more than a day
    axis: function (stroke) {
      return {
        stroke: stroke,
        values: function (u, splits, axisIdx, space, step) {
          const dated = u.scales.x.max - u.scales.x.min > DAY_S;
          const time = step < MINUTE_S ? exact : clock;
          return splits.map((s) => s == null ? null : (dated ? day.format(at(s)) + " " : "") + time.format(at(s)));
        },
      };
    },
    // the time in the hover values: its date and clock time, to the second
    series: function (label) {
      return { label: label, value: (u, s) => s == null ? "--" : day.format(at(s)) + " " + exact.format(at(s)) };
    },
  };
})();
