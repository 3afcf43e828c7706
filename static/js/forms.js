/* Progressive enhancement for forms (the pages work without it):
   - a live character count beside fields with a limit (data-max-length); nothing is ever cut;
   - autosave of drafts every few seconds while typing, in forms marked data-draft-url
     (POST /drafts with the form's CSRF token; the server keeps one draft per member and form). */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function count(text) {
    return Array.from(text.replace(/\r\n/g, "\n")).length;
  }

  function setUpCounter(input) {
    var note = document.querySelector('[data-counter-for="' + input.id + '"]');
    if (!note || !note.dataset.template) { return; }
    var limit = parseInt(input.dataset.maxLength, 10);
    function update() {
      var n = count(input.value);
      note.textContent = format(note.dataset.template, {
        count: n.toLocaleString("en-US"), limit: limit.toLocaleString("en-US")
      });
      note.classList.toggle("field__limit--over", n > limit);
    }
    input.addEventListener("input", update);
    update();
  }

  function setUpAutosave(form) {
    var status = form.querySelector("[data-draft-status]");
    var timer = null;
    var lastSent = null;
    var sending = false;
    function fieldValue(name) {
      var field = form.elements.namedItem(name);
      return field && field.value !== undefined ? field.value : "";
    }
    function save() {
      timer = null;
      if (sending) { return; }
      var data = new FormData();
      data.append("csrf_token", fieldValue("csrf_token"));
      data.append("kind", form.dataset.draftKind);
      data.append("target", form.dataset.draftTarget);
      data.append("title", fieldValue("title"));
      data.append("body", fieldValue("body"));
      var snapshot = fieldValue("title") + "\u0000" + fieldValue("body");
      if (snapshot === lastSent) { return; }
      fetch(form.dataset.draftUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (json) {
          if (response.ok && json.saved) { lastSent = snapshot; }
          if (status) { status.textContent = json.message || (response.ok ? "" : status.dataset.failed); }
        });
      }).catch(function () {
        if (status) { status.textContent = status.dataset.failed; }
      });
    }
    // Every few seconds while typing (not only after a pause), and once more after the last key.
    form.addEventListener("input", function () {
      if (!timer && !sending) { timer = setTimeout(save, 3000); }
    });
    // Once the form itself is sent, the post replaces the draft: no autosave may recreate it.
    form.addEventListener("submit", function () {
      sending = true;
      if (timer) { clearTimeout(timer); timer = null; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-max-length]"), setUpCounter);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-url]"), setUpAutosave);
  });
}());
