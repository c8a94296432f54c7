// The main navigation's section menus, as disclosure buttons (the WAI-ARIA "disclosure
// navigation" pattern): a menu's links are tab stops only while its section is open, so a
// keyboard user does not tab through every menu before the page. Enter or Space on the
// toggle opens it; Escape, a click elsewhere, or tabbing out of the section closes it.
// Without JavaScript the toggles stay hidden and each section link leads to its page.
(function () {
  "use strict";
  function toggles() {
    return document.querySelectorAll(".mainnav .menu-toggle");
  }
  function setOpen(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function closeAll(except) {
    toggles().forEach(function (toggle) {
      if (toggle !== except) {
        setOpen(toggle, false);
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    toggles().forEach(function (toggle) {
      var section = toggle.closest(".section");
      toggle.hidden = false;
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        closeAll(toggle);
        setOpen(toggle, open);
      });
      section.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
          setOpen(toggle, false);
          toggle.focus();
        }
      });
      section.addEventListener("focusout", function (event) {
        if (!event.relatedTarget || !section.contains(event.relatedTarget)) {
          setOpen(toggle, false);
        }
      });
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".mainnav .section")) {
        closeAll(null);
      }
    });
  });
})();
