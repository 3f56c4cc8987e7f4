/*
 * Loaded on the pages that hold widgets, after require.js and before the ipywidgets HTML
 * manager (embed-amd.js); see nb_ipywidgets_js in _config.yml.
 *
 * 1. The HTML manager and its bundled widget modules find their icon fonts next to their
 *    AMD modules, whose addresses require.js derives from the module names: map those
 *    names (and the manager's own public-path override) to the copy this site serves in
 *    _static/vendor/html-manager/, so the fonts load from the site itself on every page.
 * 2. The HTML manager typesets widget text through the MathJax 2 interface
 *    (MathJax.Hub.Queue); the site serves MathJax 3. Provide that one call on top of
 *    MathJax 3's typesetPromise when MathJax is on the page.
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var vendor = new URL("../vendor/html-manager/", here).href;
    // The HTML manager's own webpack chunk reads this as its public path (for fonts).
    window.__jupyter_widgets_assets_path__ = vendor;
    if (window.requirejs) {
      // Every module embed-amd.js defines (html-manager, controls, base and their 7.x twins) takes their public path from
      // the address require.js gives their module names: point those names at the same folder,
      // or their icon fonts are requested relative to the page and fail.
      window.requirejs.config({
        paths: {
          "@jupyter-widgets/html-manager/dist": vendor.replace(/\/$/, ""),
          "@jupyter-widgets/html-manager": vendor + "html-manager",
          "@jupyter-widgets/controls": vendor + "controls",
          "@jupyter-widgets/controls7": vendor + "controls7",
          "@jupyter-widgets/base": vendor + "base",
          "@jupyter-widgets/base7": vendor + "base7",
          "@jupyter-widgets/output": vendor + "output",
        },
      });
    }
  }

  function typesetLater(element) {
    var mathjax = window.MathJax;
    var ready = mathjax.startup && mathjax.startup.promise ? mathjax.startup.promise : Promise.resolve();
    ready
      .then(function () {
        return mathjax.typesetPromise ? mathjax.typesetPromise([element]) : null;
      })
      .catch(function (err) {
        console.warn("MathJax could not typeset a widget:", err);
      });
  }

  // Deferred scripts (MathJax) have run when DOMContentLoaded fires, and this listener is
  // registered before the HTML manager's, so the shim is in place before widgets render.
  document.addEventListener("DOMContentLoaded", function () {
    var mathjax = window.MathJax;
    if (mathjax && !mathjax.Hub) {
      mathjax.Hub = {
        Queue: function () {
          Array.prototype.forEach.call(arguments, function (job) {
            if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
              typesetLater(job[2]);
            }
          });
        },
      };
    }
  });
})();
