// Draws the cost charts with uPlot from the figures each chart carries in
// data attributes: period starts (data-x) and series (data-series, JSON:
// label, kind "bar" or "line", values in the currency's major units, null
// where there is no figure). Without JavaScript the tables beside each
// chart carry the same figures.
(function () {
  "use strict";
  function css(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }
  var charts = [];
  function money(v) {
    if (v == null) { return "—"; }
    return v.toLocaleString(undefined, { maximumFractionDigits: 0 });
  }
  function draw(el) {
    if (typeof uPlot === "undefined") { return; }
    var xs = el.dataset.x === "" ? [] : el.dataset.x.split(",").map(Number);
    var list = JSON.parse(el.dataset.series || "[]");
    var labels = (el.dataset.labels || "").split(",");
    if (xs.length === 0 || list.length === 0) { return; }
    var colours = [css("--accent", "#5250d2"), css("--success", "#197a43"), css("--danger", "#b42318")];
    var muted = css("--text-3", "#6f7084"), grid = css("--border", "#e2e2e7");
    var step = xs.length > 1 ? xs[1] - xs[0] : 86400 * 30;
    var series = [{}], data = [xs];
    list.forEach(function (s, i) {
      var c = colours[i % colours.length];
      var one = { label: s.label, stroke: c, width: 2, spanGaps: false, value: function (u, v) { return money(v); } };
      if (s.kind === "bar") {
        one.fill = c + "55";
        one.paths = uPlot.paths.bars({ size: [0.6, 60] });
        one.points = { show: false };
      } else {
        one.dash = i === 1 ? [6, 4] : undefined;
        one.points = { show: true, size: 6, fill: c };
      }
      series.push(one);
      data.push(s.values);
    });
    var opts = {
      width: Math.max(el.clientWidth, 200), height: 220, series: series,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: false },
      scales: { x: { time: true, range: function (u, lo, hi) { return [lo - step / 2, hi + step / 2]; } },
        y: { range: function (u, lo, hi) { return [0, (hi == null || hi <= 0) ? 1 : hi * 1.15]; } } },
      axes: [
        { stroke: muted, grid: { show: false }, ticks: { stroke: grid }, font: "11px system-ui", size: 30,
          splits: function () { return xs; },
          values: function (u, splits) { return splits.map(function (x) { var i = xs.indexOf(x); return i < 0 ? "" : labels[i]; }); } },
        { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { show: false }, font: "11px system-ui", size: 64,
          values: function (u, vals) { return vals.map(money); } }
      ]
    };
    charts.push({ el: el, plot: new uPlot(opts, data, el) });
  }
  function init() {
    document.querySelectorAll(".cost-chart").forEach(draw);
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        charts.forEach(function (c) { c.plot.setSize({ width: Math.max(c.el.clientWidth, 200), height: 220 }); });
      }, 150);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
