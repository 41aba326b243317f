"""Turning a page's verification into what its reader sees, in the rendered HTML.

Each result marker (an HTML comment the renderer kept) becomes a verification mark
linking to the checks that prove it and to the report; each derivation block, found
by its placeholders, gets an anchor before it and, after it, a note of what was
checked or a red admonition with the failure.
"""

from __future__ import annotations

from html import escape

from mkdocs.utils import get_relative_url

from derivations import KIND_NAMES, format_shape
from derivations.blocks import Problem
from derivations.pages import PageVerification

from .fence import Comment
from .report import REPORT_URL, report_anchor


def decorate_html(
    html: str,
    found: list[Comment],
    verification: PageVerification,
    page_url: str,
    *,
    enabled: bool = True,
) -> str:
    """The page's HTML with marks, notes and failure admonitions in place of its comments."""
    report_url = get_relative_url(REPORT_URL, page_url)
    owned = _assign_problems(verification)
    names = {m.name for m in verification.results}
    opened = [c.placeholder[1] for c in found if c.placeholder and c.placeholder[0] == "open"]
    position = {number: i for i, number in enumerate(opened)}
    pieces, cursor = [], 0
    for comment in found:
        replacement = None
        if comment.placeholder:
            kind, number = comment.placeholder
            i = position.get(number, len(verification.blocks))
            replacement = ""
            if i < len(verification.blocks):
                block = verification.blocks[i]
                if kind == "open":
                    replacement = f'<div class="derivation-anchor" id="check-{i + 1}"></div>'
                else:
                    replacement = _after_block(block, verification, owned, enabled)
        elif comment.text.startswith(" result: ") and comment.text.split()[-1] in names:
            name = comment.text.split()[-1]
            replacement = _mark(name, verification, report_url, enabled)
            if owned.get(("result", name)):
                replacement += _admonition(verification.path, owned[("result", name)])
        if replacement is not None:
            pieces += [html[cursor : comment.start], replacement]
            cursor = comment.end
    pieces.append(html[cursor:])
    page_level = owned.get(("page", None))
    head = _admonition(verification.path, page_level) if page_level else ""
    return head + "".join(pieces)


def _assign_problems(verification: PageVerification) -> dict[tuple, list[Problem]]:
    """Attach each problem to the block or result marker at its line, else to the page."""
    owned: dict[tuple, list[Problem]] = {}
    markers = {m.line: m.name for m in verification.results}
    for problem in verification.problems:
        owner: tuple = ("page", None)
        for block in verification.blocks:
            if block.line <= problem.line <= block.end_line:
                owner = ("block", block.index)
        if problem.line in markers:
            owner = ("result", markers[problem.line])
        owned.setdefault(owner, []).append(problem)
    return owned


def _after_block(block, verification, owned, enabled) -> str:
    problems = owned.get(("block", block.index), [])
    if problems:
        return _admonition(verification.path, problems)
    outcome = verification.outcomes[block.index]
    if outcome.status == "not run":
        return (
            '<p class="derivation-note">This block was not run in this build '
            "(derivation checks are off).</p>"
        )
    return _note(block, outcome, verification)


def _mark(name: str, verification: PageVerification, report_url: str, enabled: bool) -> str:
    anchor = report_anchor(verification.path, name)
    proofs = verification.proofs.get(name)
    if proofs:
        title = "; ".join(_summary(r) for r in verification.proving_reports(name))
        label = "equation verified" if verification.evaluated(name) else "verified"
        return (
            f'<p class="result-mark result-mark--verified" id="result-{escape(name)}">'
            f'<a href="#check-{proofs[0][0] + 1}" title="{escape(title)}">'
            f'<span aria-hidden="true">✓</span> {label}</a> '
            f'<a class="result-mark__report" href="{report_url}#{anchor}">'
            f"{escape(name)}</a></p>"
        )
    label = "not checked in this build" if not enabled else "NOT verified"
    return (
        f'<p class="result-mark result-mark--failed" id="result-{escape(name)}">'
        f'<span aria-hidden="true">✗</span> {label} '
        f'<a class="result-mark__report" href="{report_url}#{anchor}">{escape(name)}</a></p>'
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
    timing = "cached" if outcome.cached else f"{outcome.seconds:.2f} s"
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


def _admonition(path: str, problems: list[Problem]) -> str:
    body = "\n".join(escape(p.located(path)) for p in problems)
    title = escape(problems[0].located(path).split("\n")[0])
    return (
        f'<div class="admonition failure derivation-failure">'
        f'<p class="admonition-title">{title}</p>'
        f"<pre><code>{body}</code></pre></div>"
    )
