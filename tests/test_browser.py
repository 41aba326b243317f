"""The site as a reader meets it: headless Chromium over the built site served on localhost."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urlparse

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
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Every display and inline equation must end up typeset, with no error node, and no
# TeX delimiter may be left in the visible text outside code.
MATH_STATE = """() => {
    const math = [...document.querySelectorAll('article .arithmatex')];
    const text = (() => {
        const clone = document.querySelector('article').cloneNode(true);
        clone.querySelectorAll('pre, code, mjx-container').forEach(n => n.remove());
        return clone.innerText;
    })();
    return {
        equations: math.length,
        untypeset: math.filter(n => !n.querySelector('mjx-container')).length,
        errors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
        rawDelimiters: /\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\$\\$/.test(text),
    };
}"""


@pytest.fixture(scope="module")
def site_url(built_site: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


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
    """A page with a record of its console errors and of the requests it made."""

    def __init__(self, browser, base: str) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.base = base
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("request", self._on_request)

    def _on_request(self, request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:")) and host != "127.0.0.1":
            self.external.append(request.url)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path, wait_until="load")
        self.wait_for_math()

    def wait_for_math(self) -> dict:
        self.page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        self.page.evaluate("MathJax.startup.promise")
        return self.math()

    def math(self) -> dict:
        return self.page.evaluate(MATH_STATE)

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.failed == []
        assert self.external == []


def site_pages(built_site: Path) -> list[str]:
    return sorted(
        str(p.parent.relative_to(built_site)) + "/" if p.parent != built_site else ""
        for p in built_site.rglob("index.html")
        if "assets" not in p.parts and "search" not in p.parts
    )


def test_every_page_typesets_its_math_offline_without_errors(browser, site_url, built_site):
    pages = site_pages(built_site)
    assert len(pages) >= 12
    for path in pages:
        visit = Visit(browser, site_url)
        visit.open(path)
        state = visit.math()
        assert state["untypeset"] == 0, path
        assert state["errors"] == 0, path
        assert not state["rawDelimiters"], path
        if path.startswith("posts/"):
            assert state["equations"] > 20, path
        visit.assert_clean()
        visit.page.close()


def test_instant_navigation_keeps_math_rendered(browser, site_url):
    visit = Visit(browser, site_url)
    visit.open("posts/layer-normalization/")
    visit.page.click('nav.md-nav a[href$="einsum/"]')
    visit.page.wait_for_url("**/posts/einsum/")
    visit.page.wait_for_function(
        "document.querySelectorAll('article .arithmatex mjx-container').length > 20"
    )
    state = visit.wait_for_math()
    assert state["untypeset"] == 0 and state["errors"] == 0 and not state["rawDelimiters"]
    # and back again, where the equation labels of the first page must not clash
    visit.page.go_back()
    visit.page.wait_for_url("**/posts/layer-normalization/")
    visit.page.wait_for_function(
        "document.querySelectorAll('article .arithmatex mjx-container').length > 20"
    )
    state = visit.wait_for_math()
    assert state["untypeset"] == 0 and state["errors"] == 0
    visit.assert_clean()


def test_verification_marks_link_to_their_check_and_to_their_report_row(browser, site_url):
    visit = Visit(browser, site_url)
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
    report = Visit(browser, site_url)
    report.open("verification/")
    for _, report_href, _ in marks:
        anchor = urlparse(report_href).fragment
        assert report.page.locator(f"[id='{anchor}']").count() == 1, anchor
    assert report.page.locator("td.verification-failed").count() == 0


def test_screenshots_of_home_post_and_report(browser, site_url):
    ARTIFACTS.mkdir(exist_ok=True)
    for path, name in [
        ("", "home"),
        ("posts/layer-normalization/", "post"),
        ("verification/", "report"),
    ]:
        visit = Visit(browser, site_url)
        visit.open(path)
        target = ARTIFACTS / f"{name}.png"
        visit.page.screenshot(path=str(target), full_page=name == "home")
        assert target.stat().st_size > 10_000


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
