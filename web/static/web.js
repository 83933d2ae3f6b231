// Conveniences only: every page reads and submits without this file.
(function () {
  "use strict";
  // A record stated none ("未取得证书"): its own fields are not to be filled.
  function syncNone(box) {
    var path = box.getAttribute("data-none-for");
    var group = document.getElementById("g-" + path);
    if (!group) return;
    var fields = group.querySelector(".fields");
    if (!fields) return;
    fields.querySelectorAll("input, select, textarea").forEach(function (el) {
      el.disabled = box.checked;
    });
    fields.classList.toggle("stated-none", box.checked);
  }
  document.querySelectorAll("input[data-none-for]").forEach(function (box) {
    syncNone(box);
    box.addEventListener("change", function () { syncNone(box); });
  });
  // After a refused submission, the list of problems gets the focus.
  var errors = document.getElementById("errors");
  if (errors) errors.focus();
  // A print button where printing is possible.
  document.querySelectorAll(".print-button").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () { window.print(); });
  });
})();
