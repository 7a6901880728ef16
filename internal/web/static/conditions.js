// Steward: the conditions editor without a round trip. The form works
// without this file: "Add", "×", "Add a group" and "Remove this group"
// are submit buttons whose page comes back with a row or a group more or
// less. Here they change the rows and groups in place (removing the first
// group still asks the server, which moves the next group up), and a row
// whose field changes gets that field's values to pick from.
(function () {
  "use strict";

  // Each field's value picker, drawn once by the page with the
  // placeholders __NAME__ (the list) and __I__ (the row).
  function picker(field, name, i) {
    var tpl = document.querySelector('template[data-cond-picker="' + CSS.escape(field) + '"]');
    if (!tpl) return null;
    return fragment(tpl.innerHTML.split("__NAME__").join(name).split("__I__").join(String(i)));
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return t.content;
  }

  function list(el) { return el.closest("[data-conditions]"); }

  function sync(box) {
    var rows = box.querySelector("[data-cond-rows]");
    var empty = box.querySelector("[data-cond-empty]");
    if (empty) empty.hidden = rows.children.length > 0;
  }

  function addRow(box) {
    var name = box.getAttribute("data-conditions");
    var count = box.querySelector("[data-cond-count]");
    var field = box.querySelector("[data-cond-new]").value;
    var blank = box.querySelector("template[data-cond-blank]");
    var i = parseInt(count.value, 10) || 0;
    var row = fragment(blank.innerHTML.split("__I__").join(String(i))).firstElementChild;
    row.querySelector("[data-cond-field]").value = field;
    var cell = row.querySelector("[data-cond-values]");
    var p = picker(field, name, i);
    if (p) { cell.textContent = ""; cell.appendChild(p); }
    box.querySelector("[data-cond-rows]").appendChild(row);
    count.value = String(i + 1);
    sync(box);
    var first = cell.querySelector("input");
    (first || row.querySelector("select")).focus();
  }

  function groups(box) { return box.querySelectorAll("[data-cond-group-list] > [data-cond-group]"); }

  function addGroup(box) {
    var count = box.querySelector("[data-cond-groups]");
    var blank = box.querySelector("template[data-cond-group-blank]");
    var g = parseInt(count.value, 10) || 1;
    var group = fragment(blank.innerHTML.split("__G__").join(String(g))).firstElementChild;
    box.querySelector("[data-cond-group-list]").appendChild(group);
    count.value = String(g + 1);
    box.classList.remove("cond-single");
    addRow(group.querySelector("[data-conditions]"));
  }

  document.addEventListener("click", function (e) {
    var addG = e.target.closest("[data-cond-add-group]");
    if (addG && addG.closest("[data-cond-any]")) {
      e.preventDefault();
      addGroup(addG.closest("[data-cond-any]"));
      return;
    }
    var removeG = e.target.closest("[data-cond-remove-group]");
    if (removeG && removeG.closest("[data-cond-any]")) {
      e.preventDefault();
      var any = removeG.closest("[data-cond-any]");
      removeG.closest("[data-cond-group]").remove();
      if (groups(any).length < 2) any.classList.add("cond-single");
      any.querySelector("[data-cond-add-group]").focus();
      return;
    }
    var add = e.target.closest("[data-cond-add]");
    if (add && list(add)) {
      e.preventDefault();
      addRow(list(add));
      return;
    }
    var remove = e.target.closest("[data-cond-remove]");
    if (remove && list(remove)) {
      e.preventDefault();
      var box = list(remove);
      remove.closest("[data-cond-row]").remove();
      sync(box);
      box.querySelector("[data-cond-new]").focus();
    }
  });

  document.addEventListener("change", function (e) {
    var sel = e.target;
    if (sel.matches("[data-cond-field]")) {
      var box = list(sel);
      var m = /_(\d+)_field$/.exec(sel.name);
      var p = m && picker(sel.value, box.getAttribute("data-conditions"), m[1]);
      if (p) {
        var cell = sel.closest("[data-cond-row]").querySelector("[data-cond-values]");
        cell.textContent = "";
        cell.appendChild(p);
      }
      return;
    }
    if (sel.matches("[data-def-refresh]")) {
      // Another kind or metric has other fields and another usual clock:
      // the server draws the form again, keeping what was entered.
      var btn = sel.form.querySelector("[data-refresh]");
      if (btn) sel.form.requestSubmit(btn);
      return;
    }
    if (sel.matches("[data-clock]")) clock(sel.form);
  });

  // The clock's own conditions show only when they are chosen.
  function clock(form) {
    var custom = form.querySelector('[data-clock][value="custom"]');
    var lists = form.querySelector("[data-clock-custom]");
    if (custom && lists) lists.hidden = !custom.checked;
  }

  document.querySelectorAll("form[data-def-form]").forEach(function (form) {
    var btn = form.querySelector("[data-refresh]");
    if (btn) btn.closest(".def-refresh").hidden = true;
    clock(form);
  });
})();
