"""Free indices, and the index rules of the Conventions checked without evaluating anything.

The rules (docs/posts/tensor-calculus.md#conventions), as checked here:

1. Every sum is written: an index repeated in a product without a ``\\sum`` is free (element-wise),
   so it must be free on the left side too.
2. Every side of a relation has the free indices of its left side. Two exceptions: a constant
   side (``\\sum_h c_{bh} = 0``) holds for every value of the left side's indices; and, as the
   Conventions allow for an obvious broadcast, a term of a sum may lack free indices that another
   term of the same sum has (``c_{bh} = x_{bh} - \\mu_b``, the ones ``\\mathbf{1}_h`` understood).
3. A summed index is not also free in the same term, and is not summed twice.
4. The index of a ``\\sum`` occurs in its summand.
5. Matrix notation (``^\\top``, ``\\odot``, ``\\mathbb{I}``, an unindexed ``\\mathbf{1}``) does not
   mix into index notation, except inside a component ``(G A^\\top)_{pq}``.
"""

from __future__ import annotations

from ._errors import IndexProblem
from ._tree import (
    Add,
    Call,
    Component,
    Derivative,
    Expr,
    Hadamard,
    Identity,
    IndexSum,
    Letter,
    Negate,
    Node,
    Norm,
    Number,
    Ones,
    Power,
    Product,
    Quotient,
    Relation,
    Transpose,
    VectorLiteral,
    children,
    walk,
)


def ordered_union(groups) -> tuple[str, ...]:
    """The letters of ``groups`` without repeats, in order of first appearance."""
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def free_indices(node: Node) -> tuple[str, ...]:
    """The free indices of ``node`` in order of first appearance."""
    match node:
        case Letter(letter=letter):
            return (letter,)
        case IndexSum(letters=letters, body=body):
            summed = {letter.letter for letter in letters}
            return tuple(i for i in free_indices(body) if i not in summed)
        case Component(indices=indices):
            return ordered_union((letter.letter,) for letter in indices)
        case Derivative(numerator=numerator, denominator=denominator):
            return ordered_union((numerator.indices, denominator.indices))
    return ordered_union(free_indices(child) for child in children(node))


def _bound(node: Node) -> set[str]:
    """Every index summed somewhere under ``node``."""
    return {letter.letter for n in walk(node) if isinstance(n, IndexSum) for letter in n.letters}


def _first_occurrence(node: Node, letter: str) -> int:
    for n in walk(node):
        if isinstance(n, Letter) and n.letter == letter:
            return n.start
    return node.start


def is_constant(node: Node) -> bool:
    """True for numbers and arithmetic on numbers only (``0``, ``2 \\cdot 3``)."""
    arithmetic = Number | Add | Negate | Product | Quotient | Power
    return all(isinstance(n, arithmetic) for n in walk(node))


def _count(node: Node, letter: str) -> int:
    return sum(1 for n in walk(node) if isinstance(n, Letter) and n.letter == letter)


class _Checker:
    """Collects the problems of one relation, quoting its text in messages."""

    def __init__(self, relation: Relation) -> None:
        self.relation = relation
        self.problems: list[IndexProblem] = []

    def quote(self, node: Node) -> str:
        offset = self.relation.offset
        return " ".join(self.relation.text[node.start - offset : node.end - offset].split())

    def report(self, message: str, offset: int) -> None:
        self.problems.append(IndexProblem(message, offset))

    def check(self) -> list[IndexProblem]:
        for side in self.relation.sides:
            self.expression(side.expr)
        for side in self.relation.sides[1:]:
            self.side(side.expr, side.offset)
        return self.problems

    def side(self, expr: Expr, offset: int) -> None:
        if is_constant(expr):
            return
        expected = self.relation.free
        found = free_indices(expr)
        for letter in found:
            if letter not in expected:
                message = f"index {letter} is free on the right side but not on the left"
                if _count(expr, letter) > 1:
                    message += f"; a repeated index is not summed, write \\sum_{letter}"
                self.report(message, _first_occurrence(expr, letter))
        for letter in expected:
            if letter not in found:
                self.report(f"index {letter} is free on the left side but not on the right", offset)

    def expression(self, node: Node) -> None:
        match node:
            case Component():
                return  # matrix notation is at home inside a component
            case IndexSum(letters=letters, body=body):
                self.index_sum(letters, body)
            case Add(terms=terms):
                self.broadcast(terms)
            case Product() | Quotient() | Power() | Call():
                self.same_term(children(node))
            case Hadamard():
                self.matrix_notation(node)
                self.same_term(children(node))
            case Transpose() | Identity() | Norm() | VectorLiteral() | Ones(indices=()):
                self.matrix_notation(node)
        for child in children(node):
            self.expression(child)

    def index_sum(self, letters: tuple[Letter, ...], body: Expr) -> None:
        free = set(free_indices(body))
        inner = _bound(body)
        for letter in letters:
            if letter.letter in inner:
                self.report(f"index {letter.letter} is summed twice", letter.start)
            elif letter.letter not in free:
                self.report(
                    f"index {letter.letter} of \\sum_{letter.letter} does not occur in its summand",
                    letter.start,
                )

    def same_term(self, factors: tuple[Node, ...]) -> None:
        for i, factor in enumerate(factors):
            summed = _bound(factor)
            for other in factors[:i] + factors[i + 1 :]:
                for letter in free_indices(other):
                    if letter in summed:
                        self.report(
                            f"index {letter} is summed and also free in the same term",
                            _first_occurrence(other, letter),
                        )

    def broadcast(self, terms: tuple[Expr, ...]) -> None:
        frees = [set(free_indices(term)) for term in terms]
        union = set().union(*frees)
        if any(free == union for free in frees):
            return
        for term, free in zip(terms, frees, strict=True):
            missing = sorted(union - free)
            if missing:
                self.report(
                    f"index {missing[0]} is free in another term but not in {self.quote(term)}, "
                    "and no term of the sum has all the free indices",
                    term.start,
                )
                return

    def matrix_notation(self, node: Node) -> None:
        message = f"{self.quote(node)} is matrix notation in an equation in index notation"
        self.report(message, node.start)


def index_problems(relation: Relation) -> list[IndexProblem]:
    """The problems of one relation in index notation (none for matrix or scalar notation)."""
    if relation.mode != "index":
        return []
    return _Checker(relation).check()
