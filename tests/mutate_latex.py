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
    relation = next((r for r in equation.relations if len(r.sides) > 1), None)
    if relation is None:
        return {}
    side = next((s for s in reversed(relation.sides) if not isinstance(s.expr, Number)), None)
    if side is None:
        return {}
    start, end = side.offset, side.offset + len(side.text)
    found = {}
    # A relation that states "= 0" is blind to a sign or a factor on its other sides: what is
    # zero stays zero. Only a dropped term or a wrong index can make it false.
    if not any(isinstance(s.expr, Number) and s.expr.value == 0 for s in relation.sides):
        found["sign"] = latex[:start] + r"-\left(" + side.text + r"\right)" + latex[end:]
        found["factor"] = latex[:start] + r"2\left(" + side.text + r"\right)" + latex[end:]
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
            matrices = [n for n in nodes if isinstance(n, Symbol) and n.name[:1].isupper()]
            matrix = matrices[-1] if matrices else None  # the last: not a count like 1/B
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
