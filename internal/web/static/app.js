// Steward: small enhancements over pages that work without JavaScript.
// Keyboard shortcuts for the hot paths, confirmation of destructive forms,
// copy-to-clipboard for a new token.
// stewardWord is a word of the message catalogue in the reader's language,
// as the page lists them for scripts ("js.<key>"); the key itself when the
// page lists no such word.
window.stewardWord = (function () {
  var words = null;
  return function (key) {
    if (words === null) {
      var el = document.getElementById("steward-words");
      try { words = el ? JSON.parse(el.textContent) || {} : {}; } catch (e) { words = {}; }
    }
    return Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
  };
})();

(function () {
  "use strict";

  // The phone's Menu button folds the areas' links away; CSS hides them
  // only once this has run, so without scripts they stay in view.
  document.documentElement.classList.add("js");
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = toggle.closest(".topbar").classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  var help = document.getElementById("shortcut-help");
  var pendingG = false;

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function rows() {
    var list = document.querySelector("[data-list]");
    return list ? Array.prototype.slice.call(list.querySelectorAll("tbody tr[data-row]")) : [];
  }

  function selected(all) {
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("is-selected")) return i;
    }
    return -1;
  }

  function select(all, i) {
    if (!all.length) return;
    i = Math.max(0, Math.min(all.length - 1, i));
    all.forEach(function (r) { r.classList.remove("is-selected"); r.removeAttribute("aria-selected"); });
    var row = all[i];
    row.classList.add("is-selected");
    row.setAttribute("aria-selected", "true");
    row.scrollIntoView({ block: "nearest" });
    var link = row.querySelector("[data-open]");
    if (link) link.focus({ preventScroll: true });
  }

  function showHelp(on) {
    if (!help) return;
    help.hidden = !on;
    if (on) {
      var btn = help.querySelector("[data-close-help]");
      if (btn) btn.focus();
    }
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      if (help && !help.hidden) { showHelp(false); e.preventDefault(); return; }
      if (typing(document.activeElement)) { document.activeElement.blur(); return; }
    }
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) return;
    if (help && !help.hidden && e.key !== "?") return;

    var all;
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") { window.location.href = "/"; e.preventDefault(); }
      return;
    }
    switch (e.key) {
      case "?":
        showHelp(help && help.hidden);
        e.preventDefault();
        break;
      case "c":
        if (document.querySelector('a[href="/incidents/new"]')) {
          window.location.href = "/incidents/new";
          e.preventDefault();
        }
        break;
      case "/":
        var search = document.querySelector("[data-search]");
        if (search) { search.focus(); search.select(); e.preventDefault(); }
        break;
      case "j":
        all = rows();
        select(all, selected(all) + 1);
        e.preventDefault();
        break;
      case "k":
        all = rows();
        var cur = selected(all);
        select(all, cur < 0 ? 0 : cur - 1);
        e.preventDefault();
        break;
      case "Enter":
        all = rows();
        var idx = selected(all);
        if (idx >= 0 && document.activeElement === document.body) {
          var link = all[idx].querySelector("[data-open]");
          if (link) { window.location.href = link.href; e.preventDefault(); }
        }
        break;
      case "x":
        all = rows();
        var at = selected(all);
        var box = at >= 0 && all[at].querySelector('input[name="refs"]');
        if (box) { box.checked = !box.checked; e.preventDefault(); }
        break;
      case "g":
        pendingG = true;
        setTimeout(function () { pendingG = false; }, 1200);
        break;
    }
  });

  // Clicking a row (not a control in it) opens it, like the title link.
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("tr[data-row]");
    if (!row || e.target.closest("a, button, input, select, label, .c-pick")) return;
    var link = row.querySelector("[data-open]");
    if (link) window.location.href = link.href;
  });

  if (help) {
    help.addEventListener("click", function (e) {
      if (e.target === help || e.target.closest("[data-close-help]")) showHelp(false);
    });
  }

  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var target = document.querySelector(btn.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        btn.textContent = window.stewardWord("copied");
        setTimeout(function () { btn.textContent = window.stewardWord("copy"); }, 2000);
      });
    });
  });
  document.querySelectorAll("[data-select-all]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
})();

// request forms: ask a question only while the answer it depends on is
// given, as the server decides when it checks the answers. Without this
// script every question shows, with a note saying when it applies.
(function () {
  "use strict";

  var form = document.querySelector("[data-request-form]");
  if (!form) return;
  var questions = Array.prototype.slice.call(form.querySelectorAll(".rq-q[data-key]"));
  var byKey = {};
  questions.forEach(function (q) { byKey[q.getAttribute("data-key")] = q; });
  var dependent = questions.filter(function (q) { return q.hasAttribute("data-show-field"); });
  if (!dependent.length) return;

  // answer reads a question's value in the form the server compares.
  function answer(q) {
    var value = "";
    q.querySelectorAll("input, select, textarea").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      value = el.value.trim();
    });
    if (value !== "" && q.getAttribute("data-type") === "number") {
      var n = Number(value);
      if (!isNaN(n)) value = String(n);
    }
    return value;
  }

  function update() {
    dependent.forEach(function (q) {
      var dep = byKey[q.getAttribute("data-show-field")];
      var shown = !!dep && !dep.hidden && answer(dep) === q.getAttribute("data-show-equals");
      q.hidden = !shown;
      var note = q.querySelector(".rq-when");
      if (note) note.hidden = true;
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();

// sign-in: send this device's time zone, taken while none is chosen.
(function () {
  var tz = document.querySelector('[data-browser-tz]');
  if (!tz) { return; }
  try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { /* none */ }
})();

// profile: offer this device's time zone.
(function () {
  var btn = document.querySelector('[data-browser-zone]');
  var input = document.getElementById('time_zone');
  if (!btn || !input) { return; }
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) { return; }
  // The words come from the page, in the reader's language.
  btn.textContent = btn.textContent + ' (' + zone + ')';
  btn.hidden = false;
  btn.addEventListener('click', function () { input.value = zone; input.focus(); });
})();

// navigation menus: one open at a time, closed by a click elsewhere or Esc.
(function () {
  var menus = document.querySelectorAll('details.nav-menu');
  if (!menus.length) { return; }
  menus.forEach(function (m) {
    m.addEventListener('toggle', function () {
      if (!m.open) { return; }
      menus.forEach(function (o) { if (o !== m) { o.open = false; } });
    });
  });
  document.addEventListener('click', function (e) {
    menus.forEach(function (m) { if (m.open && !m.contains(e.target)) { m.open = false; } });
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { menus.forEach(function (m) { m.open = false; }); }
  });
})();

// bulk edits: the header box ticks every row of the page; a click on a
// row's cell around its box ticks it too.
(function () {
  document.querySelectorAll('[data-pick-all]').forEach(function (all) {
    var form = all.closest('form');
    all.addEventListener('change', function () {
      form.querySelectorAll('input[name="refs"]').forEach(function (b) { b.checked = all.checked; });
    });
  });
  document.addEventListener('click', function (e) {
    var cell = e.target.closest && e.target.closest('td.c-pick');
    if (!cell || e.target.tagName === 'INPUT') { return; }
    var box = cell.querySelector('input');
    if (box) { box.checked = !box.checked; }
  });
})();

// column chooser: the columns a person hides stay hidden on this browser.
(function () {
  document.querySelectorAll('details[data-columns]').forEach(function (box) {
    var name = box.getAttribute('data-columns');
    var table = document.querySelector('table[data-columns-of="' + name + '"]');
    var key = 'steward.columns.' + name;
    var hidden = [];
    try { hidden = JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { hidden = []; }
    function apply() {
      box.querySelectorAll('input').forEach(function (b) {
        b.checked = hidden.indexOf(b.value) < 0;
        if (table) { table.classList.toggle('hide-' + b.value, !b.checked); }
      });
    }
    box.hidden = false;
    apply();
    box.addEventListener('change', function () {
      hidden = [];
      box.querySelectorAll('input').forEach(function (b) { if (!b.checked) { hidden.push(b.value); } });
      try { localStorage.setItem(key, JSON.stringify(hidden)); } catch (e) { /* private mode: this page only */ }
      apply();
    });
  });
})();
