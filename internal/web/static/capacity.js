// Draws the capacity charts with uPlot from the figures each chart carries
// in data attributes: instants (Unix seconds), the peaks, the forecast
// (drawn dashed, meeting the last peak) and the warning and action
// thresholds as dashed lines. Without JavaScript the pages still show
// the dates and figures.
(function () {
  "use strict";
  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }
  function nums(s) {
    return !s ? [] : s.split(",").map(function (x) { return x === "" ? null : Number(x); });
  }
  function round(v) { return Math.round(v * 100) / 100; }
  var charts = [];
  function height(el) { return el.classList.contains("cap-chart-sm") ? 140 : 260; }
  function draw(el) {
    if (typeof uPlot === "undefined") { return; }
    var xs = nums(el.dataset.x);
    if (xs.length === 0) { return; }
    var unit = el.dataset.unit ? " " + el.dataset.unit : "";
    var accent = css("--accent", "#5250d2"), muted = css("--text-3", "#6f7084"), grid = css("--border", "#e2e2e7");
    var fmt = function (u, v) { return v == null ? "—" : round(v) + unit; };
    var series = [{}, { label: el.dataset.label || window.stewardWord("peak"), stroke: accent, width: 2, fill: css("--accent-soft", "rgba(82,80,210,.12)"), value: fmt },
      { label: window.stewardWord("forecast"), stroke: accent, width: 2, dash: [6, 4], value: fmt }];
    var data = [xs, nums(el.dataset.y), nums(el.dataset.f)];
    [["warn", window.stewardWord("warning"), css("--warn", "#8f5a00")], ["act", window.stewardWord("action"), css("--danger", "#c4261d")]].forEach(function (t) {
      var v = el.dataset[t[0]];
      if (v) {
        series.push({ label: t[1], stroke: t[2], width: 1, dash: [3, 3], points: { show: false }, value: fmt });
        data.push(xs.map(function () { return Number(v); }));
      }
    });
    var opts = {
      width: Math.max(el.clientWidth, 200), height: height(el), series: series,
      legend: { show: !el.classList.contains("cap-chart-sm") },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [Math.min(0, lo), hi * 1.08 || 1]; } } },
      axes: [
        { stroke: muted, grid: { show: false }, ticks: { stroke: grid }, font: "11px system-ui" },
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: "11px system-ui", size: 48 }
      ]
    };
    charts.push({ el: el, plot: new uPlot(opts, data, el) });
  }
  function init() {
    document.querySelectorAll(".cap-chart").forEach(draw);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        charts.forEach(function (c) { c.plot.setSize({ width: Math.max(c.el.clientWidth, 200), height: height(c.el) }); });
      }, 150);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
