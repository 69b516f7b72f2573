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
