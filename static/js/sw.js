// The service worker: it lets the entry form (/observe) open on a tablet whose network is
// down. It answers nothing else: every other page and every POST go to the server as usual.
// Reports made offline wait in IndexedDB (static/js/offline.js), not here.
"use strict";

var CACHE = "kaizen-entry-v1";

function isEntryPage(url) {
  return url.origin === self.location.origin && url.pathname === "/observe";
}

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf("/static/") === 0;
}

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("kaizen-entry-") === 0 && name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

// The entry page asks for itself and its files to be kept (the first visit happens before
// this worker controls the page, so its requests did not pass through here).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep" || !Array.isArray(data.urls)) {
    return;
  }
  var urls = data.urls.filter(function (href) {
    var url = new URL(href, self.location.href);
    return isEntryPage(url) || isStatic(url);
  });
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(urls.map(function (href) {
        return fetch(href, { credentials: "same-origin" }).then(function (response) {
          if (response.ok) {
            return cache.put(href, response);
          }
          return null;
        });
      }));
    }).then(function () {
      if (event.source) {
        event.source.postMessage({ type: "kept" });
      }
    }, function () {
      if (event.source) {
        event.source.postMessage({ type: "kept", failed: true });
      }
    })
  );
});

// Network first, so a tablet online always gets the current form and files; the kept copy
// only when the network fails. An entry form for an area not kept falls back to any kept one.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  var page = isEntryPage(url) && request.mode === "navigate";
  if (!page && !isStatic(url)) {
    return;
  }
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && response.type === "basic") {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    }).catch(function (error) {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(request).then(function (kept) {
          if (kept || !page) {
            return kept || Promise.reject(error);
          }
          return cache.match(request, { ignoreSearch: true }).then(function (any) {
            return any || Promise.reject(error);
          });
        });
      });
    })
  );
});
