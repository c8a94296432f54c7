// Route sheet: Enter in a reading box moves to the next box instead of submitting, so a
// reader types down the sheet with one hand; Enter in the last box moves to Save.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !(box instanceof HTMLInputElement) || !box.classList.contains("read-box")) {
      return;
    }
    event.preventDefault();
    var boxes = Array.prototype.slice.call(box.form.querySelectorAll("input.read-box"));
    var next = boxes[boxes.indexOf(box) + 1];
    if (next) {
      next.focus();
      next.select();
    } else {
      var save = box.form.querySelector("button[type=submit]");
      if (save) {
        save.focus();
      }
    }
  });
})();
