// MathJax 3, served from this site (no CDN). Arithmatex (generic mode) wraps math in
// \( \) and \[ \] inside elements of class "arithmatex"; only those are typeset.
//
// SVG output with a global font cache: every glyph path is defined once, in a hidden
// <svg id="MJX-SVG-global-cache"> that MathJax appends to <body>, and each equation refers to
// it with <use href="#MJX-...">. MathJax adds that element only when the body has none, and
// clearFontCache() merely starts a new, detached <defs>: clearing the cache while the old
// element stays in the page leaves every glyph typeset afterwards pointing at nothing.
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
  // Every page, the first one included, is typeset by the document$ handler below.
  startup: { typeset: false },
};

// Material's search highlighting (a result link carries ?h=term) wraps every occurrence of
// the term in the page's text in <mark data-md-highlight>, TeX source included, where it
// splits a \label or a command in two. Put the TeX back together before it is typeset.
function unhighlightMath() {
  for (const math of document.querySelectorAll(".arithmatex")) {
    const marks = math.querySelectorAll("mark[data-md-highlight]");
    if (marks.length === 0) continue;
    for (const mark of marks) mark.replaceWith(mark.textContent);
    math.normalize();
  }
}

// Material emits document$ once the first page has loaded, and again each time its instant
// navigation has swapped in another page's content without reloading (the <body> itself, and
// the font cache in it, stay). Typeset each page, forgetting the previous page's equation
// labels, numbers and glyphs first.
document$.subscribe(() => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return; // MathJax failed to load
  mj.startup.promise = mj.startup.promise.then(() => {
    // Drop the old cache element together with its contents, so that the typesetting below
    // (which finds no cache element in the body) appends the fresh one.
    const cache = document.getElementById("MJX-SVG-global-cache");
    if (cache) cache.remove();
    mj.startup.output.clearFontCache();
    mj.typesetClear();
    mj.texReset();
    unhighlightMath();
    return mj.typesetPromise();
  });
});
