"""The three checks: a claimed VJP, a claimed Jacobian, and an identity between two expressions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import _numeric, _recording
from ._inputs import choose_wrt, copied, draw_inputs, streams
from ._numeric import COMPLEX_STEP, Forward
from ._report import CheckReport, Element, GradientMismatch, IdentityMismatch, format_shape

#: Tolerances on the normalised error, by method. The complex step is exact to
#: rounding (measured errors of correct gradients stay below 1e-15); the stencil
#: is good to about 1e-11 on smooth functions.
TOLERANCE = {COMPLEX_STEP: 1e-12, _numeric.STENCIL: 1e-8}
IDENTITY_TOLERANCE = 1e-12
LINEARITY_TOLERANCE = 1e-10
#: Random directions per differentiated input, by method. The complex step is exact to
#: rounding, so one direction per input leaves no error unseen (the first directions of all
#: inputs, taken at once, also decide the method); the stencil's error is larger, so it
#: takes two.
DIRECTIONS = {COMPLEX_STEP: 1, _numeric.STENCIL: 2}
#: Directional derivatives smaller than this are zero for the check: the complex step
#: (h = 1e-20) cannot resolve them, since their imaginary parts underflow.
RESOLUTION = 1e-280
#: A directional derivative below this fraction of |g| |v| counts as zero: an input
#: whose derivative is zero along every probed direction cannot tell right from wrong.
VANISHING = 1e-14
#: Inputs up to this size are also compared element by element when the stencil is
#: used: a directional check at 1e-8 can miss one wrong element among thousands.
ELEMENTWISE_LIMIT = 2048

_PACKAGE = str(Path(__file__).resolve().parent)

Names = str | Iterable[str] | None


def directional_error(
    claimed: np.ndarray, v: np.ndarray, numerical: float, claimed_norm: float | None = None
) -> float:
    """How far <claimed, v> is from the numerical directional derivative along v, relative to
    |claimed| |v| (or to the derivative itself, when that is larger)."""
    if claimed_norm is None:
        claimed_norm = float(np.linalg.norm(claimed))
    analytic = float(np.sum(claimed * v))
    scale = max(claimed_norm * float(np.linalg.norm(v)), abs(numerical))
    return abs(analytic - numerical) / max(scale, RESOLUTION)


def check(
    f: Callable[..., Any],
    vjp: Callable[..., Any],
    *,
    wrt: Names = None,
    seed: int = 0,
    verifies: Names = None,
    zero_gradient: Names = None,
    **inputs: Any,
) -> CheckReport:
    """Check that ``vjp(g, **inputs)`` is the vector-Jacobian product of ``f(**inputs)``.

    Inputs given as shape tuples are drawn from a standard normal in float64.
    The upstream gradient g and the directions v are standard normal, from a
    stream of the checker's own. For each differentiated input x,
    <vjp(g), v> is compared with d/dt <g, f(x + t v)>, computed by the complex
    step when f is complex-safe and by a 5-point stencil otherwise (then also
    element by element for inputs of modest size); the error
    |a - n| / max(|vjp(g)| |v|, |n|) must stay within the method's tolerance.
    Shapes, dtypes, linearity in g and determinism are checked too. An input
    whose numerical derivative vanishes in every direction fails, unless
    ``zero_gradient`` names it. ``verifies`` names the results the check proves.
    Raises GradientMismatch on any disagreement.
    """
    start = time.perf_counter()
    inputs_rng, rng = streams(seed)
    values = draw_inputs(inputs, inputs_rng)
    names = choose_wrt(values, wrt)
    zero = _subset(zero_gradient, names, "zero_gradient")
    forward = Forward(f, values)
    y = _evaluate_output(forward)
    report = _new_report("vjp", f, values, names, y, seed, verifies)

    g = rng.standard_normal(y.shape)
    claimed = _claimed(vjp, g, values, names, "vjp")
    problem = _shape_problem(claimed, values, (), "gradient") or _linearity_problem(
        vjp, y, g, claimed, values, names, rng
    )
    if problem:
        return _fail(report, GradientMismatch, problem, start, forward)

    first = {name: rng.standard_normal(values[name].shape) for name in names}
    by_joint = _numeric.complex_safety(forward, y, g, first)
    if by_joint is None and not np.array_equal(forward(), y):
        # (a complex-safe f has just reproduced y as its real part, so only here is it asked)
        problem = f"{_name(f)} is not deterministic: two evaluations at the same inputs differ"
        return _fail(report, GradientMismatch, problem, start, forward)
    report.method = COMPLEX_STEP if by_joint is not None else _numeric.STENCIL
    report.tolerance = TOLERANCE[report.method]
    directions = {
        name: [first[name]]
        + [rng.standard_normal(values[name].shape) for _ in range(DIRECTIONS[report.method] - 1)]
        for name in names
    }
    norms = {name: float(np.linalg.norm(claimed[name])) for name in names}
    report.error = 0.0
    steps: dict[str, float] = {}
    worst_error: dict[str, float] = {}
    numericals = _directional_derivatives(report.method, forward, g, directions, by_joint, norms)
    for name in names:
        c = claimed[name]
        for v, (numerical, step) in zip(directions[name], numericals[name], strict=True):
            if step is not None:  # the stencil's, for the element-wise pass below
                steps.setdefault(name, step)
            error = directional_error(c, v, numerical, norms[name])
            worst_error[name] = max(worst_error.get(name, 0.0), error)
            report.error = max(report.error, error)
        found = [numerical for numerical, _ in numericals[name]]
        problem = _vanishing_problem(name, g, directions[name], found, name in zero)
        if problem:
            return _fail(report, GradientMismatch, problem, start, forward)
    worst_name = max(names, key=lambda n: worst_error.get(n, 0.0))
    for name, step in steps.items():
        if values[name].size <= ELEMENTWISE_LIMIT:
            numerical = _numeric.stencil_gradient(forward, g, name, step)
            error, index = _worst_difference(claimed[name], numerical)
            if not error <= report.error:
                report.error = error
                report.worst = Element(
                    name, index, float(claimed[name][index]), float(numerical[index])
                )
                worst_name = name
    if not report.error <= report.tolerance:
        if report.worst is None or report.worst.name != worst_name:
            index, numerical = _numeric.localise(
                report.method, forward, g, worst_name, claimed[worst_name]
            )
            report.worst = Element(worst_name, index, float(claimed[worst_name][index]), numerical)
        problem = f"gradient for {worst_name!r} disagrees with the numerical derivative"
        return _fail(report, GradientMismatch, problem, start, forward)
    report.worst = None
    return _finish(report, start, forward)


def check_jacobian(
    f: Callable[..., Any],
    jacobian: Callable[..., Any],
    *,
    wrt: Names = None,
    seed: int = 0,
    verifies: Names = None,
    zero_gradient: Names = None,
    **inputs: Any,
) -> CheckReport:
    """Check a stated full Jacobian, laid out as ``output.shape + input.shape``.

    ``jacobian(**inputs)`` returns, per differentiated input, the array of
    d f[i...] / d x[p...]. It is compared element by element with the numerical
    Jacobian (one forward evaluation per input element); the error is the largest
    absolute difference over the largest magnitude. A Jacobian that is zero
    everywhere fails unless ``zero_gradient`` names its input. Raises
    GradientMismatch.
    """
    start = time.perf_counter()
    inputs_rng, rng = streams(seed)
    values = draw_inputs(inputs, inputs_rng)
    names = choose_wrt(values, wrt)
    zero = _subset(zero_gradient, names, "zero_gradient")
    forward = Forward(f, values)
    y = _evaluate_output(forward)
    report = _new_report("jacobian", f, values, names, y, seed, verifies)

    claimed = _claimed(jacobian, None, values, names, "jacobian")
    problem = _shape_problem(claimed, values, y.shape, "Jacobian")
    if problem:
        return _fail(report, GradientMismatch, problem, start, forward)
    g = rng.standard_normal(y.shape)
    joint = {name: rng.standard_normal(values[name].shape) for name in names}
    safe = _numeric.complex_safety(forward, y, g, joint) is not None
    report.method = COMPLEX_STEP if safe else _numeric.STENCIL
    report.tolerance = TOLERANCE[report.method]
    report.error = 0.0
    for name in names:
        numerical = _numeric.numerical_jacobian(report.method, forward, name, y.shape)
        vanishes = not np.any(np.abs(numerical) > RESOLUTION)
        if vanishes != (name in zero):
            problem = _zero_statement(name, vanishes, "Jacobian")
            return _fail(report, GradientMismatch, problem, start, forward)
        error, index = _worst_difference(claimed[name], numerical)
        if not error <= report.error:
            report.error = error
            report.worst = Element(
                f"d{report.function}/d{name}",
                index,
                float(claimed[name][index]),
                float(numerical[index]),
            )
    if not report.error <= report.tolerance:
        name = report.worst.name.rpartition("/d")[2]
        problem = f"Jacobian for {name!r} disagrees with the numerical derivative"
        return _fail(report, GradientMismatch, problem, start, forward)
    report.worst = None
    return _finish(report, start, forward)


def check_identity(
    lhs: Callable[..., Any],
    rhs: Callable[..., Any],
    *,
    seed: int = 0,
    verifies: Names = None,
    **inputs: Any,
) -> CheckReport:
    """Check that ``lhs(**inputs)`` and ``rhs(**inputs)`` agree to near machine precision.

    The error is the largest absolute difference over the largest magnitude of
    the two sides. Nothing else sets the scale, so an identity is judged by its
    own size: one that says "this expression is zero" must be written as two
    non-zero sides that agree (both sides zero is rejected). Raises
    IdentityMismatch.
    """
    start = time.perf_counter()
    inputs_rng, _ = streams(seed)
    values = draw_inputs(inputs, inputs_rng)
    left = np.asarray(lhs(**copied(values)))
    right = np.asarray(rhs(**copied(values)))
    names = tuple(k for k, v in values.items() if isinstance(v, np.ndarray))
    report = _new_report("identity", lhs, values, names, left, seed, verifies)
    report.method = "direct comparison"
    report.tolerance = IDENTITY_TOLERANCE
    if left.shape != right.shape:
        problem = f"the two sides have different shapes: lhs {left.shape}, rhs {right.shape}"
        return _fail(report, IdentityMismatch, problem, start, None)
    if left.size == 0:
        problem = "the two sides are empty: an identity over no elements proves nothing"
        return _fail(report, IdentityMismatch, problem, start, None)
    for side, value in (("lhs", left), ("rhs", right)):
        if not np.all(np.isfinite(value)):
            return _fail(report, IdentityMismatch, f"{side} is not finite", start, None)
    if not (np.any(left) or np.any(right)):
        problem = (
            "both sides are zero at every element, so the identity cannot fail: "
            "compare two non-zero expressions instead (for 'a - b = 0', check a against b)"
        )
        return _fail(report, IdentityMismatch, problem, start, None)
    error, index = _worst_difference(left, right)
    report.error = error
    if not error <= report.tolerance:
        report.worst = Element("value", index, float(left[index]), float(right[index]))
        sides = (_name(lhs), _name(rhs))
        if "<lambda>" in sides:
            sides = ("lhs", "rhs")
        problem = f"{sides[0]} and {sides[1]} are not equal"
        if not (np.any(left) and np.any(right)):
            problem += (
                " (one side is zero everywhere; an identity is judged relative to its "
                "two sides, so compare two non-zero expressions)"
            )
        return _fail(report, IdentityMismatch, problem, start, None)
    return _finish(report, start, None)


# -- helpers ---------------------------------------------------------------------------


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _names(value: Names, what: str) -> tuple[str, ...] | None:
    """A tuple of names from None, one string (split at spaces) or an iterable of strings."""
    if value is None:
        return None
    names = tuple(value.split()) if isinstance(value, str) else tuple(value)
    if not all(isinstance(n, str) for n in names):
        raise TypeError(f"{what} must name results as strings, not {value!r}")
    return names


def _subset(value: Names, names: tuple[str, ...], what: str) -> tuple[str, ...]:
    chosen = _names(value, what) or ()
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise ValueError(
            f"{what} names {', '.join(map(repr, unknown))}, but the differentiated inputs "
            f"are {', '.join(map(repr, names))}"
        )
    return chosen


def _evaluate_output(forward: Forward) -> np.ndarray:
    y = forward()
    if y.dtype != np.float64:
        raise TypeError(
            f"{_name(forward.f)} returned dtype {y.dtype}; a checked function must return float64"
        )
    if y.size == 0:
        raise ValueError(
            f"{_name(forward.f)} returned an empty array (shape {format_shape(y.shape)}): "
            "a check over no elements proves nothing"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{_name(forward.f)} returned non-finite values at the checked inputs")
    return y


def _new_report(kind, fn, values, names, y, seed, verifies) -> CheckReport:
    return CheckReport(
        kind=kind,
        function=_name(fn),
        method="",
        error=float("nan"),
        tolerance=float("nan"),
        inputs={k: tuple(np.shape(v)) for k, v in values.items() if isinstance(v, np.ndarray)},
        constants={k: _short(v) for k, v in values.items() if not isinstance(v, np.ndarray)},
        wrt=names,
        output_shape=tuple(y.shape),
        evaluations=0,
        seconds=0.0,
        seed=seed,
        verifies=_names(verifies, "verifies"),
        notes=_degenerate(values, names),
        stack=_caller_stack(),
    )


def _degenerate(values: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    """What about the checked inputs could hide an error: a reader should be told."""
    notes = []
    for name in names:
        x = values[name]
        if x.size == 1:
            notes.append(f"{name} has a single element: a transpose or a wrong sum cannot show")
        elif x.ndim >= 2 and x.shape[-1] == x.shape[-2] and np.allclose(x, np.swapaxes(x, -1, -2)):
            notes.append(f"{name} is square and symmetric: a missing transpose cannot show")
    return notes


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _caller_stack() -> tuple[tuple[str, int], ...]:
    """The frames outside this package that led to the check, outermost first."""
    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        if not frame.f_code.co_filename.startswith(_PACKAGE):
            frames.append((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return tuple(reversed(frames))


def _claimed(
    fn: Callable[..., Any], g: Any, values: Mapping[str, Any], names: tuple[str, ...], what: str
) -> dict[str, np.ndarray]:
    """Call the claimed vjp or jacobian and key its answer by input name."""
    out = fn(g, **copied(values)) if g is not None else fn(**copied(values))
    if isinstance(out, Mapping):
        missing = [n for n in names if n not in out]
        unknown = [k for k in out if k not in values]
        if unknown:
            raise TypeError(
                f"{what} returned {', '.join(map(repr, unknown))}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not an input"
            )
        if missing:
            raise TypeError(f"{what} returned no result for {', '.join(map(repr, missing))}")
        return {n: out[n] for n in names}
    if isinstance(out, (tuple, list)):
        if len(out) == len(names):
            return dict(zip(names, out, strict=True))
        if len(out) == len(values):
            by_input = dict(zip(values, out, strict=True))
            return {n: by_input[n] for n in names}
        raise TypeError(
            f"{what} returned {len(out)} results; expected {len(names)} "
            f"(for {', '.join(map(repr, names))}), in input order"
        )
    if len(names) == 1:
        return {names[0]: out}
    raise TypeError(
        f"{what} returned one result, but {len(names)} inputs are differentiated "
        f"({', '.join(map(repr, names))}): return a dict keyed by input name"
    )


def _shape_problem(claimed, values, out_shape, what) -> str:
    """A description of the first claimed array with the wrong shape, dtype or values."""
    for name, c in list(claimed.items()):
        arr = np.asarray(c)
        want = tuple(out_shape) + values[name].shape
        if arr.shape != want:
            return f"{what} for {name!r} has shape {arr.shape}, but it must have shape {want}" + (
                f", the shape of {name}"
                if not out_shape
                else " (output indices, then input indices)"
            )
        if arr.dtype != np.float64:
            return f"{what} for {name!r} has dtype {arr.dtype}, but {name} is float64"
        if not np.all(np.isfinite(arr)):
            return f"{what} for {name!r} has non-finite values"
        claimed[name] = arr
    return ""


def _linearity_problem(vjp, y, g, claimed, values, names, rng) -> str:
    """Linearity of vjp in g (which a vjp that is not deterministic breaks too: only then is
    it called a second time at g, to say which it is)."""
    g2 = rng.standard_normal(y.shape)
    a, b = 0.75, -1.25
    separate = _claimed(vjp, g2, values, names, "vjp")
    mixed = _claimed(vjp, a * g + b * g2, values, names, "vjp")
    for name in names:
        lhs = np.asarray(mixed[name])
        rhs = a * claimed[name] + b * np.asarray(separate[name])
        scale = max(float(np.linalg.norm(lhs)), float(np.linalg.norm(rhs)))
        if scale and float(np.linalg.norm(lhs - rhs)) > LINEARITY_TOLERANCE * scale:
            again = _claimed(vjp, g, values, names, "vjp")
            if any(not np.array_equal(np.asarray(again[n]), claimed[n]) for n in names):
                changed = next(
                    n for n in names if not np.array_equal(np.asarray(again[n]), claimed[n])
                )
                return (
                    f"vjp is not deterministic: two calls give different gradients for {changed!r}"
                )
            return (
                f"vjp is not linear in g: the gradient for {name!r} of a combination of "
                "two upstream gradients is not the combination of their gradients"
            )
    return ""


def _directional_derivatives(method, forward, g, directions, by_joint, norms) -> dict:
    """For each input, (d/dt <g, f(x + t v)>, step) along each of its directions: the step the
    stencil took, None for the complex step.

    With the complex step, ``by_joint`` is that derivative along the first directions of all
    inputs at once, the sum of theirs: the input whose term is largest (by |vjp| |v|) is read
    off as the rest of that sum, which saves one evaluation in complex numbers and loses
    nothing to cancellation, its term being the largest.
    """
    if method != COMPLEX_STEP:
        return {
            name: [_numeric.stencil_directional(forward, g, name, v)[::2] for v in directions[name]]
            for name in directions
        }
    bounds = {name: norms[name] * float(np.linalg.norm(vs[0])) for name, vs in directions.items()}
    rest = max(bounds, key=bounds.get) if max(bounds.values()) > 0 else None
    found = {
        name: [(_numeric.directional(method, forward, g, name, v), None) for v in vs]
        for name, vs in directions.items()
        if name != rest
    }
    if rest is not None:
        found[rest] = [(by_joint - sum(values[0][0] for values in found.values()), None)]
    return {name: found[name] for name in directions}


def _vanishing_problem(name, g, directions, numericals, said_zero) -> str:
    """Whether the numerical derivative is zero in every direction, and whether that was said."""
    norm_g = float(np.linalg.norm(g))
    vanishes = all(
        abs(n) <= VANISHING * norm_g * float(np.linalg.norm(v))
        for n, v in zip(numericals, directions, strict=True)
    )
    if vanishes == said_zero:
        return ""
    return _zero_statement(name, vanishes, "gradient")


def _zero_statement(name: str, vanishes: bool, what: str) -> str:
    if vanishes:
        return (
            f"the numerical derivative for {name!r} is zero in every direction probed, so "
            f"the check cannot tell a right {what} from a wrong one: choose inputs where it "
            f"is not zero, or say it is meant with zero_gradient={name!r}"
        )
    return f"zero_gradient names {name!r}, but its numerical derivative is not zero"


def _worst_difference(a: np.ndarray, b: np.ndarray):
    """The largest difference between two arrays over their largest magnitude, and where."""
    diff = np.abs(a - b)
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    return (float(diff[index]) / scale if scale > 0 else 0.0), index


def _finish(report: CheckReport, start: float, forward: Forward | None) -> CheckReport:
    report.seconds = time.perf_counter() - start
    report.evaluations = forward.evaluations if forward else 2
    _recording.record(report)
    return report


def _fail(report, exc_type, problem, start, forward):
    report.passed = False
    report.problem = problem
    _finish(report, start, forward)
    raise exc_type(report)
