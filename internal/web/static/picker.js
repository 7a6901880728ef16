// picker.js: a typeahead for fields that name a person or a CI. It
// enhances an element marked data-picker="users" or "cis":
//
//   - a <select> of people: the select gives way to a text field (with the
//     select's id, so its label still names it) and a hidden field that
//     carries the chosen id under the select's name;
//   - an <input> where a name or id is typed: a hidden field carries the
//     chosen id, or whatever was typed when nothing was chosen.
//
// Matches come from /pick/<kind>?q=&role= (at most 20). The list is an
// ARIA combobox: arrow keys move, Enter chooses, Escape closes. Without
// this script the fields work as they are.
(function () {
  "use strict";

  var serial = 0;

  function enhance(el) {
    if (el.hasAttribute("data-picker-ready")) return;
    el.setAttribute("data-picker-ready", "");
    var kind = el.getAttribute("data-picker");
    var role = el.getAttribute("data-picker-role") || "";
    var fromSelect = el.tagName === "SELECT";
    var n = ++serial;

    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = el.name;
    hidden.value = el.value;

    var input;
    var chosen = { id: el.value, name: "" };
    if (fromSelect) {
      input = document.createElement("input");
      input.id = el.id;
      input.className = el.className;
      if (el.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", "true");
      var opt = el.options[el.selectedIndex];
      chosen.name = opt && opt.value ? opt.textContent.split(" · ")[0] : "";
      input.value = chosen.name;
      input.placeholder = el.getAttribute("data-picker-empty") || "";
    } else {
      input = el;
      input.removeAttribute("name");
      chosen.name = input.value;
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    var list = document.createElement("ul");
    list.id = "picker-list-" + n;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);

    var wrap = document.createElement("div");
    wrap.className = "picker";
    el.parentNode.insertBefore(wrap, el);
    if (fromSelect) el.parentNode.removeChild(el);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.appendChild(hidden);

    var items = [], active = -1, timer = null, asked = 0, swallow = false;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0 && list.children[i]) {
        input.setAttribute("aria-activedescendant", list.children[i].id);
        list.children[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(i) {
      var it = items[i];
      if (!it) return;
      chosen = { id: String(it.id), name: it.name };
      hidden.value = chosen.id;
      input.value = it.name;
      close();
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(found) {
      items = found;
      list.innerHTML = "";
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.textContent = window.stewardWord("no_match");
        list.appendChild(none);
      }
      items.forEach(function (it, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.textContent = it.name;
        li.appendChild(name);
        if (it.note) {
          var note = document.createElement("span");
          note.className = "picker-note";
          note.textContent = it.note;
          li.appendChild(note);
        }
        // mousedown, so the choice is made before the field loses focus.
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(items.length ? 0 : -1);
    }

    function ask() {
      var mine = ++asked;
      var url = "/pick/" + kind + "?q=" + encodeURIComponent(input.value.trim()) + (role ? "&role=" + encodeURIComponent(role) : "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : { items: [] }; })
        .then(function (data) { if (mine === asked && document.activeElement === input) show(data.items || []); })
        .catch(function () { /* the typed text still goes with the form */ });
    }

    input.addEventListener("input", function () {
      // A typed name or id goes as typed until a match is chosen.
      if (!fromSelect) hidden.value = input.value;
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { ask(); return; }
        mark(Math.min(active + 1, items.length - 1));
      } else if (e.key === "ArrowUp") {
        if (!open) return;
        e.preventDefault();
        mark(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        if (open && active >= 0) { e.preventDefault(); swallow = true; choose(active); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); }
      }
    });
    // The Enter that chose a match must not also send the form: some
    // input methods send its keypress even when its keydown was taken.
    input.addEventListener("keypress", function (e) {
      if (e.key === "Enter" && swallow) e.preventDefault();
      swallow = false;
    });
    input.addEventListener("keyup", function () { swallow = false; });
    input.addEventListener("blur", function () {
      close();
      if (!fromSelect) return;
      // A person field holds a chosen person or nobody, never half a name.
      if (input.value.trim() === "") { chosen = { id: "", name: "" }; hidden.value = ""; }
      else input.value = chosen.name;
    });
  }

  if (!window.fetch) return;
  document.querySelectorAll("[data-picker]").forEach(enhance);
})();
