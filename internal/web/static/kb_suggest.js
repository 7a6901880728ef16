// Suggestions on the new-incident form: while a person types the title
// and description, the help articles that may answer it (and, for agents,
// the category and support group learnt from resolved incidents, applied
// only when the agent clicks Apply). Without this script the form keeps
// its "Search help articles" link.
(function () {
  "use strict";
  var box = document.getElementById("kb-suggest");
  var title = document.getElementById("title");
  var desc = document.getElementById("description");
  if (!box || !title || !window.fetch) return;
  var list = box.querySelector(".kb-suggest-list");
  var found = box.querySelector(".kb-suggest-box");
  var guesses = box.querySelector(".kb-classify");
  var timer = null, seq = 0;

  function text() { return (title.value + "\n" + (desc ? desc.value : "")).trim(); }

  function showArticles(items) {
    list.textContent = "";
    items.forEach(function (it) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      // Opened from here, the article counts as suggested for this draft.
      a.href = it.url + (it.kind === "article" ? "?from=new" : "");
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = it.title;
      li.appendChild(a);
      if (it.kind === "known_error") {
        var tag = document.createElement("span");
        tag.className = "tag";
        tag.textContent = window.stewardWord("known_error");
        li.insertBefore(document.createTextNode(" "), a);
        li.insertBefore(tag, li.firstChild);
      }
      list.appendChild(li);
    });
    found.hidden = items.length === 0;
  }

  function showGuess(field, g) {
    var row = guesses.querySelector('[data-field="' + field + '"]');
    if (!row) return false;
    if (!g) { row.hidden = true; return false; }
    row.querySelector("strong").textContent = g.label + " (" + Math.round(g.confidence * 100) + " %)";
    row.querySelector("button").onclick = function () {
      var input = field === "category" ? document.getElementById("category") : document.getElementById("new-group_id");
      if (!input) return;
      input.value = g.value;
      input.dispatchEvent(new Event("change", { bubbles: true }));
      row.hidden = true;
    };
    row.hidden = false;
    return true;
  }

  function ask() {
    var q = text(), mine = ++seq;
    if (q.length < 3) { showArticles([]); if (guesses) guesses.hidden = true; return; }
    fetch(box.dataset.suggest + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) { if (mine === seq) showArticles(body.items || []); })
      .catch(function () {});
    if (!guesses || !box.dataset.classify) return;
    var url = box.dataset.classify + "?title=" + encodeURIComponent(title.value) + "&description=" + encodeURIComponent(desc ? desc.value : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (c) {
        if (mine !== seq) return;
        var any = showGuess("category", c.category);
        any = showGuess("group_id", c.group) || any;
        guesses.hidden = !any;
      })
      .catch(function () {});
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 300);
  }
  title.addEventListener("input", later);
  if (desc) desc.addEventListener("input", later);
  if (text()) ask();
})();
