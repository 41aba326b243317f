"""Verifying a page: run its derivation blocks (or take them from the cache) and bind results.

This is the whole job of a documentation tool integration, minus the rendering:
``verify_page`` takes a page's Markdown and returns what ran, what passed, which
results are verified by which checks, and every problem with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .binding import bind, not_evaluated_reason, subjects_of
from .blocks import Block, BlockFinder, ParsedPage, Problem, ResultMarker, parse_page
from .cache import OutcomeCache, block_keys, equations_key, files_unchanged, hashes_of
from .runner import DEFAULT_MEMORY_GIB, DEFAULT_TIMEOUT, BlockOutcome, run_blocks


@dataclass
class PageVerification:
    """Everything known about the derivations of one page after verifying it."""

    path: str
    blocks: list[Block]
    outcomes: list[BlockOutcome]
    results: list[ResultMarker]
    problems: list[Problem] = field(default_factory=list)
    #: Result name -> (block index, report index) of each check proving it.
    proofs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: Result name -> why its LaTeX was not evaluated (``not_evaluated_reason``), when known.
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def verified(self) -> dict[str, int]:
        """Result name -> index of the first block whose checks prove it."""
        return {name: proofs[0][0] for name, proofs in self.proofs.items()}

    def proving_reports(self, name: str) -> list[dict[str, Any]]:
        return [self.outcomes[b].reports[r] for b, r in self.proofs.get(name, [])]

    def evaluated(self, name: str) -> bool:
        """Whether result ``name`` was proven from its displayed LaTeX (by check_equation)."""
        return any(r["kind"] == "equation" for r in self.proving_reports(name))

    def result_records(self) -> list[dict[str, Any]]:
        """One record per result marker: where it is, whether it was proven, and how."""
        rows = []
        for marker in self.results:
            reports = self.proving_reports(marker.name)
            equations = [r for r in reports if r["kind"] == "equation"]
            row = {
                "page": self.path,
                "line": marker.line,
                "name": marker.name,
                "verified": marker.name in self.proofs,
                "evaluated": bool(equations),
                "relations": max((r.get("relations", 0) for r in equations), default=0),
            }
            if not equations:
                ran = any(o.status != "not run" for o in self.outcomes)
                row["reason"] = (
                    self.reasons.get(marker.name) or not_evaluated_reason(marker.equation)
                    if ran
                    else "not checked in this build"
                )
            rows.append(row)
        return rows

    def fail_everything(self, problems: list[Problem]) -> None:
        """Something makes every verdict of the page untrustworthy: nothing on it is verified."""
        self.problems = sorted(self.problems + problems, key=lambda p: p.line)
        self.proofs = {}

    def records(self) -> list[dict[str, Any]]:
        """One record per check run on the page, for machine-readable reports."""
        proves: dict[tuple[int, int], list[str]] = {}
        for name, proofs in self.proofs.items():
            for proof in proofs:
                proves.setdefault(proof, []).append(name)
        rows = []
        for block, outcome in zip(self.blocks, self.outcomes, strict=True):
            for i, report in enumerate(outcome.reports):
                rows.append(
                    {
                        "page": self.path,
                        "line": report["line"],
                        "block_line": block.line,
                        "block": block.index,
                        "title": block.title,
                        "results": proves.get((block.index, i), []),
                        "kind": report["kind"],
                        "function": report["function"],
                        "inputs": report["inputs"],
                        "wrt": report["wrt"],
                        "output_shape": report["output_shape"],
                        "method": report["method"],
                        "error": report["error"],
                        "tolerance": report["tolerance"],
                        "passed": report["passed"],
                        "expected": report["expected"],
                        "notes": report["notes"],
                        "constants": report.get("constants", {}),
                        "seconds": report["seconds"],
                        "evaluations": report["evaluations"],
                        "cached": outcome.cached,
                    }
                )
        return rows


def verify_page(
    path: str,
    body: str,
    *,
    first_line: int = 1,
    cwd: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_gib: float = DEFAULT_MEMORY_GIB,
    docs_dir: Path | None = None,
    cache: OutcomeCache | None = None,
    fingerprint: str = "",
    rerun: bool = False,
    finder: BlockFinder | None = None,
    parsed: ParsedPage | None = None,
) -> PageVerification:
    """Run (or recall) every derivation block of a page and bind its results to its checks.

    ``path`` names the page in messages and tracebacks, relative to ``cwd``; ``body``
    is its Markdown without front matter, starting at line ``first_line`` of the file.
    ``parsed`` is the page as ``finder`` (or ``parse_page``) reads it, when already read.
    """
    if parsed is None:
        parsed = finder.parse(body, first_line) if finder else parse_page(body, first_line)
    blocks = parsed.blocks
    equations = parsed.equations()
    settings = f"timeout {timeout} memory {memory_gib} docs {docs_dir} equations {equations}"
    keys = block_keys(blocks, fingerprint, settings)
    outcomes = _recall(blocks, keys, cache) if cache and not rerun else None
    facts: dict[str, dict[str, Any]] = {}
    if outcomes is None:
        run = run_blocks(
            path,
            blocks,
            timeout=timeout,
            cwd=cwd,
            memory_gib=memory_gib,
            docs_dir=docs_dir,
            equations=equations,
        )
        outcomes, facts = run.outcomes, run.facts
        if cache is not None:
            _remember(blocks, keys, outcomes, cache)
    page = PageVerification(path, blocks, outcomes, parsed.results, list(parsed.problems))
    for outcome in outcomes:
        page.problems += outcome.problems
    subjects = _subjects(parsed.results, cache, fingerprint, facts.get("subjects", {}))
    binding = bind(blocks, outcomes, parsed.results, subjects)
    page.problems += binding.problems
    page.proofs = {} if parsed.problems else binding.proofs
    page.problems.sort(key=lambda p: p.line)
    unread = [m for m in parsed.results if not page.evaluated(m.name)]
    known = facts.get("reasons", {})
    reasons = _memo(cache, fingerprint, "reasons", unread, not_evaluated_reason, known)
    page.reasons = {m.name: reason for m, reason in zip(unread, reasons, strict=True)}
    return page


def unverified_page(
    path: str,
    body: str,
    *,
    first_line: int = 1,
    finder: BlockFinder | None = None,
    parsed: ParsedPage | None = None,
) -> PageVerification:
    """A page as it is when checks are switched off: its blocks, none of them run."""
    if parsed is None:
        parsed = finder.parse(body, first_line) if finder else parse_page(body, first_line)
    outcomes = [BlockOutcome("not run") for _ in parsed.blocks]
    return PageVerification(path, parsed.blocks, outcomes, parsed.results)


def _subjects(results, cache: OutcomeCache | None, fingerprint: str, known: dict) -> dict:
    """What each result's equation differentiates by, recalled when the equations are unchanged
    (reading them is most of what a build with every block recalled pays for)."""
    subjects = _memo(cache, fingerprint, "subjects", results, subjects_of, known)
    return {m.name: tuple(s) for m, s in zip(results, subjects, strict=True)}


def _memo(cache: OutcomeCache | None, fingerprint: str, kind: str, markers, compute, known) -> list:
    """``compute(latex)`` for each marker's equation, recalled from the cache when the same
    equations were read before by the same engine, or taken from ``known`` (result name ->
    value), what the page's process computed, so that the build process need not parse."""
    names = [m.name for m in markers]
    if cache is not None:
        key = equations_key(f"{fingerprint} {kind}", [m.equation for m in markers])
        entry = cache.get(key, fields=frozenset({"names", "values"}))
        if entry is not None and entry.get("names") == names:
            return entry["values"]
    values = [known[m.name] if m.name in known else compute(m.equation) for m in markers]
    if cache is not None:
        cache.put(key, {"names": names, "values": values})
    return values


def _recall(blocks, keys, cache) -> list[BlockOutcome] | None:
    """Every block's passing outcome from the cache, or None if any is missing or stale."""
    outcomes = []
    for block, key in zip(blocks, keys, strict=True):
        entry = cache.get(key)
        if entry is None or not files_unchanged(entry["reads"]):
            return None
        reports = [dict(r, line=block.code_line + r["offset"]) for r in entry["reports"]]
        outcomes.append(
            BlockOutcome("passed", reports, [], entry["seconds"], True, list(entry["reads"]))
        )
    return outcomes


def _remember(blocks, keys, outcomes, cache) -> None:
    for block, key, outcome in zip(blocks, keys, outcomes, strict=False):
        if outcome.passed:
            reports = [dict(r, offset=r["line"] - block.code_line) for r in outcome.reports]
            entry = {"reports": reports, "seconds": outcome.seconds}
            cache.put(key, dict(entry, reads=hashes_of(outcome.reads)))
