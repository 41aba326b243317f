"""Verifying a page: run its derivation blocks (or take them from the cache) and bind results.

This is the whole job of a documentation tool integration, minus the rendering:
``verify_page`` takes a page's Markdown and returns what ran, what passed, which
results are verified by which block, and every problem with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import Block, Problem, ResultMarker, parse_page
from .cache import OutcomeCache, block_keys
from .runner import DEFAULT_TIMEOUT, BlockOutcome, run_blocks


@dataclass
class PageVerification:
    """Everything known about the derivations of one page after verifying it."""

    path: str
    blocks: list[Block]
    outcomes: list[BlockOutcome]
    results: list[ResultMarker]
    problems: list[Problem] = field(default_factory=list)

    @property
    def verified(self) -> dict[str, int]:
        """Result name -> index of the first block verifying it, when every such block passed."""
        known = {marker.name for marker in self.results}
        verified: dict[str, int] = {}
        failed: set[str] = set()
        for block, outcome in zip(self.blocks, self.outcomes, strict=True):
            for name in block.verifies:
                if not outcome.passed:
                    failed.add(name)
                elif name in known:
                    verified.setdefault(name, block.index)
        return {name: index for name, index in verified.items() if name not in failed}

    def records(self) -> list[dict[str, Any]]:
        """One record per check run on the page, for machine-readable reports."""
        rows = []
        for block, outcome in zip(self.blocks, self.outcomes, strict=True):
            for report in outcome.reports:
                rows.append(
                    {
                        "page": self.path,
                        "line": report["line"],
                        "block_line": block.line,
                        "block": block.index,
                        "title": block.title,
                        "results": list(block.verifies),
                        "kind": report["kind"],
                        "function": report["function"],
                        "inputs": report["inputs"],
                        "wrt": report["wrt"],
                        "output_shape": report["output_shape"],
                        "method": report["method"],
                        "error": report["error"],
                        "tolerance": report["tolerance"],
                        "passed": report["passed"],
                        "caught": not report["passed"] and outcome.passed,
                        "constants": report.get("constants", {}),
                        "seconds": report["seconds"],
                        "evaluations": report["evaluations"],
                        "cached": outcome.cached,
                    }
                )
        return rows


def verify_page(
    path: str,
    text: str,
    *,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cache: OutcomeCache | None = None,
    fingerprint: str = "",
    rerun: bool = False,
) -> PageVerification:
    """Run (or recall) every derivation block of a page and bind its results to them.

    ``path`` names the page in messages and tracebacks, relative to ``cwd``.
    """
    parsed = parse_page(text)
    blocks = parsed.blocks
    outcomes = _recall(blocks, cache, fingerprint, timeout) if cache and not rerun else None
    if outcomes is None:
        outcomes = run_blocks(path, blocks, timeout=timeout, cwd=cwd)
        if cache is not None:
            _remember(blocks, outcomes, cache, fingerprint, timeout)
    page = PageVerification(path, blocks, outcomes, parsed.results, list(parsed.problems))
    for outcome in outcomes:
        page.problems += outcome.problems
    page.problems += _binding_problems(page)
    page.problems.sort(key=lambda p: p.line)
    return page


def unverified_page(path: str, text: str) -> PageVerification:
    """A page as it is when checks are switched off: its blocks, none of them run."""
    parsed = parse_page(text)
    outcomes = [BlockOutcome("not run") for _ in parsed.blocks]
    return PageVerification(path, parsed.blocks, outcomes, parsed.results)


def _recall(blocks, cache, fingerprint, timeout) -> list[BlockOutcome] | None:
    outcomes = []
    for block, key in zip(blocks, block_keys(blocks, fingerprint, timeout), strict=True):
        entry = cache.get(key)
        if entry is None:
            return None
        reports = [dict(r, line=block.code_line + r["offset"]) for r in entry["reports"]]
        outcomes.append(BlockOutcome("passed", reports, [], entry["seconds"], cached=True))
    return outcomes


def _remember(blocks, outcomes, cache, fingerprint, timeout) -> None:
    for block, outcome, key in zip(
        blocks, outcomes, block_keys(blocks, fingerprint, timeout), strict=True
    ):
        if outcome.passed:
            reports = [dict(r, offset=r["line"] - block.code_line) for r in outcome.reports]
            cache.put(key, {"reports": reports, "seconds": outcome.seconds})


def _binding_problems(page: PageVerification) -> list[Problem]:
    """Results nobody verifies, and blocks that claim results nobody marked."""
    problems = []
    known = {marker.name for marker in page.results}
    claimed = {name for block in page.blocks for name in block.verifies}
    for block in page.blocks:
        for name in block.verifies:
            if name not in known:
                problems.append(
                    Problem(
                        block.line,
                        (
                            f"block verifies {name!r}, but no equation on this page is marked "
                            f"<!-- result: {name} -->"
                        ),
                    )
                )
    for marker in page.results:
        if marker.name not in claimed:
            problems.append(
                Problem(
                    marker.line,
                    (
                        f"result {marker.name!r} is not verified: no derivation block says "
                        f'verifies="{marker.name}"'
                    ),
                )
            )
    return problems
