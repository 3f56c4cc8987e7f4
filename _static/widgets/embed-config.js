/*
 * Loaded on the pages that hold widgets, after require.js and before the ipywidgets HTML
 * manager (embed-amd.js); see nb_ipywidgets_js in _config.yml.
 *
 * 1. The HTML manager finds its icon fonts next to its own AMD module, whose address
 *    require.js derives from the module name: map that name to the copy this site serves
 *    in _static/vendor/html-manager/, so the fonts load from the site itself.
 * 2. The HTML manager typesets widget text through the MathJax 2 interface
 *    (MathJax.Hub.Queue); the site serves MathJax 3. Provide that one call on top of
 *    MathJax 3's typesetPromise when MathJax is on the page.
 */
(function () {
  "use strict";
  var here = document.currentScript && document.currentScript.src;
  if (window.requirejs && here) {
    window.requirejs.config({
      paths: {
        "@jupyter-widgets/html-manager/dist": new URL("../vendor/html-manager", here).href,
      },
    });
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
