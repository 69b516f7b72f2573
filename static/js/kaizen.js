// Small behaviours shared by every page. htmx itself is configured through the
// <meta name="htmx-config"> tag in base.html (422 and 409 answers are swapped so
// validation messages and "someone else moved this card" notices reach the page).
(function () {
  "use strict";

  // The page's words in the reader's language: one JSON attribute on <body> (base.html),
  // read when needed, so a page that changed language meanwhile is followed.
  function text(name, english) {
    var words = {};
    try {
      words = JSON.parse(document.body.getAttribute("data-text-kaizen") || "{}");
    } catch (error) {
      words = {};
    }
    return words[name] || english;
  }

  // A request that fails without an answer (dropped Wi-Fi, server restarting) must never
  // look like success: tell the person, and leave what they typed where it is.
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest("form");
    var note = form && form.querySelector("[data-send-error]");
    if (note) {
      if (note.hasAttribute("data-default")) {
        note.textContent = note.getAttribute("data-default");
      }
      note.hidden = false;
    } else {
      window.alert(
        text(
          "connection-dropped",
          "The connection dropped before this was saved. Nothing was lost here — please try again."
        )
      );
    }
  });
  // Print buttons: a data attribute, as the Content-Security-Policy allows no onclick.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
  // An error answer (a photo over the size limit, the database away for a moment) is not
  // swapped in, so the form keeps what was typed; its message goes into the form's note.
  document.addEventListener("htmx:responseError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest("form");
    var note = form && form.querySelector("[data-send-error]");
    if (!note) {
      return;
    }
    if (!note.hasAttribute("data-default")) {
      note.setAttribute("data-default", note.textContent.trim());
    }
    var said = serverMessage(event.detail.xhr);
    note.textContent = said
      ? said + " " + text("text-kept", "Your text is still here.")
      : note.getAttribute("data-default");
    note.hidden = false;
  });

  // The message of Kaizen's own error fragment (errors/_message.html), or "" for any other
  // answer (a proxy's page, an empty body).
  function serverMessage(xhr) {
    if (!xhr || !xhr.responseText) {
      return "";
    }
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var message = doc.querySelector("#error-message p");
    return message ? message.textContent.trim() : "";
  }
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
