"""Finding derivation blocks and result markers the way the renderer finds them.

A derivation block is a fenced code block of class ``derivation``, written
``` ```{.python .derivation title="..." verifies="name other"} ```. No parser of
this package decides what a fence is: SuperFences does. A Python-Markdown instance
configured like the site runs its whitespace normaliser and SuperFences' own fence
preprocessor over the page, and a subclass of that preprocessor records where each
fence it accepts starts and ends instead of rendering it. What the renderer then
really shows is cross-checked against this (see ``hooks/verification_fence.py``).

A result marker is an HTML comment ``<!-- result: name -->`` on a line of its own,
outside any fence, just before the display equation that states the result.
Anything that looks like a marker but is not exactly one is an error.
"""

from __future__ import annotations

import difflib
import itertools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import markdown
from pymdownx import superfences

RESULT_NAME = re.compile(r"^[A-Za-z][\w.:-]*$")
_MARKER = re.compile(r"^<!-- result: (?P<name>\S+) -->$")
#: A line that starts like a marker; the renderer's output catches the rest (a marker in
#: the middle of a paragraph is an HTML comment there, one in inline code is not).
LOOKS_LIKE_MARKER = re.compile(r"<!--\s*result\b", re.IGNORECASE)
_PREFIX = re.compile(r"^[ \t>]*")

#: Extensions a page is read with when no site configuration is given.
DEFAULT_EXTENSIONS = ("attr_list", "pymdownx.superfences")


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
    source: str  # the code, as the page shows it; it starts at line + 1
    title: str = ""
    verifies: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def code_line(self) -> int:
        return self.line + 1


@dataclass(frozen=True)
class ResultMarker:
    """A result marker, and the display equation after it: its LaTeX, and the file line on
    which that LaTeX starts (its first character, not the ``$$`` before it)."""

    name: str
    line: int
    equation: str | None = None
    equation_line: int = 0


@dataclass
class ParsedPage:
    blocks: list[Block]
    results: list[ResultMarker]
    problems: list[Problem]

    def equations(self) -> dict[str, tuple[str, int]]:
        """The displayed equation of each marked result: name -> (LaTeX, line where it starts)."""
        return {m.name: (m.equation, m.equation_line) for m in self.results if m.equation}


@dataclass(frozen=True)
class Fence:
    """A fence SuperFences accepted: 0-based line range of the normalised page, and its header."""

    start: int
    end: int  # one past the closing fence
    language: str
    classes: tuple[str, ...]
    options: dict[str, Any]
    attributes: dict[str, Any]
    source: str


class _LocatingFences(superfences.SuperFencesBlockPreprocessor):
    """SuperFences' own fence finder, recording each accepted fence instead of rendering it."""

    found: list[Fence]

    def process_nested_block(self, ws, content, start, end):  # noqa: ANN001 - SuperFences' API
        self.found.append(
            Fence(
                start,
                end,
                self.lang or "",
                tuple(self.classes),
                dict(self.options),
                dict(self.attrs) if self.attr_list else {},
                self.rebuild_block(self.code) + "\n",
            )
        )
        self.clear()


class BlockFinder:
    """Finds the derivation blocks and result markers of pages, configured like the site."""

    def __init__(
        self,
        extensions: Iterable[Any] = DEFAULT_EXTENSIONS,
        configs: Mapping[str, Any] | None = None,
    ) -> None:
        self.md = markdown.Markdown(extensions=list(extensions), extension_configs=configs or {})
        fenced = self.md.preprocessors["fenced_code_block"]
        if not isinstance(fenced, superfences.SuperFencesBlockPreprocessor):
            raise ValueError("derivation blocks need the pymdownx.superfences extension")
        self.locator = _LocatingFences(self.md)
        self.locator.config = fenced.config
        self.locator.extension = fenced.extension
        self.lock = threading.Lock()

    def fences(self, body: str) -> tuple[list[str], list[Fence]]:
        """The page's lines as SuperFences sees them, and the fences it accepts."""
        with self.lock:
            self.md.reset()
            lines = self.md.preprocessors["normalize_whitespace"].run(body.split("\n"))
            self.locator.found = []
            self.locator.run(list(lines))
            return lines, self.locator.found

    def parse(self, body: str, first_line: int = 1) -> ParsedPage:
        """All derivation blocks and result markers of a page, and what is malformed about them."""
        lines, fences = self.fences(body)
        blocks: list[Block] = []
        problems: list[Problem] = []
        inside: set[int] = set()
        for fence in fences:
            inside.update(range(fence.start, fence.end))
            if "derivation" not in fence.classes and fence.language != "derivation":
                continue
            line = first_line + fence.start
            if fence.language != "python":
                why = "a derivation block must be Python: write ```{.python .derivation}"
                problems.append(Problem(line, why))
                continue
            attributes = {str(k): str(v) for k, v in {**fence.attributes, **fence.options}.items()}
            blocks.append(
                Block(
                    index=len(blocks),
                    line=line,
                    end_line=first_line + fence.end - 1,
                    source=fence.source,
                    title=attributes.get("title", ""),
                    verifies=tuple(attributes.get("verifies", "").split()),
                    attributes=attributes,
                )
            )
        results = []
        for i, text in enumerate(lines):
            if i in inside:
                continue
            line = first_line + i
            problem = _header_problem(text, line)
            if problem:
                problems.append(problem)
            if not LOOKS_LIKE_MARKER.match(_PREFIX.sub("", text)):
                continue
            marker, problem = _marker(text, line)
            if problem:
                problems.append(problem)
            else:
                equation, equation_line = _equation_after(lines, i, first_line)
                results.append(ResultMarker(marker, line, equation, equation_line))
        problems += _duplicates(results)
        return ParsedPage(blocks, results, problems)


def _marker(text: str, line: int) -> tuple[str, Problem | None]:
    bare = _PREFIX.sub("", text).rstrip()
    match = _MARKER.match(bare)
    if match is None:
        if bare.endswith("-->"):
            why = "a result marker is written exactly <!-- result: name -->"
        else:
            why = "a result marker stands on a line of its own, just before its equation"
        return "", Problem(line, f"malformed result marker {bare!r}: {why}")
    name = match["name"]
    if not RESULT_NAME.match(name):
        return "", Problem(
            line, f"result name {name!r} is not valid: use letters, digits, '_', '-', '.', ':'"
        )
    return name, None


def _equation_after(lines: list[str], i: int, first_line: int) -> tuple[str | None, int]:
    """The LaTeX of the display a marker stands before, and the line on which that LaTeX starts.

    The display is ``$$ ... $$`` or a ``\\begin{...}`` environment on the next line. Markers
    stacked on consecutive lines before a table each take one row of it, in order: the row's
    cells that are wholly inline math, joined by ``\\qquad``.
    """
    prefix = _PREFIX.match(lines[i])[0]
    above = 0
    while i - above - 1 >= 0 and _is_marker_line(lines[i - above - 1]):
        above += 1
    j = i + 1
    while j < len(lines) and _is_marker_line(lines[j]):
        j += 1
    rows = []  # the lines that follow in the same container, up to the first blank one
    for text in itertools.islice(lines, j, None):
        if not text.startswith(prefix):
            break
        rows.append(text[len(prefix) :])
        if not rows[-1].strip():
            break
    if not rows:
        return None, 0
    opening = rows[0].strip()
    if opening.startswith("|"):
        return _table_row(rows, above, first_line + j)
    if j != i + 1:
        return None, 0  # a marker of a stack that is not before a table has no display
    if opening.startswith("$$"):
        return _dollars(rows, first_line + j)
    if opening.startswith("\\begin{"):
        environment = opening[len("\\begin{") :].split("}", 1)[0]
        for k, text in enumerate(rows):
            if not text.strip():
                return None, 0
            if f"\\end{{{environment}}}" in text:
                return "\n".join(r.strip() for r in rows[: k + 1]), first_line + j
    return None, 0


def _is_marker_line(text: str) -> bool:
    return bool(LOOKS_LIKE_MARKER.match(_PREFIX.sub("", text)))


def _dollars(rows: list[str], line: int) -> tuple[str | None, int]:
    collected = []
    for text in rows:
        if not text.strip():
            return None, 0
        collected.append(text.strip())
        math = "\n".join(collected)
        if len(math) >= 4 and math.endswith("$$"):
            inner = math[2:-2]
            skipped = inner[: len(inner) - len(inner.lstrip())].count("\n")
            return inner.strip(), line + skipped
    return None, 0


def _table_row(rows: list[str], k: int, line: int) -> tuple[str | None, int]:
    table = []
    for text in rows:
        if not text.strip().startswith("|"):
            break
        table.append(text.strip())
    if len(table) < 3 + k:
        return None, 0
    cells = [cell.strip() for cell in table[2 + k].strip("|").split("|")]
    math = [
        c[1:-1].strip() for c in cells if len(c) > 2 and c[0] == c[-1] == "$" and "$" not in c[1:-1]
    ]
    return (" \\qquad ".join(math), line + 2 + k) if math else (None, 0)


def _header_problem(text: str, line: int) -> Problem | None:
    """A fence header that names the derivation class but that SuperFences did not accept."""
    start = len(_PREFIX.match(text)[0])
    match = superfences.RE_NESTED_FENCE_START.match(text, start)
    if match is None or match.group("unrecognized"):
        return None
    header = " ".join(filter(None, (match.group(g) for g in ("lang", "attrs", "options"))))
    if "derivation" not in header:
        return None
    return Problem(
        line,
        "this fence names the derivation class, but the renderer does not read it as a "
        'derivation block: write ```{.python .derivation title="..." verifies="..."}',
    )


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


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_default_finder: BlockFinder | None = None


def parse_page(body: str, first_line: int = 1) -> ParsedPage:
    """Parse a page with the default extensions (attr_list and SuperFences)."""
    global _default_finder
    if _default_finder is None:
        _default_finder = BlockFinder()
    return _default_finder.parse(body, first_line)
