"""Mutations of a result equation's LaTeX: the errors an author makes, each a copy of the text.

Every mutant changes one side of one relation (the last side of the first relation that is not
a plain number): a flipped sign, a changed factor, two letters of a subscript swapped, a
transpose dropped or added, a term dropped. Only mutants that still parse are returned: an
equation that does not parse proves nothing about the check of its values.
"""

from __future__ import annotations

from derivations.equations import EquationError, parse_equation
from derivations.equations._tree import Add, Delta, Number, Symbol, Transpose, walk

KINDS = ("sign", "factor", "subscripts", "transpose", "term")


def mutants(latex: str) -> dict[str, str]:
    """Kind of mistake -> the mutated LaTeX, for the kinds that apply to this equation."""
    equation = parse_equation(latex)
    side = next(
        (
            relation.sides[-1]
            for relation in equation.relations
            if len(relation.sides) > 1 and not isinstance(relation.sides[-1].expr, Number)
        ),
        None,
    )
    if side is None:
        return {}
    start, end = side.offset, side.offset + len(side.text)
    found = {
        "sign": latex[:start] + r"-\left(" + side.text + r"\right)" + latex[end:],
        "factor": latex[:start] + r"2\left(" + side.text + r"\right)" + latex[end:],
    }
    nodes = list(walk(side.expr))
    for node in nodes:
        if isinstance(node, Symbol) and not isinstance(node, Delta):
            letters = [i for i in node.indices if hasattr(i, "letter")]
            if len(letters) >= 2 and letters[0].letter != letters[1].letter:
                a, b = letters[0], letters[1]
                found["subscripts"] = (
                    latex[: a.start] + b.letter + latex[a.end : b.start] + a.letter + latex[b.end :]
                )
                break
    if side.relation.mode == "matrix":
        transposed = next((n for n in nodes if isinstance(n, Transpose)), None)
        if transposed is not None:
            found["transpose"] = latex[: transposed.operand.end] + latex[transposed.end :]
        else:
            matrix = next(
                (n for n in nodes if isinstance(n, Symbol) and n.name[:1].isupper()), None
            )
            if matrix is not None:
                found["transpose"] = latex[: matrix.end] + r"^\top" + latex[matrix.end :]
    if isinstance(side.expr, Add) and len(side.expr.terms) >= 2:
        last, before = side.expr.terms[-1], side.expr.terms[-2]
        found["term"] = latex[: before.end] + latex[last.end :]
    return {kind: text for kind, text in found.items() if _parses(text)}


def _parses(latex: str) -> bool:
    try:
        parse_equation(latex)
    except EquationError:
        return False
    return True
