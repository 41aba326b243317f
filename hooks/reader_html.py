"""MkDocs hook: the pages as the reader's browser gets them, beyond what the Markdown says.

- Figures: an SVG image of the site is inlined into its page, so that it takes the page's
  palette (the figures colour themselves with ``--figure-*`` CSS variables, see
  derivations.css) and can be shown on a phone at a width where its labels stay legible.
- Search: math is left out of Material's search index, so previews never show TeX source.
- ``mkdocs serve --dirty``: pages that a rebuild did not read again keep their titles in the
  navigation and the footer of the pages it did rebuild.
- The macros plugin's INFO lines, repeated on every build, are silenced.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

IMAGE = re.compile(r"<img\b[^>]*>")
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
SVG_ROOT = re.compile(r"<svg\b[^>]*>")
LABEL_SIZE = re.compile(r'<(?:svg|g|text|tspan)\b[^>]*\sfont-size="([\d.]+)"')
MATH = re.compile(r'<(div|span)( class="arithmatex[^"]*")')
FENCE = re.compile(r"^(```|~~~)")

# The font size an SVG's text has when nothing sets it (CSS "medium").
DEFAULT_FONT_SIZE = 16.0


def on_startup(command: str, dirty: bool) -> None:
    """Keep the macros plugin's per-build summary out of the log, unless MkDocs is verbose."""
    if logging.getLogger("mkdocs").getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("mkdocs.plugins.mkdocs_macros").setLevel(logging.WARNING)


def on_env(env, config, files: Files):
    """Give every page MkDocs did not read in this build the title it would have read.

    Under ``--dirty`` MkDocs reads only the pages changed since the last build; the others have
    no Markdown, so their title is None, which the navigation and the footer of every rebuilt
    page would show as "None".
    """
    for file in files.documentation_pages():
        page = file.page
        if page is not None and page.markdown is None and file.abs_src_path:
            title = source_title(Path(file.abs_src_path).read_text(encoding="utf-8-sig"))
            if title:
                page.title = title
    return env


def source_title(source: str) -> str | None:
    """The title MkDocs gives a page: ``title`` in its front matter, else its first level-1
    heading (outside code fences), else None."""
    markdown, meta = get_data(source)
    if meta.get("title"):
        return str(meta["title"])
    fence = None
    for line in markdown.splitlines():
        opening = FENCE.match(line.strip())
        if opening:
            fence = None if fence == opening[1] else fence or opening[1]
        elif fence is None and line.startswith("# "):
            return re.sub(r"\s*\{[^}]*\}\s*$|\s+#+\s*$", "", line[2:]).strip()
    return None


def on_page_content(html: str, page: Page, config, files: Files) -> str:
    """Inline the page's SVG images (see the module docstring)."""

    def inline(match: re.Match) -> str:
        attributes = dict(ATTRIBUTE.findall(match[0]))
        src = attributes.get("src", "")
        if not src.endswith(".svg") or "://" in src:
            return match[0]
        target = urljoin("/" + page.url, src).lstrip("/")
        file = files.get_file_from_path(target)
        if file is None or not file.abs_src_path:
            return match[0]
        svg = Path(file.abs_src_path).read_text(encoding="utf-8")
        return inline_figure(svg, alt=attributes.get("alt", ""), prefix=f"{Path(target).stem}-")

    return IMAGE.sub(inline, html)


def inline_figure(svg: str, *, alt: str, prefix: str) -> str:
    """An SVG document as markup for an HTML page: ids made unique, sized by CSS, labelled.

    The wrapper carries the figure's width (the page never shows it wider) and its width
    measured in its smallest label's font size, with which a phone can show it at a width
    where that label is as large as the body text.
    """
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    for name in re.findall(r'\sid="([^"]+)"', svg):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}{name}"')
        svg = svg.replace(f"url(#{name})", f"url(#{prefix}{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}{name}"')
    root = SVG_ROOT.search(svg)
    attributes = dict(ATTRIBUTE.findall(root[0]))
    width = float(attributes["viewBox"].split()[2])
    sizes = [float(size) for size in LABEL_SIZE.findall(svg)]
    if "font-size" not in attributes:
        sizes.append(DEFAULT_FONT_SIZE)
        attributes["font-size"] = f"{DEFAULT_FONT_SIZE:g}"
    for sized in ("width", "height"):
        attributes.pop(sized, None)
    attributes.update({"role": "img", "aria-label": alt})
    # The values are markup already (the image's alt text was escaped by Markdown).
    opening = "<svg " + " ".join(f'{k}="{v}"' for k, v in attributes.items()) + ">"
    style = f"--figure-width: {width:g}px; --figure-width-in-labels: {width / min(sizes):.2f}"
    return (
        f'<span class="figure" style="{style}">'
        + svg[: root.start()]
        + opening
        + svg[root.end() :].strip()
        + "</span>"
    )


@event_priority(50)  # before the search plugin indexes the page in its own on_page_context
def on_page_context(context, page: Page, config, nav):
    """Mark the page's math with Material's ``data-search-exclude``.

    The search plugin skips an element with that attribute, and afterwards strips every
    ``data-search-*="..."`` attribute from the page, so the HTML served is unchanged.
    """
    page.content = MATH.sub(r'<\1\2 data-search-exclude="math"', page.content)
    return context
