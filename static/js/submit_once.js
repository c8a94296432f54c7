// Double-click guard for forms marked data-submit-once: the first submit goes, any
// repeat before the next page loads is dropped. The server refuses a repeat too (the
// form's one-time key); this only spares the user a second round trip.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) {
      return;
    }
    if (form.dataset.submitting === "yes") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "yes";
    form.classList.add("submitting");
  });
  // Back to a page from the cache: its forms may be submitted again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.submitting;
      form.classList.remove("submitting");
    });
  });
})();
