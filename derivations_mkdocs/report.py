"""The verification report: a generated page listing every result and check of the site."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from mkdocs.utils import get_relative_url

from derivations import KIND_NAMES, format_shape
from derivations.pages import PageVerification

from .slots import slot

REPORT_PAGE = "verification.md"
REPORT_URL = "verification/"


def report_anchor(path: str, name: str) -> str:
    """The id of a result's row in the report: from the page's whole path, so it is unique."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(path).with_suffix("").as_posix().lower()).strip("-")
    return f"{stem}--{name}"


def _link_from_report(src_uri: str) -> str:
    """A link from the report page to a page or file of the site, given by its source path.

    Raw HTML is not rewritten by MkDocs, so the report writes the served URL itself, as seen
    from its own URL (directory URLs, like ``REPORT_URL``).
    """
    if src_uri.endswith(".md"):
        stem = src_uri[: -len(".md")]
        src_uri = stem[: -len("index")] if Path(stem).name == "index" else stem + "/"
    return get_relative_url(src_uri, REPORT_URL)


#: What a page writes (through the home page's macro) where the build's totals go; the hook
#: replaces it once every page is verified, so rendering never waits for the checks.
SUMMARY_PLACEHOLDER = '<span class="verification-summary"></span>'


#: What every result placeholder carries: a page without it has none to fill.
RESULT_CLASS = 'class="verification-result"'
_RESULT_PLACEHOLDER = re.compile(
    r'<span class="verification-result" data-post="([^"]+)" data-result="([^"]+)"></span>'
)


def result_placeholder(post: str, name: str) -> str:
    """Where a page (the home page) shows one result's verdict, filled in at the end."""
    return f'<span class="verification-result" data-post="{post}" data-result="{name}"></span>'


def fill_results(html: str, pages: Mapping[str, PageVerification], page_url: str) -> str:
    """Every result placeholder of ``html`` replaced by that result's verdict and links."""

    def verdict(match: re.Match) -> str:
        post, name = match[1], match[2]
        page = pages.get(post)
        post_url = get_relative_url(post.removesuffix(".md") + "/", page_url)
        report = get_relative_url(REPORT_URL, page_url)
        anchor = report_anchor(page.path, name) if page else ""
        if page is None or name not in page.proofs:
            state = '<strong class="verification-failed">✗ not verified in this build</strong>'
        elif page.evaluated(name):
            state = "<strong>✓ Proven at build time from this very equation</strong>"
        else:
            state = "<strong>✓ Verified at build time</strong>"
        return (
            f'<span class="featured-result">{state}: read its '
            f'<a href="{escape(post_url)}#result-{escape(name)}">derivation</a>, or its '
            f'<a href="{escape(report)}#{anchor}">row in the verification report</a>.</span>'
        )

    return _RESULT_PLACEHOLDER.sub(verdict, html)


def summary_html(summary: dict, page_url: str) -> str:
    """The build's own verification count, linked to the report, for a page at ``page_url``."""
    report = escape(get_relative_url(REPORT_URL, page_url))
    if not summary["enabled"]:
        return "<strong>Derivation checks are switched off in this build.</strong>"
    if summary["problems"]:
        return (
            f"<strong>{summary['verified']} of {summary['results']} results verified; "
            f"{summary['problems']} problems in this build</strong> "
            f'(<a href="{report}">report</a>).'
        )
    return (
        f"<strong>{summary['results']} results, all verified numerically at build time</strong> "
        f"by {summary['checks']} checks; {summary['evaluated']} of the results are proven from "
        f'their displayed equation itself (<a href="{report}">verification report</a>).'
    )


def summarise(pages: Mapping[str, PageVerification], *, enabled: bool) -> dict:
    """Counts for the home page and for verification.json."""
    values = list(pages.values())
    return {
        "enabled": enabled,
        "results": sum(len(v.results) for v in values),
        "verified": sum(len(v.verified) for v in values),
        "evaluated": sum(1 for v in values for m in v.results if v.evaluated(m.name)),
        "checks": sum(len(o.reports) for v in values for o in v.outcomes),
        "problems": sum(len(v.problems) for v in values),
        "pages": sum(1 for v in values if v.blocks or v.results),
    }


HEADLINE_SLOT = "headline"


def report_markdown(
    listed: Sequence[str],
    titles: Mapping[str, str],
    *,
    root: Path | None = None,
) -> str:
    """The report page's Markdown, written before any verdict is known: a section per page of
    ``listed`` (those with results or derivation blocks), whose table, like the headline, is a
    slot filled by ``report_slots`` once every page is verified."""
    lines = [
        "---",
        "title: Verification report",
        "search:",
        "  exclude: true",  # its table text would crowd the search results of every term
        "---",
        "",
        "# Verification report",
        "",
        slot(HEADLINE_SLOT),
        "",
        f"Built {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC{_commit(root)}. "
        "The same data, one record per check, is in "
        f'<a href="{_link_from_report("verification.json")}">verification.json</a>.',
        "",
        "A result is verified when every block that lists it passed and a check attributed "
        "to it proved it; *equation verified* means that one of those checks evaluated the "
        "result's displayed equation itself. The error is each check's normalised error; it "
        "must not exceed the tolerance of its method (complex step 1e-12, 5-point stencil "
        "1e-8, identities and equations without derivatives 1e-12).",
        "",
    ]
    for n, src_uri in enumerate(listed):
        lines += [f"## [{escape(titles.get(src_uri, src_uri))}]({src_uri})", ""]
        lines += [slot(f"table-{n}"), ""]
    return "\n".join(lines)


def report_slots(
    listed: Sequence[str], pages: Mapping[str, PageVerification], *, enabled: bool
) -> dict[str, str]:
    """What fills the slots of ``report_markdown``: the headline, and a table per page."""
    filled = {
        HEADLINE_SLOT: f"<p><strong>{_headline(summarise(pages, enabled=enabled))}</strong></p>"
    }
    for n, src_uri in enumerate(listed):
        page = pages[src_uri]
        filled[f"table-{n}"] = "".join(
            [
                '<table class="verification-table"><thead><tr><th>Result</th><th>Line</th>'
                "<th>Proven by</th><th>Method</th><th>Error / tolerance</th><th>Time</th>"
                "<th>Status</th></tr></thead><tbody>",
                *(_row(src_uri, page, marker) for marker in page.results),
                "</tbody></table>",
            ]
        )
    return filled


def report_slot_names(listed: Sequence[str]) -> list[str]:
    """The slots of the report page, in their order."""
    return [HEADLINE_SLOT, *(f"table-{n}" for n in range(len(listed)))]


def _headline(summary: dict) -> str:
    if not summary["enabled"]:
        return "Derivation checks were switched off for this build: nothing was verified."
    if summary["problems"]:
        return (
            f"{summary['verified']} of {summary['results']} results verified; "
            f"{summary['problems']} problems."
        )
    return (
        f"{summary['results']} results on {summary['pages']} pages, all verified "
        f"numerically at build time by {summary['checks']} checks; "
        f"{summary['evaluated']} of them proven from their displayed equation."
    )


def _row(src_uri: str, page: PageVerification, marker) -> str:
    anchor = report_anchor(page.path, marker.name)
    index = page.verified.get(marker.name)
    href = f"{_link_from_report(src_uri)}#result-{marker.name}"
    link = f'<a href="{escape(href)}">{marker.line}</a>'
    name = f"<td><code>{escape(marker.name)}</code></td>"
    if index is None:
        return (
            f'<tr id="{anchor}">{name}<td>{link}</td><td colspan="4"></td>'
            '<td class="verification-failed">✗&nbsp;not&nbsp;verified</td></tr>'
        )
    outcome = page.outcomes[index]
    reports = page.proving_reports(marker.name)
    checks = "<br>".join(escape(check_label(r)) for r in reports)
    methods = "<br>".join(f'<span class="number">{escape(r["method"])}</span>' for r in reports)
    errors = "<br>".join(
        f'<span class="number">{r["error"]:.1e}&nbsp;/&nbsp;{r["tolerance"]:.0e}</span>'
        for r in reports
    )
    timing = f'<span class="number">{duration(outcome.seconds)}</span>'
    if outcome.cached:
        timing += '<br><span class="number">(cached)</span>'
    status = "✓&nbsp;equation&nbsp;verified" if page.evaluated(marker.name) else "✓&nbsp;verified"
    return (
        f'<tr id="{anchor}">{name}<td>{link}</td><td>{checks}</td><td>{methods}</td>'
        f'<td>{errors}</td><td>{timing}</td><td class="verification-passed">{status}</td></tr>'
    )


def duration(seconds: float) -> str:
    """A time a reader takes in at a glance: 0.4 ms, 12 ms, 1.25 s."""
    if seconds < 0.01:
        return f"{seconds * 1000:.1f}&nbsp;ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f}&nbsp;ms"
    return f"{seconds:.2f}&nbsp;s"


def check_label(report: dict) -> str:
    """What a check compared, in a few words: named after its function when it has a name."""
    kind = KIND_NAMES[report["kind"]]
    if report["kind"] == "equation":
        count = report.get("relations", 0)
        return f"its displayed equation ({count} relation{'s' if count != 1 else ''})"
    if report["function"] != "<lambda>":
        return f"{kind} of {report['function']}"
    shapes = ", ".join(f"{k} {format_shape(v)}" for k, v in report["inputs"].items())
    return f"{kind} on {shapes}"


def _commit(root: Path | None) -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            text=True,
            capture_output=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" from commit `{sha}`" if sha else ""
