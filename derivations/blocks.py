"""Finding derivation blocks and result markers in the Markdown source of a page.

A derivation block is a fenced code block in the brace form
``` ```{.python .derivation title="..." verifies="name other"} ```; a result
marker is an HTML comment ``<!-- result: name -->`` on its own line, placed just
before the equation that states the result. Both survive SuperFences and
arithmatex untouched, and neither is found inside another fenced block.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_ATTRS = re.compile(r"^\s*\{(?P<body>[^}]*)\}\s*$")
_ATTR = re.compile(r"""(?P<key>[\w-]+)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>\S+))""")
_RESULT = re.compile(r"^(?P<indent>[ \t]*)<!--\s*result:\s*(?P<name>.*?)\s*-->\s*$")
RESULT_NAME = re.compile(r"^[A-Za-z][\w.:-]*$")


@dataclass(frozen=True)
class Problem:
    """Something wrong on a page, at a line of its Markdown source."""

    line: int
    message: str

    def located(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Block:
    """A derivation block. Lines are 1-based lines of the Markdown file."""

    index: int
    line: int  # the opening fence
    end_line: int  # the closing fence
    indent: str
    source: str  # the code, dedented; it starts at line + 1
    title: str = ""
    verifies: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def code_line(self) -> int:
        return self.line + 1


@dataclass(frozen=True)
class ResultMarker:
    name: str
    line: int
    indent: str


@dataclass
class ParsedPage:
    blocks: list[Block]
    results: list[ResultMarker]
    problems: list[Problem]


def parse_page(text: str) -> ParsedPage:
    """All derivation blocks and result markers of a page, and what is malformed about them."""
    lines = text.splitlines()
    blocks: list[Block] = []
    results: list[ResultMarker] = []
    problems: list[Problem] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            marker = _RESULT.match(lines[i])
            if marker:
                name = marker["name"]
                if RESULT_NAME.match(name):
                    results.append(ResultMarker(name, i + 1, marker["indent"]))
                else:
                    problems.append(
                        Problem(
                            i + 1,
                            f"result name {name!r} is not valid: "
                            "use letters, digits, '_', '-', '.', ':'",
                        )
                    )
            i += 1
            continue
        end = _closing_fence(lines, i, opening)
        attrs = _ATTRS.match(opening["info"])
        classes, values = _parse_attributes(attrs["body"]) if attrs else ([], {})
        if "derivation" in classes:
            if end is None:
                problems.append(Problem(i + 1, "derivation block has no closing fence"))
            elif "python" not in classes:
                problems.append(
                    Problem(
                        i + 1, "a derivation block must be Python: write ```{.python .derivation}"
                    )
                )
            else:
                body = "\n".join(lines[i + 1 : end])
                indent = opening["indent"]
                blocks.append(
                    Block(
                        index=len(blocks),
                        line=i + 1,
                        end_line=end + 1,
                        indent=indent,
                        source=textwrap.dedent(body) + "\n",
                        title=values.get("title", ""),
                        verifies=tuple(values.get("verifies", "").split()),
                        attributes=values,
                    )
                )
        i = (end if end is not None else len(lines)) + 1
    problems += _duplicates(results)
    return ParsedPage(blocks, results, problems)


def _closing_fence(lines: list[str], start: int, opening: re.Match) -> int | None:
    fence = opening["fence"]
    close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if close.match(lines[j]):
            return j
    return None


def _parse_attributes(body: str) -> tuple[list[str], dict[str, str]]:
    values = {}
    for m in _ATTR.finditer(body):
        values[m["key"]] = next(v for v in (m["dq"], m["sq"], m["bare"]) if v is not None)
    rest = _ATTR.sub(" ", body)
    classes = [word[1:] for word in rest.split() if word.startswith(".")]
    return classes, values


def _duplicates(results: list[ResultMarker]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for marker in results:
        if marker.name in seen:
            problems.append(
                Problem(
                    marker.line,
                    f"result {marker.name!r} is already marked at line {seen[marker.name]}",
                )
            )
        else:
            seen[marker.name] = marker.line
    return problems
