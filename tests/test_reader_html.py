"""hooks/reader_html.py: figures inlined, math out of the search index, titles under --dirty,
a quiet macros plugin."""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

from sites import ROOT, Server, build

sys.path.insert(0, str(ROOT / "hooks"))
from reader_html import inline_figure, source_title  # noqa: E402

sys.path.pop(0)

HOOK = ROOT / "hooks" / "reader_html.py"


def write_site(root: Path, pages: dict[str, str], *, hook: bool, extra: str = "") -> Path:
    """A Material site with these pages (name -> Markdown), with or without the hook."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    config = textwrap.dedent(
        """\
        site_name: Test site
        theme:
          name: material
        markdown_extensions:
          - pymdownx.arithmatex:
              generic: true
        """
    )
    if hook:
        config += f"hooks:\n  - {HOOK}\n"
    (root / "mkdocs.yml").write_text(config + extra)
    for name, text in pages.items():
        (root / "docs" / name).write_text(textwrap.dedent(text))
    return root


# --- titles under --dirty -----------------------------------------------------------------

SERIES = {
    "index.md": "# Start\n\nThe first page.\n",
    "alpha.md": "---\ntitle: Alpha from front matter\n---\n\n# Alpha heading\n\nText.\n",
    "beta.md": "```text\n# not a heading\n```\n\n# Beta from its heading\n\nText.\n",
}
NAV = "nav:\n  - index.md\n  - alpha.md\n  - beta.md\n"


def serve_and_edit(tmp_path: Path, *, hook: bool) -> str:
    """The start page as `mkdocs serve --dirty` serves it after an edit of that page."""
    site = write_site(tmp_path, SERIES, hook=hook, extra=NAV)
    with Server(site, dirty=True) as server:
        server.wait_for(lambda html: "The first page." in html)
        (site / "docs" / "index.md").write_text("# Start\n\nThe first page, edited.\n")
        return server.wait_for(lambda html: "edited" in html)


def navigation_titles(html: str) -> list[str]:
    return [
        t.strip()
        for t in re.findall(r'<span class="md-ellipsis">\s*([^<]*?)\s*</span>', html)
        if t.strip()
    ]


def test_dirty_rebuild_keeps_the_titles_of_the_pages_it_did_not_read(tmp_path):
    html = serve_and_edit(tmp_path, hook=True)
    titles = navigation_titles(html)
    assert "Alpha from front matter" in titles and "Beta from its heading" in titles
    assert "None" not in titles


def test_without_the_hook_a_dirty_rebuild_shows_none_for_the_other_pages(tmp_path):
    assert "None" in navigation_titles(serve_and_edit(tmp_path, hook=False))


def test_source_title_takes_front_matter_then_the_first_heading_outside_code():
    assert source_title("---\ntitle: From meta\n---\n\n# Heading\n") == "From meta"
    assert source_title("~~~\n# code\n~~~\n\n# Real heading { #anchor }\n") == "Real heading"
    assert source_title("Just text.\n\n## A second-level heading\n") is None


# --- figures ------------------------------------------------------------------------------

FIGURE = """\
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 200" width="800" height="200">
  <defs><marker id="arrow"><path d="M0,0 L10,5 z"/></marker></defs>
  <line x1="0" y1="0" x2="10" y2="0" marker-end="url(#arrow)"/>
  <text x="5" y="20" font-size="20">big label</text>
  <g font-size="12.5"><text x="5" y="40">small label</text></g>
</svg>
"""


def test_inlined_figure_gets_unique_ids_a_label_and_css_sizes():
    html = inline_figure(FIGURE, alt="A graph &amp; its arrow", prefix="graph-")
    assert html.startswith('<span class="figure" style="--figure-width: 800px; ')
    assert "--figure-width-in-labels: 64.00" in html  # 800 / 12.5, the smallest label
    assert 'id="graph-arrow"' in html and "url(#graph-arrow)" in html
    assert 'id="arrow"' not in html and "url(#arrow)" not in html
    assert 'role="img" aria-label="A graph &amp; its arrow"' in html
    assert 'width="800"' not in html and 'height="200"' not in html
    assert 'font-size="16"' in html  # the root's, so the page's font size does not leak in
    assert "<?xml" not in html


def test_build_inlines_a_page_image_of_the_site_and_leaves_other_images(tmp_path):
    site = write_site(
        tmp_path,
        {"index.md": "# Figures\n\n![A graph](graph.svg)\n\n![A photo](photo.png)\n"},
        hook=True,
    )
    (site / "docs" / "graph.svg").write_text(FIGURE)
    (site / "docs" / "photo.png").write_bytes(b"\x89PNG\r\n")
    result = build(site)
    assert result.returncode == 0, result.stderr
    html = (site / "site" / "index.html").read_text()
    assert '<span class="figure"' in html and 'aria-label="A graph"' in html
    assert '<img alt="A photo" src="photo.png"' in html


# --- search -------------------------------------------------------------------------------

MATH_PAGE = (
    "# Math\n\nThe gradient\n\n$$\n\\frac{\\partial L}{\\partial x}\n$$\n\nand $x_p$ ends.\n"
)


def search_texts(site: Path) -> str:
    index = json.loads((site / "site" / "search" / "search_index.json").read_text())
    return " ".join(doc["text"] for doc in index["docs"])


def test_math_stays_out_of_the_search_index_while_the_page_keeps_it(tmp_path):
    site = write_site(tmp_path, {"index.md": MATH_PAGE}, hook=True)
    result = build(site)
    assert result.returncode == 0, result.stderr
    texts = search_texts(site)
    assert "The gradient" in texts and "ends." in texts
    assert "\\frac" not in texts and "x_p" not in texts
    html = (site / "site" / "index.html").read_text()
    assert "\\frac{\\partial L}" in html and "data-search-exclude" not in html


def test_without_the_hook_the_search_index_holds_the_tex(tmp_path):
    site = write_site(tmp_path, {"index.md": MATH_PAGE}, hook=False)
    assert build(site).returncode == 0
    assert "\\frac" in search_texts(site)


# --- the macros plugin's log --------------------------------------------------------------

MACROS = "plugins:\n  - macros\n"


def test_the_macros_plugin_logs_nothing_on_a_normal_build(tmp_path):
    site = write_site(tmp_path, {"index.md": "# Home\n"}, hook=True, extra=MACROS)
    result = build(site)
    assert result.returncode == 0, result.stderr
    assert "[macros]" not in result.stderr


def test_without_the_hook_the_macros_plugin_logs_its_summary(tmp_path):
    site = write_site(tmp_path, {"index.md": "# Home\n"}, hook=False, extra=MACROS)
    result = build(site)
    assert result.returncode == 0, result.stderr
    assert "[macros]" in result.stderr


def test_a_smaller_tspan_sets_the_width_of_the_figure_on_a_phone():
    subscript = FIGURE.replace(
        "small label</text>", 'small label<tspan font-size="10">i</tspan></text>'
    )
    html = inline_figure(subscript, alt="", prefix="graph-")
    assert "--figure-width-in-labels: 80.00" in html  # 800 / 10, the subscript
