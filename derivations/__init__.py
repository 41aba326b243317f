"""Numerical verification of hand-derived gradients.

``check`` verifies a claimed vector-Jacobian product, ``check_jacobian`` a
claimed full Jacobian, and ``check_identity`` an equality between two
expressions. Each returns a ``CheckReport`` or raises a ``CheckFailure``
(an ``AssertionError``) that says where and by how much the claim is wrong.
This package knows nothing of MkDocs; ``derivations.pages`` finds and runs
the checks embedded in Markdown.
"""

from ._checks import check, check_identity, check_jacobian
from ._equation_check import check_equation
from ._inputs import drawn_inputs
from ._recording import MismatchNotRaised, expect_mismatch, recording
from ._report import (
    KIND_NAMES,
    CheckFailure,
    CheckReport,
    EquationMismatch,
    GradientMismatch,
    IdentityMismatch,
    format_shape,
)

__all__ = [
    "KIND_NAMES",
    "CheckFailure",
    "CheckReport",
    "EquationMismatch",
    "GradientMismatch",
    "IdentityMismatch",
    "MismatchNotRaised",
    "check",
    "check_equation",
    "check_identity",
    "check_jacobian",
    "drawn_inputs",
    "expect_mismatch",
    "format_shape",
    "recording",
]
