// The process map editor: redraw the preview when another technique is chosen, and warn
// before leaving the page with unsaved changes (the editor saves only on "Save").
(function () {
  "use strict";
  const form = document.getElementById("editor-form");
  if (!form) return;
  let dirty = false;

  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.name === "preview" && window.htmx) {
      window.htmx.trigger("#editor-body", "change");
    } else if (form.contains(target)) {
      dirty = true;
    }
  });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
