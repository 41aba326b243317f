"""The expression tree of a parsed equation, and the equation, relation and side around it.

Every node records where it starts and ends in the LaTeX it was parsed from (``start`` and
``end``, character offsets), so a message can quote it and point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._errors import IndexProblem


@dataclass(frozen=True, kw_only=True)
class Node:
    """Anything with a place in the LaTeX source."""

    start: int
    end: int


@dataclass(frozen=True)
class Letter(Node):
    """One index letter where it is written: the ``p`` of ``x_{pq}``."""

    letter: str


@dataclass(frozen=True)
class Gather(Node):
    """An index that is itself an indexed integer tensor: the ``t_b`` of ``s_{b t_b}``."""

    symbol: Symbol


@dataclass(frozen=True)
class Position(Node):
    """A fixed position written as a digit among index letters: the ``1`` of ``x_{bm1}``."""

    value: int


Index = Letter | Gather | Position


@dataclass(frozen=True)
class Expr(Node):
    """Base of every expression node."""


@dataclass(frozen=True)
class Number(Expr):
    """A numeric constant: ``2``, ``0.5``, Euler's ``e``, ``\\pi``."""

    value: float


@dataclass(frozen=True)
class Symbol(Expr):
    """A named tensor with its subscripts (``x_{pq}``, ``\\gamma_h``, ``W``, ``g``)."""

    name: str
    indices: tuple[Index, ...] = ()


@dataclass(frozen=True)
class Delta(Expr):
    """The Kronecker delta ``\\delta_{ip}``; an index may be a gather (``\\delta_{t_b v}``:
    1 where v is the class t_b)."""

    indices: tuple[Index, ...]


@dataclass(frozen=True)
class Ones(Expr):
    """The tensor of ones ``\\mathbf{1}_q``; without indices, a vector of ones (matrix notation)."""

    indices: tuple[Letter, ...] = ()


@dataclass(frozen=True)
class Identity(Expr):
    """The identity matrix ``\\mathbb{I}`` of matrix notation."""


@dataclass(frozen=True)
class IndexSum(Expr):
    """An explicit sum ``\\sum_{i,j} body`` over index letters."""

    letters: tuple[Letter, ...]
    body: Expr


@dataclass(frozen=True)
class Product(Expr):
    """Factors side by side (or joined by ``\\cdot``, ``\\times``): element-wise in index
    notation, the matrix product in matrix notation."""

    factors: tuple[Expr, ...]


@dataclass(frozen=True)
class Quotient(Expr):
    """``\\frac{a}{b}`` or ``a / b``."""

    numerator: Expr
    denominator: Expr


@dataclass(frozen=True)
class Hadamard(Expr):
    """The element-wise product ``A \\odot B``."""

    left: Expr
    right: Expr


@dataclass(frozen=True)
class Add(Expr):
    """A sum of terms; a subtracted term is a ``Negate``."""

    terms: tuple[Expr, ...]


@dataclass(frozen=True)
class Negate(Expr):
    """``-a``."""

    operand: Expr


@dataclass(frozen=True)
class Power(Expr):
    """``a^{b}``; in matrix notation ``A^{-1}`` is the inverse and ``A^2`` the matrix power."""

    base: Expr
    exponent: Expr


@dataclass(frozen=True)
class Transpose(Expr):
    """``A^\\top``."""

    operand: Expr


@dataclass(frozen=True)
class Call(Expr):
    """A function applied to arguments: built in (``\\exp``, ``\\max``, ``\\operatorname{tr}``)
    or bound by the block under ``function`` (``\\sigma``, ``f'`` as ``f_prime``)."""

    function: str
    args: tuple[Expr, ...]
    builtin: bool


@dataclass(frozen=True)
class Component(Expr):
    """A component of a matrix expression: ``(G A^\\top)_{pq}``."""

    operand: Expr
    indices: tuple[Letter, ...]


@dataclass(frozen=True)
class VectorLiteral(Expr):
    """A vector written out: ``(-6, -4, 10)``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Norm(Expr):
    """``\\lVert X \\rVert_F`` or ``\\lVert u \\rVert_2``."""

    operand: Expr
    kind: str


@dataclass(frozen=True)
class Variable(Node):
    """What a derivative is taken by: the denominator ``\\partial x_{pq}``.

    ``name`` follows the naming rule; ``indices`` are its index letters in order (empty in matrix
    notation); ``total`` is True for ``d``/``\\mathrm{d}`` rather than ``\\partial``; ``via`` names
    the intermediate of a restricted derivative ``\\left.\\frac{..}{..}\\right|_{\\text{via } c}``.
    """

    name: str
    letters: tuple[Letter, ...]
    total: bool = False
    via: str | None = None
    text: str = ""

    @property
    def indices(self) -> tuple[str, ...]:
        """The index letters, in order."""
        return tuple(letter.letter for letter in self.letters)


@dataclass(frozen=True)
class Differentiand(Node):
    """What is differentiated: the numerator of a derivative.

    ``expr`` is its expression (a ``Symbol`` for ``\\partial y_{ij}``, any expression for
    ``\\partial \\log s_i`` or the operand of ``\\frac{\\partial}{\\partial x}(...)``); ``name`` is
    the symbol's identifier when it is one symbol, else None; ``indices`` are its free indices,
    the leading axes of the derivative; ``is_loss`` is True for the scalar loss ``L``.
    """

    expr: Expr
    name: str | None
    indices: tuple[str, ...]
    is_loss: bool
    text: str = ""
    relation: Relation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Derivative(Expr):
    """A derivative, laid out output indices first: its axes are ``numerator.indices`` followed by
    ``denominator.indices`` (in matrix notation, the shape of the numerator then of the
    denominator)."""

    numerator: Differentiand
    denominator: Variable


@dataclass(eq=False)
class Side:
    """One side of a relation: ``expr``, its LaTeX ``text`` and where that starts (``offset``).

    Its value (``evaluate``) is an array over the free indices of its relation's left side, in the
    order ``relation.free``.
    """

    expr: Expr
    text: str
    offset: int
    relation: Relation = field(init=False, repr=False)

    @property
    def derivative(self) -> Derivative | None:
        """The derivative this side is (``\\frac{\\partial L}{\\partial W}``), else None."""
        return self.expr if isinstance(self.expr, Derivative) else None

    def symbols(self) -> frozenset[str]:
        """The identifiers evaluating this side reads from the environment (values and bound
        functions; not the symbols of derivatives, which are computed by ``env.derivative``, and
        not sizes such as ``H`` that an index letter of the relation provides)."""
        from ._names import needed_symbols

        return needed_symbols(self)

    def derivatives(self) -> tuple[Derivative, ...]:
        """Every derivative written in this side, in reading order."""
        from ._names import derivatives_in

        return derivatives_in(self.expr)


@dataclass(eq=False)
class Relation:
    """A chain of sides that are all equal: ``a = b = c``.

    ``mode`` is ``"index"`` (index notation), ``"matrix"`` (matrix notation) or ``"scalar"`` (no
    indices and no matrices: element-wise); ``free`` is the left side's free indices in order of
    first appearance, the axes of every side's value.
    """

    sides: tuple[Side, ...]
    mode: str
    free: tuple[str, ...]
    text: str
    offset: int

    def __post_init__(self) -> None:
        for side in self.sides:
            side.relation = self

    @property
    def left(self) -> Side:
        """The first side, whose free indices every other side must have."""
        return self.sides[0]


@dataclass(eq=False)
class Equation:
    """A parsed display: its relations in reading order."""

    latex: str
    relations: tuple[Relation, ...]

    def index_problems(self) -> list[IndexProblem]:
        """Where the equation breaks the index rules of the Conventions (empty if nowhere)."""
        from ._indices import index_problems

        return [problem for relation in self.relations for problem in index_problems(relation)]

    def symbols(self) -> frozenset[str]:
        """The identifiers evaluating any side reads from the environment."""
        return frozenset().union(*(s.symbols() for r in self.relations for s in r.sides))

    def derivatives(self) -> tuple[Derivative, ...]:
        """Every derivative of the equation, in reading order."""
        return tuple(d for r in self.relations for s in r.sides for d in s.derivatives())


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node`` in reading order (indices included)."""
    match node:
        case Symbol(indices=indices) | Delta(indices=indices) | Ones(indices=indices):
            return tuple(indices)
        case Gather(symbol=symbol):
            return (symbol,)
        case IndexSum(letters=letters, body=body):
            return (*letters, body)
        case Product(factors=items) | Add(terms=items) | VectorLiteral(items=items):
            return items
        case Call(args=items):
            return items
        case Quotient(numerator=a, denominator=b) | Hadamard(left=a, right=b):
            return (a, b)
        case Power(base=a, exponent=b):
            return (a, b)
        case Negate(operand=a) | Transpose(operand=a) | Norm(operand=a):
            return (a,)
        case Component(operand=a, indices=indices):
            return (a, *indices)
        case Derivative(numerator=numerator, denominator=denominator):
            return (numerator.expr, *denominator.letters)
    return ()


def walk(node: Node):
    """``node`` and every node below it, in reading order."""
    yield node
    for child in children(node):
        yield from walk(child)
