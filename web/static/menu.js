// relais — the main menu behind a « Menu » button on a phone (below 48 rem).
// Progressive enhancement: without this script the button stays hidden and the menu shown.
(function () {
  "use strict";
  function setUp() {
    var nav = document.querySelector(".main-nav");
    var button = nav && nav.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) {
      return;
    }
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    show(false);
    nav.classList.add("collapsible");
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
