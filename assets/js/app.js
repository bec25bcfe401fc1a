// Page behaviour on top of htmx: live changes without gaps or duplicates, replies in place, calm arrivals with a
// "new comments" cue, focus where it belongs after every action, and the CSRF header.
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
  // Pages with nothing live or in place (the lists, a page, an error) load neither htmx nor sse.js.
  if (window.htmx) htmx.createEventSource = function (url) {
    var u = new URL(url, window.location.href);
    if (u.searchParams.has("after")) {
      if (feedSeq === null) {
        feedSeq = seqFromURL(url);
      }
      u.searchParams.set("after", String(feedSeq));
    }
    return new EventSource(u.toString());
  };

  // The page's words, in its language (views/words.go writes them into <meta name="page-words">): sentences by
  // name, and counts as their plural forms, picked with Intl.PluralRules and numbered with Intl.NumberFormat in
  // the page's language. A page without them (an error page) speaks English.
  var lang = document.documentElement.lang || "en";
  var words = {};
  try {
    var wordsMeta = document.querySelector('meta[name="page-words"]');
    if (wordsMeta) words = JSON.parse(wordsMeta.getAttribute("content"));
  } catch (e) { words = {}; }
  // The server writes numbers in the language's own digits (views/words.go names them, such as "arab"); the
  // script writes the same ones, whatever digits the browser would choose for the language.
  var intlLang = words.nu && lang.indexOf("-u-") < 0 ? lang + "-u-nu-" + words.nu : lang;
  function numberText(n) {
    try { return n.toLocaleString(intlLang); } catch (e) { return String(n); }
  }
  function say(name, fallback, fill) {
    var text = typeof words[name] === "string" ? words[name] : fallback;
    Object.keys(fill || {}).forEach(function (k) { text = text.split("{{." + k + "}}").join(fill[k]); });
    return text;
  }
  var pluralRules = null;
  try { pluralRules = new Intl.PluralRules(intlLang); } catch (e) { pluralRules = null; }
  function count(name, n, one, other, fill) {
    var forms = words[name] || { one: one, other: other };
    var form = n === 0 && forms.zero ? "zero" : (pluralRules ? pluralRules.select(n) : (n === 1 ? "one" : "other"));
    var text = forms[form] || forms.other || other;
    fill = fill || {};
    fill.Count = numberText(n);
    Object.keys(fill).forEach(function (k) { text = text.split("{{." + k + "}}").join(fill[k]); });
    return text;
  }

  function announce(text) {
    var announcer = document.getElementById("live-announcer");
    if (announcer) {
      announcer.textContent = "";
      window.setTimeout(function () { announcer.textContent = text; }, 50);
    }
  }

  function idOf(el) { return parseInt(el.getAttribute("data-comment-id"), 10) || 0; }

  // Puts a comment element where it belongs: a reply into its conversation, a conversation into the list, both
  // oldest first. Returns false when its conversation is not on the page (an older one not paged in).
  function place(item) {
    var thread = item.getAttribute("data-thread");
    var list = thread ? document.getElementById("replies-" + thread) : document.getElementById("comment-list");
    if (!list) {
      return false;
    }
    var id = idOf(item);
    var items = list.querySelectorAll(":scope > [data-comment-id]");
    if (!thread && item.hasAttribute("data-pinned")) {
      // Pinned conversations come first, in the order they were pinned: after the ones pinned before.
      var after = list.querySelectorAll(":scope > [data-pinned]");
      list.insertBefore(item, after.length ? after[after.length - 1].nextSibling : list.firstChild);
      return true;
    }
    var goesBefore = thread ? function (other) { return idOf(other) > id; } : before(list.getAttribute("data-order"), item);
    for (var i = 0; i < items.length; i++) {
      if (items[i].hasAttribute("data-pinned")) continue; // the others keep their order, after the pinned ones
      if (goesBefore(items[i])) {
        list.insertBefore(item, items[i]);
        return true;
      }
    }
    list.insertBefore(item, list.querySelector(":scope > [data-testid=EmptyComments]"));
    return true;
  }

  // before returns, for the list's order, whether a new conversation goes before another one: oldest first by
  // id, newest first by id the other way, "top" by reactions (most first), then oldest first. A conversation's
  // reactions changing does not move it: the next load of the page has the new order.
  function before(order, item) {
    var id = idOf(item);
    var score = function (el) { return parseInt(el.getAttribute("data-score"), 10) || 0; };
    if (order === "newest") return function (other) { return idOf(other) < id; };
    if (order === "top") {
      return function (other) { return score(other) < score(item) || (score(other) === score(item) && idOf(other) > id); };
    }
    return function (other) { return idOf(other) > id; };
  }

  // Replaces an element with a new rendering of the same comment, keeping the replies already on the page and
  // what this visitor may do with their own comment. A comment its author is editing here is left alone: the
  // answer to the edit brings its new text.
  function replace(existing, item) {
    if (existing.querySelector(":scope > [data-testid=EditForm]")) {
      return;
    }
    var own = existing.querySelector(":scope > [data-part=comment] [data-own-controls]");
    var controls = item.querySelector(":scope > [data-part=comment] [data-controls]");
    if (own && controls && !item.hasAttribute("data-placeholder")) {
      controls.replaceWith(own);
    }
    var oldReplies = existing.querySelector(":scope > [data-replies]");
    var newReplies = item.querySelector(":scope > [data-replies]");
    if (oldReplies && newReplies) {
      newReplies.replaceWith(oldReplies);
    }
    var form = existing.querySelector(":scope > #comment-form");
    if (form) {
      home(form); // a reply was being written under it: the form goes back to its place, text kept
    }
    var part = existing.querySelector(":scope > [data-part=comment]");
    var hadFocus = part && part.contains(document.activeElement);
    var reaction = hadFocus && document.activeElement.getAttribute("data-reaction");
    existing.replaceWith(item);
    if (forget(existing)) {
      unseen.push(item);
      watcher.observe(item);
    }
    var pressed = reaction && item.querySelector(":scope > [data-part=comment] button[data-reaction='" + reaction + "']");
    if (pressed) {
      markReactions(item);
      pressed.focus({ preventScroll: true });
    } else if (hadFocus) {
      var again = item.querySelector(":scope > [data-part=comment]");
      again.setAttribute("tabindex", "-1");
      again.focus({ preventScroll: true });
    }
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
    var state = tpl.content.getElementById("comments-state");
    if (state) {
      postState(state);
    }
    var elsewhere = tpl.content.getElementById("elsewhere-counts");
    var shown = document.getElementById("elsewhere-counts");
    if (elsewhere && shown) {
      shown.replaceWith(elsewhere); // the likes and reposts from other sites, as they are now
    }
    var bar = tpl.content.querySelector("form[data-reactions='0']");
    if (bar) {
      replaceBar(document.getElementById(bar.id), bar);
    }
    var item = tpl.content.querySelector("li[data-comment-id]");
    if (!item) {
      return;
    }
    var existing = document.getElementById(item.id);
    var gone = item.getAttribute("data-gone");
    if (gone) {
      if (existing && !(gone === "held" && existing.hasAttribute("data-held"))) {
        var form = existing.querySelector("#comment-form");
        if (form) home(form);
        // Focus inside it (its author deleting it here, the stream quicker than the answer): to its neighbour.
        var focusTo = existing.contains(document.activeElement) ? neighbourOf(existing) : null;
        var own = existing.querySelector(":scope > [data-part=comment] form.htmx-request[hx-post$='/delete']");
        existing.remove();
        forget(existing);
        updateCue();
        if (focusTo) {
          focusTo.setAttribute("tabindex", "-1");
          focusTo.focus();
        }
        announce(own ? say("deleted_own", "Your comment was deleted.") : say("removed", "A comment was removed."));
      }
      return;
    }
    var parent = item.getAttribute("data-parent");
    if (parent) {
      // Somebody answered it: its author can no longer change it.
      var answered = document.getElementById("comment-" + parent);
      dropOwnControls(answered && answered.querySelector(":scope > [data-part=comment] [data-own-controls]"));
    }
    if (existing) {
      if (existing.hasAttribute("data-held") && !item.hasAttribute("data-placeholder")) {
        announce(say("approved", "Your comment was approved."));
      }
      var pinned = item.hasAttribute("data-pinned");
      var moves = !parent && pinned !== existing.hasAttribute("data-pinned");
      replace(existing, item);
      if (moves && item.isConnected) {
        // Pinned or unpinned: it goes first, or back to its place in time; the reader hears which.
        item.remove();
        place(item);
        announce(pinned ? say("pinned", "A comment was pinned to the top.") : say("unpinned", "A comment was unpinned."));
      }
    } else if (place(item)) {
      item.classList.add("comment-arrived");
      arrived(item);
    } else {
      return;
    }
    markReactions(item);
    htmx.process(item);
    refreshTimes();
  }

  // The post closed to comments or opened again: the notice takes the form's place (the style hides the form and
  // the Reply controls while it is there) or leaves it. Focus inside the form, about to vanish, goes to the notice.
  function postState(state) {
    var current = document.getElementById("comments-state");
    if (!current) return;
    var wasClosed = !!current.querySelector("[data-closed]");
    var closed = !!state.querySelector("[data-closed]");
    if (wasClosed === closed) return;
    var form = document.getElementById("comment-form");
    var hadFocus = form && form.contains(document.activeElement);
    current.innerHTML = state.innerHTML;
    if (closed && hadFocus) {
      current.querySelector("[data-closed]").focus();
    }
    announce(closed ? say("closed", "Comments are now closed.") : say("opened", "Comments are open again."));
  }

  // Reactions. The rendered bars are every reader's; which ones are this visitor's own is in the browser's
  // signed record (the "reacted" cookie: "reader|c12.like~ppost-slug.love!signature"), marked here.
  function reactedCookie() {
    var m = /(?:^|;\s*)reacted=([^;]*)/.exec(document.cookie);
    if (!m) return "";
    try { return decodeURIComponent(m[1]); } catch (e) { return ""; }
  }
  function keysOf(list) {
    var keys = {};
    list.split("~").forEach(function (k) { if (k) keys[k] = true; });
    return keys;
  }
  // told is the record another tab (or this one's own answer) passed on, with the cookie as this tab read it
  // then: until this tab's copy of the cookie changes, it is older than what was told.
  var told = null;
  function reactedKeys() {
    var v = reactedCookie();
    if (told && v === told.cookie) return keysOf(told.list);
    told = null;
    return keysOf(v.split("!")[0].split("|")[1] || "");
  }
  function markReactions(root) {
    if (!root || !root.querySelectorAll) return;
    var keys = reactedKeys();
    var bars = root.matches && root.matches("form[data-reaction-key]") ? [root] : root.querySelectorAll("form[data-reaction-key]");
    Array.prototype.forEach.call(bars, function (bar) {
      var prefix = bar.getAttribute("data-reaction-key");
      bar.querySelectorAll("button[data-reaction]").forEach(function (b) {
        b.setAttribute("aria-pressed", keys[prefix + "." + b.getAttribute("data-reaction")] ? "true" : "false");
      });
    });
  }
  // A press in another tab of this browser changes the record after this tab may already have marked the live
  // change it caused (the stream can be quicker than that tab's answer), and this tab's copy of the cookie can
  // lag behind the browser's: the tab that pressed passes the new keys (from its answer's X-Reacted) to the
  // others, which mark their bars again; a tab coming back into view reads the cookie again.
  var reactedChannel = "BroadcastChannel" in window ? new BroadcastChannel("blog-reacted") : null;
  function tell(list) {
    if (typeof list !== "string") return;
    told = { list: list, cookie: reactedCookie() };
    markReactions(document);
  }
  if (reactedChannel) reactedChannel.onmessage = function (evt) { tell(evt.data); };
  document.addEventListener("visibilitychange", function () { if (!document.hidden) markReactions(document); });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!evt.detail.successful || !elt || !elt.closest || !elt.closest("form[data-reaction-key]")) return;
    var list = evt.detail.xhr && evt.detail.xhr.getResponseHeader("X-Reacted");
    if (list === null) return;
    tell(list);
    if (reactedChannel) reactedChannel.postMessage(list);
  });
  // replaceBar puts a bar's new counts on the page, keeping focus on the same button.
  function replaceBar(existing, bar) {
    if (!existing) return;
    var focused = existing.contains(document.activeElement) && document.activeElement.getAttribute("data-reaction");
    existing.replaceWith(bar);
    markReactions(bar);
    htmx.process(bar);
    if (focused) {
      var again = bar.querySelector("button[data-reaction='" + focused + "']");
      if (again) again.focus({ preventScroll: true });
    }
  }

  // Live arrivals: announced politely; one outside the reader's view adds to a small cue that brings the first
  // unseen one into view when used. Nothing moves under the reader's eyes: arrivals go below or into threads,
  // and the browser's scroll anchoring keeps what is read in place.
  var unseen = [];
  var watcher = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) {
        unseen = unseen.filter(function (el) { return el !== e.target; });
        watcher.unobserve(e.target);
        updateCue();
      }
    });
  }) : null;

  function arrived(item) {
    var author = item.querySelector("[data-testid=CommentAuthor]");
    announce(say("new_from", "New comment from {{.Name}}.", { Name: author ? author.textContent.trim() : say("a_reader", "a reader") }));
    if (!watcher) return;
    var r = item.getBoundingClientRect();
    if (r.top < window.innerHeight && r.bottom > 0) return;
    unseen.push(item);
    watcher.observe(item);
    updateCue();
  }

  // forget stops watching an element that left the page; it reports whether it was still unseen.
  function forget(el) {
    if (unseen.indexOf(el) < 0) return false;
    unseen = unseen.filter(function (u) { return u !== el; });
    watcher.unobserve(el);
    return true;
  }

  function updateCue() {
    var cue = document.getElementById("new-comments");
    if (!cue) return;
    cue.textContent = count("new_comments", unseen.length, "{{.Count}} new comment", "{{.Count}} new comments");
    cue.classList.toggle("hidden", unseen.length === 0);
  }

  document.addEventListener("click", function (evt) {
    var cue = evt.target.closest && evt.target.closest("#new-comments");
    if (!cue || unseen.length === 0) return;
    var first = unseen[0];
    first.setAttribute("tabindex", "-1");
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
  });

  // Changes that arrive while the list is being reloaded are applied again on top of the reloaded list.
  var reloading = null;

  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var msg = evt.detail;
    evt.preventDefault(); // the page applies changes itself
    if (!msg) {
      return;
    }
    if (msg.type === "notice") {
      // A word about the post or a new one (no id: outside the feed's order). The area is a polite live region:
      // filling it is announced, and the focus stays where the reader has it.
      var area = document.getElementById("post-notice");
      if (area) area.innerHTML = msg.data;
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

  // Dismiss empties the notice; the focus, if it was in the notice, goes back to where the reader was before.
  var focusBeforeNotice = null;
  document.addEventListener("focusin", function (evt) {
    if (!(evt.target.closest && evt.target.closest("#post-notice"))) focusBeforeNotice = evt.target;
  });
  document.addEventListener("click", function (evt) {
    var dismiss = evt.target.closest && evt.target.closest("[data-dismiss-notice]");
    var area = document.getElementById("post-notice");
    if (!dismiss || !area) return;
    var hadFocus = area.contains(document.activeElement);
    area.innerHTML = "";
    if (hadFocus && focusBeforeNotice && document.contains(focusBeforeNotice)) focusBeforeNotice.focus();
  });

  // The stream said the page is too far behind to catch up change by change: load the current list instead.
  function reloadList(elt) {
    var section = elt.closest("#comments");
    var url = section && section.getAttribute("sse-connect");
    if (!url) {
      return;
    }
    reloading = [];
    var order = document.getElementById("comment-list").getAttribute("data-order") || "oldest";
    var freshURL = new URL(url, window.location.href).pathname.replace(/\/events$/, "/comments/fresh") + "?min=" + feedSeq + "&order=" + order;
    fetch(freshURL, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var tpl = document.createElement("template");
        tpl.innerHTML = html;
        var fresh = tpl.content.getElementById("comment-list");
        var list = document.getElementById("comment-list");
        if (fresh && list) {
          var form = list.querySelector("#comment-form");
          if (form) home(form);
          var seq = parseInt(fresh.getAttribute("data-seq"), 10) || 0;
          var state = tpl.content.getElementById("comments-state");
          if (state) postState(state); // the post may have closed or opened among the changes missed
          var elsewhere = tpl.content.getElementById("elsewhere-counts");
          var shownElsewhere = document.getElementById("elsewhere-counts");
          if (elsewhere && shownElsewhere) shownElsewhere.replaceWith(elsewhere); // likes and reposts missed too
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

  // Replies: Reply moves the one comment form under the comment (the text typed so far stays in it) and says
  // whom it answers; Cancel puts it back. Without JavaScript, Reply is a link that opens the form as a reply.
  function home(form) {
    var heading = document.getElementById("form-heading");
    if (heading && form.previousElementSibling !== heading) {
      heading.after(form);
    }
    setParent(form, "", "");
  }

  function setParent(form, id, name) {
    var field = form.querySelector("input[name=parent]");
    var note = form.querySelector("#reply-to");
    if (field) field.value = id;
    if (note) {
      note.classList.toggle("hidden", !id);
      var who = note.querySelector("[data-reply-name]");
      if (who) who.textContent = name;
    }
  }

  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a[data-reply]");
    var cancel = evt.target.closest && evt.target.closest("a[data-cancel-reply]");
    var form = document.getElementById("comment-form");
    if (!form) return;
    if (link) {
      var item = document.getElementById("comment-" + link.getAttribute("data-reply"));
      if (!item) return;
      evt.preventDefault();
      var part = item.querySelector(":scope > [data-part=comment]");
      (part || item).after(form);
      form.setAttribute("data-reply-from", link.getAttribute("data-reply"));
      setParent(form, link.getAttribute("data-reply"), link.getAttribute("data-reply-name"));
      form.querySelector("#comment-body").focus();
    } else if (cancel) {
      evt.preventDefault();
      var from = form.getAttribute("data-reply-from");
      home(form);
      var back = from && document.querySelector("a[data-reply='" + from + "']");
      if (back) back.focus(); else form.querySelector("#comment-body").focus();
    }
  });

  // After the comment form comes back from the server: put the new comment where it lands, bring it into view and
  // announce it, keep focus in the form (ready for another) or move it to the first field in error.
  document.addEventListener("htmx:afterSettle", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (!elt) return;
    var form = document.getElementById("comment-form");
    if (elt === form || (elt.id === "comment-form")) {
      var tpl = document.getElementById("posted-comment");
      if (tpl) {
        var item = tpl.content.querySelector("li[data-comment-id]");
        tpl.remove();
        home(form);
        if (item) {
          var existing = document.getElementById(item.id);
          if (existing) {
            replace(existing, item);
          } else {
            place(item);
          }
          htmx.process(item);
          item.classList.add("comment-arrived");
          item.scrollIntoView({ block: "nearest" });
          announce(item.hasAttribute("data-held") ? say("held", "Your comment is held for review.") : say("posted", "Your comment is posted."));
        }
        form.querySelector("#comment-body").focus({ preventScroll: true });
      } else {
        // Refused: focus goes to the first field in error, or back to the text, kept (the notice is announced).
        var invalid = form.querySelector("[aria-invalid=true]") || form.querySelector("#comment-body");
        if (invalid) invalid.focus();
      }
    }
    refreshTimes();
  });

  // An edit form opens with focus in its text; a saved edit takes focus and says so. (Told by the request's own
  // events: the saved comment may be replaced at once by the same edit arriving over the stream.)
  document.addEventListener("htmx:load", function (evt) {
    var elt = evt.target;
    if (elt && elt.matches && elt.matches("form[data-testid=EditForm]")) {
      var area = elt.querySelector("textarea");
      if (area) area.focus();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-testid=EditForm]") || evt.detail.xhr.status !== 200 ||
        evt.detail.requestConfig.verb !== "post") return;
    var item = form.closest("li[data-comment-id]");
    announce(say("saved", "Your comment is saved."));
    window.setTimeout(function () {
      var part = item && document.getElementById(item.id);
      part = part && part.querySelector(":scope > [data-part=comment]");
      if (part && part.tagName !== "FORM") {
        part.setAttribute("tabindex", "-1");
        part.focus();
      }
      refreshTimes();
    }, 60);
  });

  // "Show N more replies" puts the next replies in place of itself. Replies that arrived live meanwhile are
  // already on the page, after the control: the ones loaded in order win and the later copies go. Focus moves to
  // the first reply loaded, and the reader hears how many came.
  var moreFrom = null, olderFrom = null;
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var elt = evt.detail.elt;
    var li = elt && elt.closest && elt.closest("[data-more-replies]");
    moreFrom = li ? { list: li.parentElement, before: li.previousElementSibling } : null;
    var older = elt && elt.closest && elt.closest("#older-comments");
    olderFrom = older ? { first: document.querySelector("#comment-list > [data-comment-id]") } : null;
  });

  // "Show older comments" puts them above the first on the page: focus moves to the first loaded, and the reader
  // hears how many came.
  document.addEventListener("htmx:afterSettle", function () {
    if (!olderFrom) return;
    var first = olderFrom.first, list = document.getElementById("comment-list");
    olderFrom = null;
    var start = list && list.querySelector(":scope > [data-comment-id]");
    if (!start || start === first) return;
    var n = 0;
    for (var el = start; el && el !== first; el = el.nextElementSibling) if (el.matches("[data-comment-id]")) n++;
    var part = start.querySelector(":scope > [data-part=comment]") || start;
    part.setAttribute("tabindex", "-1");
    part.focus();
    announce(count("older_shown", n, "{{.Count}} older conversation shown.", "{{.Count}} older conversations shown."));
    refreshTimes();
  });

  // neighbourOf is where focus goes when a comment leaves: the comment after it, or before it, or the
  // conversation it is in, or the comments heading.
  function neighbourOf(item) {
    var next = item.nextElementSibling, prev = item.previousElementSibling;
    return (next && next.matches("[data-comment-id]") && next.querySelector(":scope > [data-part=comment]")) ||
      (prev && prev.matches("[data-comment-id]") && prev.querySelector(":scope > [data-part=comment]")) ||
      (item.parentElement && item.parentElement.closest("li[data-comment-id]") &&
        item.parentElement.closest("li[data-comment-id]").querySelector(":scope > [data-part=comment]")) ||
      document.getElementById("comments-heading");
  }

  // Deleting one's own comment: it leaves the page at once (the live stream says the same a moment later), focus
  // moves to the comment after it (or before it, or the comments heading), and the reader hears it is done.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (!form.matches || !form.matches("form[hx-post$='/delete']") || !evt.detail.successful) return;
    var item = form.closest("li[data-comment-id]");
    if (!item || !item.isConnected) return; // the stream removed it first (applyChange moved focus and said so)
    var target = neighbourOf(item);
    var replies = item.querySelector(":scope > [data-replies] > [data-comment-id]");
    if (!replies) {
      item.remove();
      forget(item);
    }
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
    announce(say("deleted_own", "Your comment was deleted."));
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!moreFrom) return;
    var list = moreFrom.list, first = moreFrom.before ? moreFrom.before.nextElementSibling : list.firstElementChild;
    moreFrom = null;
    var seen = {};
    list.querySelectorAll(":scope > [data-comment-id]").forEach(function (el) {
      if (seen[el.id]) el.remove(); else seen[el.id] = true;
    });
    if (first && first.matches("[data-comment-id]")) {
      var part = first.querySelector(":scope > [data-part=comment]") || first;
      part.setAttribute("tabindex", "-1");
      part.focus();
      var n = 0;
      for (var el = first; el && el.matches("[data-comment-id]"); el = el.nextElementSibling) n++;
      announce(count("replies_shown", n, "{{.Count}} more reply shown.", "{{.Count}} more replies shown."));
    }
    refreshTimes();
  });

  // Text fields with a limit show how much is written against it as the reader types (a paste past the limit is
  // kept whole, never cut: the server says what is wrong), and tell screen readers when it is nearly reached and
  // when it is passed, once each time.
  function countChars(area) {
    var max = parseInt(area.getAttribute("data-max-chars"), 10);
    var shown = document.querySelector("[data-char-count-for='" + area.id + "']");
    var alert = document.querySelector("[data-char-alert-for='" + area.id + "']");
    if (!max || !shown) return;
    var n = Array.from(area.value.replace(/\r\n/g, "\n").trim()).length;
    var over = n > max;
    shown.textContent = numberText(n) + " / " + numberText(max);
    shown.classList.toggle("field-error", over);
    shown.classList.toggle("mt-0", over);
    var level = over ? "over" : (n > max * 0.9 ? "near" : "");
    if (alert && area.getAttribute("data-char-level") !== level) {
      area.setAttribute("data-char-level", level);
      if (level === "over") {
        alert.textContent = count("chars_over", n - max, "{{.Count}} character over the limit of {{.Max}}.", "{{.Count}} characters over the limit of {{.Max}}.", { Max: numberText(max) });
      } else if (level === "near") {
        alert.textContent = count("chars_left", max - n, "{{.Count}} character left.", "{{.Count}} characters left.");
      }
    }
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("textarea[data-max-chars]")) countChars(evt.target);
  });

  // What holds only for a while goes when it no longer does: a "slow down" notice once the wait is over, and
  // Edit and Delete on one's own comment once its time to change ends.
  function settle(root) {
    markReactions(root);
    root.querySelectorAll("textarea[data-max-chars]").forEach(countChars);
    root.querySelectorAll("[data-clear-after]").forEach(function (el) {
      var secs = parseInt(el.getAttribute("data-clear-after"), 10) || 0;
      el.removeAttribute("data-clear-after");
      window.setTimeout(function () { el.textContent = ""; }, secs * 1000);
    });
    root.querySelectorAll("[data-editable-until]").forEach(function (el) {
      var until = Date.parse(el.getAttribute("data-editable-until"));
      el.removeAttribute("data-editable-until");
      if (!isNaN(until)) window.setTimeout(function () { dropOwnControls(el); }, Math.max(0, until - Date.now()));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { settle(document); });

  // The owner's script (their count of comments waiting, kept live in the header) is loaded only in a browser
  // where the owner signed in: the sign-in leaves a hint cookie that grants nothing; the server checks the
  // session on every request the script makes.
  document.addEventListener("DOMContentLoaded", function () {
    var meta = document.querySelector('meta[name="owner-script"]');
    if (!meta || !/(?:^|;\s*)owner=1(?:;|$)/.test(document.cookie)) return;
    var script = document.createElement("script");
    script.src = meta.getAttribute("content");
    document.head.appendChild(script);
  });
  document.addEventListener("htmx:load", function (evt) { if (evt.target.querySelectorAll) settle(evt.target); });

  // dropOwnControls takes Edit and Delete away from one's own comment (answered, or its time is over); Reply stays.
  function dropOwnControls(controls) {
    if (!controls || !controls.isConnected) return;
    var part = controls.closest("[data-part=comment]");
    if (part && part.contains(document.activeElement)) part.setAttribute("tabindex", "-1"), part.focus();
    controls.querySelectorAll("[data-testid=EditLink], form").forEach(function (el) { el.remove(); });
    controls.removeAttribute("data-own-controls");
  }

  // Say "5 minutes ago" instead of the full time the server writes, and keep it true while the page stays open:
  // in the page's language through Intl.RelativeTimeFormat (English where a browser has none).
  var relative = null;
  try { relative = new Intl.RelativeTimeFormat(intlLang, { numeric: "always" }); } catch (e) { relative = null; }
  function ago(then, now) {
    var s = Math.max(0, (now - then) / 1000);
    function plural(n, unit) {
      if (relative) return relative.format(-n, unit);
      return n === 1 ? "1 " + unit + " ago" : n + " " + unit + "s ago";
    }
    if (s < 45) return say("just_now", "just now");
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

  // Send the CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });
})();
