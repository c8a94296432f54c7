// The counter screen's keys: Down/Up from the search box move through the results (and
// back), Enter on a result adds it (a result is a submit button, so Enter works there
// without this file). Enter in the search box adds the first result when results are
// shown. Post disables its button once the receipt form is on its way.
(function () {
  "use strict";
  function results() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-counter-result]"));
  }
  document.addEventListener("keydown", function (event) {
    var search = document.querySelector("[data-counter-search]");
    var list = results();
    var here = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && (document.activeElement === search || here >= 0)) {
      if (list.length) {
        list[Math.min(here + 1, list.length - 1)].focus();
        event.preventDefault();
      }
    } else if (event.key === "ArrowUp" && here >= 0) {
      if (here === 0) { search.focus(); } else { list[here - 1].focus(); }
      event.preventDefault();
    } else if (event.key === "Enter" && document.activeElement === search && list.length
               && search.value.trim() !== "" && search.dataset.searched === search.value) {
      list[0].click();
      event.preventDefault();
    }
  });
  // Enter adds the first result only once the results shown are those of what is typed.
  document.addEventListener("htmx:afterSwap", function () {
    var search = document.querySelector("[data-counter-search]");
    if (search) { search.dataset.searched = search.value; }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var search = document.querySelector("[data-counter-search]");
    if (search && search.value) { search.dataset.searched = search.value; }
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("data-post-button")) {
      // After the form's data is taken (a disabled button sends no value).
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("[data-post-button]").forEach(function (b) { b.disabled = false; });
  });
})();
