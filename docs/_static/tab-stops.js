// Give every code block, table or formula that scrolls a tab stop, so that keyboard
// users can scroll it too (docs/_ext/a11y.py explains why).
function addTabStops() {
  for (const el of document.querySelectorAll("pre, .table-wrapper, .highlight, .math-wrapper")) {
    const scrolls = el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight;
    if (scrolls && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
    }
  }
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", addTabStops);
} else {
  addTabStops();
}
