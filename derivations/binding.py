"""Which checks prove which results: the verdict rules.

A block lists the results it proves (``verifies="a b"`` in its header); each check
in it proves some of them. A check says which with its own ``verifies=``; when it
does not, it proves the block's result if the block lists exactly one, and a block
that lists several must say, check by check. A result is verified when every block
listing it passed and each has a passing check attributed to it. Checks run inside
``expect_mismatch()`` are demonstrations: they prove nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .blocks import Block, Problem, ResultMarker, did_you_mean


@dataclass
class Binding:
    """Result name -> the (block index, report index) of every check that proves it."""

    proofs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def bind(
    blocks: Sequence[Block],
    outcomes: Sequence,
    results: Sequence[ResultMarker],
    subjects: Mapping[str, tuple[str, ...]] | None = None,
) -> Binding:
    """Which checks prove which results, and what is wrong with the attributions. ``subjects``
    (result name -> what its equation differentiates by, ``subjects_of``) may come from a cache."""
    known = [marker.name for marker in results]
    if subjects is None:
        subjects = {marker.name: subjects_of(marker.equation) for marker in results}
    binding = Binding()
    sound: dict[str, bool] = {}
    for block, outcome in zip(blocks, outcomes, strict=True):
        proven: dict[str, list[tuple[int, int]]] = {}
        problems = []
        for i, report in enumerate(outcome.reports):
            for name in _attributed(block, report, problems):
                if report["passed"]:
                    proven.setdefault(name, []).append((block.index, i))
        for name in block.verifies:
            if name not in known:
                problems.append(
                    Problem(
                        block.line,
                        f"block verifies {name!r}, but no equation on this page is marked "
                        f"<!-- result: {name} -->{did_you_mean(name, known)}",
                    )
                )
            elif outcome.passed and name not in proven:
                problems.append(
                    Problem(
                        block.line,
                        f"block lists {name!r} in verifies=, but none of its checks proves it: "
                        f'pass verifies="{name}" to the check that does',
                    )
                )
        binding.problems += problems
        for name in block.verifies:
            ok = outcome.passed and not problems and name in proven
            sound[name] = sound.get(name, True) and ok
            if ok:
                binding.proofs.setdefault(name, []).extend(proven[name])
    reports_of = {id(o): o.reports for o in outcomes}
    by_block = {
        block.index: reports_of[id(outcome)]
        for block, outcome in zip(blocks, outcomes, strict=True)
    }
    for marker in results:
        proofs = binding.proofs.get(marker.name, [])
        reports = [by_block[b][i] for b, i in proofs]
        for subject in subjects.get(marker.name, ()) if proofs else ():
            if not any(_differentiates(r, subject) for r in reports):
                binding.problems.append(
                    Problem(
                        marker.line,
                        f"result {marker.name!r} is a derivative by {subject}, but no check "
                        f"attributed to it differentiates {subject}: attribute a check whose "
                        f"wrt includes {subject}, or check_equation({marker.name!r}, ...)",
                    )
                )
                sound[marker.name] = False
    for marker in results:
        if marker.name not in sound:
            binding.problems.append(
                Problem(
                    marker.line,
                    f"result {marker.name!r} is not verified: no derivation block says "
                    f'verifies="{marker.name}"',
                )
            )
    binding.proofs = {
        name: proofs for name, proofs in binding.proofs.items() if sound.get(name) and name in known
    }
    return binding


def _attributed(block: Block, report: dict, problems: list[Problem]) -> tuple[str, ...]:
    """The results a check proves, with a problem for every attribution that does not hold."""
    said = report.get("verifies")
    listed = block.verifies
    if report.get("expected"):
        if said:
            problems.append(
                Problem(
                    report["line"],
                    "a check inside expect_mismatch() demonstrates a failure and proves "
                    "nothing: remove its verifies=",
                )
            )
        return ()
    if said is None:
        if len(listed) > 1:
            names = ", ".join(map(repr, listed))
            problems.append(
                Problem(
                    report["line"],
                    f"this block verifies {names}: say which this check proves with "
                    f'verifies="..." (or verifies=() if it proves none of them)',
                )
            )
            return ()
        return tuple(listed)
    attributed = []
    for name in said:
        if name in listed:
            attributed.append(name)
        else:
            problems.append(
                Problem(
                    report["line"],
                    f"check verifies {name!r}, but its block does not list it in "
                    f"verifies={did_you_mean(name, listed)}",
                )
            )
    return tuple(attributed)


@functools.lru_cache(maxsize=4096)
def subjects_of(latex: str | None) -> tuple[str, ...]:
    """The variables a result is a derivative by: X for every relation whose left side is
    ``\\frac{\\partial L}{\\partial X}`` or ``\\frac{\\partial y}{\\partial X}``."""
    if not latex or "\\partial" not in latex and "\\frac{d" not in latex:
        return ()
    from .equations import EquationError, parse_equation

    try:
        relations = parse_equation(latex).relations
    except EquationError:
        return ()
    except Exception:  # noqa: BLE001 - a parser bug must not stop the build; check_equation reports it
        return ()
    derivatives = (relation.sides[0].derivative for relation in relations)
    return tuple(dict.fromkeys(d.denominator.name for d in derivatives if d is not None))


def _differentiates(report: dict, subject: str) -> bool:
    """Whether a check compared a derivative by ``subject`` (an input named like it)."""
    if report["kind"] == "equation":
        return True
    if report["kind"] not in ("vjp", "jacobian"):
        return False
    swapped = subject[:1].swapcase() + subject[1:]
    return any(name in (subject, swapped) for name in report["wrt"])


def not_evaluated_reason(latex: str | None) -> str:
    """Why a result's LaTeX was not evaluated: what stands in the way, in a sentence."""
    if latex is None:
        return "no display equation follows its marker"
    from .equations import EquationError, parse_equation

    try:
        parse_equation(latex)
    except EquationError as error:
        return f"its LaTeX is outside the notation the build evaluates: {error.message}"
    except Exception as error:  # noqa: BLE001 - a parser bug is reported, not a crash
        return f"the equation parser failed on it ({type(error).__name__}: {error})"
    return "no check_equation evaluates it: it is proven by the code checks bound to it"
