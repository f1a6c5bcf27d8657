// Progressive enhancement only: the page works fully without this file.
// Copy-link buttons and the print button are hidden in the HTML and shown here.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector(".copy-status");
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      }, function () {
        field.focus();
        field.select();
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
// /verify: refuse an over-large file before uploading it, with the same words as the server.
(function () {
  "use strict";
  var form = document.querySelector("form[data-max-bytes]");
  if (!form) { return; }
  var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
  form.addEventListener("submit", function (event) {
    var input = form.querySelector("input[type=file]");
    var status = form.querySelector(".copy-status");
    if (input && input.files && input.files[0] && input.files[0].size > limit) {
      event.preventDefault();
      if (status) { status.textContent = form.getAttribute("data-too-large"); }
    }
  });
})();
