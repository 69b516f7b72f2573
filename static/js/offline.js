// Reports made while the network is down wait on this device and are sent once it is back.
//
// When a report cannot reach the server (the browser is offline, or the request fails with
// no answer), the form's fields and photo are kept in IndexedDB under the report's key, the
// form is cleared for the next person and the page says how many reports wait. When the
// network returns (the `online` event, a page load, or a retry every few seconds) each one
// is sent with its own key: the server stores a key once (kaizen/services/idempotency.py),
// so a report sent twice (an answer lost, two tabs sending) is stored once. A report leaves
// the device only when the server has answered that it is stored.
(function () {
  "use strict";

  var DB_NAME = "kaizen-offline";
  var STORE = "reports";
  var RETRY_MS = 5000;
  var sending = false;
  var retryTimer = null;
  var lastSent = 0;

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "key" });
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = tx.onabort = function () {
          db.close();
          reject(tx.error);
        };
      });
    });
  }

  function allReports() {
    return withStore("readonly", function (store) {
      return store.getAll();
    }).then(function (rows) {
      return (rows || []).sort(function (a, b) {
        return a.createdAt - b.createdAt;
      });
    });
  }

  function keep(report) {
    return withStore("readwrite", function (store) {
      store.put(report);
    });
  }

  function forget(key) {
    return withStore("readwrite", function (store) {
      store.delete(key);
    });
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function entryForm() {
    return document.getElementById("observe-form");
  }

  // Each drawn form gets a key made here: a page opened from the device's copy carries the
  // key of an earlier visit, which a stored report may already use.
  function giveKey(form) {
    var field = form.querySelector("input[name='form_key']");
    var input = form.querySelector("[data-photo-input]");
    if (!field) {
      return;
    }
    var key = newKey();
    field.value = key;
    if (input) {
      var label = form.querySelector("label[for='" + input.id + "']");
      input.id = "photo-" + key;
      if (label) {
        label.htmlFor = input.id;
      }
    }
  }

  function say(text, kind) {
    var status = document.getElementById("offline-queue");
    if (!status) {
      return;
    }
    status.textContent = text;
    status.className = "offline-queue offline-queue-" + kind;
    status.hidden = !text;
  }

  // The page's texts (templates/observations/observe.html), in the page's language; the
  // English of each is the fallback. {name} marks where a value goes.
  function said(name, english, values) {
    var status = document.getElementById("offline-queue");
    var text = (status && status.getAttribute("data-text-" + name)) || english;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("{" + key + "}").join(values[key]);
    });
    return text;
  }

  // A count's message in the plural form the page's language wants for it.
  function counted(name, n, one, other) {
    var form = "other";
    try {
      form = new Intl.PluralRules(document.documentElement.lang || "en").select(n);
    } catch (e) {
      form = n === 1 ? "one" : "other";
    }
    var status = document.getElementById("offline-queue");
    var text = status && (status.getAttribute("data-text-" + name + "-" + form) ||
      status.getAttribute("data-text-" + name + "-other") ||
      status.getAttribute("data-text-" + name + "-many"));
    return (text || (n === 1 ? one : other)).split("{n}").join(String(n));
  }

  function showQueue() {
    return allReports().then(function (reports) {
      var waiting = reports.filter(function (r) {
        return !r.refused;
      }).length;
      var refused = reports.filter(function (r) {
        return r.refused;
      });
      var parts = [];
      if (waiting) {
        parts.push(counted("waiting", waiting,
          "{n} report waiting — it will be sent when the network is back.",
          "{n} reports waiting — they will be sent when the network is back."));
      }
      refused.forEach(function (r) {
        parts.push(said("refused",
          "A report kept here was not accepted ({reason}): “{description}”. Please report it again.",
          { reason: r.reason, description: r.description }));
      });
      if (parts.length) {
        say(parts.join(" "), refused.length ? "refused" : "waiting");
      } else if (lastSent) {
        say(counted("sent", lastSent,
          "Your waiting report was sent. Thank you — every report helps us improve.",
          "{n} waiting reports were sent. Thank you — every report helps us improve."), "sent");
      } else {
        say("", "sent");
      }
      return waiting;
    });
  }

  function missing(form) {
    var data = new FormData(form);
    var gaps = [];
    if (!data.get("waste")) {
      gaps.push(said("missing-waste", "the kind of waste"));
    }
    if (!data.get("area")) {
      gaps.push(said("missing-area", "where"));
    }
    if (!String(data.get("description") || "").trim()) {
      gaps.push(said("missing-description", "what you saw"));
    }
    return gaps;
  }

  // Keep the form's report on the device, then clear the form for the next report.
  function keepForm(form) {
    var note = form.querySelector("[data-send-error]");
    var incomplete = form.querySelector("[data-offline-incomplete]");
    var gaps = missing(form);
    if (gaps.length) {
      if (incomplete) {
        incomplete.textContent = said("incomplete",
          "The network is down, so this report can wait here — but first please give {missing}.",
          { missing: gaps.join(", ") });
        incomplete.hidden = false;
        incomplete.scrollIntoView({ block: "start" });
      }
      return Promise.resolve(false);
    }
    var data = new FormData(form);
    var fields = [];
    var photo = null;
    data.forEach(function (value, name) {
      if (name === "photo") {
        if (value && value.size) {
          photo = value;
        }
      } else if (name !== "csrf_token") {
        fields.push([name, String(value)]);
      }
    });
    var report = {
      key: data.get("form_key") || newKey(),
      action: form.getAttribute("action"),
      fields: fields,
      photo: photo,
      photoName: photo ? photo.name || "photo.jpg" : null,
      description: String(data.get("description") || "").trim().slice(0, 80),
      createdAt: Date.now(),
      refused: false
    };
    return keep(report).then(function () {
      form.reset();
      giveKey(form);
      form.querySelectorAll("[data-thanks]").forEach(function (el) {
        el.remove();
      });
      if (note) {
        note.hidden = true;
      }
      if (incomplete) {
        incomplete.hidden = true;
      }
      var input = form.querySelector("[data-photo-input]");
      if (input) {
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      lastSent = 0;
      return showQueue().then(function () {
        var status = document.getElementById("offline-queue");
        if (status) {
          status.scrollIntoView({ block: "start" });
        }
        retrySoon();
        return true;
      });
    });
  }

  // A fresh CSRF token: the page may have been open, or opened from the device's copy, for
  // longer than a token lives. Fetching it also proves the server answers again.
  function freshToken(action) {
    return fetch(action, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) {
        throw new Error("no answer");
      }
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var input = page.querySelector("#observe-form input[name='csrf_token']");
      if (!input) {
        throw new Error("no token");
      }
      return input.value;
    });
  }

  function sendOne(report, token) {
    var body = new FormData();
    report.fields.forEach(function (pair) {
      body.append(pair[0], pair[1]);
    });
    body.append("csrf_token", token);
    if (report.photo) {
      body.append("photo", report.photo, report.photoName || "photo.jpg");
    }
    return fetch(report.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // As htmx sends it: a stored report is answered with the fresh form, not a redirect.
      headers: { "HX-Request": "true" }
    }).then(function (response) {
      if (response.ok) {
        return forget(report.key).then(function () {
          return "sent";
        });
      }
      if (response.status === 422) {
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var error = page.querySelector(".error:not([hidden]), .observe-banner[role='alert']");
          report.refused = true;
          report.reason = error ? error.textContent.trim() : said("refused-reason", "the server refused it");
          return keep(report).then(function () {
            return "refused";
          });
        });
      }
      throw new Error("try later");
    });
  }

  function sendWaiting() {
    if (sending) {
      return Promise.resolve();
    }
    sending = true;
    return allReports().then(function (reports) {
      var waiting = reports.filter(function (r) {
        return !r.refused;
      });
      if (!waiting.length) {
        return null;
      }
      return freshToken(waiting[0].action).then(function (token) {
        var chain = Promise.resolve();
        waiting.forEach(function (report) {
          chain = chain.then(function () {
            return sendOne(report, token).then(function (outcome) {
              if (outcome === "sent") {
                lastSent += 1;
              }
            });
          });
        });
        return chain;
      });
    }).catch(function () {
      // Still no network, or the server is not answering: the reports stay and wait.
    }).then(function () {
      sending = false;
      return showQueue();
    }).then(function (waiting) {
      if (waiting) {
        retrySoon();
      }
    });
  }

  function retrySoon() {
    if (retryTimer) {
      return;
    }
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      if (navigator.onLine !== false) {
        sendWaiting();
      } else {
        retrySoon();
      }
    }, RETRY_MS);
  }

  // Offline: do not even try; keep the report at once.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = entryForm();
    if (form && event.detail.elt === form && navigator.onLine === false) {
      event.preventDefault();
      keepForm(form);
    }
  });

  // Sent but no answer came back: keep it (its key makes a second arrival harmless).
  document.addEventListener("htmx:sendError", function (event) {
    var form = entryForm();
    if (form && event.detail.elt === form) {
      keepForm(form);
    }
  });

  window.addEventListener("online", function () {
    sendWaiting();
  });

  function registerWorker() {
    if (!("serviceWorker" in navigator)) {
      return;
    }
    var status = document.getElementById("offline-queue");
    var workerUrl = status && status.getAttribute("data-service-worker");
    if (!workerUrl) {
      return;
    }
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "kept" && !event.data.failed) {
        document.documentElement.setAttribute("data-offline-ready", "true");
      }
    });
    navigator.serviceWorker.register(workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (navigator.onLine === false || !registration.active) {
        return;
      }
      var urls = [location.href];
      document.querySelectorAll("script[src], link[rel='stylesheet'][href], link[rel='icon'][href]").forEach(function (el) {
        urls.push(el.src || el.href);
      });
      registration.active.postMessage({ type: "keep", urls: urls });
    }).catch(function () {
      // No service worker (an old browser, a private window): reports still wait in IndexedDB.
    });
  }

  function start() {
    var form = entryForm();
    if (form) {
      giveKey(form);
    }
    registerWorker();
    showQueue().then(function (waiting) {
      if (waiting && navigator.onLine !== false) {
        sendWaiting();
      } else if (waiting) {
        retrySoon();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
