// Optional comforts; the page reads the same without them.
(function () {
  "use strict";
  var header = document.querySelector("header.top");
  if (!header || !document.querySelector("main details")) {
    return;
  }
  var tools = document.createElement("div");
  tools.className = "tools";
  function button(label, open) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", function () {
      document.querySelectorAll("main details").forEach(function (d) { d.open = open; });
    });
    tools.appendChild(b);
  }
  button("Expand all", true);
  button("Collapse all", false);
  header.appendChild(tools);

  // A link to an event opens the table it is in (Chromium does so by
  // itself; other browsers may not).
  function reveal() {
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    for (var el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") {
        el.open = true;
      }
    }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
})();
