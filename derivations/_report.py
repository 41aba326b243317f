"""What a check found: the report it returns, and the exceptions it raises.

Every message about a check is formatted here and nowhere else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

#: How messages and pages name each kind of check.
KIND_NAMES = {
    "vjp": "gradient",
    "jacobian": "Jacobian",
    "identity": "identity",
    "equation": "equation",
}


@dataclass(frozen=True)
class Element:
    """The worst-disagreeing element of a gradient, Jacobian or identity."""

    name: str
    index: tuple[int, ...]
    claimed: float
    numerical: float

    @property
    def label(self) -> str:
        if not self.index:
            return self.name
        return f"{self.name}[{', '.join(str(i) for i in self.index)}]"


@dataclass
class CheckReport:
    """The outcome of one check: what was compared, how, and how closely it agreed.

    ``error`` is the achieved error in the check's own normalisation (see the
    module documentation of ``derivations``); the check passes when
    ``error <= tolerance`` and every step-free property held.
    """

    kind: str  # "vjp", "jacobian" or "identity"
    function: str
    method: str
    error: float
    tolerance: float
    inputs: dict[str, tuple[int, ...]]
    wrt: tuple[str, ...]
    output_shape: tuple[int, ...]
    evaluations: int
    seconds: float
    seed: int
    passed: bool = True
    problem: str = ""
    constants: dict[str, str] = field(default_factory=dict)
    worst: Element | None = None
    #: The results this check proves, as the author attributed them (None: not said).
    verifies: tuple[str, ...] | None = None
    #: Run inside ``expect_mismatch()``: a demonstration, never a proof.
    expected: bool = False
    #: What a reader should know about the inputs (degenerate shapes, for example).
    notes: list[str] = field(default_factory=list)
    #: For an equation: how many relations it states, and where its LaTeX is (file, line).
    relations: int = 0
    location: tuple[str, int] | None = None
    #: The frames of the code that called the check, innermost last: (file, line).
    stack: tuple[tuple[str, int], ...] = field(default=(), repr=False)

    def summary(self) -> str:
        """One line a reader can take in at a glance."""
        what = KIND_NAMES[self.kind]
        subject = f"{what} of {self.function}"
        if self.kind != "identity" and self.wrt:
            subject += " for " + ", ".join(
                f"{name} {format_shape(self.inputs[name])}" for name in self.wrt
            )
        if self.constants:
            subject += " with " + ", ".join(f"{k}={v}" for k, v in self.constants.items())
        verdict = "<=" if self.error <= self.tolerance else ">"
        return (
            f"{subject}: {self.method}, error {self.error:.1e} {verdict} "
            f"tolerance {self.tolerance:.0e}"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["inputs"] = {k: list(v) for k, v in self.inputs.items()}
        data["wrt"] = list(self.wrt)
        data["output_shape"] = list(self.output_shape)
        if self.worst is not None:
            data["worst"]["index"] = list(self.worst.index)
        if self.verifies is not None:
            data["verifies"] = list(self.verifies)
        data.pop("stack")
        return data


def format_shape(shape: Sequence[int]) -> str:
    """A shape as Python writes a tuple: (3, 4), (5,) or ()."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(n) for n in shape) + ")"


class CheckFailure(AssertionError):
    """A check found that a claimed result is wrong. Carries the report."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report
        super().__init__(describe_failure(report))


class GradientMismatch(CheckFailure):
    """A claimed gradient or Jacobian disagrees with the numerical derivative."""


class IdentityMismatch(CheckFailure):
    """Two expressions claimed equal evaluate to different values."""


class EquationMismatch(CheckFailure):
    """A displayed equation does not hold: its LaTeX, evaluated, disagrees with itself."""


def describe_failure(report: CheckReport) -> str:
    """The message of a failed check: a headline, then indented detail."""
    lines = [report.problem]
    if math.isfinite(report.error):
        lines.append(
            f"  error {report.error:.2e} > tolerance {report.tolerance:.0e} ({report.method})"
        )
    worst = report.worst
    if worst is not None and report.kind == "equation":
        diff = abs(worst.claimed - worst.numerical)
        lines.append(
            f"  worst element {worst.name}: this side {worst.claimed:.17g}, "
            f"left side {worst.numerical:.17g} (abs diff {diff:.2e})"
        )
        worst = None
    if report.location and report.location[0]:
        lines.append(f"  equation at {report.location[0]}:{report.location[1]}")
    if worst is not None:
        left, right = ("lhs", "rhs") if report.kind == "identity" else ("claimed", "numerical")
        diff = abs(worst.claimed - worst.numerical)
        scale = max(abs(worst.claimed), abs(worst.numerical))
        rel = diff / scale if scale else 0.0
        lines.append(
            f"  worst element {worst.label}: {left} {worst.claimed:.17g}, "
            f"{right} {worst.numerical:.17g} (abs diff {diff:.2e}, rel diff {rel:.2e})"
        )
    shapes = ", ".join(f"{k} {format_shape(v)}" for k, v in report.inputs.items())
    output = format_shape(report.output_shape)
    lines.append(f"  inputs: {shapes}; output {output}; seed {report.seed}")
    return "\n".join(lines)
