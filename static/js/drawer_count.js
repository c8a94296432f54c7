// The close form's live totals: each denomination's amount and the cash counted, as the
// clerk types. Only a convenience: the server works the totals out again and the form
// works without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-drawer-count]");
  if (!form) {
    return;
  }
  var total = form.querySelector("[data-cash-total]");
  function cents(text) {
    var parts = String(text).split(".");
    var whole = parseInt(parts[0], 10) * 100;
    var fraction = parts[1] ? parseInt((parts[1] + "00").slice(0, 2), 10) : 0;
    return whole + fraction;
  }
  function money(value) {
    var dollars = Math.floor(value / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return "$" + dollars + "." + ("0" + (value % 100)).slice(-2);
  }
  function update() {
    var sum = 0;
    form.querySelectorAll("input[data-denomination]").forEach(function (input) {
      var cell = input.closest("tr").querySelector("[data-line-total]");
      var text = input.value.trim();
      if (!/^[0-9]+$/.test(text)) {
        cell.textContent = text ? "?" : "";
        return;
      }
      var amount = parseInt(text, 10) * cents(input.dataset.denomination);
      sum += amount;
      cell.textContent = money(amount);
    });
    total.textContent = money(sum);
  }
  form.addEventListener("input", update);
  update();
})();
