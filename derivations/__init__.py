"""Numerical verification of hand-derived gradients.

``check`` verifies a claimed vector-Jacobian product, ``check_jacobian`` a
claimed full Jacobian, and ``check_identity`` an equality between two
expressions. Each returns a ``CheckReport`` or raises a ``CheckFailure``
(an ``AssertionError``) that says where and by how much the claim is wrong.
This package knows nothing of MkDocs; ``derivations.pages`` finds and runs
the checks embedded in Markdown.
"""

import importlib
from typing import Any

#: Where each public name lives. The package imports nothing until a name is used, so that
#: reading pages (``derivations.blocks``) or switching the checks off costs no NumPy import.
_PUBLIC = {
    "check": "_checks",
    "check_identity": "_checks",
    "check_jacobian": "_checks",
    "check_equation": "_equation_check",
    "drawn_inputs": "_inputs",
    "MismatchNotRaised": "_recording",
    "expect_mismatch": "_recording",
    "recording": "_recording",
    "KIND_NAMES": "_report",
    "CheckFailure": "_report",
    "CheckReport": "_report",
    "EquationMismatch": "_report",
    "GradientMismatch": "_report",
    "IdentityMismatch": "_report",
    "format_shape": "_report",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'derivations' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


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
