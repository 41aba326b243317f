"""Sharpness and cost of gradient checkers on the catalogue of correct and wrong VJPs.

Every checker judges the SAME claimed gradient (the catalogue's numpy ``vjp``) at the
SAME inputs: the inputs of ``Case.inputs(seed)`` are drawn exactly as ``derivations.check``
draws them for that seed (``materialise``), and the peers wrap the numpy forward and the
numpy VJP as a custom backward. A checker's verdict on one (case, seed) is

- ``pass``: it accepted the gradient;
- ``mismatch``: its own assertion rejected the gradient (GradientMismatch, GradcheckError,
  AssertionError);
- ``error``: it raised anything else (a shape or dtype it cannot handle, for instance).

A wrong gradient counts as caught when the verdict is not ``pass``; a correct one is a false
alarm when the verdict is not ``pass``. This module imports no peer: the peers live in
``benchmarks.peers`` and are loaded only when asked for.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from catalogue import CORRECT, WRONG, Case  # noqa: E402

from derivations import CheckFailure, check  # noqa: E402
from derivations._inputs import choose_wrt, draw_inputs, streams  # noqa: E402

PASS, MISMATCH, ERROR = "pass", "mismatch", "error"


@dataclass(frozen=True)
class Problem:
    """One catalogue case at one seed, with its inputs drawn as ``check`` draws them."""

    case: Case
    seed: int
    kwargs: dict[str, Any]  # what Case.inputs(seed) gave: shapes, arrays, constants
    values: dict[str, Any]  # the same with every shape drawn, as check draws it
    wrt: tuple[str, ...]  # the differentiated inputs: every float64 array

    @property
    def constants(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k not in self.wrt}


def materialise(case: Case, seed: int) -> Problem:
    """The inputs ``check(case.f, case.vjp, seed=seed, **case.inputs(seed))`` will use.

    ``check`` draws every shape, in keyword order, from the input stream of its seed
    (``streams(seed)[0]``) before anything else; the same call here gives the same arrays.
    """
    kwargs = case.inputs(seed)
    values = draw_inputs(kwargs, streams(seed)[0])
    return Problem(case, seed, kwargs, values, choose_wrt(values, None))


def claimed_gradients(out: Any, wrt: tuple[str, ...]) -> list[Any]:
    """A catalogue VJP's answer as a list in ``wrt`` order (dict, tuple or single array)."""
    if isinstance(out, Mapping):
        return [out[name] for name in wrt]
    if isinstance(out, (tuple, list)):
        if len(out) == len(wrt):
            return list(out)
        raise TypeError(f"vjp returned {len(out)} results for {len(wrt)} inputs")
    if len(wrt) == 1:
        return [out]
    raise TypeError(f"vjp returned one result for {len(wrt)} inputs")


# -- checkers --------------------------------------------------------------------------

#: A checker takes a Problem and returns nothing (accepted) or raises.
Checker = Callable[[Problem], None]
#: Exceptions that mean "the checker rejected the gradient" (its own assertion).
MismatchTypes = tuple[type[BaseException], ...]


@dataclass(frozen=True)
class CheckerSpec:
    name: str
    label: str  # how the report names it
    make: Callable[[], tuple[Checker, MismatchTypes]]
    note: str = ""
    #: called after each case, outside the timing (a peer's caches of compiled functions)
    reset: Callable[[], None] | None = None


def _derivations_checker() -> tuple[Checker, MismatchTypes]:
    def run(problem: Problem) -> None:
        check(problem.case.f, problem.case.vjp, seed=problem.seed, **problem.kwargs)

    return run, (CheckFailure,)


DERIVATIONS = CheckerSpec(
    "derivations",
    "`derivations.check`",
    _derivations_checker,
    "complex step (tol 1e-12) or adaptive 5-point stencil (tol 1e-8); 2 random directions",
)


def peer_specs() -> list[CheckerSpec]:
    """The peers; importing them needs torch and jax (the benchmark venv)."""
    from . import peers

    return peers.SPECS


# -- running ---------------------------------------------------------------------------


@dataclass
class CaseResult:
    """One checker on one case, over several seeds."""

    case: str
    correct: bool
    verdicts: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # first line of the first non-pass

    @property
    def non_pass(self) -> int:
        return sum(v != PASS for v in self.verdicts)

    @property
    def caught_every_seed(self) -> bool:
        return all(v != PASS for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "correct": self.correct,
            "verdicts": self.verdicts,
            "seconds": self.seconds,
            "messages": self.messages,
        }


def run_one(checker: Checker, mismatch: MismatchTypes, problem: Problem) -> tuple[str, float, str]:
    """Time one check; return its verdict, seconds and (for a non-pass) its message."""
    start = time.perf_counter()
    try:
        checker(problem)
    except mismatch as exc:
        return MISMATCH, time.perf_counter() - start, _headline(exc)
    except Exception as exc:  # noqa: BLE001 - any other failure is the verdict "error"
        return ERROR, time.perf_counter() - start, f"{type(exc).__name__}: {_headline(exc)}"
    return PASS, time.perf_counter() - start, ""


def _headline(exc: BaseException) -> str:
    """The first line of the message, or its last when the first only announces a traceback."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    line = lines[-1] if "Traceback" in lines[0] else lines[0]
    return line[:200]


def run_cases(
    checker: Checker,
    mismatch: MismatchTypes,
    cases: Iterable[Case],
    seeds: Iterable[int],
    *,
    correct: bool,
    warmup: bool = True,
    reset: Callable[[], None] | None = None,
) -> list[CaseResult]:
    """Every case at every seed; the first call of each case is repeated untimed if warmup.

    ``reset`` runs after every case, untimed.
    """
    seeds = list(seeds)
    results = []
    for case in cases:
        result = CaseResult(case.name, correct)
        if warmup and seeds:
            run_one(checker, mismatch, materialise(case, seeds[0]))
        for seed in seeds:
            problem = materialise(case, seed)
            verdict, seconds, message = run_one(checker, mismatch, problem)
            result.verdicts.append(verdict)
            result.seconds.append(seconds)
            if verdict != PASS and not result.messages:
                result.messages.append(message)
        results.append(result)
        if reset:
            reset()
    return results


@dataclass
class CheckerSummary:
    name: str
    label: str
    note: str
    correct: list[CaseResult]
    wrong: list[CaseResult]
    total_seconds: float

    @property
    def wrong_caught(self) -> int:
        """Wrong cases caught at every seed tried."""
        return sum(r.caught_every_seed for r in self.wrong)

    @property
    def wrong_caught_by_error(self) -> list[str]:
        return [r.case for r in self.wrong if r.caught_every_seed and ERROR in r.verdicts]

    @property
    def wrong_missed(self) -> list[str]:
        return [r.case for r in self.wrong if not r.caught_every_seed]

    @property
    def false_alarms(self) -> int:
        return sum(r.non_pass for r in self.correct)

    @property
    def false_alarm_cases(self) -> list[str]:
        return [r.case for r in self.correct if r.non_pass]

    @property
    def correct_runs(self) -> int:
        return sum(len(r.verdicts) for r in self.correct)

    def median_seconds(self, which: str = "all") -> float:
        rows = {"all": self.correct + self.wrong, "correct": self.correct, "wrong": self.wrong}
        times = [t for r in rows[which] for t in r.seconds]
        return statistics.median(times) if times else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "note": self.note,
            "total_seconds": self.total_seconds,
            "correct": [r.to_dict() for r in self.correct],
            "wrong": [r.to_dict() for r in self.wrong],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckerSummary:
        def rows(items):
            return [
                CaseResult(r["case"], r["correct"], r["verdicts"], r["seconds"], r["messages"])
                for r in items
            ]

        return cls(
            data["name"],
            data["label"],
            data["note"],
            rows(data["correct"]),
            rows(data["wrong"]),
            data["total_seconds"],
        )


def measure(
    spec: CheckerSpec,
    *,
    correct_seeds: Iterable[int] = range(200),
    wrong_seeds: Iterable[int] = range(20),
    correct_cases: list[Case] | None = None,
    wrong_cases: list[Case] | None = None,
    progress: Callable[[str], None] | None = None,
) -> CheckerSummary:
    """One checker over the catalogue: false alarms on CORRECT, catches on WRONG, times."""
    checker, mismatch = spec.make()
    start = time.perf_counter()
    wrong = run_cases(
        checker, mismatch, wrong_cases or WRONG, wrong_seeds, correct=False, reset=spec.reset
    )
    if progress:
        progress(f"{spec.name}: wrong cases done in {time.perf_counter() - start:.1f} s")
    correct = run_cases(
        checker, mismatch, correct_cases or CORRECT, correct_seeds, correct=True, reset=spec.reset
    )
    total = time.perf_counter() - start
    if progress:
        progress(f"{spec.name}: all cases done in {total:.1f} s")
    return CheckerSummary(spec.name, spec.label, spec.note, correct, wrong, total)


def run(
    *,
    with_peers: bool,
    correct_seeds: int = 200,
    wrong_seeds: int = 20,
    progress: Callable[[str], None] | None = None,
) -> list[CheckerSummary]:
    specs = [DERIVATIONS] + (peer_specs() if with_peers else [])
    return [
        measure(
            spec,
            correct_seeds=range(correct_seeds),
            wrong_seeds=range(wrong_seeds),
            progress=progress,
        )
        for spec in specs
    ]
