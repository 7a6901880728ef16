// Draws each dashboard tile's trend with uPlot from the figures the page
// carries in data attributes: period starts, values (empty for a period
// without data) and the target, drawn as a dashed line. Without
// JavaScript the tiles still show their figures and links.
(function () {
  "use strict";
  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }
  function nums(s) {
    return s === "" ? [] : s.split(",").map(function (x) { return x === "" ? null : Number(x); });
  }
  function unitOf(u) { return u === "%" ? " %" : u === "hours" ? " h" : u === "days" ? " d" : ""; }
  var charts = [];
  function draw(el) {
    if (typeof uPlot === "undefined") { return; }
    var xs = nums(el.dataset.x), ys = nums(el.dataset.y);
    if (xs.length === 0) { return; }
    var target = el.dataset.target === "" ? null : Number(el.dataset.target);
    var unit = unitOf(el.dataset.unit);
    var accent = css("--accent", "#5250d2"), muted = css("--text-3", "#6f7084"), grid = css("--border", "#e2e2e7");
    var series = [{}, {
      label: el.dataset.title, stroke: accent, width: 2, fill: css("--accent-soft", "rgba(82,80,210,.12)"),
      spanGaps: false, points: { show: true, size: 5, fill: accent },
      value: function (u, v) { return v == null ? window.stewardWord("no_data") : (Math.round(v * 10) / 10) + unit; }
    }];
    var data = [xs, ys];
    if (target !== null) {
      series.push({ label: window.stewardWord("target"), stroke: css("--success", "#197a43"), width: 1, dash: [4, 4], points: { show: false } });
      data.push(xs.map(function () { return target; }));
    }
    var opts = {
      width: Math.max(el.clientWidth, 160), height: 120, series: series, legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, lo, hi) {
        lo = Math.min(lo == null ? 0 : lo, target == null ? Infinity : target, 0);
        hi = Math.max(hi == null ? 1 : hi, target == null ? -Infinity : target);
        return [lo, hi === lo ? lo + 1 : hi * 1.1];
      } } },
      axes: [
        { stroke: muted, grid: { show: false }, ticks: { stroke: grid }, font: "11px system-ui", size: 28, values: dayLabels },
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: "11px system-ui", size: 42,
          values: function (u, vals) { return vals.map(function (v) { return (Math.round(v * 10) / 10) + (unit === " %" ? "%" : ""); }); } }
      ]
    };
    charts.push({ el: el, plot: new uPlot(opts, data, el) });
  }
  // dayLabels writes the time axis as the rest of the page writes dates:
  // "25 Nov" for days and weeks, "Nov" (and "Jan 2027") for months.
  var lang = document.documentElement.lang || "en";
  var monthName = new Intl.DateTimeFormat(lang, { month: "short" });
  function month(d) { return monthName.format(d).replace(/\.$/, ""); }
  function dayLabels(u, vals, axis, space, incr) {
    var months = incr >= 28 * 86400;
    return vals.map(function (v) {
      var d = new Date(v * 1000);
      if (months) { return month(d) + (d.getMonth() === 0 ? " " + d.getFullYear() : ""); }
      return d.getDate() + (lang === "de" ? ". " : " ") + month(d);
    });
  }
  function init() {
    document.querySelectorAll(".dash-chart").forEach(draw);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        charts.forEach(function (c) { c.plot.setSize({ width: Math.max(c.el.clientWidth, 160), height: 120 }); });
      }, 150);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
