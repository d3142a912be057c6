// Proves the page's assets arrived intact: after window "load", checks that
// style.css was applied and eisd.png decoded, then appends a marker that the
// headless-browser test looks for:
//   <p id="eisd-ready" data-css="ok" data-img="ok">assets loaded</p>
// or, when something is missing, id="eisd-failed" naming what failed.
(function () {
  "use strict";

  function cssApplied() {
    // --eisd-css is set only in style.css, so it is "ok" only if that
    // stylesheet was fetched, parsed and applied.
    var v = getComputedStyle(document.documentElement)
      .getPropertyValue("--eisd-css");
    return v.trim() === "ok";
  }

  function imageLoaded() {
    var img = document.getElementById("logo");
    return !!img && img.complete && img.naturalWidth > 0;
  }

  function report() {
    var css = cssApplied(), img = imageLoaded();
    var p = document.createElement("p");
    p.id = css && img ? "eisd-ready" : "eisd-failed";
    p.setAttribute("data-css", css ? "ok" : "failed");
    p.setAttribute("data-img", img ? "ok" : "failed");
    if (css && img) {
      p.textContent = "assets loaded";
    } else {
      var bad = [];
      if (!css) bad.push("css");
      if (!img) bad.push("image");
      p.textContent = "assets failed: " + bad.join(", ");
    }
    document.body.appendChild(p);

    var status = document.getElementById("js-status");
    if (status) status.textContent = css && img ? "all assets loaded" : "asset check failed";
  }

  // Run synchronously inside the load event (not in a later timer) so a
  // --dump-dom taken right after "load" already contains the marker.
  if (document.readyState === "complete") {
    report();
  } else {
    window.addEventListener("load", report, { once: true });
  }
})();
