"""Evaluating matrix notation (``G A^\\top``, ``u v^\\top``, ``G^\\top \\mathbf{1}``) and scalars.

In matrix notation a lower-case vector is a column: a bound 1-d array of length n is the n x 1
matrix, ``^\\top`` makes it a row, and juxtaposition is the matrix product (``np.matmul``, so a
stack of matrices multiplies matrix by matrix). Each value carries its kind (scalar, column,
row, matrix) so that a row times a column is a scalar and a matrix times a column a column. The
vector of ones ``\\mathbf{1}`` and the identity ``\\mathbb{I}`` take their size from what they are
multiplied by or added to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._environment import Environment
from ._errors import EquationError
from ._names import ELEMENTWISE
from ._tree import (
    Add,
    Call,
    Derivative,
    Expr,
    Hadamard,
    Identity,
    Negate,
    Norm,
    Number,
    Ones,
    Power,
    Product,
    Quotient,
    Symbol,
    Transpose,
    VectorLiteral,
)

SCALAR, COLUMN, ROW, MATRIX = "scalar", "column vector", "row vector", "matrix"
_UNSIZED = "the size of \\mathbf{1} or \\mathbb{I} is not determined by what it multiplies or adds"

DerivativeOf = Callable[[Derivative], np.ndarray]


@dataclass(frozen=True)
class _Value:
    """A concrete value and its kind; vectors are stored as n x 1 or 1 x n arrays."""

    array: np.ndarray
    kind: str

    @property
    def rows(self) -> int:
        return self.array.shape[-2]

    @property
    def cols(self) -> int:
        return self.array.shape[-1]


@dataclass(frozen=True)
class _Lazy:
    """A value whose size is not known yet (``\\mathbf{1}``, ``\\mathbb{I}`` and what is built from
    them): ``build(rows, cols)`` makes it once its neighbours tell the size."""

    kind: str
    rows: int | None
    cols: int | None
    build: Callable[[int, int], np.ndarray]
    square: bool = False

    def sized(self, rows: int | None, cols: int | None) -> _Value | _Lazy:
        """This value with the sizes now known filled in; concrete once both are."""
        if self.square:
            rows = cols = rows if rows is not None else cols
        rows = self.rows if rows is None else rows
        cols = self.cols if cols is None else cols
        if rows is None or cols is None:
            return _Lazy(self.kind, rows, cols, self.build, self.square)
        return _Value(self.build(rows, cols), self.kind)


def _kind_of(array: np.ndarray) -> str:
    return {0: SCALAR, 1: COLUMN}.get(array.ndim, MATRIX)


def _as_value(array) -> _Value:
    array = np.asarray(array)
    kind = _kind_of(array)
    return _Value(array.reshape(-1, 1) if kind == COLUMN else array, kind)


_PRODUCT_KINDS = {
    (COLUMN, ROW): MATRIX,
    (ROW, COLUMN): SCALAR,
    (MATRIX, COLUMN): COLUMN,
    (ROW, MATRIX): ROW,
    (MATRIX, MATRIX): MATRIX,
}


class _MatrixEvaluator:
    def __init__(self, env: Environment, derivative: DerivativeOf) -> None:
        self.env = env
        self.derivative = derivative

    def result(self, expr: Expr) -> np.ndarray:
        value = self.value(expr)
        if isinstance(value, _Lazy):
            raise EquationError(_UNSIZED, expr.start)
        if value.kind == COLUMN:
            return value.array.reshape(-1)
        return value.array

    def value(self, node: Expr) -> _Value | _Lazy:
        match node:
            case Number(value=number):
                return _Value(np.asarray(number), SCALAR)
            case Symbol(name=name):
                return _as_value(self.env.lookup(name, indexed=False, offset=node.start))
            case VectorLiteral(items=items):
                entries = [self.concrete(self.value(item), item) for item in items]
                if any(entry.kind != SCALAR for entry in entries):
                    raise EquationError("the entries of a written vector are numbers", node.start)
                return _Value(np.stack([e.array for e in entries]).reshape(-1, 1), COLUMN)
            case Ones():
                return _Lazy(COLUMN, None, 1, lambda r, c: np.ones((r, c)))
            case Identity():
                return _Lazy(MATRIX, None, None, lambda r, c: np.eye(r), True)
            case Derivative():
                return _as_value(self.derivative(node))
            case Product(factors=factors):
                result = self.value(factors[0])
                for factor in factors[1:]:
                    result = self.multiply(result, self.value(factor), factor)
                return result
            case Add(terms=terms):
                result = self.value(terms[0])
                for term in terms[1:]:
                    result = self.elementwise(np.add, result, self.value(term), term, "adds")
                return result
            case Hadamard(left=left, right=right):
                a, b = self.value(left), self.value(right)
                return self.elementwise(np.multiply, a, b, right, "multiplies element-wise")
            case Negate(operand=operand):
                return self.scaled(self.value(operand), -1.0)
            case Transpose(operand=operand):
                return self.transposed(self.value(operand))
            case Quotient(numerator=numerator, denominator=denominator):
                divisor = self.concrete(self.value(denominator), denominator)
                if divisor.kind != SCALAR:
                    raise EquationError(f"division by a {divisor.kind}", denominator.start)
                dividend = self.value(numerator)
                if isinstance(dividend, _Value):  # divided, not scaled: 49 * (1 / 49) < 1
                    return _Value(dividend.array / divisor.array, dividend.kind)
                return self.scaled(dividend, 1.0 / divisor.array)
            case Power(base=base, exponent=exponent):
                return self.power(self.concrete(self.value(base), base), exponent)
            case Norm(operand=operand, kind=kind):
                value = self.concrete(self.value(operand), operand)
                if kind == "2" and value.kind not in (COLUMN, ROW):
                    raise EquationError(f"the 2-norm of a {value.kind}", node.start)
                return _Value(np.sqrt(np.sum(value.array * value.array)), SCALAR)
            case Call():
                return self.call(node)
        raise EquationError(f"{type(node).__name__} is not matrix notation", node.start)

    # ------------------------------------------------------------ operations
    def concrete(self, value: _Value | _Lazy, node: Expr) -> _Value:
        if isinstance(value, _Lazy):
            raise EquationError(_UNSIZED, node.start)
        return value

    def multiply(self, a: _Value | _Lazy, b: _Value | _Lazy, node: Expr) -> _Value | _Lazy:
        if isinstance(a, _Value) and a.kind == SCALAR:
            return self.scaled(b, a.array)
        if isinstance(b, _Value) and b.kind == SCALAR:
            return self.scaled(a, b.array)
        kind = _PRODUCT_KINDS.get((a.kind, b.kind))
        if kind is None:
            raise EquationError(f"a {a.kind} times a {b.kind}", node.start)
        if isinstance(a, _Value) and isinstance(b, _Lazy):
            b = b.sized(a.cols, None)
        if isinstance(a, _Lazy) and isinstance(b, _Value):
            a = a.sized(None, b.rows)
        if isinstance(a, _Value) and isinstance(b, _Value):
            if a.cols != b.rows:
                raise EquationError(
                    f"a product of shapes {a.array.shape} and {b.array.shape}", node.start
                )
            return self.kinded(np.matmul(a.array, b.array), kind)
        return self.lazy_product(a, b, kind, node)

    def lazy_product(self, a, b, kind: str, node: Expr) -> _Lazy:
        """The product of two values one of which waits for its size."""

        def build(rows: int, cols: int) -> np.ndarray:
            left = a.sized(rows, None) if isinstance(a, _Lazy) else a
            right = b.sized(None, cols) if isinstance(b, _Lazy) else b
            if isinstance(left, _Lazy) and isinstance(right, _Value):
                left = left.sized(None, right.rows)
            if isinstance(right, _Lazy) and isinstance(left, _Value):
                right = right.sized(left.cols, None)
            if isinstance(left, _Lazy) or isinstance(right, _Lazy):
                raise EquationError(_UNSIZED, node.start)
            return self.kinded(np.matmul(left.array, right.array), kind).array

        return _Lazy(kind, a.rows, b.cols, build)

    def kinded(self, array: np.ndarray, kind: str) -> _Value:
        return _Value(array.reshape(()) if kind == SCALAR else array, kind)

    def elementwise(self, function, a, b, node: Expr, verb: str) -> _Value | _Lazy:
        if a.kind != b.kind:
            raise EquationError(f"{verb} a {a.kind} and a {b.kind}", node.start)
        if isinstance(a, _Lazy) and isinstance(b, _Value):
            a = a.sized(b.rows, b.cols)
        if isinstance(b, _Lazy) and isinstance(a, _Value):
            b = b.sized(a.rows, a.cols)
        if isinstance(a, _Lazy) or isinstance(b, _Lazy):
            raise EquationError(_UNSIZED, node.start)
        if a.kind != SCALAR and a.array.shape[-2:] != b.array.shape[-2:]:
            raise EquationError(f"{verb} shapes {a.array.shape} and {b.array.shape}", node.start)
        return _Value(function(a.array, b.array), a.kind)

    def scaled(self, value: _Value | _Lazy, factor) -> _Value | _Lazy:
        if isinstance(value, _Value):
            return _Value(value.array * factor, value.kind)
        build = value.build
        return _Lazy(
            value.kind,
            value.rows,
            value.cols,
            lambda r, c: build(r, c) * factor,
            value.square,
        )

    def transposed(self, value: _Value | _Lazy) -> _Value | _Lazy:
        kind = {COLUMN: ROW, ROW: COLUMN}.get(value.kind, value.kind)
        if isinstance(value, _Value):
            if value.kind == SCALAR:
                return value
            return _Value(np.swapaxes(value.array, -1, -2), kind)
        build = value.build
        return _Lazy(
            kind,
            value.cols,
            value.rows,
            lambda r, c: np.swapaxes(build(c, r), -1, -2),
            value.square,
        )

    def power(self, base: _Value, exponent: Expr) -> _Value:
        power = self.concrete(self.value(exponent), exponent)
        if power.kind != SCALAR:
            raise EquationError("an exponent is a number", exponent.start)
        if base.kind == SCALAR:
            return _Value(base.array**power.array, SCALAR)
        if base.kind != MATRIX or base.rows != base.cols:
            raise EquationError(
                f"a power of a {base.kind} of shape {base.array.shape}", exponent.start
            )
        n = float(power.array)
        if n != int(n):
            raise EquationError("a matrix power takes an integer exponent", exponent.start)
        if n < 0:
            return _Value(np.linalg.matrix_power(np.linalg.inv(base.array), -int(n)), MATRIX)
        return _Value(np.linalg.matrix_power(base.array, int(n)), MATRIX)

    def call(self, node: Call) -> _Value:
        args = [self.concrete(self.value(arg), arg) for arg in node.args]
        if node.builtin and node.function == "tr":
            (matrix,) = args
            return _Value(np.trace(matrix.array, axis1=-2, axis2=-1), SCALAR)
        if node.builtin and node.function == "diag":
            (vector,) = args
            if vector.kind != COLUMN:
                raise EquationError("\\operatorname{diag} takes a column vector", node.start)
            return _Value(np.diag(vector.array.reshape(-1)), MATRIX)
        if node.builtin:
            return _Value(ELEMENTWISE[node.function](*(a.array for a in args)), args[0].kind)
        function = self.env.lookup(node.function, indexed=False, offset=node.start)
        if not callable(function):
            raise EquationError(f"'{node.function}' is applied but is not a function", node.start)
        plain = [a.array.reshape(-1) if a.kind == COLUMN else a.array for a in args]
        return _as_value(function(*plain))


def evaluate_matrix(expr: Expr, env: Environment, derivative: DerivativeOf) -> np.ndarray:
    """The value of ``expr`` in matrix notation (a column vector comes back 1-d)."""
    return _MatrixEvaluator(env, derivative).result(expr)


def evaluate_scalar(expr: Expr, env: Environment, derivative: DerivativeOf) -> np.ndarray:
    """The value of ``expr`` in scalar notation: everything element-wise, NumPy broadcasting."""

    def value(node: Expr) -> np.ndarray:
        match node:
            case Number(value=number):
                return np.asarray(number)
            case Symbol(name=name):
                return np.asarray(env.lookup(name, indexed=False, offset=node.start))
            case VectorLiteral(items=items):
                return np.stack([value(item) for item in items])
            case Derivative():
                return derivative(node)
            case Product(factors=factors):
                result = value(factors[0])
                for factor in factors[1:]:
                    result = result * value(factor)
                return result
            case Add(terms=terms):
                return sum((value(term) for term in terms[1:]), value(terms[0]))
            case Negate(operand=operand):
                return -value(operand)
            case Quotient(numerator=numerator, denominator=denominator):
                return value(numerator) / value(denominator)
            case Power(base=base, exponent=exponent):
                return value(base) ** value(exponent)
            case Call(function=function, args=args, builtin=True) if function in ELEMENTWISE:
                return ELEMENTWISE[function](*(value(arg) for arg in args))
            case Call(function=function, args=args, builtin=False):
                bound = env.lookup(function, indexed=False, offset=node.start)
                if not callable(bound):
                    raise EquationError(
                        f"'{function}' is applied but is not a function", node.start
                    )
                return np.asarray(bound(*(value(arg) for arg in args)))
        raise EquationError(f"{type(node).__name__} is not scalar notation", node.start)

    return np.asarray(value(expr))
