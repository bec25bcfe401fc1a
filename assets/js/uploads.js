// The owner's image uploads in Markdown fields. Any <textarea data-upload="URL"> takes an image dropped on it or
// pasted into it, and any <input type="file" data-upload-for="TEXTAREA_ID"> the images chosen in it: each file
// is sent to URL (the form token in its header), a placeholder is written at the cursor while it travels, and
// the answer's Markdown replaces the placeholder (or the placeholder goes and the error's sentence is said).
// Each change fires an input event on the field, so whatever watches it (autosave, a preview) notices.
(function () {
  "use strict";

  var sent = 0;

  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // status returns the field's live region, made beside it the first time: uploads and their failures are
  // announced there, and shown.
  function status(field) {
    var id = (field.id || "upload-field") + "-upload-status";
    var el = document.getElementById(id);
    if (!el) {
      el = document.createElement("p");
      el.id = id;
      el.setAttribute("role", "status");
      el.setAttribute("data-upload-status", "");
      el.className = "mt-1 text-sm text-stone-700 dark:text-stone-300";
      field.insertAdjacentElement("afterend", el);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", described ? described + " " + id : id);
    }
    return el;
  }

  function say(field, text, isError) {
    var el = status(field);
    el.textContent = text;
    el.classList.toggle("text-red-800", !!isError);
    el.classList.toggle("dark:text-red-300", !!isError);
    el.classList.toggle("text-stone-700", !isError);
    el.classList.toggle("dark:text-stone-300", !isError);
    if (isError) {
      el.setAttribute("data-error", "");
    } else {
      el.removeAttribute("data-error");
    }
  }

  function changed(field) {
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // insert writes text over the field's selection and puts the cursor after it.
  function insert(field, text) {
    var start = field.selectionStart, end = field.selectionEnd;
    if (typeof start !== "number") {
      start = end = field.value.length;
    }
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    var at = start + text.length;
    field.setSelectionRange(at, at);
    changed(field);
  }

  // replace swaps the placeholder for text, keeping the cursor where it was relative to the text around it.
  function replace(field, placeholder, text) {
    var i = field.value.indexOf(placeholder);
    if (i < 0) {
      if (text) insert(field, text); // the placeholder was edited away: write the image at the cursor
      return;
    }
    var start = field.selectionStart, end = field.selectionEnd;
    var shift = text.length - placeholder.length;
    var focused = document.activeElement === field;
    field.value = field.value.slice(0, i) + text + field.value.slice(i + placeholder.length);
    if (typeof start === "number") {
      if (start >= i + placeholder.length) start += shift; else if (start > i) start = i + text.length;
      if (end >= i + placeholder.length) end += shift; else if (end > i) end = i + text.length;
      if (focused) field.setSelectionRange(start, end);
    }
    changed(field);
  }

  function upload(field, file) {
    var url = field.getAttribute("data-upload");
    if (!url || !window.fetch || !window.FormData) return;
    var name = file.name || "pasted image";
    var placeholder = "![Uploading " + name.replace(/[\[\]\\]/g, "") + "…](#upload-" + ++sent + ")";
    insert(field, placeholder);
    say(field, "Uploading " + name + "…");
    var body = new FormData();
    body.append("file", file, file.name || "pasted.png");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": token() }
    })
      .then(function (res) {
        return res.json().then(
          function (answer) { return answer; },
          function () { return { error: "The upload failed (the blog answered " + res.status + "). Please try again." }; }
        ).then(function (answer) {
          if (!res.ok && !answer.error) answer.error = "The upload failed (" + res.status + ").";
          return answer;
        });
      })
      .then(function (answer) {
        if (answer.error || !answer.markdown) {
          replace(field, placeholder, "");
          say(field, name + " was not uploaded: " + (answer.error || "the answer had no image."), true);
          return;
        }
        replace(field, placeholder, answer.markdown);
        say(field, name + " uploaded; its Markdown is in the text.");
      })
      .catch(function () {
        replace(field, placeholder, "");
        say(field, name + " was not uploaded: the blog could not be reached. Please try again.", true);
      });
  }

  function files(list) {
    var out = [];
    for (var i = 0; list && i < list.length; i++) out.push(list[i]);
    return out;
  }

  function target(evt) {
    return evt.target && evt.target.closest ? evt.target.closest("textarea[data-upload]") : null;
  }

  function carriesFiles(evt) {
    var types = evt.dataTransfer && evt.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  document.addEventListener("dragover", function (evt) {
    var field = target(evt);
    if (!field || !carriesFiles(evt)) return;
    evt.preventDefault();
    evt.dataTransfer.dropEffect = "copy";
    field.setAttribute("data-dragging", "");
  });

  document.addEventListener("dragleave", function (evt) {
    var field = target(evt);
    if (field) field.removeAttribute("data-dragging");
  });

  document.addEventListener("drop", function (evt) {
    var field = target(evt);
    if (!field) return;
    field.removeAttribute("data-dragging");
    var dropped = files(evt.dataTransfer && evt.dataTransfer.files);
    if (dropped.length === 0) return;
    evt.preventDefault();
    field.focus();
    dropped.forEach(function (f) { upload(field, f); });
  });

  document.addEventListener("paste", function (evt) {
    var field = target(evt);
    if (!field || !evt.clipboardData) return;
    var pasted = files(evt.clipboardData.files);
    if (pasted.length === 0 && evt.clipboardData.items) {
      files(evt.clipboardData.items).forEach(function (item) {
        if (item.kind === "file") {
          var f = item.getAsFile();
          if (f) pasted.push(f);
        }
      });
    }
    if (pasted.length === 0) return; // text is pasted as usual
    evt.preventDefault();
    pasted.forEach(function (f) { upload(field, f); });
  });

  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input || !input.matches || !input.matches("input[type=file][data-upload-for]")) return;
    var field = document.getElementById(input.getAttribute("data-upload-for"));
    if (!field || !field.hasAttribute("data-upload")) return;
    files(input.files).forEach(function (f) { upload(field, f); });
    input.value = "";
  });
})();
