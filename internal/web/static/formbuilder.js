// formbuilder.js: the catalogue item editor's questions. The page works
// without it (the builder's buttons submit and the server answers with
// the rows changed and the preview redrawn); this script redraws the
// preview in place as the rows change, keeps each row's "show only
// when" choices in step with the questions above it, and lets the
// preview's dependent questions appear as they would to a requester.
(function () {
  "use strict";

  var builder = document.querySelector("[data-form-builder]");
  if (!builder || !window.fetch || !window.DOMParser) return;
  var form = builder.closest("form");
  var refresh = builder.querySelector("[data-fb-refresh]");
  if (refresh) refresh.hidden = true;

  // answer reads a preview question's value as the server compares it.
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
    if (q.getAttribute("data-type") === "yes_no") {
      if (value === "yes") value = "true";
      if (value === "no") value = "false";
    }
    return value;
  }

  function showDependent() {
    var preview = builder.querySelector("[data-fb-preview]");
    var byKey = {};
    preview.querySelectorAll(".rq-q[data-key]").forEach(function (q) { byKey[q.getAttribute("data-key")] = q; });
    preview.querySelectorAll(".rq-q[data-show-field]").forEach(function (q) {
      var dep = byKey[q.getAttribute("data-show-field")];
      q.hidden = !(dep && !dep.hidden && answer(dep) === q.getAttribute("data-show-equals"));
      var note = q.querySelector(".rq-when");
      if (note) note.hidden = true;
    });
  }

  var pending = null, seq = 0;

  function redraw() {
    // Sent as the page sends it (urlencoded), not as multipart.
    var data = new URLSearchParams(new FormData(form));
    data.set("act", "preview");
    var mine = ++seq;
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html || mine !== seq) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-fb-preview]");
        var preview = builder.querySelector("[data-fb-preview]");
        if (fresh && preview) preview.innerHTML = fresh.innerHTML;
        // Each row's show-when list names the questions above it now.
        doc.querySelectorAll("[data-fb-when]").forEach(function (sel) {
          var own = document.getElementById(sel.id);
          if (!own || own === document.activeElement) return;
          var keep = own.value;
          own.innerHTML = sel.innerHTML;
          own.value = keep;
          if (own.value !== keep) own.value = "";
        });
        // ... and its answer is picked from that question's answers when
        // they can be listed, typed otherwise.
        doc.querySelectorAll("[data-fb-when-value]").forEach(function (box) {
          var own = document.getElementById(box.id);
          if (!own || own.contains(document.activeElement)) return;
          var before = own.querySelector("input, select");
          var keep = before ? before.value : "";
          own.innerHTML = box.innerHTML;
          var after = own.querySelector("input, select");
          if (after && after.tagName === "INPUT") after.value = keep;
        });
        showDependent();
      })
      .catch(function () { if (refresh) refresh.hidden = false; });
  }

  function later() {
    clearTimeout(pending);
    pending = setTimeout(redraw, 300);
  }

  builder.querySelector(".fb-rows").addEventListener("input", later);
  builder.querySelector(".fb-rows").addEventListener("change", later);
  builder.querySelector("[data-fb-preview]").addEventListener("change", showDependent);
  builder.querySelector("[data-fb-preview]").addEventListener("input", showDependent);
  showDependent();
})();
