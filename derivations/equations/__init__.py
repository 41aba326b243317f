"""Reading the displayed math of a result equation and evaluating it numerically."""

from ._errors import EquationError, IndexProblem
from ._parse import parse_equation
from ._tree import Derivative, Differentiand, Equation, Relation, Side, Variable

__all__ = [
    "Derivative",
    "Differentiand",
    "Equation",
    "EquationError",
    "IndexProblem",
    "Relation",
    "Side",
    "Variable",
    "parse_equation",
]
