/* Small progressive enhancements; the pages work without them. */
(function () {
  "use strict";
  // On a phone the catalogue's filters start folded, so that the results come first.
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) {
    document.querySelectorAll("details.filter-panel[data-fold-on-phone]").forEach(function (panel) {
      panel.open = false;
    });
  }

  // The menu: on a narrow screen the button folds it (the CSS shows it whole without script).
  var toggle = document.querySelector(".menu-toggle");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && menu) {
    document.documentElement.classList.add("menu-folds");
    toggle.hidden = false;
    var show = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("menu-open", open);
    };
    show(false);
    toggle.addEventListener("click", function () {
      show(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        show(false);
        toggle.focus();
      }
    });
  }

  // A wide table scrolls in its own box on a narrow screen: the keyboard can reach and scroll
  // it too (focusable, a region named by its caption or its section's heading).
  var scrollers = function () {
    document.querySelectorAll(".table-wrap").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroller", "");
        var caption = box.querySelector("caption");
        var part = box.closest("section, article");
        var heading = part && part.querySelector("h1, h2, h3, h4");
        var name = caption ? caption.textContent : heading ? heading.textContent : "";
        if (name.trim()) {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", name.trim().replace(/\s+/g, " "));
        }
      } else if (!scrolls && box.hasAttribute("data-scroller")) {
        ["tabindex", "data-scroller", "role", "aria-label"].forEach(function (name) {
          box.removeAttribute(name);
        });
      }
    });
  };
  scrollers();
  window.addEventListener("resize", scrollers);
  document.addEventListener("htmx:afterSettle", scrollers);

  var editor = document.getElementById("la-form");
  if (editor) {
    agreementEditor(editor);
  }

  // The learning agreement editor: "Add a row" (the formset's TOTAL_FORMS counts it, up to
  // MAX_NUM_FORMS) and, after each live check, its message under each field it cannot read.
  function agreementEditor(form) {
    form.querySelectorAll("[data-add-row]").forEach(function (button) {
      var table = button.getAttribute("data-add-row");
      var total = document.getElementById("id_" + table + "-TOTAL_FORMS");
      var most = document.getElementById("id_" + table + "-MAX_NUM_FORMS");
      var template = document.getElementById("la-new-row-" + table);
      var section = button.closest("section");
      var body = section && section.querySelector("tbody");
      var full = document.getElementById("la-rows-full-" + table);
      if (!total || !most || !template || !body) {
        return;
      }
      var isFull = function () {
        return parseInt(total.value, 10) >= parseInt(most.value, 10);
      };
      var refresh = function () {
        button.disabled = isFull();
        if (full) {
          full.hidden = !isFull();
        }
      };
      button.closest(".la-add-row").hidden = false;
      refresh();
      button.addEventListener("click", function () {
        if (isFull()) {
          return;
        }
        var index = parseInt(total.value, 10);
        var html = template.innerHTML
          .split("__prefix__").join(String(index))
          .split("__row__").join(String(index + 1));
        body.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        refresh();
        var first = body.lastElementChild.querySelector("input:not([type=hidden]), select");
        if (first) {
          first.focus();
        }
      });
    });
    form.querySelectorAll(".la-rows-hint").forEach(function (hint) {
      hint.hidden = true;
    });

    var notANumber = form.getAttribute("data-not-a-number") || "";
    var unmark = function () {
      form.querySelectorAll(".la-live-error").forEach(function (message) {
        message.remove();
      });
      form.querySelectorAll("[data-live-invalid]").forEach(function (input) {
        input.removeAttribute("data-live-invalid");
        input.removeAttribute("aria-invalid");
        var before = input.getAttribute("data-described-before");
        input.removeAttribute("data-described-before");
        if (before) {
          input.setAttribute("aria-describedby", before);
        } else {
          input.removeAttribute("aria-describedby");
        }
      });
    };
    var mark = function (input, text) {
      if (input.hasAttribute("data-live-invalid")) {
        return;
      }
      var message = document.createElement("small");
      message.className = "la-live-error";
      message.id = input.id + "-live-error";
      message.textContent = text;
      input.insertAdjacentElement("afterend", message);
      var before = input.getAttribute("aria-describedby") || "";
      input.setAttribute("data-described-before", before);
      input.setAttribute("aria-describedby", (before + " " + message.id).trim());
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("data-live-invalid", "");
    };
    // What the browser cannot read never reaches the server (a number input sends "").
    var markUnreadable = function () {
      form.querySelectorAll("input[type=number]").forEach(function (input) {
        if (input.validity && input.validity.badInput) {
          mark(input, notANumber);
        }
      });
    };
    var markAll = function () {
      unmark();
      document.querySelectorAll("#findings [data-field]").forEach(function (item) {
        var input = document.getElementById(item.getAttribute("data-field"));
        if (input && form.contains(input)) {
          mark(input, item.getAttribute("data-message") || "");
        }
      });
      markUnreadable();
    };
    form.addEventListener("input", function (event) {
      var input = event.target;
      if (input instanceof HTMLInputElement && input.type === "number") {
        if (input.validity.badInput) {
          mark(input, notANumber);
        }
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail && event.detail.target && event.detail.target.id === "findings") {
        markAll();
      }
    });
  }
})();
