"""Evaluating a side numerically.

In index notation every intermediate value is an array together with the index letter of each of
its axes; products and sums become ``np.einsum`` calls over those letters. Matrix and scalar
notation are evaluated in ``_matrix``. Derivatives are not computed here: ``env.derivative`` is
asked for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._environment import Environment, as_environment, index_sizes, scalar_value
from ._errors import EquationError
from ._indices import free_indices, is_constant, ordered_union
from ._matrix import evaluate_matrix, evaluate_scalar
from ._names import ELEMENTWISE
from ._tree import (
    Add,
    Call,
    Component,
    Delta,
    Derivative,
    Differentiand,
    Expr,
    Gather,
    IndexSum,
    Letter,
    Negate,
    Number,
    Ones,
    Position,
    Power,
    Product,
    Quotient,
    Relation,
    Side,
    Symbol,
)

Labelled = tuple[np.ndarray, tuple[str, ...]]


def evaluate(item: Side | Differentiand, env: Environment | Mapping[str, Any]) -> np.ndarray:
    """The value of a side (or of a derivative's numerator) with the values of ``env``.

    In index notation the result's axes are the free indices of the relation's left side, in
    ``relation.free`` order (for a numerator, its own free indices, ``numerator.indices``); a
    constant side is broadcast to them. In matrix notation vectors are columns while computing,
    and the result is a 0-d array for a scalar, 1-d for a column vector, 2-d for a matrix. In
    scalar notation values combine element-wise with NumPy broadcasting.
    """
    env = as_environment(env)
    relation = item.relation
    if relation is None:
        raise TypeError("evaluate takes a Side or a Differentiand of a parsed equation")
    target = relation.free if isinstance(item, Side) else item.indices
    if relation.mode != "index":
        run = evaluate_matrix if relation.mode == "matrix" else evaluate_scalar
        return run(item.expr, env, lambda d: _call_derivative(d, env))
    evaluator = _IndexEvaluator(env, relation)
    value = evaluator.value(item.expr)
    return evaluator.arrange(value, target, item.expr)


def _call_derivative(node: Derivative, env: Environment) -> np.ndarray:
    if env.derivative is None:
        raise EquationError(
            "the environment has no derivative callback to evaluate "
            f"{node.numerator.text} by {node.denominator.text}",
            node.start,
        )
    return np.asarray(env.derivative(node.numerator, node.denominator))


class _IndexEvaluator:
    """Evaluates the nodes of one relation in index notation."""

    def __init__(self, env: Environment, relation: Relation) -> None:
        self.env = env
        self.relation = relation
        self.sizes = index_sizes(relation, env)

    # ------------------------------------------------------------ arranging axes
    def arrange(self, value: Labelled, target: tuple[str, ...], expr: Expr) -> np.ndarray:
        """``value`` with its axes in the order ``target``, broadcast over letters it lacks."""
        array, letters = value
        for letter in letters:
            if letter not in target:
                raise EquationError(
                    f"index {letter} is free on the right side but not on the left", expr.start
                )
        missing = [letter for letter in target if letter not in letters]
        if missing and not is_constant(expr):
            raise EquationError(
                f"index {missing[0]} is free on the left side but not on the right", expr.start
            )
        shape = [self._size(letter, expr) for letter in target]
        return np.broadcast_to(_aligned(value, target), shape).copy()

    def _size(self, letter: str, expr: Expr) -> int:
        return self.sizes.of(letter, expr.start)

    # ------------------------------------------------------------ nodes
    def value(self, node: Expr) -> Labelled:
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            offset = self.relation.offset
            text = self.relation.text[node.start - offset : node.end - offset]
            raise EquationError(f"{text} is matrix notation, not index notation", node.start)
        return method(node)

    def _number(self, node: Number) -> Labelled:
        return np.asarray(node.value), ()

    def _symbol(self, node: Symbol) -> Labelled:
        if not node.indices:
            value = np.asarray(scalar_value(node, self.env, self.sizes))
            if value.ndim != 0:
                raise EquationError(
                    f"{node.name} has no indices here, but its value has shape {value.shape}",
                    node.start,
                )
            return value, ()
        value = np.asarray(self.env.lookup(node.name, indexed=True, offset=node.start))
        if value.ndim != len(node.indices):
            raise EquationError(
                f"{node.name} is written with {len(node.indices)} indices but its value has "
                f"shape {value.shape}",
                node.start,
            )
        if all(isinstance(index, Letter) for index in node.indices):
            return _labelled(value, tuple(index.letter for index in node.indices))
        return self._gathered(node, value)

    def _gathered(self, node: Symbol, value: np.ndarray) -> Labelled:
        letters = free_indices(node)
        grid = []
        for index in node.indices:
            if isinstance(index, Letter):
                positions = np.arange(self.sizes.of(index.letter, index.start))
                grid.append(_aligned((positions, (index.letter,)), letters))
            elif isinstance(index, Position):
                grid.append(
                    _aligned((self._fixed(node, value, axis=len(grid), at=index), ()), letters)
                )
            else:
                grid.append(_aligned(self._gather_index(index, value), letters))
        return value[tuple(np.broadcast_arrays(*grid))], letters

    def _fixed(self, node: Symbol, value: np.ndarray, axis: int, at: Position) -> np.ndarray:
        """The array index of a position written as a digit, counted from ``first_index``."""
        first = self.env.first_index
        if not first <= at.value < first + value.shape[axis]:
            raise EquationError(
                f"position {at.value} of {node.name} is outside its axis {axis} (positions "
                f"{first} to {first + value.shape[axis] - 1})",
                at.start,
            )
        return np.asarray(at.value - first)

    def _gather_index(self, index: Gather, value: np.ndarray) -> Labelled:
        positions, letters = self._symbol(index.symbol)
        if not np.issubdtype(positions.dtype, np.integer):
            raise EquationError(
                f"{index.symbol.name} is used as an index but holds {positions.dtype} values",
                index.start,
            )
        return positions, letters

    def _delta(self, node: Delta) -> Labelled:
        first, second = node.indices
        if isinstance(first, Gather) or isinstance(second, Gather):
            return self._delta_of_positions(first, second)
        rows = self.sizes.of(first.letter, first.start)
        if first.letter == second.letter:
            return np.ones(rows), (first.letter,)
        eye = np.eye(rows, self.sizes.of(second.letter, second.start))
        return eye, (first.letter, second.letter)

    def _delta_of_positions(self, first, second) -> Labelled:
        """A delta with a gather among its indices: 1 where the two positions agree."""
        parts = []
        for index in (first, second):
            if isinstance(index, Gather):
                positions, letters = self._symbol(index.symbol)
                if not np.issubdtype(positions.dtype, np.integer):
                    raise EquationError(
                        f"{index.symbol.name} is used as an index but holds {positions.dtype} "
                        "values",
                        index.start,
                    )
                parts.append((positions, letters))
            else:
                parts.append((np.arange(self.sizes.of(index.letter, index.start)), (index.letter,)))
        letters = ordered_union(part[1] for part in parts)
        a, b = np.broadcast_arrays(*(_aligned(part, letters) for part in parts))
        return (a == b).astype(float), letters

    def _ones(self, node: Ones) -> Labelled:
        letters = tuple(dict.fromkeys(letter.letter for letter in node.indices))
        first = {letter.letter: letter for letter in reversed(node.indices)}
        shape = [self.sizes.of(letter, first[letter].start) for letter in letters]
        return np.ones(shape), letters

    def _indexsum(self, node: IndexSum) -> Labelled:
        summed = {letter.letter for letter in node.letters}
        factors = node.body.factors if isinstance(node.body, Product) else (node.body,)
        values = [self.value(factor) for factor in factors]
        present = ordered_union(v[1] for v in values)
        for letter in node.letters:
            if letter.letter not in present:
                raise EquationError(
                    f"index {letter.letter} of \\sum_{letter.letter} does not occur in its summand",
                    letter.start,
                )
        kept = tuple(i for i in ordered_union(v[1] for v in values) if i not in summed)
        return _einsum(values, kept), kept

    def _product(self, node: Product) -> Labelled:
        values = [self.value(factor) for factor in node.factors]
        letters = ordered_union(v[1] for v in values)
        return _einsum(values, letters), letters

    def _quotient(self, node: Quotient) -> Labelled:
        return self._combine(np.divide, node.numerator, node.denominator)

    def _power(self, node: Power) -> Labelled:
        return self._combine(np.power, node.base, node.exponent)

    def _add(self, node: Add) -> Labelled:
        values = [self.value(term) for term in node.terms]
        letters = ordered_union(v[1] for v in values)
        total = sum(_aligned(v, letters) for v in values)
        return np.asarray(total), letters

    def _negate(self, node: Negate) -> Labelled:
        array, letters = self.value(node.operand)
        return -array, letters

    def _combine(self, function, *operands: Expr) -> Labelled:
        values = [self.value(operand) for operand in operands]
        letters = ordered_union(v[1] for v in values)
        return function(*(_aligned(v, letters) for v in values)), letters

    def _call(self, node: Call) -> Labelled:
        values = [self.value(arg) for arg in node.args]
        letters = ordered_union(v[1] for v in values)
        args = np.broadcast_arrays(*(_aligned(v, letters) for v in values))
        if node.builtin:
            if node.function not in ELEMENTWISE:
                raise EquationError(
                    f"\\operatorname{{{node.function}}} is matrix notation", node.start
                )
            return ELEMENTWISE[node.function](*args), letters
        function = self.env.lookup(node.function, indexed=False, offset=node.start)
        if not callable(function):
            raise EquationError(f"'{node.function}' is applied but is not a function", node.start)
        result = np.asarray(function(*args))
        if result.shape != args[0].shape:
            raise EquationError(
                f"'{node.function}' is applied element-wise but returned shape {result.shape} "
                f"for arguments of shape {args[0].shape}",
                node.start,
            )
        return result, letters

    def _component(self, node: Component) -> Labelled:
        array = evaluate_matrix(node.operand, self.env, self._derivative_array)
        letters = tuple(letter.letter for letter in node.indices)
        if array.ndim != len(letters):
            raise EquationError(
                f"a component with {len(letters)} indices of a value of shape {array.shape}",
                node.start,
            )
        for letter, size in zip(node.indices, array.shape, strict=True):
            self.sizes.learn(letter.letter, size, "a component", letter.start)
        return _labelled(array, letters)

    def _derivative(self, node: Derivative) -> Labelled:
        array = self._derivative_array(node)
        letters = node.numerator.indices + node.denominator.indices
        if array.ndim != len(letters):
            raise EquationError(
                f"the derivative of {node.numerator.text} by {node.denominator.text} has "
                f"{len(letters)} indices, but env.derivative returned shape {array.shape}",
                node.start,
            )
        where = f"env.derivative of {node.numerator.text} by {node.denominator.text}"
        for letter, size in zip(letters, array.shape, strict=True):
            self.sizes.learn(letter, size, where, node.start)
        return _labelled(array, letters)

    def _derivative_array(self, node: Derivative) -> np.ndarray:
        return _call_derivative(node, self.env)


# ---------------------------------------------------------------- labelled arrays
def _labelled(array: np.ndarray, letters: tuple[str, ...]) -> Labelled:
    """``array`` with an axis per written index; a repeated letter takes the diagonal."""
    distinct = tuple(dict.fromkeys(letters))
    if distinct == letters:
        return array, letters
    return np.einsum(f"{''.join(letters)}->{''.join(distinct)}", array), distinct


def _aligned(value: Labelled, letters: tuple[str, ...]) -> np.ndarray:
    """``value``'s array transposed to the order of ``letters``, with a length-1 axis for each
    letter it does not have (so NumPy broadcasting lines the letters up)."""
    array, have = value
    order = [letter for letter in letters if letter in have]
    if have:
        array = np.einsum(f"{''.join(have)}->{''.join(order)}", array)
    shape = [array.shape[order.index(letter)] if letter in have else 1 for letter in letters]
    return np.reshape(array, shape)


def _einsum(values: list[Labelled], out: tuple[str, ...]) -> np.ndarray:
    spec = ",".join("".join(letters) for _, letters in values) + "->" + "".join(out)
    return np.asarray(np.einsum(spec, *(array for array, _ in values)))
