/* The ranking panel of a call (selection/call_detail.html). The panel works without this
   file: each button is a form. With HTMX the panel is replaced in place; this puts the focus
   back where the person was working (the same button, the destination just added, or the
   status line), so that keyboard and screen-reader users do not land at the top of the page. */
(function () {
  "use strict";
  var wanted = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    var form = source && source.closest ? source.closest("form[data-focus]") : null;
    wanted = form ? form.getAttribute("data-focus").split(/\s+/) : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!wanted) {
      return;
    }
    var ids = wanted;
    wanted = null;
    for (var i = 0; i < ids.length; i += 1) {
      var element = document.getElementById(ids[i]);
      if (element) {
        element.focus();
        return;
      }
    }
  });
})();
