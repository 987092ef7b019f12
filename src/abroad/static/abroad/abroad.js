/* Small progressive enhancements; the pages work without them. */
(function () {
  "use strict";
  // On a phone the catalogue's filters start folded, so that the results come first.
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll("details.filter-panel[data-fold-on-phone]").forEach(function (panel) {
      panel.open = false;
    });
  }
})();
