"""What an evaluation reads: bound values and functions, a derivative callback, index ranges."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._errors import EquationError
from ._names import is_range_symbol, relation_letters
from ._tree import (
    Delta,
    Derivative,
    Differentiand,
    Gather,
    Letter,
    Relation,
    Symbol,
    Variable,
    walk,
)

DerivativeCallback = Callable[[Differentiand, Variable], Any]


@dataclass
class Environment:
    """The values an equation is evaluated with.

    ``values`` maps identifiers (see the naming rule in ``derivations.equations``) to arrays,
    numbers, integer arrays (for gathers) and callables (bound functions, applied element-wise).
    ``derivative(numerator, denominator)`` returns the numerical derivative of a derivative node,
    laid out output indices first: an array of shape ``numerator shape + denominator shape``.
    ``first_index`` is the number of the first position of an axis, as the page counts (a
    digit in a subscript, the ``1`` of ``x_{bm1}``, is a position so counted).
    """

    values: Mapping[str, Any]
    derivative: DerivativeCallback | None = None
    first_index: int = 1

    def resolve(self, name: str, indexed: bool) -> str | None:
        """The key ``name`` is bound under, else None: itself; for a component (``indexed``, as
        ``x`` in ``x_{ij}`` or ``\\partial a_{pq}``) the capital ``X``, ``A`` of its tensor; for a
        matrix ``X`` the lower-case ``x`` when that holds a matrix (2-d or more)."""
        if name in self.values:
            return name
        capital = _capital(name)
        if indexed and capital in self.values:
            return capital
        lower = name[0].lower() + name[1:]
        if name[0].isupper() and lower in self.values and np.ndim(self.values[lower]) >= 2:
            return lower
        return None

    def lookup(self, name: str, indexed: bool, offset: int) -> Any:
        """The value of ``name`` (see ``resolve``); ``offset`` locates the error if unbound."""
        key = self.resolve(name, indexed)
        if key is None:
            capital = _capital(name)
            also = f" (nor '{capital}')" if indexed and capital != name else ""
            raise EquationError(f"symbol '{name}' is not bound{also}", offset)
        return self.values[key]

    def has(self, name: str, indexed: bool) -> bool:
        """True when ``lookup`` finds ``name``."""
        return self.resolve(name, indexed) is not None


def _capital(name: str) -> str:
    return name[0].upper() + name[1:] if name[:1].isascii() and name[:1].islower() else name


def as_environment(env: Environment | Mapping[str, Any]) -> Environment:
    """``env`` itself, or a mapping of values wrapped without a derivative callback."""
    return env if isinstance(env, Environment) else Environment(dict(env))


class Sizes:
    """The range of each index letter of one relation, and where it was read from."""

    def __init__(self, relation: Relation) -> None:
        self.letters = relation_letters(relation)
        self.known: dict[str, tuple[int, str]] = {}

    def learn(self, letter: str, size: int, source: str, offset: int) -> None:
        """Record that ``letter`` runs over ``size`` values (as ``source`` says)."""
        if letter in self.known and self.known[letter][0] != size:
            before, where = self.known[letter]
            raise EquationError(
                f"index {letter} runs over {before} values in {where} but {size} in {source}",
                offset,
            )
        self.known.setdefault(letter, (size, source))

    def of(self, letter: str, offset: int) -> int:
        """The range of ``letter`` (``offset`` locates the question for the message)."""
        if letter not in self.known:
            raise EquationError(
                f"the range of index {letter} is unknown: it labels no axis of a bound tensor",
                offset,
            )
        return self.known[letter][0]


def index_sizes(relation: Relation, env: Environment) -> Sizes:
    """The ranges of the relation's index letters: from the shapes of bound tensors (those
    differentiated and differentiated by included), then from a bound capital (``H = 5`` for
    ``h``), then across deltas (in ``\\delta_{kq}`` an unknown ``k`` runs like ``q``)."""
    sizes = Sizes(relation)
    nodes = [node for side in relation.sides for node in walk(side.expr)]
    for node in nodes:
        if isinstance(node, Symbol) and node.indices:
            _learn_from(sizes, node.name, node.indices, env, node.start)
        if isinstance(node, Derivative):
            variable = node.denominator
            _learn_from(sizes, variable.name, variable.letters, env, variable.start)
    for letter in sorted(sizes.letters - sizes.known.keys()):
        bound = env.values.get(letter.upper())
        if bound is not None and not callable(bound) and np.ndim(bound) == 0:
            if float(bound) == int(bound) and int(bound) > 0:
                sizes.learn(letter, int(bound), letter.upper(), relation.offset)
    deltas = []
    for node in nodes:
        if isinstance(node, Delta):
            for index in node.indices:  # a gather's own indices have the ranges of its tensor
                if isinstance(index, Gather):
                    gathered = index.symbol
                    _learn_from(sizes, gathered.name, gathered.indices, env, gathered.start)
            if all(isinstance(index, Letter) for index in node.indices):
                deltas.append(node.indices)
    while True:
        learnt = False
        for first, second in deltas:
            for known, unknown in ((first, second), (second, first)):
                if known.letter in sizes.known and unknown.letter not in sizes.known:
                    size = sizes.known[known.letter][0]
                    sizes.learn(
                        unknown.letter, size, f"\\delta (like {known.letter})", unknown.start
                    )
                    learnt = True
        if not learnt:
            return sizes


def _learn_from(sizes: Sizes, name: str, indices, env: Environment, offset: int) -> None:
    if not env.has(name, indexed=True):
        return
    value = env.lookup(name, indexed=True, offset=offset)
    if callable(value):
        return
    shape = np.shape(value)
    if len(shape) != len(indices):
        raise EquationError(
            f"{name} is written with {len(indices)} indices but its value has shape {shape}",
            offset,
        )
    for axis, (index, size) in enumerate(zip(indices, shape, strict=True)):
        if isinstance(index, Letter):
            sizes.learn(index.letter, size, f"{name} (axis {axis})", index.start)
        elif isinstance(index, Gather):
            gathered = index.symbol
            _learn_from(sizes, gathered.name, gathered.indices, env, gathered.start)


def scalar_value(symbol: Symbol, env: Environment, sizes: Sizes) -> Any:
    """The value of an unindexed symbol; a capital naming an index's range is that range."""
    if not is_range_symbol(symbol.name, sizes.letters):
        return env.lookup(symbol.name, indexed=False, offset=symbol.start)
    letter = symbol.name.lower()
    if letter not in sizes.known:
        raise EquationError(
            f"{symbol.name} is the range of index {letter}, which labels no axis of a bound tensor",
            symbol.start,
        )
    size = sizes.known[letter][0]
    if env.has(symbol.name, indexed=False):
        bound = env.lookup(symbol.name, indexed=False, offset=symbol.start)
        if np.ndim(bound) != 0 or bound != size:
            raise EquationError(
                f"{symbol.name} is bound to {bound!r} but index {letter} runs over {size} values",
                symbol.start,
            )
    return np.asarray(float(size))
