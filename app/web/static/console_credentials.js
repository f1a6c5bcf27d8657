// The console's credentials list: a "select every row on this page" box above the row boxes.
// Without this script the box stays hidden and each row is checked by hand.
(function () {
  "use strict";
  var all = document.getElementById("pick-all");
  var line = document.getElementById("pick-all-line");
  if (!all || !line) { return; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[name="credential"]'));
  if (!boxes.length) { return; }
  line.hidden = false;

  function sync() {
    var checked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  }

  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    sync();
  });
  boxes.forEach(function (box) { box.addEventListener("change", sync); });
  sync();
})();
