/* Loaded between require.js and the widget manager's embed bundle (see _config.yml). */

/* The widget manager's modules load their fonts from next to themselves, at an address require.js
   derives from the module's name (@jupyter-widgets/base, .../html-manager/dist/libembed-amd...): map
   those names to the site's own copy, whatever the page's depth. */
(() => {
  const root = new URL(document.documentElement.dataset.content_root, document.baseURI);
  const copy = new URL("_static/vendor/html-manager", root).href;
  require.config({paths: {"@jupyter-widgets": copy, "@jupyter-widgets/html-manager/dist": copy}});
})();

/* ipywidgets 8 typesets descriptions with MathJax 2's API (MathJax.Hub.Queue) whenever window.MathJax
   exists (jupyter-widgets/ipywidgets#3829); the site has MathJax 3. Answer that call with MathJax 3's
   typesetting, on the configuration object and on the MathJax object that replaces it. */
(() => {
  const hub = {
    Queue: ([, , element]) => {
      const mathjax = window.MathJax;
      (mathjax.startup?.promise ?? Promise.resolve()).then(() => mathjax.typesetPromise?.([element]));
    },
  };
  let current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: () => {
      if (current && !current.Hub) current.Hub = hub;
      return current;
    },
    set: (value) => { current = value; },
  });
})();
