"""What a reader sees against what ran: the cross-check between a renderer and the runner.

A renderer (the MkDocs hook, through a SuperFences formatter) reports the
derivation blocks and result markers it really put on the page, in order. They
must be exactly the blocks that ran, with the same code, title and results, and
exactly the markers that were bound. Every disagreement is a problem with the
line of the page it concerns.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from .blocks import LOOKS_LIKE_MARKER, Problem
from .pages import PageVerification


@dataclass(frozen=True)
class RenderedBlock:
    """A derivation block as the renderer formatted it."""

    source: str
    title: str = ""
    verifies: tuple[str, ...] = ()


def rendered_disagreements(
    verification: PageVerification,
    blocks: Sequence[RenderedBlock],
    comments: Sequence[str],
    body: str,
    first_line: int = 1,
) -> list[Problem]:
    """Every difference between what ran on a page and what its readers are shown.

    ``comments`` are the texts of the HTML comments of the rendered page (between
    ``<!--`` and ``-->``); those that look like result markers are compared with the
    markers that were bound.
    """
    return _block_problems(verification, blocks, body, first_line) + _marker_problems(
        verification, comments, body, first_line
    )


def _block_problems(verification, shown, body, first_line) -> list[Problem]:
    ran = verification.blocks
    keys_ran = [(b.source, b.title, b.verifies) for b in ran]
    keys_shown = [(b.source, b.title, b.verifies) for b in shown]
    problems = []
    matcher = difflib.SequenceMatcher(a=keys_ran, b=keys_shown, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            for block, rendered in zip(
                ran[i1:i2], [*shown[j1:j2], *[None] * (i2 - i1)], strict=False
            ):
                if rendered is None:
                    problems.append(
                        Problem(
                            block.line,
                            "this derivation block ran, but the page does not show it as one "
                            "(the renderer reads it as something else: inside an indented code "
                            "block, or left out by a macro condition?)",
                        )
                    )
                else:
                    problems.append(Problem(block.line, _difference(block, rendered)))
        if tag in ("insert", "replace") and j2 - j1 > i2 - i1:
            for rendered in shown[j1 + (i2 - i1) : j2]:
                line = _line_of(rendered.source.split("\n", 1)[0], body, first_line)
                problems.append(
                    Problem(
                        line,
                        "the page shows a derivation block that never ran (the renderer found "
                        "it where the runner did not: written by a macro?)",
                    )
                )
    return problems


def _difference(block, rendered: RenderedBlock) -> str:
    if block.verifies != rendered.verifies:
        return (
            f"the page shows this derivation block verifying {' '.join(rendered.verifies)!r}, "
            f"but it ran verifying {' '.join(block.verifies)!r}"
        )
    if block.title != rendered.title:
        return f"the page shows this block titled {rendered.title!r}, but it ran as {block.title!r}"
    shown, ran = rendered.source.splitlines(), block.source.splitlines()
    for offset, (a, b) in enumerate(zip(ran, [*shown, *[None] * len(ran)], strict=False)):
        if a != b:
            return (
                f"the page shows different code than the code that ran, from line "
                f"{block.code_line + offset}: it shows {b!r} where {a!r} ran"
            )
    return "the page shows more code in this block than the code that ran"


def _marker_problems(verification, comments, body, first_line) -> list[Problem]:
    bound = [m.name for m in verification.results]
    shown, problems = [], []
    for text in comments:
        comment = "<!--" + text + "-->"
        if not LOOKS_LIKE_MARKER.match(comment):
            continue
        words = text.split()
        if len(words) == 2 and words[0] == "result:" and text == f" result: {words[1]} ":
            shown.append(words[1])
        else:
            problems.append(
                Problem(
                    _line_of(comment, body, first_line),
                    f"malformed result marker {comment!r}: a result marker is written exactly "
                    "<!-- result: name --> on a line of its own, just before its equation",
                )
            )
    lines = {m.name: m.line for m in verification.results}
    for name in bound:
        if name not in shown:
            problems.append(
                Problem(
                    lines[name],
                    f"result marker {name!r} is not on the rendered page (inside an indented "
                    "code block, or left out by a macro condition?)",
                )
            )
    for name in shown:
        if name not in bound:
            problems.append(
                Problem(
                    _line_of(f"<!-- result: {name} -->", body, first_line),
                    f"the page shows result marker {name!r}, but no check was bound to it "
                    "(written by a macro?)",
                )
            )
    return problems


def _line_of(text: str, body: str, first_line: int) -> int:
    """The line of the page where ``text`` first occurs (or the page's first line)."""
    position = body.find(text.strip()) if text.strip() else -1
    return first_line + (body.count("\n", 0, position) if position >= 0 else 0)
