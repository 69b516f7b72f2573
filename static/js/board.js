// The kanban board: drag and drop with SortableJS, move buttons, live sync by polling.
//
// The board polls every few seconds with its change token: an unchanged board answers
// 204; a changed one answers with only what changed (the changed cards, each column's
// order, header and foot), which is merged in here. A move sends the token too and gets
// the same kind of answer, with its message; a refused move (or one that changed a lane
// as a whole) gets the whole board as it really is. Polling pauses while a card is dragged, a
// move is on its way, or a dialog or the menu of other columns is open, so nothing is
// pulled from under a finger.
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
      !document.querySelector("#board .move-dialog, #move-menu:not([hidden])")
    );
  };

  // The poll waits while someone drags, moves or has a menu open. An htmx trigger filter
  // would need eval, which the Content-Security-Policy forbids: the request is stopped here.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "board" && event.detail.verb === "get" && !window.kaizenBoardIdle()) {
      event.preventDefault();
    }
  });

  function board() {
    return document.getElementById("board");
  }

  // The page's words in the reader's language, from the board's data-text-* attributes.
  function text(name, english) {
    var current = board();
    return (current && current.getAttribute("data-text-" + name)) || english;
  }

  function refreshBoard() {
    var current = board();
    if (current) {
      htmx.ajax("GET", current.dataset.url, { target: "#board", swap: "outerHTML" });
    }
  }

  // A card's "Move to" button carries "card:column:version"; so does every move sent.
  function moveButton(card) {
    return card.querySelector("button[name=move]");
  }

  function parseMove(value) {
    var parts = value.split(":");
    return { card: parts[0], to: parts.slice(1, -1).join(":"), version: parts[parts.length - 1] };
  }

  function moveKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }

  function sendMove(card, column, position) {
    var current = board();
    var button = moveButton(card);
    if (!current || !button) {
      return;
    }
    var values = {
      to_column: column,
      version: parseMove(button.value).version,
      board: current.dataset.scope,
      done: current.dataset.done,
      // The answer is what changed since this screen's token, merged like a poll's.
      since: current.dataset.token,
      // This move's own key: if the answer is lost and the move is sent again, the server
      // answers with the first result instead of moving the card twice.
      key: moveKey(),
    };
    if (position !== null) {
      values.position = position;
    }
    closeMenu();
    // The card is the source, so the CSRF header in <body hx-headers> goes along.
    htmx.ajax("POST", current.dataset.moveUrl.replace("{id}", card.id.slice(5)), {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: values,
    });
  }

  // -- the one menu of other columns, opened from a card's "⋯" -------------------------

  function addMoreButtons(root) {
    root.querySelectorAll(".card-moves").forEach(function (moves) {
      if (moves.querySelector(".move-more")) {
        return;
      }
      var more = document.createElement("button");
      more.type = "button";
      more.className = "button button-quiet move-more";
      more.setAttribute("aria-label", text("more-columns", "More columns"));
      more.setAttribute("aria-expanded", "false");
      more.setAttribute("aria-controls", "move-menu");
      more.textContent = "⋯";
      moves.appendChild(more);
    });
  }

  function closeMenu(returnFocus) {
    var menu = document.getElementById("move-menu");
    if (!menu || menu.hidden) {
      return;
    }
    menu.hidden = true;
    var card = menu.closest("li.card");
    // Home again, so a card redrawn by a poll never takes the menu with it.
    if (board()) {
      board().appendChild(menu);
    }
    var more = card && card.querySelector(".move-more");
    if (more) {
      more.setAttribute("aria-expanded", "false");
      if (returnFocus) {
        more.focus();
      }
    }
  }

  function openMenu(card, more) {
    var menu = document.getElementById("move-menu");
    if (!menu) {
      return;
    }
    var list = card.closest("ol.cards");
    var here = list ? list.dataset.column : "";
    var usual = parseMove(moveButton(card).value).to;
    menu.querySelectorAll("button").forEach(function (choice) {
      choice.hidden = choice.dataset.to === here || choice.dataset.to === usual;
    });
    card.appendChild(menu);
    menu.hidden = false;
    more.setAttribute("aria-expanded", "true");
    var first = menu.querySelector("button:not([hidden])");
    if (first) {
      first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    var menu = document.getElementById("move-menu");
    if (menu && !menu.hidden && !(target && menu.contains(target)) &&
        !(target && target.classList.contains("move-more"))) {
      closeMenu(false);
    }
    if (!target || !board() || !board().contains(target)) {
      return;
    }
    var card = target.closest("li.card");
    if (target.name === "move" && card) {
      event.preventDefault();
      sendMove(card, parseMove(target.value).to, null);
    } else if (target.classList.contains("move-more") && card) {
      if (menu && !menu.hidden && menu.parentNode === card) {
        closeMenu(true);
      } else {
        closeMenu(false);
        openMenu(card, target);
      }
    } else if (target.dataset.to && card) {
      sendMove(card, target.dataset.to, null);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenu(true);
    }
  });

  // -- drag and drop -------------------------------------------------------------------

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
        closeMenu(false);
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

  function prepare(root) {
    if (root.querySelectorAll) {
      root.querySelectorAll("ol.cards").forEach(makeSortable);
      addMoreButtons(root);
    }
  }

  htmx.onLoad(prepare);

  // -- live sync: the poll sends the token; a changed board sends only what changed ------

  document.addEventListener("htmx:configRequest", function (event) {
    var current = board();
    if (current && event.detail.elt === current && event.detail.verb === "get") {
      event.detail.parameters.since = current.dataset.token;
    }
  });

  function applyUpdate(html) {
    var current = board();
    var holder = document.createElement("template");
    holder.innerHTML = html;
    var update = holder.content.getElementById("board-update");
    if (!current || !update) {
      refreshBoard();
      return;
    }
    var active = document.activeElement;
    var focusedCard = active && active.closest ? active.closest("li.card") : null;
    // Every card the merge may place: those on screen, then the changed ones sent.
    var cards = {};
    current.querySelectorAll("li.card").forEach(function (card) {
      cards[card.id] = card;
    });
    update.querySelectorAll("ol[data-cards-of] > li.card").forEach(function (card) {
      cards[card.id] = card;
    });
    // Whole lanes, column headers and feet, the report counts: replaced by id.
    Array.prototype.slice.call(update.children).forEach(function (part) {
      var old = part.id ? document.getElementById(part.id) : null;
      if (!old) {
        return;
      }
      old.replaceWith(part);
      if (part.matches("h3.column-header")) {
        var column = part.closest("section.column");
        column.classList.remove("is-over", "is-full");
        if (part.dataset.state) {
          column.classList.add(part.dataset.state);
        }
      } else if (part.matches("section.lane")) {
        prepare(part);
      }
    });
    // Each column's cards in the order sent.
    var complete = true;
    update.querySelectorAll("ol[data-column-of]").forEach(function (order) {
      var list = document.querySelector("#" + order.dataset.columnOf + " ol.cards");
      var lane = document.getElementById("lane-" + order.dataset.lane);
      if (!list && lane && lane.classList.contains("lane-pending")) {
        return; // not fetched yet: it will come as it is now when scrolled to
      }
      if (!list) {
        complete = false;
        return;
      }
      var ids = order.dataset.order ? order.dataset.order.split(" ") : [];
      var nodes = ids.map(function (id) {
        return cards["card-" + id];
      });
      if (nodes.indexOf(undefined) !== -1) {
        complete = false;
        return;
      }
      list.replaceChildren.apply(list, nodes);
    });
    // The plant board keeps its lanes in the teams' order.
    (update.dataset.lanes || "").split(" ").forEach(function (team) {
      var lane = document.getElementById("lane-" + team);
      if (lane && lane.parentNode === current) {
        current.appendChild(lane);
      }
    });
    current.dataset.token = update.dataset.token;
    addMoreButtons(current);
    if (!complete) {
      refreshBoard(); // something the merge could not place: draw the board as it is
      return;
    }
    if (focusAfterSwap) {
      restoreFocus(); // after this screen's own move: on the moved card
    } else if (focusedCard && !document.body.contains(active)) {
      var again = document.getElementById(focusedCard.id);
      var button = again && moveButton(again);
      if (button) {
        button.focus({ preventScroll: true });
      }
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("X-Board-Update")) {
      event.detail.shouldSwap = false;
      applyUpdate(xhr.responseText);
      return;
    }
    var active = document.activeElement;
    if (!focusAfterSwap && active && active.id && event.detail.target === board()) {
      focusAfterSwap = active.id;
    }
  });

  // -- moves in flight, and the keyboard after a move -------------------------------------

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
  document.addEventListener("htmx:afterSettle", function () {
    var dialogField = document.querySelector(
      "#board .move-dialog textarea, #board .move-dialog input[type=radio]"
    );
    if (dialogField) {
      dialogField.focus();
      focusAfterSwap = null;
      return;
    }
    restoreFocus();
  });

  function restoreFocus() {
    if (focusAfterSwap) {
      var target = document.getElementById(focusAfterSwap);
      var button = target && target.classList.contains("card") && target.querySelector("button");
      (button || target || { focus: function () {} }).focus({ preventScroll: false });
      focusAfterSwap = null;
    }
  }
})();

// TV mode: the board fills the screen and never scrolls. A column whose cards do not all
// fit hides the last ones (the server sends the most urgent first) and says "+N more".
// A rotating stand-up wall turns to the next team's board after its seconds.
(function () {
  "use strict";

  // "+{count} more" in the reader's language, from the board's data-text-tv-more.
  function moreText(count) {
    var tv = document.querySelector(".board-tv");
    var words = (tv && tv.getAttribute("data-text-tv-more")) || "+{count} more";
    return words.replace("{count}", count);
  }

  function fitColumn(column) {
    var list = column.querySelector(".cards");
    var more = column.querySelector(".tv-more");
    if (!list || !more) {
      return;
    }
    var cards = Array.prototype.slice.call(list.children);
    cards.forEach(function (card) {
      card.hidden = false;
    });
    var sent = parseInt(more.getAttribute("data-more"), 10) || 0;
    var hidden = 0;
    function show() {
      var total = sent + hidden;
      more.textContent = moreText(total);
      more.hidden = total === 0;
    }
    show();
    var bottom = list.getBoundingClientRect().bottom + 1;
    for (var i = cards.length - 1; i >= 0; i--) {
      if (cards[i].getBoundingClientRect().bottom <= bottom) {
        break;
      }
      cards[i].hidden = true;
      hidden += 1;
      show();
      bottom = list.getBoundingClientRect().bottom + 1; // the "+N more" line takes room too
    }
  }

  function fit() {
    var tv = document.querySelector(".board-tv");
    if (!tv || !window.matchMedia("(min-width: 1000px)").matches) {
      return;
    }
    tv.querySelectorAll(".column").forEach(fitColumn);
  }

  var rotation = null;
  function rotate() {
    var tv = document.querySelector(".board-tv[data-rotate-url]");
    if (!tv || rotation) {
      return;
    }
    var seconds = parseInt(tv.getAttribute("data-rotate-seconds"), 10);
    if (seconds > 0) {
      rotation = window.setTimeout(function () {
        window.location.assign(tv.getAttribute("data-rotate-url"));
      }, seconds * 1000);
    }
  }

  function start() {
    fit();
    rotate();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  window.addEventListener("resize", fit);
  document.addEventListener("htmx:afterSettle", fit);
})();
