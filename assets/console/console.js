// listbridge console: the only script besides htmx. Loaded with `defer`; no inline
// script anywhere (the Content-Security-Policy forbids it).
//
// CSV upload preview: when a file is chosen, its first 64 KiB (never the whole file)
// are sent to the server, which answers with the first rows, the delimiter it
// detected and the column pickers (the same parser the upload uses).
(function () {
  "use strict";
  var PREVIEW_BYTES = 64 * 1024;

  function csrfToken() {
    var body = document.body.getAttribute("hx-headers");
    try { return JSON.parse(body)["X-CSRF-Token"]; } catch (e) { return ""; }
  }

  function preview(input) {
    var file = input.files && input.files[0];
    var target = document.getElementById(input.getAttribute("data-preview-target"));
    if (!file || !target) { return; }
    target.textContent = "Reading the first rows…";
    file.slice(0, PREVIEW_BYTES).arrayBuffer().then(function (head) {
      return fetch(input.getAttribute("data-preview-url"), {
        method: "POST",
        headers: { "Content-Type": "text/csv", "X-CSRF-Token": csrfToken(),
                   "X-File-Size": String(file.size) },
        body: head,
        credentials: "same-origin"
      });
    }).then(function (response) { return response.text(); })
      .then(function (html) {
        target.innerHTML = html;
        if (window.htmx) { window.htmx.process(target); }
      })
      .catch(function () { target.textContent = "The preview could not be read; you can still upload."; });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[type=file][data-preview-url]")) {
      preview(input);
    }
  });

})();
