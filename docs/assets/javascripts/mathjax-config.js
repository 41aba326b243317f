// MathJax 3, served from this site (no CDN). Arithmatex (generic mode) wraps math in
// \( \) and \[ \] inside elements of class "arithmatex"; only those are typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "all", // every display equation is numbered; \label and \eqref work within a page
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    enableMenu: false,
  },
  svg: { fontCache: "global" },
};

// Material's instant navigation swaps pages without reloading: typeset each new page,
// forgetting the previous page's equation labels and numbers first.
document$.subscribe(() => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return; // not loaded yet: startup typesets
  mj.startup.promise = mj.startup.promise.then(() => {
    const output = mj.startup.output;
    if (output.clearFontCache) output.clearFontCache(); // SVG output with a global font cache
    if (output.clearCache) output.clearCache(); // CHTML output
    mj.typesetClear();
    mj.texReset();
    return mj.typesetPromise();
  });
});
