"""The naming rule from LaTeX symbols to Python identifiers, and what a side reads by name."""

from __future__ import annotations

import numpy as np

from ._tree import Call, Derivative, Expr, Letter, Relation, Side, Symbol, children, walk

_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "tilde": "tilde", "widetilde": "tilde"}
_ACCENTS |= {"check": "check"}

# The element-wise functions the notation itself defines (with \operatorname{tr} and
# \operatorname{diag} of matrix notation); every other function is bound by the block.
ELEMENTWISE = {
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "cosh": np.cosh,
    "sinh": np.sinh,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "abs": np.abs,
    "floor": np.floor,
    "mod": np.mod,  # a \bmod b: the remainder of the floor division, as Python's %
    "max": np.maximum,
    "min": np.minimum,
}
BUILTIN_FUNCTIONS = frozenset(ELEMENTWISE) | {"tr", "diag"}


def identifier(latex: str) -> str:
    """The identifier of a symbol's LaTeX name: ``x``, ``\\gamma`` -> ``gamma``."""
    return latex.removeprefix("\\")


def accented(accent: str, base: str) -> str:
    """``\\hat{x}`` -> ``xhat``, ``\\tilde{G}`` -> ``Gtilde``, ``\\bar\\alpha`` -> ``alphabar``."""
    return identifier(base) + _ACCENTS[identifier(accent)]


def primed(name: str, primes: int) -> str:
    """``f'`` -> ``f_prime``, ``f''`` -> ``f_prime_prime``."""
    return name + "_prime" * primes


def is_range_symbol(name: str, letters: frozenset[str]) -> bool:
    """True for a capital that names the range of an index of its relation, as ``H`` for ``h``."""
    return len(name) == 1 and name.isupper() and name.lower() in letters


def relation_letters(relation: Relation) -> frozenset[str]:
    """Every index letter written in ``relation``."""
    sides = relation.sides
    return frozenset(n.letter for s in sides for n in walk(s.expr) if isinstance(n, Letter))


def _reads(node: Expr, letters: frozenset[str]):
    if isinstance(node, Derivative):
        return
    if isinstance(node, Symbol) and not is_range_symbol(node.name, letters):
        yield node.name
    if isinstance(node, Call) and not node.builtin:
        yield node.function
    for child in children(node):
        yield from _reads(child, letters)


def needed_symbols(side: Side) -> frozenset[str]:
    """The identifiers that evaluating ``side`` reads from the environment."""
    return frozenset(_reads(side.expr, relation_letters(side.relation)))


def derivatives_in(expr: Expr) -> tuple[Derivative, ...]:
    """Every derivative node under ``expr``, in reading order."""
    return tuple(node for node in walk(expr) if isinstance(node, Derivative))
