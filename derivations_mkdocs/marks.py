"""Turning a page's verification into what its reader sees, in the rendered HTML.

Each result marker (an HTML comment the renderer kept) becomes a verification mark
that names its equation's number and links to the checks that prove it and to the
report; each derivation block, found by its placeholders, gets an anchor before it and,
after it, a note of what was checked or a red box with the failure. A long block folds,
with its note, behind a line that says what it checks (open when it fails), and a page
with failures starts with a banner that lists them and links to each box.
"""

from __future__ import annotations

import re
from html import escape

from mkdocs.utils import get_relative_url

from derivations import KIND_NAMES, format_shape
from derivations.blocks import Block, Problem
from derivations.pages import PageVerification

from .fence import Comment
from .report import REPORT_URL, duration, report_anchor

#: Blocks longer than this many lines fold behind their summary line.
FOLD_LINES = 25
_LABEL = re.compile(r"\\label\{([^{}]+)\}")


def decorations(
    found: list[Comment],
    verification: PageVerification,
    page_url: str,
    *,
    enabled: bool = True,
) -> tuple[str, dict[int, str]]:
    """What the page's reader is shown of its verdicts: what goes before the page (a banner,
    problems of the page itself), and what goes in place of each comment, by its number in
    ``found`` (marks, anchors, notes, failure boxes; nothing for an unused placeholder)."""
    report_url = get_relative_url(REPORT_URL, page_url)
    owned = _assign_problems(verification)
    boxes = _Boxes(verification.path)
    markers = {m.name: m for m in verification.results}
    opened = [c.placeholder[1] for c in found if c.placeholder and c.placeholder[0] == "open"]
    position = {number: i for i, number in enumerate(opened)}
    replacements = {}
    for n, comment in enumerate(found):
        if comment.placeholder:
            kind, number = comment.placeholder
            i = position.get(number, len(verification.blocks))
            replacements[n] = ""
            if i < len(verification.blocks):
                block = verification.blocks[i]
                problems = owned.get(("block", block.index), [])
                if kind == "open":
                    replacements[n] = _before_block(block, verification, problems)
                else:
                    replacements[n] = _after_block(block, verification, problems, boxes)
        elif comment.text.startswith(" result: ") and comment.text.split()[-1] in markers:
            marker = markers[comment.text.split()[-1]]
            replacements[n] = _mark(marker, verification, report_url, enabled)
            if owned.get(("result", marker.name)):
                replacements[n] += boxes.box(owned[("result", marker.name)])
    page_level = owned.get(("page", None))
    before = boxes.box(page_level) if page_level else ""
    return boxes.banner() + before, replacements


def _assign_problems(verification: PageVerification) -> dict[tuple, list[Problem]]:
    """Attach each problem to the block or result (marker or equation) at its line, else to
    the page."""
    owned: dict[tuple, list[Problem]] = {}
    for problem in verification.problems:
        owner: tuple = ("page", None)
        for block in verification.blocks:
            if block.line <= problem.line <= block.end_line:
                owner = ("block", block.index)
        for marker in verification.results:
            last = marker.equation_line + (marker.equation or "").count("\n")
            if problem.line == marker.line or marker.equation_line <= problem.line <= last:
                owner = ("result", marker.name)
        owned.setdefault(owner, []).append(problem)
    return owned


class _Boxes:
    """The red boxes of a page, numbered so that the banner at its top can link to each."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.titles: list[str] = []

    def box(self, problems: list[Problem]) -> str:
        first, *rest = problems[0].located(self.path).split("\n")
        self.titles.append(first)
        body = "\n".join([*rest, *(p.located(self.path) for p in problems[1:])]).strip("\n")
        detail = f"<pre><code>{escape(body)}</code></pre>" if body else ""
        return (
            f'<div class="admonition failure derivation-failure" id="failure-{len(self.titles)}">'
            f'<p class="admonition-title">{escape(first)}</p>{detail}</div>'
        )

    def banner(self) -> str:
        if not self.titles:
            return ""
        items = "".join(
            f'<li><a href="#failure-{i}">{escape(title)}</a></li>'
            for i, title in enumerate(self.titles, start=1)
        )
        count = len(self.titles)
        return (
            '<div class="admonition failure derivation-banner" role="alert">'
            f'<p class="admonition-title">This page has {count} derivation '
            f"failure{'s' if count != 1 else ''}</p><ul>{items}</ul></div>"
        )


def _folds(block: Block) -> bool:
    return block.source.count("\n") > FOLD_LINES


def _before_block(block: Block, verification: PageVerification, problems: list[Problem]) -> str:
    anchor = f'<div class="derivation-anchor" id="check-{block.index + 1}"></div>'
    if not _folds(block):
        return anchor
    outcome = verification.outcomes[block.index]
    if problems:
        kind, summary = "failure", escape(problems[0].message.splitlines()[0])
    elif outcome.status == "not run":
        kind, summary = "note", "Not checked in this build"
    else:
        kind, summary = "success", escape(_fold_summary(outcome.reports))
    title = f" ({escape(block.title)})" if block.title else ""
    state = " open" if problems else ""
    return (
        f'{anchor}<details class="derivation-fold {kind}"{state}>'
        f"<summary>{summary}{title}</summary>"
    )


def _fold_summary(reports: list[dict]) -> str:
    checks = [r for r in reports if not (r.get("expected") and not r["passed"])]
    described = []
    for report in checks[:3]:
        what = (
            report["function"] if report["function"] != "<lambda>" else KIND_NAMES[report["kind"]]
        )
        described.append(f"{what} ({report['method']})")
    more = ", …" if len(checks) > 3 else ""
    return f"{len(checks)} check{'s' if len(checks) != 1 else ''}: {', '.join(described)}{more}"


def _after_block(block, verification, problems, boxes: _Boxes) -> str:
    closing = "</details>" if _folds(block) else ""
    if problems:
        return boxes.box(problems) + closing
    outcome = verification.outcomes[block.index]
    if outcome.status == "not run":
        return (
            '<p class="derivation-note">This block was not run in this build '
            "(derivation checks are off).</p>" + closing
        )
    return _note(block, outcome, verification) + closing


def _equation_number(marker) -> str:
    """MathJax's own reference to the marked equation, when it has a label: its number."""
    match = _LABEL.search(marker.equation or "")
    if match is None:
        return ""
    return (
        f' <span class="arithmatex result-mark__number">\\(\\eqref{{{escape(match[1])}}}\\)</span>'
    )


def _mark(marker, verification: PageVerification, report_url: str, enabled: bool) -> str:
    name = marker.name
    anchor = report_anchor(verification.path, name)
    number = _equation_number(marker)
    proofs = verification.proofs.get(name)
    report = (
        f'<a class="result-mark__report" href="{report_url}#{anchor}" '
        f'title="This result in the verification report">{escape(name)}</a>'
    )
    if proofs:
        title = "; ".join(_summary(r) for r in verification.proving_reports(name))
        label = "equation verified" if verification.evaluated(name) else "verified"
        return (
            f'<p class="result-mark result-mark--verified" id="result-{escape(name)}">'
            f'<a href="#check-{proofs[0][0] + 1}" title="{escape(title)}">'
            f'<span aria-hidden="true">✓</span> {label}</a>{number} {report}</p>'
        )
    label = "not checked in this build" if not enabled else "NOT verified"
    return (
        f'<p class="result-mark result-mark--failed" id="result-{escape(name)}">'
        f'<span aria-hidden="true">✗</span> {label}{number} {report}</p>'
    )


def _summary(report: dict) -> str:
    subject = KIND_NAMES[report["kind"]]
    if report["kind"] == "equation":
        count = report.get("relations", 0)
        shapes = ", ".join(f"{k} {format_shape(v)}" for k, v in report["inputs"].items())
        subject = f"the displayed equation ({count} relation{'s' if count != 1 else ''})"
        subject += f", evaluated on {shapes}" if shapes else ""
    elif report["kind"] != "identity":
        subject += " for " + ", ".join(
            f"{name} {format_shape(report['inputs'][name])}" for name in report["wrt"]
        )
    else:
        subject += " on " + ", ".join(f"{k} {format_shape(v)}" for k, v in report["inputs"].items())
    constants = report.get("constants") or {}
    if constants:
        subject += " with " + ", ".join(f"{k}={v}" for k, v in constants.items())
    error = f"error {report['error']:.1e}"
    if report["passed"]:
        return f"{subject}: {report['method']}, {error} ≤ {report['tolerance']:.0e}"
    return (
        f"{subject}: {report['method']}, {error} > {report['tolerance']:.0e}, "
        "failed as expected (a demonstration that a wrong formula is caught)"
    )


def _note(block, outcome, verification: PageVerification) -> str:
    proves: dict[int, list[str]] = {}
    for name, proofs in verification.proofs.items():
        for b, r in proofs:
            if b == block.index:
                proves.setdefault(r, []).append(name)
    items = []
    for i, report in enumerate(outcome.reports):
        what = escape(_summary(report))
        if proves.get(i):
            what += " (proves " + ", ".join(f"<code>{escape(n)}</code>" for n in proves[i]) + ")"
        for note in report.get("notes", []):
            what += f' <span class="derivation-note__caveat">Note: {escape(note)}.</span>'
        items.append(f"<li><code>{escape(report['function'])}</code>: {what}</li>")
    demos = sum(1 for r in outcome.reports if r.get("expected") and not r["passed"])
    checks = len(outcome.reports) - demos
    timing = duration(outcome.seconds) + (", cached" if outcome.cached else "")
    verifies = ", ".join(f"<code>{escape(n)}</code>" for n in block.verifies)
    what = f" verifying {verifies}" if verifies else ""
    extra = (
        f" and {demos} demonstration{'s' if demos != 1 else ''} of a caught failure"
        if demos
        else ""
    )
    return (
        f'<div class="derivation-note"><p><span aria-hidden="true">✓</span> '
        f"<strong>Checked</strong>: {checks} check{'s' if checks != 1 else ''}{what} "
        f"passed{extra} ({timing}).</p><ul>{''.join(items)}</ul></div>"
    )
