"""Sharpness and cost of a gradient checker on the catalogue of correct and wrong VJPs.

Every checker judges the catalogue's numpy ``vjp`` at the inputs ``derivations.check`` draws
for the seed (``materialise``; a test holds ``check`` to it). A verdict is ``pass``,
``mismatch`` (the checker's own comparison rejected the gradient) or ``error`` (it raised
anything else, on a shape or dtype it cannot handle, say). A wrong gradient is caught, and a
correct one a false alarm, when the verdict is not ``pass``. ``benchmarks.peers`` builds on
this module, never the other way round.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from catalogue import CORRECT, WRONG, Case

from derivations import CheckFailure, check, drawn_inputs

PASS, MISMATCH, ERROR = "pass", "mismatch", "error"


@dataclass(frozen=True)
class Problem:
    """One catalogue case at one seed, with its inputs drawn as ``check`` draws them."""

    case: Case
    seed: int
    kwargs: dict[str, Any]  # what Case.inputs(seed) gave: shapes, arrays, constants
    values: dict[str, Any]  # the same with every shape drawn
    wrt: tuple[str, ...]  # the differentiated inputs: every float64 array

    @property
    def constants(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in self.wrt}


def draw(kwargs: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The inputs with every shape tuple replaced by the array check draws for it."""
    return drawn_inputs(seed, **kwargs)


def materialise(case: Case, seed: int) -> Problem:
    """The inputs ``check(case.f, case.vjp, seed=seed, **case.inputs(seed))`` evaluates at."""
    kwargs = case.inputs(seed)
    values = draw(kwargs, seed)
    wrt = tuple(k for k, v in values.items() if isinstance(v, np.ndarray) and v.dtype == np.float64)
    return Problem(case, seed, kwargs, values, wrt)


def claimed_gradients(out: Any, wrt: tuple[str, ...]) -> list[Any]:
    """A catalogue VJP's answer as a list in ``wrt`` order (dict, tuple or single array)."""
    if isinstance(out, Mapping):
        return [out[name] for name in wrt]
    results = list(out) if isinstance(out, (tuple, list)) else [out]
    if len(results) != len(wrt):
        raise TypeError(f"vjp returned {len(results)} results for {len(wrt)} inputs")
    return results


@dataclass(frozen=True)
class CheckerSpec:
    """A checker as the benchmark runs it, and the exceptions by which it rejects a gradient."""

    name: str
    label: str  # how the report names it
    run: Callable[[Problem], None]  # returns when it accepts the gradient, else raises
    mismatch: tuple[type[BaseException], ...]
    reset: Callable[[], None] | None = None  # run after each case, untimed (a peer's caches)


def _derivations(problem: Problem) -> None:
    check(problem.case.f, problem.case.vjp, seed=problem.seed, **problem.kwargs)


DERIVATIONS = CheckerSpec("derivations", "`derivations.check`", _derivations, (CheckFailure,))


def run_one(spec: CheckerSpec, problem: Problem | None) -> tuple[str, float, str]:
    """Time one check; return its verdict, its seconds and (unless it passed) its message."""
    start = time.perf_counter()
    try:
        spec.run(problem)
    except spec.mismatch as exc:
        return MISMATCH, time.perf_counter() - start, _headline(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure is the verdict "error"
        return ERROR, time.perf_counter() - start, f"{type(exc).__name__}: {_headline(exc)}"
    return PASS, time.perf_counter() - start, ""


def _headline(exc: BaseException) -> str:
    """The first line of the message, or its last when the first only announces a traceback."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return (lines[-1] if "Traceback" in lines[0] else lines[0])[:200]


def measure(
    spec: CheckerSpec,
    *,
    correct_seeds: Iterable[int],
    wrong_seeds: Iterable[int],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One checker over the catalogue: the verdict and seconds of every (case, seed).

    The first call of each case is repeated untimed, as a warm-up.
    """
    start, found = time.perf_counter(), {}
    for kind, cases, seeds in (("wrong", WRONG, wrong_seeds), ("correct", CORRECT, correct_seeds)):
        found[kind], seeds = [], list(seeds)
        for case in cases:
            run_one(spec, materialise(case, seeds[0]))
            runs = [run_one(spec, materialise(case, seed)) for seed in seeds]
            verdicts, seconds, messages = zip(*runs, strict=True)
            first = [m for v, m in zip(verdicts, messages, strict=True) if v != PASS][:1]
            row = {"case": case.name, "verdicts": [*verdicts], "seconds": [*seconds]}
            found[kind].append({**row, "messages": first})
            if spec.reset:
                spec.reset()
    total = time.perf_counter() - start
    if progress:
        progress(f"{spec.name}: the catalogue in {total:.1f} s")
    return {"name": spec.name, "label": spec.label, "total_seconds": total, **found}


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """One checker's ``measure`` results with the counts and medians the report gives."""

    def judged(row: dict[str, Any]) -> dict[str, Any]:
        non_pass = sum(v != PASS for v in row["verdicts"])
        caught = non_pass == len(row["verdicts"])  # at every seed
        return {**row, "caught": caught, "non_pass": non_pass, "raised": ERROR in row["verdicts"]}

    wrong, correct = [*map(judged, data["wrong"])], [*map(judged, data["correct"])]

    def median(rows: list[dict[str, Any]]) -> float:
        return statistics.median([t for r in rows for t in r["seconds"]] or [float("nan")])

    return {
        **data,
        "wrong": wrong,
        "correct": correct,
        "wrong_caught": sum(r["caught"] for r in wrong),
        "wrong_missed": [r["case"] for r in wrong if not r["caught"]],
        "by_error": sum(r["caught"] and r["raised"] for r in wrong),
        "false_alarms": sum(r["non_pass"] for r in correct),
        "correct_runs": sum(len(r["verdicts"]) for r in correct),
        "median": median(wrong + correct),
        "median_correct": median(correct),
        "median_wrong": median(wrong),
    }
