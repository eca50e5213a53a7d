// Progressive enhancement of the public forms (loaded with defer; no inline
// script: the CSP forbids it). Without it the CSS :has() rules still show and
// hide the conditional fields, and without either every field simply shows.
(function () {
  "use strict";

  // A block marked data-shown-when="type=rectification" or "is_agent" is
  // shown when that radio value is chosen or that checkbox ticked.
  function controls(form, rule) {
    var parts = rule.split("=");
    return Array.prototype.filter.call(
      form.querySelectorAll('input[name="' + parts[0] + '"]'),
      function (input) { return parts.length === 1 || input.value === parts[1]; }
    );
  }

  function sync(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (block) {
      var shown = controls(form, block.dataset.shownWhen).some(function (input) {
        return input.checked;
      });
      block.hidden = !shown;
    });
    var agent = form.querySelector('input[name="is_agent"]');
  }

  function focusField(event) {
    var id = decodeURIComponent(this.hash.slice(1));
    var input = document.getElementById(id);
    if (!input) { return; }
    event.preventDefault();
    // Show the question with the field: its legend or label, not just the box.
    var group = input.closest("fieldset");
    var label = document.querySelector('label[for="' + id + '"]');
    var context = (input.type === "radio" && group) ? group : (label || input);
    context.scrollIntoView();
    input.focus({ preventScroll: true });
  }

  document.querySelectorAll("form.request-form").forEach(function (form) {
    var agent = form.querySelector('input[name="is_agent"]');
    if (agent) { agent.setAttribute("aria-controls", "agent-fields"); }
    sync(form);
    form.addEventListener("change", function () { sync(form); });
  });

  var summary = document.getElementById("error-summary-title");
  if (summary) {
    document.querySelectorAll(".error-summary a[href^='#']").forEach(function (link) {
      link.addEventListener("click", focusField);
    });
    summary.focus();
  }
})();
