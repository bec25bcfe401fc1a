// Page behaviour on top of htmx: live changes without gaps or duplicates, calm arrivals, CSRF header.
(function () {
  "use strict";

  // The newest change of the post's feed the page reflects. The page names it in the stream's URL; every event
  // carries its sequence as its id. Reconnecting streams start after it, so nothing is missed or repeated.
  var feedSeq = null;
  function seqFromURL(url) {
    var n = parseInt(new URL(url, window.location.href).searchParams.get("after"), 10);
    return isNaN(n) ? 0 : n;
  }

  // sse.js builds a brand-new EventSource after giving up on one, and a new EventSource does not send
  // Last-Event-ID: name the newest change the page holds in the URL instead. Must be set before sse.js loads.
  htmx.createEventSource = function (url) {
    var u = new URL(url, window.location.href);
    if (u.searchParams.has("after")) {
      if (feedSeq === null) {
        feedSeq = seqFromURL(url);
      }
      u.searchParams.set("after", String(feedSeq));
    }
    return new EventSource(u.toString());
  };

  function announce(text) {
    var announcer = document.getElementById("live-announcer");
    if (announcer) {
      announcer.textContent = text;
    }
  }

  // Puts a comment element where it belongs in the newest-first list: before the first older comment.
  function insertInOrder(list, item) {
    var id = parseInt(item.getAttribute("data-comment-id"), 10);
    var items = list.querySelectorAll(":scope > [data-comment-id]");
    for (var i = 0; i < items.length; i++) {
      if (parseInt(items[i].getAttribute("data-comment-id"), 10) < id) {
        list.insertBefore(item, items[i]);
        return;
      }
    }
    var empty = list.querySelector(":scope > [data-testid=EmptyComments]");
    list.insertBefore(item, empty);
  }

  // Applies one change: the comment as readers should now see it (inserted or replaced), or an empty item that
  // says it left (removed, unless it is the visitor's own comment still held for review), and the new count.
  function applyChange(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var count = tpl.content.getElementById("comment-count");
    var current = document.getElementById("comment-count");
    if (count && current) {
      current.textContent = count.textContent;
    }
    var item = tpl.content.querySelector("li[data-comment-id]");
    var list = document.getElementById("comment-list");
    if (!item || !list) {
      return;
    }
    var existing = document.getElementById(item.id);
    var gone = item.getAttribute("data-gone");
    if (gone) {
      if (existing && !(gone === "held" && existing.hasAttribute("data-held"))) {
        existing.remove();
        announce("A comment was removed.");
      }
      return;
    }
    if (existing) {
      existing.replaceWith(item);
    } else {
      item.classList.add("comment-arrived");
      insertInOrder(list, item);
      var author = item.querySelector("[data-testid=CommentAuthor]");
      announce("New comment from " + (author ? author.textContent.trim() : "a reader") + ".");
    }
    htmx.process(item);
    refreshTimes();
  }

  // Changes that arrive while the list is being reloaded are applied again on top of the reloaded list.
  var reloading = null;

  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var msg = evt.detail;
    evt.preventDefault(); // the page applies changes itself
    if (!msg) {
      return;
    }
    var seq = parseInt(msg.lastEventId, 10);
    if (!isNaN(seq) && feedSeq !== null && seq <= feedSeq && msg.type === "change") {
      return; // already applied
    }
    if (!isNaN(seq)) {
      feedSeq = seq;
    }
    if (msg.type === "resync") {
      reloadList(evt.target);
      return;
    }
    if (reloading) {
      reloading.push({ seq: seq, data: msg.data });
    }
    applyChange(msg.data);
  });

  // The stream said the page is too far behind to catch up change by change: load the current list instead.
  function reloadList(elt) {
    var section = elt.closest("#comments");
    var url = section && section.getAttribute("sse-connect");
    if (!url) {
      return;
    }
    reloading = [];
    var freshURL = new URL(url, window.location.href).pathname.replace(/\/events$/, "/comments/fresh") + "?min=" + feedSeq;
    fetch(freshURL, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var fresh = tpl.content.getElementById("comment-list");
        var list = document.getElementById("comment-list");
        if (fresh && list) {
          var seq = parseInt(fresh.getAttribute("data-seq"), 10) || 0;
          list.innerHTML = fresh.innerHTML;
          htmx.process(list);
          var later = reloading || [];
          reloading = null;
          later.forEach(function (m) { if (m.seq > seq) applyChange(m.data); });
          var count = tpl.content.getElementById("comment-count");
          var current = document.getElementById("comment-count");
          if (count && current && later.length === 0) current.textContent = count.textContent;
          refreshTimes();
        }
      })
      .catch(function () { reloading = null; });
  }

  // Mark the comments section with the stream's state (open / reconnecting), for styling and tests.
  document.addEventListener("htmx:sseOpen", function (evt) {
    evt.target.setAttribute("data-live", "open");
  });
  document.addEventListener("htmx:sseError", function (evt) {
    evt.target.setAttribute("data-live", "reconnecting");
  });

  // Say "5 minutes ago" instead of the full time the server writes, and keep it true while the page stays open.
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
  document.addEventListener("htmx:afterSettle", refreshTimes);
  setInterval(refreshTimes, 30000);

  // Send the CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // The comment added on top by a post's answer may have arrived over the stream meanwhile: drop it then.
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
