/* Give widgets that Dash renders without a label hook (slider handle, dropdown input) the name of the
   <label for="..."> that points at their container, so that assistive technology announces it. */
(function () {
  function link() {
    document.querySelectorAll("label[for]").forEach(function (label) {
      var box = document.getElementById(label.htmlFor);
      if (!box || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(box.tagName)) { return; }
      if (!label.id) { label.id = label.htmlFor + "--label"; }
      box.querySelectorAll('[role="slider"], [role="combobox"], input').forEach(function (el) {
        if (el.getAttribute("aria-labelledby") !== label.id) { el.setAttribute("aria-labelledby", label.id); }
      });
    });
  }
  var queued = false;
  function schedule() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; link(); });
  }
  new MutationObserver(schedule).observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", link);
})();
