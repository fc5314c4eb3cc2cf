// listbridge console: the only script besides htmx. Loaded with `defer`; no inline
// script anywhere (the Content-Security-Policy forbids it).
//
// CSV upload preview: when a file is chosen, its first 64 KiB (never the whole file)
// are sent to the server, which answers with the first rows, the delimiter it
// detected and the column pickers (the same parser the upload uses). Choices already
// made (email column, Standard Field Names) are kept for columns of the same name, and
// an empty list name is filled from the file's name. The upload itself is a plain
// multipart form post: the browser streams the file from disk.
(function () {
  "use strict";
  var PREVIEW_BYTES = 64 * 1024;
  var latest = 0;

  function csrfToken() {
    var body = document.body.getAttribute("hx-headers");
    try { return JSON.parse(body)["X-CSRF-Token"]; } catch (e) { return ""; }
  }

  // The choices shown in a preview: the email column and each column's usage.
  function choices(target) {
    var email = target.querySelector("select[name=email_column]");
    var usages = {};
    target.querySelectorAll("select[data-column]").forEach(function (select) {
      usages[select.getAttribute("data-column").toLowerCase()] = select.value;
    });
    return { email: email ? email.value : "", usages: usages };
  }

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }

  function restore(target, before) {
    var email = target.querySelector("select[name=email_column]");
    if (email && before.email && hasOption(email, before.email)) { email.value = before.email; }
    target.querySelectorAll("select[data-column]").forEach(function (select) {
      var key = select.getAttribute("data-column").toLowerCase();
      if (Object.prototype.hasOwnProperty.call(before.usages, key) && hasOption(select, before.usages[key])) {
        select.value = before.usages[key];
      }
    });
  }

  function fillName(input, file) {
    var name = input.form && input.form.querySelector("input[name=name]");
    if (name && !name.value.trim()) { name.value = file.name.replace(/\.[^.]*$/, ""); }
  }

  function preview(input) {
    var file = input.files && input.files[0];
    var target = document.getElementById(input.getAttribute("data-preview-target"));
    if (!file || !target) { return; }
    var mine = ++latest;
    var before = choices(target);
    fillName(input, file);
    target.textContent = "Reading the first rows…";
    file.slice(0, PREVIEW_BYTES).arrayBuffer().then(function (head) {
      return fetch(input.getAttribute("data-preview-url"), {
        method: "POST",
        headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrfToken(),
                   "X-File-Size": String(file.size) },
        body: head,
        credentials: "same-origin"
      });
    }).then(function (response) {
      if (!response.ok || response.redirected) { throw new Error("preview refused"); }
      return response.text();
    }).then(function (html) {
        if (mine !== latest) { return; }
        target.innerHTML = html;
        restore(target, before);
        if (window.htmx) { window.htmx.process(target); }
      })
      .catch(function () {
        if (mine === latest) { target.textContent = "The preview could not be read; you can still upload."; }
      });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-preview-url]")) {
      preview(input);
    }
  });

})();

/* Forms: "Copy snippet" copies the text of the element named by data-copy. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    source.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(function () { button.textContent = "Copied"; });
    }
  });
})();

// Schedules: an empty time-zone field takes the browser's time zone (without script
// the server uses the account's).
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
  if (!zone) { return; }
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    if (!input.value.trim()) { input.value = zone; }
  });
})();
