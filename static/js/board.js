// The kanban board: drag and drop with SortableJS, and live sync by polling.
//
// Every move is sent to the server, which answers with the whole board redrawn (or with
// the board as it really is, when the move was refused or someone else was quicker).
// The board polls every few seconds with its change token; an unchanged board answers
// 204 and nothing happens. Polling pauses while a card is dragged, a move is on its way,
// or a small dialog or "More" menu is open, so nothing is pulled from under a finger.
(function () {
  "use strict";

  var dragging = false;
  var movesInFlight = 0;
  var lastMoveStarted = 0;
  var focusAfterSwap = null;

  window.kaizenBoardIdle = function () {
    var moving = movesInFlight > 0 && Date.now() - lastMoveStarted < 15000;
    return (
      !dragging &&
      !moving &&
      !document.querySelector("#board .move-dialog, #board details[open]")
    );
  };

  function board() {
    return document.getElementById("board");
  }

  function refreshBoard() {
    var current = board();
    if (current) {
      htmx.ajax("GET", current.dataset.url, { target: "#board", swap: "outerHTML" });
    }
  }

  function sendMove(card, column, position) {
    var current = board();
    var values = {
      to_column: column,
      version: card.dataset.version,
      board: current.dataset.scope,
      done: current.dataset.done,
    };
    if (position !== null) {
      values.position = position;
    }
    // The card is the source, so the CSRF header in <body hx-headers> goes along.
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: values,
    });
  }

  function makeSortable(list) {
    if (list.dataset.sortable || typeof Sortable === "undefined") {
      return;
    }
    list.dataset.sortable = "on";
    var isDone = list.dataset.column === "done";
    Sortable.create(list, {
      // One group per team: a card can change columns but never swimlanes.
      group: "team-" + list.dataset.team,
      // Only the handle starts a drag, so scrolling a tablet never moves a card.
      handle: ".card-handle",
      draggable: ".card",
      // Done reads newest first; its order is not chosen by hand.
      sort: !isDone,
      forceFallback: true,
      fallbackOnBody: true,
      animation: 150,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      dragClass: "card-drag",
      onStart: function () {
        dragging = true;
      },
      onEnd: function (evt) {
        dragging = false;
        var sameList = evt.from === evt.to;
        if (sameList && evt.oldDraggableIndex === evt.newDraggableIndex) {
          return;
        }
        var column = evt.to.dataset.column;
        sendMove(evt.item, column, column === "done" ? null : evt.newDraggableIndex);
      },
    });
  }

  htmx.onLoad(function (root) {
    if (root.querySelectorAll) {
      root.querySelectorAll("ol.cards").forEach(makeSortable);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      movesInFlight += 1;
      lastMoveStarted = Date.now();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "post") {
      movesInFlight = Math.max(0, movesInFlight - 1);
      // A move that got no usable answer (dropped Wi-Fi, an expired form, a server
      // error) would leave a dragged card where the finger dropped it: redraw the board
      // as it really is. (409 and 422 answers are boards already, and are swapped.)
      if (!event.detail.successful) {
        refreshBoard();
      }
    }
  });

  // After a move, keep the keyboard where the person is: on the moved card.
  document.addEventListener("card-moved", function (event) {
    focusAfterSwap = "card-" + event.detail.card;
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    if (!focusAfterSwap && active && active.id && event.detail.target === board()) {
      focusAfterSwap = active.id;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var dialogField = document.querySelector(
      "#board .move-dialog textarea, #board .move-dialog input[type=radio]"
    );
    if (dialogField) {
      dialogField.focus();
      focusAfterSwap = null;
      return;
    }
    if (focusAfterSwap) {
      var target = document.getElementById(focusAfterSwap);
      var button = target && target.classList.contains("card") && target.querySelector("button");
      (button || target || { focus: function () {} }).focus({ preventScroll: false });
      focusAfterSwap = null;
    }
  });
})();
