/* Inside the survey when the widget frames it: Escape asks the widget on the host page to close
   the dialog (key presses inside a cross-origin frame never reach the host page otherwise). */
(function () {
  "use strict";
  if (window.parent === window) return;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") window.parent.postMessage({ govcx: "close-survey" }, "*");
  });
})();
