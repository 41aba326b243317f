"""The site as a reader meets it on its published host, in headless Chromium.

The built site is served the way GitHub Pages serves it: under the path of ``site_url``, with
the 404 page for unknown URLs, and with ``sitemap.xml`` pointing at this origin. Material's
instant navigation takes over only links whose URL is in the sitemap, so this is what makes it
engage here as it does for readers: clicks swap the page content without reloading.
"""

from __future__ import annotations

import http.server
import os
import re
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from playwright import sync_api as playwright_api
from sites import PASSING, ROOT, Server, make_site

CHROMIUM = os.environ.get("CHROMIUM_PATH") or next(
    (
        p
        for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
        if Path(p).exists()
    ),
    "/usr/bin/chromium",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
SITE_URL = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M)[1]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Every display and inline equation typeset, with no error node, and no TeX delimiter left in
# the visible text outside code.
MATH_STATE = r"""() => {
    const math = [...document.querySelectorAll('article .arithmatex')];
    const prose = document.querySelector('article').cloneNode(true);
    prose.querySelectorAll('pre, code, mjx-container').forEach(n => n.remove());
    return {
        equations: math.length,
        untypeset: math.filter(n => !n.querySelector('mjx-container')).length,
        errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
        rawDelimiters: /\\\(|\\\)|\\\[|\\\]|\$\$/.test(prose.textContent),
    };
}"""

# MathJax's SVG output draws each glyph as <use href="#MJX-..."> of a path defined once in
# the page's font cache; a glyph whose definition is not in the document is blank.
GLYPHS = """() => {
    const uses = [...document.querySelectorAll('mjx-container use')];
    const missing = uses.filter(use => {
        const ref = use.getAttribute('href')
            || use.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '';
        return !(ref.startsWith('#') && document.getElementById(ref.slice(1)));
    });
    return {glyphs: uses.length, missing: missing.length};
}"""

# Every link of the page (header, navigation, article, footer) and every anchor it offers.
# (MathJax's equation references are SVG <a> elements, whose href is no plain string.)
LINKS = """() => ({
    links: [...document.querySelectorAll('a[href], a[*|href]')].map(a => new URL(
        a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href'),
        document.baseURI).href),
    anchors: [...document.querySelectorAll('[id]')].map(e => e.id)
        .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
})"""

# The article's visible text as its source lines run, with a placeholder for each piece of
# code, math or figure.
PROSE = """() => {
    const prose = document.querySelector('article').cloneNode(true);
    prose.querySelectorAll('pre, code, mjx-container, svg')
        .forEach(n => n.replaceWith(document.createTextNode('[' + n.tagName + ']')));
    return prose.textContent;
}"""

# How wide the page is laid out, and the widest elements that stick out of the screen
# outside any scroll box of their own (for the failure message).
WIDTH = """() => {
    const screen = window.innerWidth;
    const width = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const inScrollBox = el => {
        for (let p = el.parentElement; p; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible'
                && p.getBoundingClientRect().right <= screen + 1) return true;
        }
        return false;
    };
    const out = [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > screen + 1 && !inScrollBox(el))
        .slice(0, 5)
        .map(el => `${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className}`);
    return {width, screen, out};
}"""

# The rendered size of the smallest figure label, against the body text's size.
FIGURE_LABELS = """() => {
    const body = parseFloat(getComputedStyle(document.querySelector('.md-typeset p')).fontSize);
    const sizes = [...document.querySelectorAll('.md-typeset .figure text')]
        .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
    return {body, labels: sizes.length, smallest: sizes.length ? Math.min(...sizes) : null};
}"""

# A wide box that scrolls sideways, with a cue painted at its edge: a gradient background
# that stays at the box's edges while its content scrolls.
SCROLL_CUE = """el => {
    const style = getComputedStyle(el);
    return {
        scrolls: ['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth,
        cue: style.backgroundImage.includes('gradient')
            && style.backgroundAttachment.includes('scroll')
            && style.backgroundAttachment.includes('local'),
    };
}"""

# Colours of the figures against the page: the worst contrast of a label with the page
# background (WCAG ratio) and the luminance of the lightest panel (a filled rectangle or
# circle of some size, not a dot).
FIGURE_COLOURS = """() => {
    const rgba = s => {
        const v = (s.match(/[\\d.]+/g) || []).map(Number);
        return s.startsWith('rgb') ? [v[0], v[1], v[2], v.length > 3 ? v[3] : 1] : null;
    };
    const luminance = ([r, g, b]) => {
        const f = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const contrast = (a, b) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const page = rgba(getComputedStyle(document.body).backgroundColor);
    const figures = '.md-typeset .figure';
    const labels = [...document.querySelectorAll(`${figures} text`)]
        .map(t => rgba(getComputedStyle(t).fill));
    const fills = [...document.querySelectorAll(`${figures} :is(rect, circle, ellipse)`)]
        .filter(s => s.getBBox().width * s.getBBox().height > 400)
        .map(s => rgba(getComputedStyle(s).fill)).filter(c => c && c[3] > 0);
    return {
        labels: labels.length,
        worstLabelContrast: Math.min(...labels.map(c => contrast(c, page))),
        lightestFill: Math.max(...fills.map(luminance)),
    };
}"""


DARK_FIGURE_COLOURS = f"""() => {{
    document.body.setAttribute('data-md-color-scheme', 'slate');
    return ({FIGURE_COLOURS})();
}}"""


def shows_tex(text: str) -> bool:
    """Whether text shows TeX source: a backslash command or a math delimiter."""
    return re.search(r"\\[A-Za-z]{2,}|\\[()[\]]|\$\$", text) is not None


def unrendered_markdown(text: str) -> list[str]:
    """Lines of a page's prose that show Markdown syntax instead of its rendering."""
    patterns = [r"^\s*:\s", r"\*\*", r"<!--", r"\]\(", r"^\s*#{1,6}\s"]
    return [
        line.strip()
        for line in text.splitlines()
        if any(re.search(pattern, line) for pattern in patterns)
    ]


class PublishedSite(http.server.ThreadingHTTPServer):
    """A built site on 127.0.0.1 as its host serves it (see the module docstring)."""

    def __init__(self, site: Path, site_url: str = SITE_URL) -> None:
        prefix = urlsplit(site_url).path
        self.site, self.site_url, self.prefix = site, site_url, prefix
        super().__init__(("127.0.0.1", 0), _PublishedHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}{prefix}"

    def handle_error(self, request, client_address) -> None:
        """A browser that drops a connection it no longer needs is no error of the site."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __enter__(self) -> PublishedSite:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _PublishedHandler(http.server.SimpleHTTPRequestHandler):
    server: PublishedSite

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, directory=str(args[2].site), **kwargs)

    def log_message(self, *args) -> None:
        pass

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.server.prefix):
            return str(self.server.site / "not under the site_url path")
        return super().translate_path("/" + path[len(self.server.prefix) :])

    def do_GET(self) -> None:
        if urlsplit(self.path).path == self.server.prefix + "sitemap.xml":
            here = f"http://{self.headers['Host']}{self.server.prefix}"
            sitemap = (self.server.site / "sitemap.xml").read_text()
            self._send(200, sitemap.replace(self.server.site_url, here).encode(), "text/xml")
        else:
            super().do_GET()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = self.server.site / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        self._send(404, page.read_bytes(), "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def published(built_site: Path):
    with PublishedSite(built_site) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: run `make browser` (Debian package chromium) "
            "or set CHROMIUM_PATH"
        )
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab with a record of its console errors and of the requests it made."""

    def __init__(self, browser, base: str, *, viewport=DESKTOP, dark: bool = False) -> None:
        self.page = browser.new_page(viewport=viewport, color_scheme="dark" if dark else "light")
        self.base = base
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        # A response with an error status is recorded by _on_response, which knows its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response) -> None:
        document = response.request.is_navigation_request()
        if response.status >= 400 and not (document and response.status == 404):
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def _on_request(self, request) -> None:
        host = urlsplit(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host != "127.0.0.1":
            self.external.append(request.url)

    def open(self, path: str) -> int:
        """Load a page of the site and wait for its math; returns the HTTP status."""
        response = self.page.goto(self.base + path, wait_until="load")
        self.page.evaluate("window.__swaps = 0; document$.subscribe(() => window.__swaps++)")
        self.wait_for_math()
        return response.status

    def wait_for_math(self) -> None:
        self.page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page.evaluate("MathJax.startup.promise")

    def follow(self, selector: str) -> None:
        """Click a link and wait until the page it leads to is shown with its math typeset."""
        swaps = self.page.evaluate("window.__swaps ?? 0")
        before = self.page.url
        self.page.click(selector)
        self.page.wait_for_function(
            f"location.href !== {before!r} && (window.__swaps === undefined "
            f"|| window.__swaps > {swaps})",
            timeout=10_000,
        )
        self.page.wait_for_load_state("load")
        self.wait_for_math()

    def math(self) -> dict:
        return self.page.evaluate(MATH_STATE) | self.page.evaluate(GLYPHS)

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.failed == []
        assert self.external == []


@dataclass
class PageSurvey:
    """What one page of the site shows, read once in the browser."""

    status: int
    math: dict
    links: list[str]
    anchors: set[str]
    prose: str
    phone: dict
    figure_labels: dict
    dark_figures: dict
    problems: list[str] = field(default_factory=list)


def site_pages(built_site: Path) -> list[str]:
    return sorted(
        str(p.parent.relative_to(built_site)) + "/" if p.parent != built_site else ""
        for p in built_site.rglob("index.html")
        if "assets" not in p.parts and "search" not in p.parts
    )


# The pages of which screenshots are kept in test-artifacts/, for a person to look at.
SCREENSHOTS = {"": "home", "posts/layer-normalization/": "post", "verification/": "report"}


def forget_screenshots(look: str) -> None:
    for name in SCREENSHOTS.values():
        (ARTIFACTS / f"{name}-{look}.png").unlink(missing_ok=True)


def screenshot(visit: Visit, path: str, look: str) -> None:
    """Keep a screenshot of one of SCREENSHOTS; of a post, the part with its figure."""
    if path not in SCREENSHOTS:
        return
    if visit.page.locator(".figure").count():
        visit.page.locator(".figure").first.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / f"{SCREENSHOTS[path]}-{look}.png"))


@pytest.fixture(scope="module")
def survey(browser, published, built_site) -> dict[str, PageSurvey]:
    """Every page of the site (and the 404 page, at a URL the site lacks), visited once on a
    desktop window, then laid out again at a phone's width, then switched to the dark palette
    (as Material's palette toggle does it)."""
    for look in ("desktop", "phone", "dark"):
        forget_screenshots(look)
    pages = {}
    for path in [*site_pages(built_site), "no/such/page/"]:
        visit = Visit(browser, published.url)
        status = visit.open(path)
        found = visit.page.evaluate(LINKS)
        math, prose = visit.math(), visit.page.evaluate(PROSE)
        screenshot(visit, path, "desktop")
        visit.page.set_viewport_size(PHONE)
        screenshot(visit, path, "phone")
        pages[path] = PageSurvey(
            status=status,
            math=math,
            links=found["links"],
            anchors=set(found["anchors"]),
            prose=prose,
            phone=visit.page.evaluate(WIDTH),
            figure_labels=visit.page.evaluate(FIGURE_LABELS),
            dark_figures=visit.page.evaluate(DARK_FIGURE_COLOURS),
            problems=visit.console_errors + visit.failed + visit.external,
        )
        visit.page.set_viewport_size(DESKTOP)
        screenshot(visit, path, "dark")
        visit.page.close()
    return pages


# --- math ---------------------------------------------------------------------------------


def test_every_page_typesets_its_math_offline_without_errors(survey):
    assert len(survey) >= 13
    for path, page in survey.items():
        assert page.status == (404 if path == "no/such/page/" else 200), path
        assert page.math["untypeset"] == 0, path
        assert page.math["errors"] == 0, path
        assert not page.math["rawDelimiters"], path
        assert page.math["missing"] == 0, path
        if path.startswith("posts/"):
            assert page.math["equations"] > 20, path
        assert page.problems == [], path


def test_instant_navigation_keeps_every_glyph_from_home_through_the_series_and_search(
    browser, published
):
    visit = Visit(browser, published.url)
    visit.open("")
    visit.page.evaluate("window.__notReloaded = true")
    steps = [
        ('article a[href$="posts/backpropagation/"]', "posts/backpropagation/"),
        ("a.md-footer__link--next", "posts/tensor-calculus/"),
        ("a.md-footer__link--next", "posts/element-wise/"),
        ("a.md-footer__link--next", "posts/layer-normalization/"),
    ]
    for selector, path in steps:
        visit.follow(selector)
        assert_shown_by_instant_navigation(visit, path)
    # A search hit on another page; its ?h= highlighting must not break the TeX it marks.
    visit.page.click("input.md-search__input")
    visit.page.keyboard.type("softmax")
    hit = '.md-search-result__link[href*="posts/cross-entropy/"]'
    visit.page.wait_for_selector(hit)
    visit.follow(hit)
    assert_shown_by_instant_navigation(visit, "posts/cross-entropy/")
    # And back, where the previous page's equation labels must not clash with this one's.
    visit.page.go_back()
    visit.page.wait_for_url("**/posts/layer-normalization/")
    visit.page.wait_for_function(
        "document.querySelectorAll('article .arithmatex mjx-container').length"
        " === document.querySelectorAll('article .arithmatex').length"
    )
    visit.wait_for_math()
    assert_shown_by_instant_navigation(visit, "posts/layer-normalization/")
    visit.assert_clean()


def assert_shown_by_instant_navigation(visit: Visit, path: str) -> None:
    assert urlsplit(visit.page.url).path == urlsplit(visit.base + path).path
    assert visit.page.evaluate("window.__notReloaded === true"), f"{path}: a full page load"
    state = visit.math()
    assert state["glyphs"] > 500, path
    assert state["missing"] == 0, (path, state)
    assert state["untypeset"] == 0 and state["errors"] == 0, (path, state)
    assert not state["rawDelimiters"], path
    assert visit.page.locator("#MJX-SVG-global-cache").count() == 1, path


def test_served_at_the_root_the_same_click_is_a_full_page_load(browser, built_site):
    # The failing twin of the check above: without the site_url path and a matching sitemap
    # Material does not take over the link, and the marker is gone.
    with PublishedSite(built_site, site_url="http://unused.example/") as root:
        visit = Visit(browser, root.url)
        visit.open("")
        visit.page.evaluate("window.__notReloaded = true")
        visit.follow('article a[href$="posts/backpropagation/"]')
        assert visit.page.evaluate("window.__notReloaded") is None


def test_missing_glyph_count_sees_glyphs_whose_font_cache_is_gone(browser, published):
    visit = Visit(browser, published.url)
    visit.open("")
    assert visit.math()["missing"] == 0
    visit.page.evaluate("document.getElementById('MJX-SVG-global-cache').remove()")
    state = visit.math()
    assert state["missing"] == state["glyphs"] > 0


# --- links --------------------------------------------------------------------------------


def broken_links(
    survey: dict[str, PageSurvey], links: list[tuple[str, str]], base: str
) -> list[str]:
    """The links among (page, URL) pairs that lead nowhere: a URL of the site that does not
    answer 200, or an #anchor its page (as typeset in the browser) does not have."""
    statuses: dict[str, int] = {}
    broken = []
    for source, link in links:
        url, fragment = urldefrag(link)
        if not url.startswith(base):
            continue
        if url not in statuses:
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    statuses[url] = response.status
            except urllib.error.HTTPError as error:
                statuses[url] = error.code
        target = survey.get(url[len(base) :].split("?")[0])
        if statuses[url] != 200:
            broken.append(f"{source or 'home'} -> {link}: HTTP {statuses[url]}")
        elif fragment and (target is None or unquote(fragment) not in target.anchors):
            broken.append(f"{source or 'home'} -> {link}: no such anchor")
    return broken


def test_every_internal_link_of_every_page_resolves(survey, published):
    links = [(path, link) for path, page in survey.items() for link in page.links]
    assert broken_links(survey, links, published.url) == []
    # including the links written as raw HTML and by MathJax, which MkDocs does not check
    report = [link for link in survey["verification/"].links if "#result-" in link]
    assert len(report) > 150
    assert published.url + "verification.json" in survey["verification/"].links
    assert any("/verification/#" in link for link in survey["posts/einsum/"].links)
    assert any("#mjx-eqn" in link for link in survey["posts/cross-entropy/"].links)


def test_link_check_reports_a_missing_page_and_a_missing_anchor(survey, published):
    links = [
        ("posts/einsum/", published.url + "posts/no-such-post/"),
        ("posts/einsum/", published.url + "posts/einsum/#no-such-anchor"),
        ("posts/einsum/", published.url + "posts/einsum/#the-forward-pass-precisely"),
    ]
    broken = broken_links(survey, links, published.url)
    assert len(broken) == 2
    assert "HTTP 404" in broken[0] and "no such anchor" in broken[1]


# --- phones -------------------------------------------------------------------------------


def test_no_page_is_wider_than_a_phone(survey):
    for path, page in survey.items():
        assert page.phone["width"] <= page.phone["screen"] == PHONE["width"], (path, page.phone)


def test_phone_width_check_sees_an_element_wider_than_the_screen(browser, published):
    visit = Visit(browser, published.url, viewport=PHONE)
    visit.open("writing-a-post/")
    visit.page.evaluate(
        "document.querySelector('article p').insertAdjacentHTML("
        "'beforeend', '<span style=\"display:inline-block;width:600px\">wide</span>')"
    )
    assert visit.page.evaluate(WIDTH)["width"] > PHONE["width"]


def test_wide_equations_and_the_report_table_scroll_in_their_own_box_with_a_cue(browser, published):
    visit = Visit(browser, published.url, viewport=PHONE)
    visit.open("posts/layer-normalization/")
    wide = visit.page.locator("article div.arithmatex").evaluate_all(
        f"els => els.map({SCROLL_CUE}).filter(s => s.scrolls)"
    )
    assert len(wide) >= 3
    assert all(box["cue"] for box in wide)
    visit.open("verification/")
    tables = visit.page.locator(".verification-table").evaluate_all(f"els => els.map({SCROLL_CUE})")
    assert tables and all(t["cue"] for t in tables if t["scrolls"])


def test_scroll_cue_check_sees_a_scroll_box_without_a_cue(browser, published):
    visit = Visit(browser, published.url, viewport=PHONE)
    visit.open("writing-a-post/")
    box = visit.page.evaluate_handle(
        "(() => { const d = document.createElement('div');"
        " d.style.overflowX = 'auto'; d.innerHTML = '<div style=\"width:900px\">x</div>';"
        " document.querySelector('article').append(d); return d; })()"
    )
    assert visit.page.evaluate(SCROLL_CUE, box) == {"scrolls": True, "cue": False}


def test_figure_labels_are_at_least_the_body_text_size_on_a_phone(survey):
    figures = {
        path: page.figure_labels for path, page in survey.items() if page.figure_labels["labels"]
    }
    assert len(figures) >= 9
    for path, labels in figures.items():
        assert labels["smallest"] >= labels["body"] - 0.01, (path, labels)


def test_figure_labels_measure_smaller_than_the_body_text_when_the_figure_shrinks(
    browser, published
):
    visit = Visit(browser, published.url)
    visit.open("posts/matrix-inverse/")
    labels = visit.page.evaluate(FIGURE_LABELS)
    assert labels["smallest"] < labels["body"]


def test_figures_follow_the_dark_palette(survey):
    figures = {
        path: page.dark_figures for path, page in survey.items() if page.figure_labels["labels"]
    }
    assert len(figures) >= 9
    for path, colours in figures.items():
        assert colours["worstLabelContrast"] >= 4.5, (path, colours)
        assert colours["lightestFill"] < 0.1, (path, colours)


def test_figure_colour_check_sees_the_light_panels_of_the_light_palette(browser, published):
    visit = Visit(browser, published.url)
    visit.open("posts/matrix-inverse/")
    assert visit.page.evaluate(FIGURE_COLOURS)["lightestFill"] > 0.5


# --- search -------------------------------------------------------------------------------


def search(visit: Visit, query: str) -> list[dict]:
    visit.page.click("input.md-search__input")
    visit.page.keyboard.type(query)
    visit.page.wait_for_selector(".md-search-result__item")
    return visit.page.locator(".md-search-result__link").evaluate_all(
        "links => links.map(a => { const preview = a.cloneNode(true);"
        " preview.querySelectorAll('code, pre').forEach(n => n.remove());"
        " return {href: a.href, text: preview.textContent}; })"
    )


def test_search_previews_show_no_tex_and_the_report_is_not_a_hit(browser, published):
    visit = Visit(browser, published.url)
    visit.open("")
    hits = search(visit, "layer norm")
    assert len(hits) >= 3
    assert any("posts/layer-normalization/" in hit["href"] for hit in hits)
    assert [hit["text"] for hit in hits if shows_tex(hit["text"])] == []
    assert [hit["href"] for hit in hits if "/verification/" in hit["href"]] == []


def test_tex_check_sees_the_source_of_an_equation():
    assert shows_tex(r"the gradient \frac{\partial L}{\partial x_p} of the loss")
    assert shows_tex(r"\begin{align} y &= x \end{align}")
    assert not shows_tex("the gradient of the loss, 1e-12, a\\b")


# --- Markdown, 404 ------------------------------------------------------------------------


def test_no_page_shows_unrendered_markdown(survey):
    for path, page in survey.items():
        assert unrendered_markdown(page.prose) == [], path


def test_markdown_check_sees_a_definition_list_bold_and_a_comment_left_as_text():
    text = "check(f, vjp)\n:   the forward\nsome **bold\n<!-- result: x -->\nfine line"
    assert unrendered_markdown(text) == [":   the forward", "some **bold", "<!-- result: x -->"]


def test_unknown_url_shows_the_404_page_with_navigation_and_ways_back(browser, published):
    visit = Visit(browser, published.url)
    assert visit.open("posts/no-such-post/") == 404
    article = visit.page.locator("article")
    assert "Page not found" in article.locator("h1").inner_text()
    assert len(article.locator("p").inner_text()) > 60
    links = article.locator("a").evaluate_all("as => as.map(a => a.href)")
    assert published.url in links
    assert sum("/posts/" in link for link in links) == 9
    assert visit.page.locator("nav.md-nav--primary a[href$='/posts/einsum/']").count() >= 1
    visit.follow("article a[href$='/posts/einsum/']")
    assert visit.page.locator("article h1").inner_text().rstrip("¶") == "Einsum"


# --- marks, screenshots, serve ------------------------------------------------------------


def test_verification_marks_link_to_their_check_and_to_their_report_row(browser, published):
    visit = Visit(browser, published.url)
    visit.open("posts/matrix-inverse/")
    marks = visit.page.eval_on_selector_all(
        ".result-mark--verified",
        "ms => ms.map(m => [m.querySelector('a').hash,"
        " m.querySelector('.result-mark__report').href, m.innerText])",
    )
    assert marks
    for check_href, _, text in marks:
        assert "verified" in text  # readable without colour
        assert visit.page.locator(check_href).count() == 1
    report = Visit(browser, published.url)
    report.open("verification/")
    for _, report_href, _ in marks:
        anchor = urlsplit(report_href).fragment
        assert report.page.locator(f"[id='{anchor}']").count() == 1, anchor
    assert report.page.locator("td.verification-failed").count() == 0


def test_screenshots_of_home_post_and_report_on_desktop_phone_and_dark(survey):
    for name in SCREENSHOTS.values():
        for look in ("desktop", "phone", "dark"):
            assert (ARTIFACTS / f"{name}-{look}.png").stat().st_size > 10_000, (name, look)


def test_failing_derivation_under_serve_shows_in_the_browser_and_clears_after_the_fix(
    browser, tmp_path
):
    broken = PASSING.replace("return g * np.cos(x)", "return -g * np.cos(x)")
    site = make_site(tmp_path, {"index.md": broken})
    with Server(site) as server:
        server.wait_for(lambda html: "derivation-failure" in html)
        page = browser.new_page()
        page.goto(server.url)
        failure = page.locator(".derivation-failure")
        assert failure.is_visible()
        assert "docs/index.md:18: gradient for 'x' disagrees" in failure.inner_text()
        page.screenshot(path=str(tmp_path / "failure.png"))

        (site / "docs" / "index.md").write_text(PASSING)
        server.wait_for(lambda html: "derivation-failure" not in html)
        # The live-reload script may reload the page by itself; a reload of ours can collide
        # with it, so poll until the fixed page is shown.
        for _ in range(50):
            try:
                page.reload(wait_until="load")
                if page.locator(".result-mark--verified").count() == 1:
                    break
            except playwright_api.Error:
                pass
            page.wait_for_timeout(200)
        assert page.locator(".derivation-failure").count() == 0
        assert page.locator(".result-mark--verified").is_visible()
        page.close()
