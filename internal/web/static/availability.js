// Draws each service's availability per day, week or 30 days with uPlot
// from the figures the card carries in data attributes: bucket starts,
// availability in percent (empty for a bucket without agreed hours) and
// the target, drawn as a dashed line. Without JavaScript the cards still
// show their figures.
(function () {
  "use strict";
  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }
  function nums(s) {
    return s === "" ? [] : s.split(",").map(function (x) { return x === "" ? null : Number(x); });
  }
  var charts = [];
  function draw(el) {
    if (typeof uPlot === "undefined") { return; }
    var xs = nums(el.dataset.x), ys = nums(el.dataset.y);
    if (xs.length === 0) { return; }
    var target = el.dataset.target === "" ? null : Number(el.dataset.target);
    var accent = css("--accent", "#5250d2"), muted = css("--text-3", "#6f7084"), grid = css("--border", "#e2e2e7");
    var series = [{}, {
      label: window.stewardWord("availability"), stroke: accent, width: 2, fill: css("--accent-soft", "rgba(82,80,210,.12)"),
      spanGaps: false, points: { show: xs.length <= 60, size: 4, fill: accent },
      value: function (u, v) { return v == null ? window.stewardWord("no_agreed_hours") : v + " %"; }
    }];
    var data = [xs, ys];
    if (target !== null) {
      series.push({ label: window.stewardWord("target"), stroke: css("--success", "#197a43"), width: 1, dash: [4, 4], points: { show: false } });
      data.push(xs.map(function () { return target; }));
    }
    var opts = {
      width: Math.max(el.clientWidth, 160), height: 140, series: series, legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: function (u, lo, hi) {
        lo = Math.min(lo == null ? 100 : lo, target == null ? 100 : target);
        var pad = Math.max((100 - lo) * 0.2, 0.05);
        return [Math.max(0, lo - pad), 100 + pad / 4];
      } } },
      axes: [
        { stroke: muted, grid: { show: false }, ticks: { stroke: grid }, font: "11px system-ui", size: 28 },
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: "11px system-ui", size: 50,
          values: function (u, vals) { return vals.map(function (v) { return (Math.round(v * 100) / 100) + "%"; }); } }
      ]
    };
    charts.push({ el: el, plot: new uPlot(opts, data, el) });
  }
  function init() {
    document.querySelectorAll(".avail-chart").forEach(draw);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        charts.forEach(function (c) { c.plot.setSize({ width: Math.max(c.el.clientWidth, 160), height: 140 }); });
      }, 150);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
