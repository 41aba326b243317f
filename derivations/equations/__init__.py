r"""Reading the displayed math of a result equation and evaluating it numerically.

A reader trusts the LaTeX, not the Python beside it. This package parses the LaTeX of a result
equation in the notation of the series (the Conventions of docs/posts/tensor-calculus.md),
checks its index rules without evaluating anything, and evaluates each side with NumPy so a
caller can compare the sides with each other and a derivative side with a numerical derivative.
It uses NumPy and lark only and knows nothing of MkDocs or of the page runner.

API::

    equation = parse_equation(latex)        # the text between $$ and $$; EquationError if unread
    equation.relations                      # Relation: .sides, .mode, .free, .text, .offset
    equation.index_problems()               # [IndexProblem(message, offset)], static rules
    equation.symbols()                      # identifiers evaluating any side reads
    equation.derivatives()                  # every Derivative node, in reading order
    side.text, side.offset                  # the side's LaTeX and where it starts
    side.derivative                         # the Derivative the side is, or None
    value = evaluate(side, Environment(values, derivative))

Every offset is a character offset in the ``latex`` given to ``parse_equation``.

Notations. A relation is in *index notation* when it writes any index (its sides' values then
have one axis per free index of the left side, in ``relation.free`` order: order of first
appearance, so ``\frac{\partial y_{ij}}{\partial x_{pq}}`` gives (i, j, p, q)); otherwise in
*matrix notation* when it uses an upper-case symbol, ``^\top``, ``\odot``, ``\mathbb{I}`` or an
unindexed ``\mathbf{1}`` (lower-case vectors are columns, juxtaposition is the matrix product; a
column result comes back 1-d, a row 1 x n, a scalar 0-d); otherwise in *scalar notation*, where
values combine element-wise (one evaluation checks ``\sigma'(x) = \sigma(x)\,\sigma(-x)`` at many
points). Each relation of a display is in its own notation.

Naming rule, from LaTeX to the identifiers of ``Environment.values``:

- a letter is itself (``x``, ``W``, ``g`` the upstream gradient, ``L`` the loss); a Greek letter
  drops its backslash (``\gamma`` -> ``gamma``, ``\ell`` -> ``ell``, ``\varepsilon`` ->
  ``varepsilon``);
- an accent is a suffix: ``\hat{x}`` -> ``xhat``, ``\bar{x}`` -> ``xbar``, ``\tilde{G}`` ->
  ``Gtilde``; a text subscript is a suffix: ``X_{\text{flat}}`` -> ``X_flat``;
- a component ``x_{ij}`` is looked up as ``x``, then as the capital ``X`` of its tensor (the
  Conventions name a matrix X with components x_ij), and a matrix ``X`` as ``X``, then as ``x``
  if that holds a matrix; ``Environment.resolve`` says which key a name finds;
- a function is a name written directly before its parenthesis, ``\sigma(x)`` -> ``sigma``, or an
  ``\operatorname{softplus}`` -> ``softplus``; primes are suffixes, ``f'`` -> ``f_prime``,
  ``\operatorname{GELU}'`` -> ``GELU_prime``; a subscript joins with ``_``:
  ``\operatorname{unbroadcast}_X`` -> ``unbroadcast_X``. Bound functions are applied
  element-wise in index notation;
- built in, never looked up: ``\delta``, ``\mathbf{1}``, ``\mathbb{I}``, ``e``, ``\pi``,
  ``\exp \log \ln \sqrt \tanh \cosh \sinh \sin \cos \tan \max \min``, ``\lvert\rvert``,
  ``\lVert\rVert_F``, ``\lVert\rVert_2``, ``\operatorname{tr}``, ``\operatorname{diag}``;
- a capital whose lower case is an index of the relation is that index's range (``H`` in
  ``\frac{1}{H} \sum_h``) unless bound; when bound it must agree, and it gives the range.

Index ranges come from the axes of bound tensors (conflicts are errors naming both), from bound
capitals, and across deltas. Derivatives are never computed here: evaluating one calls
``env.derivative(numerator, denominator)`` with a ``Differentiand`` (its expression, the symbol
name when it is one, its free indices, whether it is the loss ``L``) and a ``Variable`` (name,
indices, ``total`` for ``d``, ``via`` for ``\left. \right|_{\text{via } c}``), and uses the array
returned, laid out output indices first. ``evaluate(numerator, env)`` gives the value of a
numerator expression, for a caller that differentiates it numerically.
"""

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
