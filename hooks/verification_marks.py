"""Turning a page's verification into what its reader sees.

Each result marker becomes a verification mark linking to its check and to the
report; each derivation block gets an anchor before it and, after it, a note of
what was checked or a red admonition with the failure.
"""

from __future__ import annotations

from html import escape

from mkdocs.utils import get_relative_url

from derivations import KIND_NAMES, format_shape
from derivations.blocks import Problem, parse_page
from derivations.pages import PageVerification

from verification_report import REPORT_URL, report_anchor


def decorate_markdown(
    markdown: str, verification: PageVerification, page_url: str, *, enabled: bool = True
) -> str:
    """The page's Markdown with marks, notes and failure admonitions added."""
    current = parse_page(markdown)
    if len(current.blocks) != len(verification.blocks) or len(current.results) != len(
        verification.results
    ):
        return (
            _admonition(
                verification.path,
                [
                    Problem(
                        1,
                        "the page changed before it was rendered; "
                        "verification marks could not be placed",
                    )
                ],
                "",
            )
            + "\n\n"
            + markdown
        )
    report_url = get_relative_url(REPORT_URL, page_url)
    owned = _assign_problems(verification)
    verified = verification.verified
    lines = markdown.split("\n")
    before: dict[int, list[str]] = {}
    replace: dict[int, str] = {}
    after: dict[int, list[str]] = {}

    for now, then in zip(current.results, verification.results, strict=True):
        mark = _mark(then.name, verified, report_url, verification, enabled)
        problems = owned.get(("result", then.name), [])
        if problems:
            mark += "\n\n" + _admonition(verification.path, problems, now.indent)
        replace[now.line - 1] = now.indent + mark + "\n"

    for now, then in zip(current.blocks, verification.blocks, strict=True):
        outcome = verification.outcomes[then.index]
        before[now.line - 1] = [
            f'{now.indent}<div class="derivation-anchor" id="check-{then.index + 1}"></div>',
            "",
        ]
        problems = owned.get(("block", then.index), [])
        if problems:
            note = _admonition(verification.path, problems, now.indent)
        elif outcome.status == "not run":
            note = (
                now.indent + '<p class="derivation-note">This block was not run in this build '
                "(derivation checks are off).</p>"
            )
        else:
            note = _note(then, outcome, now.indent)
        after[now.end_line - 1] = ["", note, ""]

    page_level = owned.get(("page", None), [])
    out = [_admonition(verification.path, page_level, "") + "\n"] if page_level else []
    for i, line in enumerate(lines):
        out.extend(before.get(i, []))
        out.append(replace.get(i, line))
        out.extend(after.get(i, []))
    return "\n".join(out)


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


def _mark(name, verified, report_url, verification, enabled) -> str:
    anchor = report_anchor(verification.path, name)
    if name in verified:
        index = verified[name]
        checks = verification.outcomes[index].reports
        title = "; ".join(_summary(r) for r in checks)
        return (
            f'<p class="result-mark result-mark--verified" id="result-{escape(name)}">'
            f'<a href="#check-{index + 1}" title="{escape(title)}">'
            f'<span aria-hidden="true">✓</span> verified</a> '
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
    if report["kind"] != "identity":
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
    # A failed check inside a passing block was expected to fail: the block caught it.
    return (
        f"{subject}: {report['method']}, {error} > {report['tolerance']:.0e}, "
        "failed as the block expects (a demonstration of a wrong formula being caught)"
    )


def _note(block, outcome, indent: str) -> str:
    items = "".join(
        f"<li><code>{escape(r['function'])}</code>: {escape(_summary(r))}</li>"
        for r in outcome.reports
    )
    checks = len(outcome.reports)
    timing = "cached" if outcome.cached else f"{outcome.seconds:.2f} s"
    verifies = ", ".join(f"<code>{escape(n)}</code>" for n in block.verifies)
    what = f" verifying {verifies}" if verifies else ""
    return (
        f'{indent}<div class="derivation-note"><p><span aria-hidden="true">✓</span> '
        f"<strong>Checked</strong>: {checks} check{'s' if checks != 1 else ''}{what} "
        f"passed ({timing}).</p><ul>{items}</ul></div>"
    )


def _admonition(path: str, problems: list[Problem], indent: str) -> str:
    # One physical line, so that the HTML block survives inside indented Markdown.
    body = "&#10;".join(escape(p.located(path)).replace("\n", "&#10;") for p in problems)
    title = escape(problems[0].located(path).split("\n")[0])
    return (
        f'{indent}<div class="admonition failure derivation-failure">'
        f'<p class="admonition-title">{title}</p>'
        f"<pre><code>{body}</code></pre></div>"
    )
