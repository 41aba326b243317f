"""Reading the displayed math of a result equation and evaluating it numerically."""

from ._environment import Environment
from ._errors import EquationError, IndexProblem
from ._evaluate import evaluate
from ._parse import parse_equation
from ._tree import Derivative, Differentiand, Equation, Relation, Side, Variable

__all__ = [
    "Derivative",
    "Differentiand",
    "Environment",
    "Equation",
    "EquationError",
    "IndexProblem",
    "Relation",
    "Side",
    "Variable",
    "evaluate",
    "parse_equation",
]
