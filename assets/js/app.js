// Page behaviour on top of htmx: live comments without gaps or duplicates, calm arrivals, CSRF header.
(function () {
  "use strict";

  // The newest comment id on the page. Reconnecting streams start after it, so nothing is missed or repeated.
  function newestCommentId() {
    var newest = 0;
    document.querySelectorAll("#comment-list [data-comment-id]").forEach(function (el) {
      newest = Math.max(newest, parseInt(el.getAttribute("data-comment-id"), 10) || 0);
    });
    return newest;
  }

  // sse.js builds a brand-new EventSource after giving up on one, and a new EventSource does not send
  // Last-Event-ID: name the newest comment the page holds in the URL instead. Must be set before sse.js loads.
  htmx.createEventSource = function (url) {
    var u = new URL(url, window.location.href);
    if (u.searchParams.has("after")) {
      u.searchParams.set("after", String(newestCommentId()));
    }
    return new EventSource(u.toString());
  };

  // Drop a live comment the page already shows (for example the visitor's own, swapped in by the form).
  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var id = evt.detail && evt.detail.lastEventId;
    if (id && document.getElementById("comment-" + id)) {
      evt.preventDefault();
    }
  });

  // Mark the comments section with the stream's state (open / reconnecting), for styling and tests.
  document.addEventListener("htmx:sseOpen", function (evt) {
    evt.target.setAttribute("data-live", "open");
  });
  document.addEventListener("htmx:sseError", function (evt) {
    evt.target.setAttribute("data-live", "reconnecting");
  });

  // Tell screen readers about a new comment, politely, without moving focus.
  document.addEventListener("htmx:sseMessage", function (evt) {
    var id = evt.detail && evt.detail.lastEventId;
    var item = id && document.getElementById("comment-" + id);
    var announcer = document.getElementById("live-announcer");
    if (item && announcer) {
      var author = item.querySelector("[data-testid=CommentAuthor]");
      announcer.textContent = "New comment from " + (author ? author.textContent.trim() : "a reader") + ".";
    }
  });

  // Keep "5 minutes ago" true while the page stays open (the server renders it; lists are cached briefly).
  function ago(then, now) {
    var s = Math.max(0, (now - then) / 1000);
    function plural(n, unit) { return n === 1 ? "1 " + unit + " ago" : n + " " + unit + "s ago"; }
    if (s < 45) return "just now";
    if (s < 3600) return plural(Math.max(1, Math.round(s / 60)), "minute");
    if (s < 86400) return plural(Math.floor(s / 3600), "hour");
    if (s < 30 * 86400) return plural(Math.floor(s / 86400), "day");
    if (s < 365 * 86400) return plural(Math.floor(s / (30 * 86400)), "month");
    return plural(Math.floor(s / (365 * 86400)), "year");
  }
  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var then = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(then)) {
        var text = ago(then, now);
        if (el.textContent !== text) el.textContent = text;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", refreshTimes);
  setInterval(refreshTimes, 30000);

  // Send the CSRF token with every htmx request; with a comment, say which comment is the newest on the page,
  // so the answer carries only the ones missing.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
    if (evt.detail.elt && evt.detail.elt.id === "comment-form") {
      evt.detail.headers["X-Newest-Comment"] = String(newestCommentId());
    }
  });

  // Comments added on top by that answer may have arrived over the stream meanwhile: drop those already shown.
  document.addEventListener("htmx:oobBeforeSwap", function (evt) {
    var frag = evt.detail.fragment;
    if (!frag || !frag.hasAttribute || !frag.hasAttribute("data-newer")) {
      return;
    }
    frag.querySelectorAll("[data-comment-id]").forEach(function (item) {
      if (document.getElementById(item.id)) {
        item.remove();
      }
    });
  });
})();
