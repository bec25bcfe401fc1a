// The owner's script. On every page of a browser where the owner signed in: the count of comments waiting for
// review in the header, kept live. On the owner's pages: the form token on htmx requests, focus after an
// action, select-all, the filters folded on a phone, and passkeys (WebAuthn), whose failures are explained in
// words.
(function () {
  "use strict";

  var ownerPage = document.documentElement.getAttribute("data-testid") === "AdminLayout";

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var t = token();
    if (t) {
      evt.detail.headers["X-CSRF-Token"] = t;
    }
  });

  // After an action or a reply swaps the console's results, move focus to the field in error, or else to the
  // notice that says what happened.
  document.addEventListener("htmx:afterSettle", function () {
    // The desk's editor swaps its preview and its "Saved" line as the owner types: focus stays where they type.
    if (!ownerPage || document.getElementById("desk-form")) return;
    var target = document.querySelector('#console-results [aria-invalid="true"]') || document.getElementById("notice");
    if (target) {
      target.focus();
    }
    wireConsole();
  });

  // ---- The pending count in the header -------------------------------------------------------------------

  function hinted() {
    return /(?:^|;\s*)owner=1(?:;|$)/.test(document.cookie);
  }

  function pendingWords(n) {
    if (n === 0) return "No comments pending";
    return n === 1 ? "1 comment pending" : n + " comments pending";
  }

  function startPending() {
    var slot = document.querySelector("[data-owner-pending]");
    if (!slot || !hinted() || !window.fetch) return;
    var link = slot.querySelector("a");
    var announce = slot.querySelector("[data-owner-announce]");
    var shown = -1;
    var source = null;
    var delay = 2000;

    function show(n) {
      if (typeof n !== "number" || n < 0 || n === shown) return;
      link.textContent = pendingWords(n);
      link.setAttribute("aria-label", pendingWords(n) + ": review them");
      if (n > 0) {
        link.setAttribute("data-waiting", "");
      } else {
        link.removeAttribute("data-waiting");
      }
      if (shown >= 0) {
        // A change after the first count is announced, politely; the first is just there to be read.
        announce.textContent = n > shown ? "New comment waiting for review. " + pendingWords(n) + "." : pendingWords(n) + ".";
      }
      shown = n;
      slot.hidden = false;
    }

    function stop() {
      slot.hidden = true;
      if (source) source.close();
      source = null;
    }

    // ask reads the count; false means the browser is not (or no longer) the owner's.
    function ask() {
      return fetch("/admin/pending", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401) {
            return false; // the server cleared the hint cookie with its answer
          }
          if (!r.ok) throw new Error(String(r.status));
          return r.json().then(function (data) {
            show(data.pending);
            return true;
          });
        });
    }

    // listen keeps one stream of counts open until the browser is no longer the owner's; then done().
    function listen(share, done) {
      if (!window.EventSource) return;
      slot.setAttribute("data-stream", "open");
      source = new EventSource("/admin/events");
      source.addEventListener("pending", function (e) {
        delay = 2000;
        var n = parseInt(e.data, 10);
        show(n);
        share(n);
      });
      source.addEventListener("error", function () {
        if (!source || source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
        // Refused (signed out, or too many streams): ask once more before trying again.
        source = null;
        setTimeout(function () {
          ask().then(function (owner) {
            if (owner) {
              listen(share, done);
            } else {
              stop();
              share("signed-out");
              done();
            }
          }).catch(function () { listen(share, done); });
        }, delay);
        delay = Math.min(delay * 2, 60000);
      });
    }

    ask().then(function (owner) {
      if (!owner) {
        stop();
        return;
      }
      if (!navigator.locks || !window.BroadcastChannel) {
        listen(function () {}, function () {});
        return;
      }
      // One stream per browser, however many of the blog's pages are open: a browser opens at most six
      // connections to a site over HTTP/1.1, and a post already holds one for its comments. The tab holding the
      // lock streams and passes each count to the others; when it closes, another takes the lock, asks for the
      // count (nothing is missed in between) and streams in its turn.
      var channel = new BroadcastChannel("blog-owner-pending");
      channel.onmessage = function (e) {
        if (e.data === "signed-out") {
          stop();
        } else {
          show(e.data);
        }
      };
      var leave = null;
      var waiting = null;
      function join() {
        slot.setAttribute("data-stream", "shared");
        waiting = window.AbortController ? new AbortController() : null;
        navigator.locks.request("blog-owner-pending", waiting ? { signal: waiting.signal } : {}, function () {
          waiting = null;
          return new Promise(function (release) {
            var share = function (n) { channel.postMessage(n); };
            // A page leaving (or going into the back-forward cache, where it would keep the lock) hands over.
            leave = function () {
              if (source) source.close();
              source = null;
              slot.setAttribute("data-stream", "shared");
              release();
            };
            ask().then(function (still) {
              if (!still) {
                stop();
                share("signed-out");
                release();
                return;
              }
              share(shown);
              listen(share, release);
            }).catch(function () { listen(share, release); });
          });
        }).catch(function () { /* the page left before its turn */ });
      }
      window.addEventListener("pagehide", function () {
        if (waiting) waiting.abort();
        waiting = null;
        if (leave) leave();
        leave = null;
      });
      window.addEventListener("pageshow", function (e) {
        if (e.persisted) {
          ask().catch(function () {});
          join();
        }
      });
      join();
    }).catch(function () { /* the blog is unreachable: no count rather than a wrong one */ });
  }

  // ---- The console -----------------------------------------------------------------------------------------

  // wireConsole enables select-all for the list shown (again after htmx swaps the results).
  function wireConsole() {
    var box = document.querySelector("[data-select-all]");
    var all = document.getElementById("select-all");
    var form = document.querySelector("[data-testid=ConsoleForm]");
    if (!box || !all || !form || all.hasAttribute("data-wired")) return;
    all.setAttribute("data-wired", "");
    box.hidden = false;
    var count = form.querySelector("[data-selected-count]");
    function items() {
      return Array.prototype.slice.call(form.querySelectorAll('input[type=checkbox][name="id"]'));
    }
    function update(announce) {
      var list = items();
      var n = list.filter(function (i) { return i.checked; }).length;
      all.checked = n > 0 && n === list.length;
      all.indeterminate = n > 0 && n < list.length;
      if (announce) {
        count.textContent = n === 0 ? "None selected." : (n === 1 ? "1 comment selected." : n + " comments selected.");
      }
    }
    all.addEventListener("change", function () {
      items().forEach(function (i) { i.checked = all.checked; });
      update(true);
    });
    form.addEventListener("change", function (e) {
      if (e.target !== all && e.target.name === "id") update(false);
    });
    update(false);
  }

  // foldFilters closes the filter form on a phone when no filter is set; it stays open on wider screens and
  // without JavaScript.
  function foldFilters() {
    var box = document.querySelector("details[data-filters]");
    if (box && box.getAttribute("data-active") === "0" && window.matchMedia("(max-width: 639.98px)").matches) {
      box.open = false;
    }
  }

  // ---- Passkeys --------------------------------------------------------------------------------------------

  // WebAuthn sends binary fields as base64url in JSON; the browser API wants ArrayBuffers, and back.
  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Refusal is the server's answer to a ceremony's request, in its own words.
  function Refusal(status, message) {
    this.name = "Refusal";
    this.status = status;
    this.message = message;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          throw new Refusal(r.status, data.error || "");
        }
        return data;
      });
    });
  }

  function credentialJSON(cred) {
    var out = { id: cred.id, rawId: toB64(cred.rawId), type: cred.type, response: {} };
    var r = cred.response;
    out.response.clientDataJSON = toB64(r.clientDataJSON);
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) out.response.userHandle = toB64(r.userHandle);
    }
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    out.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    return out;
  }

  // register runs a registration ceremony: begin (the server's options), the browser's prompt, finish.
  function register(begin, finish) {
    return post(begin).then(function (opts) {
      var pk = opts.publicKey;
      pk.challenge = fromB64(pk.challenge);
      pk.user.id = fromB64(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      return post(finish, credentialJSON(cred));
    });
  }

  // signIn runs an authentication ceremony.
  function signIn(begin, finish) {
    return post(begin).then(function (opts) {
      var pk = opts.publicKey;
      pk.challenge = fromB64(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      return post(finish, credentialJSON(cred));
    });
  }

  // numericHost reports a page opened by a numeric address (127.0.0.1, [::1]), where browsers refuse passkeys.
  function numericHost() {
    var h = location.hostname;
    return /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.indexOf(":") >= 0 || h.charAt(0) === "[";
  }

  // localAddress is this page at localhost, when it was opened at a loopback address.
  function localAddress() {
    var h = location.hostname.replace(/^\[|\]$/g, "");
    if (!/^127\./.test(h) && h !== "::1" && h !== "0.0.0.0") return "";
    return location.protocol + "//localhost" + (location.port ? ":" + location.port : "") + location.pathname + location.search;
  }

  // sayNumeric explains, in the error's place, why passkeys fail at a numeric address, with a link to this page
  // at localhost when that is where it works.
  function sayNumeric(error) {
    var local = localAddress();
    error.textContent = "Passkeys work only when the blog is opened by its name, not by a numeric address such as " +
      location.hostname + ". ";
    if (!local) {
      error.appendChild(document.createTextNode("Open it at its name instead, or use a password."));
      return;
    }
    var a = document.createElement("a");
    a.href = local;
    a.className = "underline";
    a.textContent = "Open this page at localhost";
    error.appendChild(a);
    error.appendChild(document.createTextNode(" instead, or use a password."));
  }

  // explain turns a failed ceremony into a sentence for the owner (never a browser's raw message).
  function explain(err, registering) {
    if (err instanceof Refusal) {
      if (err.status === 403) return "This page is out of date. Please reload it and try again.";
      if (err.status >= 500) return "The blog could not finish this because of a problem on its side. Please try again in a moment.";
      return err.message || "The blog refused this passkey (status " + err.status + "). Please reload the page and try again.";
    }
    switch (err && err.name) {
      case "NotAllowedError":
        return "The passkey prompt was closed or timed out, or this device has no passkey for this blog. Please try again.";
      case "SecurityError":
        return "This browser refused to use a passkey for this address. Open the blog at its own name (the address it was set up with) and try again.";
      case "InvalidStateError":
        return registering ? "This device already holds a passkey for this blog. Sign in with it, or add one on another device." :
          "This device could not use its passkey. Please try again.";
      case "NotSupportedError":
        return "This device cannot make the kind of passkey the blog asks for. Try another device or browser, or use a password.";
      case "AbortError":
        return "The passkey request was cancelled. Please try again.";
      case "TypeError":
        return "The blog could not be reached. Check the connection and try again.";
    }
    return "The passkey could not be used. Please try again, or use a password.";
  }

  function wire(section, run, registering) {
    var button = section.querySelector("button[data-needs-js]");
    var error = section.querySelector("[data-passkey-error]");
    if (!button) return;
    if (!window.isSecureContext) {
      error.textContent = "Passkeys need a secure connection: open the blog over HTTPS (or at localhost), or use a password.";
      return;
    }
    if (!window.PublicKeyCredential) {
      error.textContent = "This browser cannot use passkeys. Use a password, or another browser.";
      return;
    }
    if (numericHost()) {
      sayNumeric(error); // said before the owner tries, and again if they do
    }
    button.disabled = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      error.textContent = "";
      run().then(function (data) {
        window.location.assign(data.redirect || "/admin");
      }).catch(function (err) {
        button.disabled = false;
        if (numericHost() && (err.name === "SecurityError" || (err instanceof Refusal && err.status === 400))) {
          sayNumeric(error);
        } else {
          error.textContent = explain(err, registering);
        }
      });
    });
  }

  // On the owner's pages this script is in the head (deferred, before DOMContentLoaded); on the public pages the
  // page script adds it once the document is parsed, for the owner's browser only.
  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () {
    startPending();
    if (!ownerPage) return;
    wireConsole();
    foldFilters();
    var login = document.querySelector("[data-passkey-login]");
    if (login) {
      var next = encodeURIComponent(login.getAttribute("data-next") || "/admin");
      wire(login, function () {
        return signIn("/admin/login/passkey/begin", "/admin/login/passkey/finish?next=" + next);
      }, false);
    }
    var setup = document.querySelector("[data-passkey-setup]");
    if (setup) {
      var t = encodeURIComponent(setup.getAttribute("data-token"));
      wire(setup, function () {
        return register("/admin/setup/passkey/begin?token=" + t, "/admin/setup/passkey/finish?token=" + t);
      }, true);
    }
    var add = document.querySelector("[data-passkey-add]");
    if (add) {
      wire(add, function () {
        var name = encodeURIComponent((document.getElementById("passkey-name") || {}).value || "");
        return register("/admin/account/passkey/begin", "/admin/account/passkey/finish?name=" + name);
      }, true);
    }
  });
  // ---- Pin and Unpin on a post page ---------------------------------------------------------------------------
  // The owner's post page carries a Pin (or Unpin) form on every conversation's first comment; comments that
  // arrive live come in the readers' rendering, so the control is added here beside Reply. Either is sent as
  // the console's own action with the session's form token. The live stream then moves the comment on every
  // open page, this one included.
  (function pinControls() {
    var list = document.getElementById("comment-list");
    if (ownerPage || !list || !window.fetch) return;
    fetch("/admin/form-token", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.token) return;
        var tok = data.token;
        function add(li) {
          var row = li.querySelector(":scope > [data-part=comment] [data-controls] > div");
          if (!row || row.querySelector("[data-pin]")) return;
          var pinned = li.hasAttribute("data-pinned");
          var b = document.createElement("button");
          b.type = "button";
          b.className = "link-muted underline";
          b.setAttribute("data-pin", pinned ? "unpin" : "pin");
          b.setAttribute("data-testid", "PinButton");
          b.textContent = pinned ? "Unpin" : "Pin";
          var who = li.querySelector("[data-testid=CommentAuthor]");
          var sr = document.createElement("span");
          sr.className = "sr-only";
          sr.textContent = " the comment by " + (who ? who.textContent : "this reader");
          b.appendChild(sr);
          row.appendChild(b);
        }
        function all() {
          list.querySelectorAll(":scope > [data-comment-id]:not([data-placeholder])").forEach(add);
        }
        all();
        new MutationObserver(all).observe(list, { childList: true });
        list.addEventListener("click", function (evt) {
          var b = evt.target.closest && evt.target.closest("[data-pin]");
          if (!b) return;
          evt.preventDefault(); // the owner's page has the same control as a plain form: sent here instead
          var li = b.closest("li[data-comment-id]");
          var body = new URLSearchParams({ one: b.getAttribute("data-pin") + ":" + li.getAttribute("data-comment-id"), "return": "/admin", _csrf: tok });
          b.disabled = true;
          fetch("/admin/comments", { method: "POST", credentials: "same-origin", headers: { "HX-Request": "true", "X-CSRF-Token": tok }, body: body })
            .then(function (r) {
              return r.text().then(function (html) {
                b.disabled = false;
                if (r.ok) return;
                var notice = new DOMParser().parseFromString(html, "text/html").querySelector("[data-testid=Notice][role=alert]");
                var say = li.querySelector(":scope > [data-part=comment] [data-pin-error]") || document.createElement("p");
                say.setAttribute("data-pin-error", "");
                say.setAttribute("role", "alert");
                say.className = "field-error";
                say.textContent = notice ? notice.textContent : "The comment could not be pinned.";
                b.parentNode.after(say);
              });
            })
            .catch(function () { b.disabled = false; });
        });
      })
      .catch(function () {});
  })();

  // ---- The desk's editor -----------------------------------------------------------------------------------

  // htmx saves the form a moment after the owner stops typing. What was typed since the last save is sent once
  // more when the tab is hidden or closed (a beacon outlives the page), and kept in this browser until a save
  // confirms it: a page opened again on the revision it was typed on (the connection was lost, the beacon never
  // arrived) gets it back and saves it.
  (function () {
    var form = document.getElementById("desk-form");
    if (!form || !form.dataset.autosave) return;
    var key = "desk:" + form.dataset.autosave;
    var revision = form.dataset.revision || "";
    var dirty = false;
    function fields() {
      var out = {};
      new FormData(form).forEach(function (v, k) {
        if (k !== "_csrf" && typeof v === "string") out[k] = v;
      });
      return out;
    }
    function keep() {
      try { localStorage.setItem(key, JSON.stringify({ revision: revision, fields: fields() })); } catch (e) { /* full or refused: the server's copy stays */ }
    }
    function forget() {
      try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
    }
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    if (kept && kept.revision === revision && kept.fields) {
      Object.keys(kept.fields).forEach(function (name) {
        var el = form.elements.namedItem(name);
        if (el && !el.readOnly && el.type !== "file" && el.type !== "hidden" && typeof el.value === "string") {
          el.value = kept.fields[name];
        }
      });
      dirty = true;
      var line = document.getElementById("desk-saved");
      if (line) line.textContent = "Restored what you typed before the page closed; saving it.";
      document.addEventListener("DOMContentLoaded", function () {
        if (!window.htmx) return;
        window.htmx.trigger(form, "change");
        var body = document.getElementById("desk-body");
        if (body) window.htmx.trigger(body, "input");
      });
    } else if (kept) {
      forget(); // saved since (a beacon arrived, or a button sent the form)
    }
    form.addEventListener("input", function () { dirty = true; keep(); });
    form.addEventListener("change", function () { dirty = true; keep(); });
    form.addEventListener("htmx:beforeRequest", function (evt) {
      if (evt.detail.elt === form) dirty = false;
    });
    form.addEventListener("htmx:afterRequest", function (evt) {
      if (evt.detail.elt !== form) return;
      var m = evt.detail.successful && /data-revision="(\d+)"/.exec(evt.detail.xhr.responseText || "");
      if (!m || m[1] === "0") {
        dirty = true;
        return;
      }
      revision = m[1];
      if (dirty) keep(); else forget();
    });
    function flush() {
      if (!dirty || !navigator.sendBeacon) return;
      if (navigator.sendBeacon(form.dataset.autosave, new FormData(form))) dirty = false;
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush();
    });
    window.addEventListener("pagehide", flush);
    // A plain submit (Save, Publish...) sends the form itself: the server's copy is newer than what is kept.
    form.addEventListener("submit", function () { dirty = false; forget(); });
  })();
})();
