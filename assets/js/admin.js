// The owner's pages: the form token on htmx requests, focus after an action, and passkeys (WebAuthn).
(function () {
  "use strict";

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRF-Token"] = token();
  });

  // After an action swaps the console's results, move focus to the notice that says what happened.
  document.addEventListener("htmx:afterSettle", function () {
    var notice = document.getElementById("notice");
    if (notice) {
      notice.focus();
    }
  });

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

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token() },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          throw new Error(data.error || "The server answered " + r.status + ".");
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

  function wire(section, run) {
    var button = section.querySelector("button[data-needs-js]");
    var error = section.querySelector("[data-passkey-error]");
    if (!button) return;
    if (!window.PublicKeyCredential) {
      error.textContent = "This browser cannot use passkeys.";
      return;
    }
    button.disabled = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      error.textContent = "";
      run().then(function (data) {
        window.location.assign(data.redirect || "/admin");
      }).catch(function (err) {
        button.disabled = false;
        error.textContent = err && err.name === "NotAllowedError"
          ? "The passkey prompt was closed or timed out. Please try again."
          : (err && err.message) || "That did not work. Please try again.";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var login = document.querySelector("[data-passkey-login]");
    if (login) {
      var next = encodeURIComponent(login.getAttribute("data-next") || "/admin");
      wire(login, function () {
        return signIn("/admin/login/passkey/begin", "/admin/login/passkey/finish?next=" + next);
      });
    }
    var setup = document.querySelector("[data-passkey-setup]");
    if (setup) {
      var t = encodeURIComponent(setup.getAttribute("data-token"));
      wire(setup, function () {
        return register("/admin/setup/passkey/begin?token=" + t, "/admin/setup/passkey/finish?token=" + t);
      });
    }
    var add = document.querySelector("[data-passkey-add]");
    if (add) {
      wire(add, function () {
        var name = encodeURIComponent((document.getElementById("passkey-name") || {}).value || "");
        return register("/admin/account/passkey/begin", "/admin/account/passkey/finish?name=" + name);
      });
    }
  });
})();
