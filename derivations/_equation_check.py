"""Checking a displayed equation: every side of every relation, evaluated from its own LaTeX.

A reader reads the LaTeX, so the LaTeX is what is proven. ``check_equation`` parses the
equation of a marked result, checks its index rules, evaluates each side with the values a
block binds, and requires all sides of each relation to agree; a derivative side is the
numerical derivative of what it differentiates (``derivations.equations`` reads the math,
this module supplies the numbers).

What a derivative differentiates:

- ``\\partial L``: the loss, whose gradient for an input X of the forward function f is the
  numerical gradient of <g, f(inputs)> (g the upstream gradient, drawn by the checker); for
  f's output itself it is g.
- a named tensor: f's output (named by ``output``, ``y`` by default), or a *definition*, a
  callable in ``symbols`` whose parameters name other values (``"c": lambda x, mu: x - mu``).
  A partial derivative recomputes only what depends on the variable directly (c with mu held
  fixed); a total one (``d``) recomputes every definition.
- any other expression: evaluated again with the variable changed, as for a partial.

Derivatives are taken element by element: by the complex step when what is differentiated is
complex-safe, else by a 5-point stencil. A relation that states a gradient or a Jacobian by a
variable of more than a few elements (``\\frac{\\partial L}{\\partial x_{...}} = ...``) is first
compared along one random direction, which costs a few evaluations instead of one an element;
only a disagreement, or a form that cannot be compared so, pays for the element-by-element
derivative.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import _numeric, _recording
from ._checks import (
    IDENTITY_TOLERANCE,
    TOLERANCE,
    _caller_stack,
    _evaluate_output,
    _short,
    directional_error,
)
from ._inputs import copied, draw_inputs, streams
from ._report import CheckReport, Element, EquationMismatch

_page_equations: dict[str, tuple[str, int]] = {}
_page_path = ""


def use_page_equations(equations: Mapping[str, tuple[str, int]], path: str) -> None:
    """The equations of the page being run: result name -> (LaTeX, line where it starts)."""
    global _page_path
    _page_equations.clear()
    _page_equations.update(equations)
    _page_path = path


def check_equation(
    name: str,
    f: Callable[..., Any] | None = None,
    *,
    symbols: Mapping[str, Any] | Callable[..., Mapping[str, Any]] | None = None,
    output: str = "y",
    latex: str | None = None,
    seed: int = 0,
    first_index: int = 1,
    **inputs: Any,
) -> CheckReport:
    """Check the displayed equation of result ``name``: all sides of each relation agree.

    ``f(**inputs)`` is the forward function (its output is bound as ``output``, and g, the
    upstream gradient, is drawn with its shape); ``symbols`` binds the other names the
    equation reads (arrays, numbers, functions it applies, definitions), as a mapping or as a
    function of the inputs that returns one. ``latex`` gives the equation directly (outside a
    page). A digit among the indices of a subscript (``x_{bm1}``) is a fixed position, counted
    from ``first_index`` (1, as the Conventions count; 0 on a page that counts from 0). The
    check proves result ``name``. Raises EquationMismatch.
    """
    from .equations import Environment, EquationError, evaluate, parse_equation

    start = time.perf_counter()
    text, line = _equation_of(name, latex)
    inputs_rng, rng = streams(seed)
    values = draw_inputs(inputs, inputs_rng) if inputs else {}
    report = CheckReport(
        kind="equation",
        function=name,
        method="direct comparison",
        error=float("nan"),
        tolerance=IDENTITY_TOLERANCE,
        inputs={k: tuple(np.shape(v)) for k, v in values.items() if isinstance(v, np.ndarray)},
        constants={k: _short(v) for k, v in values.items() if not isinstance(v, np.ndarray)},
        wrt=(),
        output_shape=(),
        evaluations=0,
        seconds=0.0,
        seed=seed,
        verifies=(name,),
        stack=_caller_stack(),
    )
    try:
        equation = parse_equation(text)
    except EquationError as error:
        return _fail(
            report,
            f"equation {name!r} cannot be read: {error.message}",
            start,
            text,
            line,
            error.offset,
        )
    for problem in equation.index_problems():
        return _fail(
            report, f"equation {name!r}: {problem.message}", start, text, line, problem.offset
        )
    report.relations = len(equation.relations)
    bound = _Bindings(f, values, symbols, output, rng, equation, first_index)
    if f is not None:
        report.output_shape = tuple(bound.values[output].shape)
    report.wrt = tuple(dict.fromkeys(d.denominator.name for d in equation.derivatives()))
    for relation in equation.relations:
        bound.sizes = []
        env = Environment(bound.values, bound.derivative, bound.first_index)
        try:
            if _agrees_along_a_direction(report, relation, bound, env):
                continue
        except EquationError:
            pass  # the element-by-element comparison below says what is wrong, and where
        try:
            sides = [np.asarray(evaluate(side, env), dtype=float) for side in relation.sides]
        except EquationError as error:
            return _fail(
                report, f"equation {name!r}: {error.message}", start, text, line, error.offset
            )
        problem = _compare(report, relation, sides, bound)
        if problem:
            worst_side, message = problem
            return _fail(
                report, f"equation {name!r}: {message}", start, text, line, worst_side.offset
            )
    report.method = bound.method
    report.tolerance = TOLERANCE.get(bound.method, IDENTITY_TOLERANCE)
    report.evaluations = bound.evaluations
    report.location = (_page_path, line)
    return _finish(report, start)


def _equation_of(name: str, latex: str | None) -> tuple[str, int]:
    if latex is not None:
        return latex, 0
    if name not in _page_equations:
        known = ", ".join(sorted(_page_equations)) or "none"
        raise ValueError(
            f"check_equation({name!r}): no display equation on this page is marked "
            f"<!-- result: {name} --> (results with an equation: {known})"
        )
    return _page_equations[name]


class _Bindings:
    """The values an equation is evaluated with, and the numerical derivatives it asks for."""

    def __init__(self, f, values, symbols, output, rng, equation, first_index: int) -> None:
        from .equations._tree import Call, walk

        self.f, self.inputs, self.output, self.rng = f, dict(values), output, rng
        self.method = "direct comparison"
        self.first_index = first_index  # positions in subscripts count from it
        self.evaluations = 0
        self.sizes: list[float] = []  # the magnitudes of the derivatives a relation reads
        given = dict(symbols(**copied(values)) if callable(symbols) else (symbols or {}))
        called = {
            node.function
            for relation in equation.relations
            for side in relation.sides
            for node in walk(side.expr)
            if isinstance(node, Call) and not node.builtin
        }
        self.definitions = {
            k: v for k, v in given.items() if callable(v) and k not in called and k != "g"
        }
        plain = {k: v for k, v in given.items() if k not in self.definitions}
        base = {**self.inputs, **plain}
        if f is not None:
            y = _evaluate_output(_numeric.Forward(f, self.inputs))
            base.setdefault(output, y)
            base.setdefault("g", rng.standard_normal(y.shape))
        self.base = base
        self.values = self._with_definitions(base, changed=None)
        if "g" not in self.values and output in self.values:  # the output is a definition
            self.base["g"] = self.values["g"] = rng.standard_normal(np.shape(self.values[output]))

    def _with_definitions(self, base: dict, changed: str | None, total: bool = True) -> dict:
        """``base`` with every definition's value: in dependency order (total), or, when only
        ``changed`` moved and the derivative is partial, recomputing just the definitions that
        take it directly, from the values before the move."""
        values = dict(base)
        pending = dict(self.definitions)
        if changed is not None and not total:
            before = dict(self.values, **{changed: base[changed]})
            for key, definition in pending.items():
                params = inspect.signature(definition).parameters
                if key != changed:
                    source = before if changed in params else self.values
                    values[key] = np.asarray(definition(**{p: source[p] for p in params}))
            return values
        while pending:
            progress = False
            for key, definition in list(pending.items()):
                if key == changed:
                    pending.pop(key)
                    continue
                params = inspect.signature(definition).parameters
                if all(p in values for p in params):
                    values[key] = np.asarray(definition(**{p: values[p] for p in params}))
                    pending.pop(key)
                    progress = True
            if pending and not progress:
                missing = {
                    k: [p for p in inspect.signature(d).parameters if p not in values]
                    for k, d in pending.items()
                }
                raise ValueError(f"definitions read values nobody binds: {missing}")
        return values

    def derivative(self, numerator, denominator) -> np.ndarray:
        """The numerical derivative of ``numerator`` by ``denominator``, output indices first."""
        from .equations import Environment, EquationError

        env = Environment(self.values)
        key = env.resolve(denominator.name, bool(denominator.indices))
        if key is None:
            raise EquationError(f"cannot differentiate by '{denominator.name}': it is not bound", 0)
        if numerator.is_loss and key == self.output:
            return self.values["g"]
        x0 = np.asarray(self.values[key], dtype=float)
        function = self._function(numerator, denominator, key, x0, env)
        if isinstance(function, np.ndarray):
            return function
        relation = numerator.relation
        return self._jacobian(
            function, x0, pointwise=relation is not None and relation.mode == "scalar"
        )

    def _function(self, numerator, denominator, key: str, x0: np.ndarray, env):
        """What the derivative differentiates, as a function of the variable ``key``; or the
        derivative itself when it needs no numbers (zero, the identity)."""
        from .equations import Environment, evaluate

        def moved(v: np.ndarray) -> dict:
            base = dict(self.base, **{key: v})
            return self._with_definitions(base, key, total=denominator.total)

        output_defined = self.output in self.definitions and (
            key not in self.inputs or self.f is None
        )
        if denominator.via:
            function = self._through(numerator, key, denominator.via)
        elif numerator.is_loss:
            if output_defined:  # an intermediate's gradient: everything after it recomputed
                g = self.values["g"]

                def function(v):
                    after = self._with_definitions(dict(self.base, **{key: v}), key, total=True)
                    return np.sum(g * after[self.output])

            else:
                function = self._loss_by(key)
        else:
            target = (
                env.resolve(numerator.name, bool(numerator.indices)) if numerator.name else None
            )
            if target == self.output and self.f is not None and not output_defined:
                function = self._output_by(key)
            elif target is not None and target != key and target not in self.definitions:
                shape = np.shape(self.values[target])
                return np.zeros(shape + x0.shape)
            elif target == key:
                return _identity(x0.shape)
            else:

                def function(v):  # the numerator evaluated with the variable moved
                    env = Environment(moved(v), self.derivative, self.first_index)
                    return evaluate(numerator, env)

        return function

    def _through(self, numerator, key: str, via: str):
        """A restricted derivative, ``|_{via c}``: the variable moves only where c reads it,
        and everything after c is computed again; other readers of the variable keep its
        value. It needs c, and the output when the loss is differentiated, as definitions."""
        from .equations import Environment

        node = Environment(self.values).resolve(via, False) or via
        if node not in self.definitions:
            raise ValueError(
                f"a derivative via {via!r} follows the path through {via}: bind {via!r} in "
                "symbols as a definition (a function of the values it is computed from)"
            )
        params = inspect.signature(self.definitions[node]).parameters
        if key not in params:
            raise ValueError(f"a derivative of {key!r} via {via!r}: {via} does not read {key}")
        if numerator.is_loss and self.output not in self.definitions:
            raise ValueError(
                f"a derivative of the loss via {via!r} needs the output {self.output!r} bound "
                "as a definition too, so that everything after the path can be recomputed"
            )
        target = self.output if numerator.is_loss else numerator.name

        def function(v):
            read = {p: (v if p == key else self.values[p]) for p in params}
            moved = dict(self.base, **{node: np.asarray(self.definitions[node](**read))})
            after = self._with_definitions(moved, node, total=True)
            value = after[target]
            return np.sum(self.values["g"] * value) if numerator.is_loss else value

        return function

    def _loss_by(self, key: str):
        if self.f is None or key not in self.inputs:
            takes = ", ".join(self.inputs) or "nothing"
            raise ValueError(
                f"the loss is differentiated by {key!r}, but the forward function takes {takes}: "
                f"pass a forward function f whose inputs include {key!r}"
            )
        g = self.values["g"]
        return lambda v: np.sum(g * self.f(**dict(copied(self.inputs), **{key: v})))

    def _output_by(self, key: str):
        if key not in self.inputs:
            raise ValueError(
                f"{self.output} is differentiated by {key!r}, which is not an input of the "
                "forward function"
            )
        return lambda v: self.f(**dict(copied(self.inputs), **{key: v}))

    def _jacobian(
        self, function: Callable[[np.ndarray], Any], x0: np.ndarray, *, pointwise: bool = False
    ) -> np.ndarray:
        """The Jacobian of ``function`` at ``x0``; in scalar notation, where values combine
        element by element, the derivative at every point at once (its diagonal)."""
        forward = _numeric.Forward(lambda v: function(v), {"v": x0})
        y0 = np.asarray(forward(), dtype=float)
        g = self.rng.standard_normal(y0.shape)
        v = self.rng.standard_normal(x0.shape)
        safe = _numeric.complex_safety(forward, y0, g, {"v": v}) is not None
        method = _numeric.COMPLEX_STEP if safe else _numeric.STENCIL
        if method == _numeric.STENCIL or self.method == "direct comparison":
            self.method = method
        if pointwise and y0.shape == x0.shape:
            jacobian = _numeric.pointwise_derivative(method, forward, "v")
        else:
            jacobian = _numeric.numerical_jacobian(method, forward, "v", y0.shape)
        self.evaluations += forward.evaluations
        self.sizes.append(float(np.max(np.abs(jacobian), initial=0.0)))
        return jacobian


#: A derivative by a variable of more elements than this is compared along a random direction
#: first (by method): a directional derivative costs a few evaluations, element by element it
#: costs one an element. The stencil's tolerance is wider, so it needs many more elements before
#: a direction is as sharp as the elements, and it is used for loss gradients only.
DIRECTIONAL_ABOVE = {_numeric.COMPLEX_STEP: 16, _numeric.STENCIL: 2048}


class _NotPlain(Exception):
    """The side is not the derivative read off element for element."""


def _agrees_along_a_direction(report, relation, bound: _Bindings, env) -> bool:
    """True when the relation's left side is one derivative by one variable of more than a few
    elements (the loss's gradient, or the Jacobian of a tensor), arranged in some order of its
    elements, and every other side, put in that order, has its directional derivative: along
    a random direction v of the variable for a gradient, and, for a Jacobian, also seen
    through a random weighting u of what is differentiated, <u, J v>.

    This replaces n evaluations (one an element of the variable) by a few. It only ever
    proves: a relation that is not of this form, or that disagrees, is compared element by
    element, which names the worst element. The order is read by evaluating the left side
    with element numbers in place of the derivative; a side that is not a plain rearrangement
    (a sum, a repeated index, a factor, a pointwise derivative) does not return each number
    once and is not taken.
    """
    from .equations import Environment, evaluate

    left, others = relation.sides[0], relation.sides[1:]
    derivative = left.derivative
    if derivative is None or not others:
        return False
    key = Environment(bound.values).resolve(
        derivative.denominator.name, bool(derivative.denominator.indices)
    )
    if key is None or key == bound.output:
        return False
    x0 = np.asarray(bound.values[key], dtype=float)
    if x0.size <= min(DIRECTIONAL_ABOVE.values()):
        return False
    function = bound._function(derivative.numerator, derivative.denominator, key, x0, env)
    if isinstance(function, np.ndarray):  # zero or the identity: nothing to evaluate
        return False
    forward = _numeric.Forward(lambda v: function(v), {"v": x0})
    y0 = np.asarray(forward(), dtype=float)
    loss = derivative.numerator.is_loss
    if (loss and y0.shape != ()) or (not loss and relation.mode == "scalar"):
        return False  # in scalar notation a derivative is taken at every point: its diagonal
    shape = x0.shape if loss else y0.shape + x0.shape
    size = int(np.prod(shape))

    def numbers(numerator, denominator) -> np.ndarray:
        if numerator is not derivative.numerator or denominator is not derivative.denominator:
            raise _NotPlain
        return np.arange(size, dtype=float).reshape(shape)

    try:
        order = np.asarray(
            evaluate(left, Environment(bound.values, numbers, bound.first_index)), dtype=float
        )
    except _NotPlain:
        return False
    if order.size != size or not np.array_equal(np.sort(order.ravel()), np.arange(size)):
        return False
    placed = []
    for side in others:
        value = np.asarray(evaluate(side, env), dtype=float)
        if value.shape != order.shape or not np.any(value):
            return False
        arranged = np.empty(size)
        arranged[order.ravel().astype(np.intp)] = value.ravel()
        placed.append(arranged.reshape(shape))
    u = np.ones(()) if loss else bound.rng.standard_normal(y0.shape)
    v = bound.rng.standard_normal(x0.shape)
    numerical = _numeric.complex_safety(forward, y0, u, {"v": v})
    method = _numeric.COMPLEX_STEP
    if numerical is None:
        method = _numeric.STENCIL
        if not loss or x0.size <= DIRECTIONAL_ABOVE[method]:
            return False
        numerical = _numeric.stencil_directional(forward, u, "v", v)[0]
    weights = v if loss else np.multiply.outer(u, v)
    errors = [directional_error(claimed, weights, numerical) for claimed in placed]
    if not max(errors) <= TOLERANCE[method]:
        return False
    bound.evaluations += forward.evaluations
    if method == _numeric.STENCIL or bound.method == "direct comparison":
        bound.method = method
    report.error = max(errors) if not report.error >= max(errors) else report.error
    return True


def _identity(shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    return np.eye(n).reshape(shape + shape)


def _compare(report, relation, sides, bound):
    """The first side that disagrees with the left one, and how, or None."""
    left = sides[0]
    for side, value in zip(relation.sides[1:], sides[1:], strict=True):
        if value.shape != left.shape:
            return side, (
                f"the side {_quote(side.text)} has shape {value.shape}, but the left side "
                f"{_quote(relation.sides[0].text)} has shape {left.shape}"
            )
    scale = max(float(np.max(np.abs(v), initial=0.0)) for v in sides)
    if not any(np.any(v) for v in sides):
        return relation.sides[
            -1
        ], "every side is zero at every element, so the relation cannot fail"
    if not all(np.any(v) for v in sides):
        read = [
            float(np.max(np.abs(bound.values[s]), initial=0.0))
            for s in relation_symbols(relation)
            if isinstance(bound.values.get(s), np.ndarray) and bound.values[s].dtype.kind == "f"
        ]
        scale = max([scale, *read, *bound.sizes])
    tolerance = TOLERANCE.get(bound.method, IDENTITY_TOLERANCE)
    for side, value in zip(relation.sides[1:], sides[1:], strict=True):
        diff = np.abs(value - left)
        error = float(np.max(diff, initial=0.0)) / scale if scale else 0.0
        report.error = error if not report.error >= error else report.error
        if not error <= tolerance:
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
            report.worst = Element(
                _where(relation, index, bound.first_index),
                index,
                float(value[index]),
                float(left[index]),
            )
            report.method, report.tolerance = bound.method, tolerance
            what = "the numerical derivative" if relation.sides[0].derivative else "the left side"
            left_text = _quote(relation.sides[0].text)
            return side, f"the side {_quote(side.text)} disagrees with {what} {left_text}"
    return None


def relation_symbols(relation) -> set[str]:
    return set().union(*(side.symbols() for side in relation.sides))


def _where(relation, index: tuple[int, ...], first_index: int = 1) -> str:
    """Where the worst element is, by index letter, counted as the page counts."""
    letters = relation.free if relation.mode == "index" else ()
    if len(letters) == len(index) and letters:
        at = zip(letters, index, strict=True)
        return "at " + ", ".join(f"{a}={i + first_index}" for a, i in at)
    return "element"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return "`" + (text if len(text) <= 70 else text[:67] + "...") + "`"


def _finish(report: CheckReport, start: float) -> CheckReport:
    report.seconds = time.perf_counter() - start
    _recording.record(report)
    return report


def _fail(report, problem, start, text, line, offset):
    report.passed = False
    report.problem = problem
    if line:
        report.location = (_page_path, line + text[: max(0, offset)].count("\n"))
    _finish(report, start)
    raise EquationMismatch(report)
