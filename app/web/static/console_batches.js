// The console's batch page: live progress without reloading. Polls the page's own
// progress.json (the session cookie) every second and updates the bar and the counts; when the
// batch has finished, loads the page once more for its results. Without this script the page
// still works: its "reload" link shows the counts of the moment.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-progress-url");
  var texts = document.getElementById("batch-texts");
  var bar = document.getElementById("batch-bar");
  var delay = 1000;
  var failures = 0;

  function text(id, value) {
    var node = document.getElementById(id);
    if (node && node.textContent !== String(value)) { node.textContent = String(value); }
  }

  function show(data) {
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
      bar.textContent = data.done + " / " + data.total;
    }
    text("batch-issued", data.issued);
    text("batch-skipped", data.skipped);
    text("batch-failed", data.failed);
    text("batch-pending", data.pending);
    if (texts) {
      text("batch-done", texts.getAttribute("data-done-of")
        .replace("{done}", data.done).replace("{total}", data.total));
      var state = document.getElementById("batch-state");
      if (state && state.getAttribute("data-state") !== data.state) {
        state.setAttribute("data-state", data.state);
        state.className = "console-state batch-state--" + data.state;
        state.textContent = texts.getAttribute("data-state-" + data.state) || data.state;
      }
    }
  }

  function stop() {
    if (texts) { text("batch-done", texts.getAttribute("data-stopped")); }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) { throw new Error("signed out"); }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        show(data);
        if (data.finished) {
          window.setTimeout(function () { window.location.replace(window.location.pathname); }, 600);
        } else {
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures >= 5) { stop(); return; }
        window.setTimeout(poll, delay * 2 * failures);
      });
  }

  window.setTimeout(poll, delay);
})();
