// Small behaviours shared by every page. htmx itself is configured through the
// <meta name="htmx-config"> tag in base.html (422 and 409 answers are swapped so
// validation messages and "someone else moved this card" notices reach the page).
(function () {
  "use strict";

  // A request that fails without an answer (dropped Wi-Fi, server restarting) must never
  // look like success: tell the person, and leave what they typed where it is.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest("form");
    var note = form && form.querySelector("[data-send-error]");
    if (note) {
      note.hidden = false;
    } else {
      window.alert("The connection dropped before this was saved. Nothing was lost here — please try again.");
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest("form");
    var note = form && form.querySelector("[data-send-error]");
    if (note) {
      note.hidden = false;
    }
  });
})();

// The phone menu: a button that shows and hides the main links (base.html). Without
// JavaScript the button stays hidden and the links wrap onto several rows.
(function () {
  "use strict";

  function setup() {
    var button = document.querySelector(".menu-button");
    var nav = document.getElementById("site-nav");
    if (!button || !nav) {
      return;
    }
    var header = button.closest(".site-header");
    button.hidden = false;
    header.classList.add("menu-ready");

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }

    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
