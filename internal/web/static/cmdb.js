// Steward CMDB graph: draws a CI's neighbourhood from graph.json with
// cytoscape.js (3.34, vendored as cytoscape.min.js, MIT licence in
// cytoscape-LICENSE.txt). Colours come from the stylesheet's custom
// properties, so the drawing follows light and dark mode.
(function () {
  "use strict";

  var box = document.querySelector("[data-ci-graph]");
  if (!box) return;
  var status = document.querySelector("[data-graph-status]");
  var loading = status && status.querySelector(".graph-loading");

  function say(text, isError) {
    if (loading) loading.remove();
    loading = null;
    var span = status.querySelector("[data-graph-text]");
    if (!span) {
      span = document.createElement("span");
      span.setAttribute("data-graph-text", "");
      status.appendChild(span);
    }
    span.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  if (!window.cytoscape) {
    say("The graph library did not load; the impact list shows the same.", true);
    return;
  }

  // cytoscape adds a <style> element once per page unless one with this
  // id exists; the strict content security policy would refuse it, and
  // app.css already holds the one rule it carries.
  var sheetID = "__________cytoscape_stylesheet";
  if (!document.getElementById(sheetID)) {
    var marker = document.createElement("meta");
    marker.id = sheetID;
    document.head.appendChild(marker);
  }

  var center = box.getAttribute("data-center");
  var cy = null;
  var layouts = ["breadthfirst", "concentric", "cose"];
  var layoutIndex = 0;

  function css(name) {
    return getComputedStyle(box).getPropertyValue(name).trim();
  }

  var shapes = {
    "Site": "diamond",
    "Cluster": "hexagon",
    "Fleet": "hexagon",
    "Business service": "round-rectangle",
    "Application": "round-rectangle",
    "Database": "barrel"
  };

  function style() {
    return [
      { selector: "node", style: {
        "shape": function (n) { return shapes[n.data("type")] || "ellipse"; },
        "width": 26, "height": 26,
        "background-color": css("--graph-node"),
        "border-width": 2, "border-color": css("--graph-node-border"),
        "label": "data(name)", "color": css("--graph-text"),
        "font-size": 11, "font-family": css("--font") || "sans-serif",
        "text-valign": "bottom", "text-margin-y": 5,
        "text-wrap": "ellipsis", "text-max-width": 120,
        "text-background-color": css("--graph-bg"), "text-background-opacity": 0.8,
        "text-background-padding": 2, "text-background-shape": "round-rectangle"
      } },
      { selector: "node[type = 'Business service']", style: { "width": 38, "height": 28 } },
      { selector: "node.retired", style: { "opacity": 0.55 } },
      { selector: "node.center", style: {
        "width": 40, "height": 40, "background-color": css("--graph-center"),
        "border-color": css("--graph-center"), "border-width": 4, "font-weight": 700, "font-size": 12
      } },
      { selector: "node.st-failed", style: { "background-color": css("--graph-failed"), "border-color": css("--graph-failed-border") } },
      { selector: "node.st-degraded", style: { "background-color": css("--graph-degraded"), "border-color": css("--graph-degraded-border") } },
      { selector: "node.st-unknown", style: { "background-color": css("--graph-unknown"), "border-color": css("--graph-unknown-border") } },
      { selector: "edge", style: {
        "width": 1.5, "line-color": css("--graph-edge"), "curve-style": "bezier",
        "target-arrow-shape": "triangle", "target-arrow-color": css("--graph-edge"), "arrow-scale": 0.8,
        "label": "data(label)", "font-size": 9, "color": css("--graph-edge-text"),
        "text-rotation": "autorotate", "text-background-color": css("--graph-bg"),
        "text-background-opacity": 0.85, "text-background-padding": 1
      } },
      { selector: "edge.connected", style: { "line-style": "dashed", "target-arrow-shape": "none" } },
      { selector: "edge.quiet", style: { "label": "" } },
      { selector: "edge.impact", style: {
        "width": 3.5, "line-color": css("--graph-path"), "target-arrow-color": css("--graph-path"),
        "color": css("--graph-path-text"), "z-index": 10
      } },
      { selector: "node:selected", style: { "overlay-color": css("--graph-center"), "overlay-opacity": 0.18, "overlay-padding": 6 } },
      { selector: ".faded", style: { "opacity": 0.25 } }
    ];
  }

  function elements(data) {
    var els = [];
    data.nodes.forEach(function (n) {
      var classes = [];
      if (String(n.id) === center) classes.push("center");
      if (n.state) classes.push("st-" + n.state);
      if (n.status === "retired") classes.push("retired");
      els.push({ group: "nodes", data: { id: String(n.id), name: n.name, type: n.type, status: n.status, state: n.state || "", hops: n.hops }, classes: classes.join(" ") });
    });
    // Edge labels crowd a narrow screen or a large drawing; there the
    // legend and a click on a CI tell the same.
    var narrow = box.clientWidth < 600;
    var quiet = data.edges.length > 60;
    data.edges.forEach(function (e) {
      var classes = [];
      if (e.impact) classes.push("impact");
      if (e.type === "connected_to") classes.push("connected");
      if (narrow || (quiet && !e.impact)) classes.push("quiet");
      els.push({ group: "edges", data: { id: "e" + e.id, source: String(e.source), target: String(e.target), label: e.label, type: e.type }, classes: classes.join(" ") });
    });
    return els;
  }

  function layout(name) {
    var opts = { name: name, animate: false, fit: true, padding: 30 };
    if (name === "breadthfirst") {
      opts.roots = "#" + center;
      opts.directed = false;
      opts.spacingFactor = 1.15;
    } else if (name === "concentric") {
      opts.concentric = function (n) { var h = n.data("hops"); return h < 0 ? 0 : 10 - h; };
      opts.levelWidth = function () { return 1; };
      opts.minNodeSpacing = 30;
    } else {
      opts.nodeRepulsion = function () { return 9000; };
      opts.idealEdgeLength = function () { return 90; };
      opts.randomize = false;
    }
    return opts;
  }

  function summary(data) {
    var text = data.nodes.length + " CI" + (data.nodes.length === 1 ? "" : "s") + ", " +
      data.edges.length + " relationship" + (data.edges.length === 1 ? "" : "s");
    if (data.impact === "down") {
      text += "; " + data.impacted + " affected within " + data.depth + " hop" + (data.depth === 1 ? "" : "s");
    } else if (data.impact === "up") {
      text += "; it depends on " + data.impacted + " within " + data.depth + " hop" + (data.depth === 1 ? "" : "s");
    }
    if (data.capped) text += ". Only the nearest " + data.max_nodes + " CIs are drawn; the impact list has them all.";
    return text;
  }

  var panel = document.querySelector("[data-graph-selected]");
  function select(node) {
    if (!panel) return;
    if (!node) { panel.hidden = true; return; }
    var id = node.id();
    panel.querySelector("[data-sel-name]").textContent = node.data("name");
    panel.querySelector("[data-sel-type]").textContent = node.data("type");
    var st = panel.querySelector("[data-sel-status]");
    st.textContent = (node.data("status") || "").replace(/_/g, " ");
    st.className = "pill ci-status-" + node.data("status");
    var state = panel.querySelector("[data-sel-state]");
    state.hidden = !node.data("state");
    state.textContent = node.data("state");
    state.className = "pill impact-" + node.data("state");
    panel.querySelector("[data-sel-open]").href = "/cis/" + id;
    var params = new URLSearchParams(window.location.search);
    panel.querySelector("[data-sel-center]").href = "/cis/" + id + "/graph" + (params.toString() ? "?" + params.toString() : "");
    panel.hidden = false;
  }

  function draw(data) {
    cy = window.cytoscape({
      container: box,
      elements: elements(data),
      style: style(),
      layout: layout(layouts[layoutIndex]),
      minZoom: 0.2, maxZoom: 3,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: false
    });
    cy.on("tap", "node", function (e) { select(e.target); });
    cy.on("tap", function (e) { if (e.target === cy) select(null); });
    cy.on("dbltap", "node", function (e) { window.location.href = "/cis/" + e.target.id(); });
    box.setAttribute("data-nodes", String(data.nodes.length));
    box.setAttribute("data-edges", String(data.edges.length));
    box.setAttribute("data-impact-edges", String(data.edges.filter(function (e) { return e.impact; }).length));
    say(summary(data), false);
    var tools = document.querySelector("[data-graph-tools]");
    if (tools) tools.hidden = false;
  }

  var toggle = document.querySelector("[data-graph-toggle]");
  if (toggle) {
    toggle.addEventListener("change", function () {
      if (!cy) return;
      var on = toggle.checked;
      cy.batch(function () {
        cy.nodes().forEach(function (n) {
          ["failed", "degraded", "unknown"].forEach(function (s) {
            if (n.data("state") === s) n.toggleClass("st-" + s, on);
          });
        });
        cy.edges().forEach(function (e) { if (e.data("impactPath")) e.toggleClass("impact", on); });
      });
    });
  }
  var relayout = document.querySelector("[data-graph-layout]");
  if (relayout) {
    relayout.addEventListener("click", function () {
      if (!cy) return;
      layoutIndex = (layoutIndex + 1) % layouts.length;
      cy.layout(layout(layouts[layoutIndex])).run();
    });
  }
  var fit = document.querySelector("[data-graph-fit]");
  if (fit) fit.addEventListener("click", function () { if (cy) cy.fit(undefined, 30); });

  // Keep the drawing in view when the window changes size (a phone
  // turned on its side).
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    if (!cy) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { cy.resize(); cy.fit(undefined, 30); }, 150);
  });

  // Redraw the colours when the system switches between light and dark.
  if (window.matchMedia) {
    var mq = window.matchMedia("(prefers-color-scheme: dark)");
    var restyle = function () { if (cy) cy.style(style()); };
    if (mq.addEventListener) mq.addEventListener("change", restyle);
  }

  fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body && body.error ? body.error : "status " + res.status);
        return body;
      });
    })
    .then(function (data) {
      draw(data);
      cy.edges(".impact").forEach(function (e) { e.data("impactPath", true); });
    })
    .catch(function (err) {
      say("The graph could not be loaded: " + err.message + ".", true);
      box.setAttribute("data-nodes", "0");
    });
})();
