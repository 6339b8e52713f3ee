/* Repair the ARIA of widgets Dash renders from third-party components, which axe-core flags:
   - the dropdown's selected-value label claims role="option" outside any listbox (aria-required-parent);
   - the data table's paging buttons are icons with no accessible name (button-name). */
(function () {
  var PAGING = { "first-page": "First page", "previous-page": "Previous page",
                 "next-page": "Next page", "last-page": "Last page" };
  function repair() {
    document.querySelectorAll('.Select-value-label[role="option"]').forEach(function (el) {
      el.removeAttribute("role");
      el.removeAttribute("aria-selected");
    });
    Object.keys(PAGING).forEach(function (cls) {
      document.querySelectorAll("button." + cls).forEach(function (button) {
        if (!button.getAttribute("aria-label")) { button.setAttribute("aria-label", PAGING[cls]); }
      });
    });
  }
  var queued = false;
  function schedule() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; repair(); });
  }
  new MutationObserver(schedule).observe(document.documentElement,
    { childList: true, subtree: true, attributes: true, attributeFilter: ["role", "aria-selected"] });
  document.addEventListener("DOMContentLoaded", repair);
})();
