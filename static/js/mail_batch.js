// The mail batch's keyboard entry: Enter moves to the next field (account, amount, check
// number, then the next row; a new row is added after the last), and the checks' count,
// total and difference against the control total follow every keystroke. Only a
// convenience: the server adds the rows up again, and the form works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-mail-batch]");
  if (!form) {
    return;
  }
  var body = form.querySelector("[data-rows]");
  var shown = {
    count: form.querySelector("[data-count]"),
    total: form.querySelector("[data-total]"),
    difference: form.querySelector("[data-difference]"),
  };
  var control = form.querySelector("[data-control-total]");
  var controlCount = form.querySelector("[data-control-count]");

  // Cents from "84.2", "1,234.56" or "$12"; null when it is not an amount to the cent.
  function cents(text) {
    var found = /^\$?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]{0,2}))?$/.exec(text.trim());
    if (!found) {
      return null;
    }
    return parseInt(found[1].replace(/,/g, ""), 10) * 100 + parseInt(((found[2] || "") + "00").slice(0, 2), 10);
  }
  function money(value) {
    var sign = value < 0 ? "-" : "";
    value = Math.abs(value);
    var dollars = Math.floor(value / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return sign + "$" + dollars + "." + ("0" + (value % 100)).slice(-2);
  }
  function update() {
    var sum = 0;
    var count = 0;
    body.querySelectorAll("tr[data-row]").forEach(function (row) {
      var amount = row.querySelector("[data-amount]");
      var text = amount.value.trim();
      var value = text ? cents(text) : null;
      amount.classList.toggle("bad", Boolean(text) && value === null);
      if (text || row.querySelector("[data-account]").value.trim()) {
        count += 1;
      }
      sum += value || 0;
    });
    shown.count.textContent = count;
    shown.total.textContent = money(sum);
    var expected = cents(control.value || "");
    if (expected === null) {
      shown.difference.textContent = "—";
      shown.difference.className = "off";
      return;
    }
    var difference = sum - expected;
    var countsAgree = String(count) === controlCount.value.trim();
    shown.difference.textContent = money(difference) + (countsAgree ? "" : " (" + count + " of " + controlCount.value.trim() + " checks)");
    shown.difference.className = difference === 0 && countsAgree ? "balanced" : "off";
  }
  function renumber(row, line) {
    row.querySelector("[data-line]").textContent = line;
    row.querySelectorAll("input").forEach(function (input) {
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/row [0-9]+$/, "row " + line));
    });
  }
  function addRow() {
    var rows = body.querySelectorAll("tr[data-row]");
    var row = rows[rows.length - 1].cloneNode(true);
    row.classList.remove("invalid");
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.classList.remove("bad");
    });
    row.querySelector(".who").textContent = "";
    row.querySelector(".problem").textContent = "";
    renumber(row, rows.length + 1);
    body.appendChild(row);
    if (window.htmx) {
      window.htmx.process(row);
    }
    return row;
  }
  // Alt+S saves, Alt+P posts, from anywhere on the page (the buttons' access keys,
  // handled here so every browser does the same, and only once).
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var key = event.key.toLowerCase();
    var button = form.querySelector('button[accesskey="' + (key === "p" || key === "s" ? key : "-") + '"]');
    if (!button) {
      return;
    }
    event.preventDefault();
    form.requestSubmit(button);
  });
  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !input.matches("input[data-entry]") || event.altKey || event.ctrlKey) {
      return;
    }
    event.preventDefault();
    var fields = Array.prototype.slice.call(form.querySelectorAll("input[data-entry]"));
    var next = fields[fields.indexOf(input) + 1];
    if (!next) {
      next = addRow().querySelector("input[data-entry]");
    }
    next.focus();
    next.select();
  });
  form.addEventListener("input", update);
  update();
  // The cursor starts in the first empty account (a resumed draft: after its rows).
  var first = Array.prototype.find.call(form.querySelectorAll("input[data-account]"), function (input) {
    return !input.value;
  });
  if (first && !form.querySelector("tr.invalid")) {
    first.focus();
  } else if (form.querySelector("tr.invalid input")) {
    form.querySelector("tr.invalid input").focus();
  }
})();
