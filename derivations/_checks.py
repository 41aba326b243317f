"""The three checks: a claimed VJP, a claimed Jacobian, and an identity between two expressions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import _numeric, _recording
from ._inputs import choose_wrt, copied, draw_inputs
from ._numeric import COMPLEX_STEP, Forward
from ._report import CheckReport, Element, GradientMismatch, IdentityMismatch

#: Tolerances on the normalised error, by method. The complex step is exact to
#: rounding (measured errors of correct gradients stay below 1e-15); the stencil
#: is good to about 1e-11 on smooth functions.
TOLERANCE = {COMPLEX_STEP: 1e-12, _numeric.STENCIL: 1e-8}
IDENTITY_TOLERANCE = 1e-12
LINEARITY_TOLERANCE = 1e-10
DIRECTIONS = 2
#: Directional derivatives smaller than this are zero for the check: the complex step
#: (h = 1e-20) cannot resolve them, since their imaginary parts underflow.
RESOLUTION = 1e-280

_PACKAGE = str(Path(__file__).resolve().parent)


def check(
    f: Callable[..., Any],
    vjp: Callable[..., Any],
    *,
    wrt: str | Iterable[str] | None = None,
    seed: int = 0,
    **inputs: Any,
) -> CheckReport:
    """Check that ``vjp(g, **inputs)`` is the vector-Jacobian product of ``f(**inputs)``.

    Inputs given as shape tuples are drawn from a standard normal in float64.
    The upstream gradient g and the directions v are standard normal. For each
    differentiated input x, <vjp(g), v> is compared with d/dt <g, f(x + t v)>,
    computed by the complex step when f is complex-safe and by a 5-point stencil
    otherwise; the error |a - n| / max(|vjp(g)| |v|, |n|) must stay within the
    method's tolerance. Shapes, dtypes, linearity in g and determinism are
    checked too. Raises GradientMismatch on any disagreement.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    values = draw_inputs(inputs, rng)
    names = choose_wrt(values, wrt)
    forward = Forward(f, values)
    y = _evaluate_output(forward)
    report = _new_report("vjp", f, values, names, y, seed)

    g = rng.standard_normal(y.shape)
    claimed = _claimed(vjp, g, values, names, "vjp")
    problem = _shape_problem(claimed, values, (), "gradient") or _step_free_problem(
        forward, y, vjp, g, claimed, values, names, rng
    )
    if problem:
        return _fail(report, GradientMismatch, problem, start, forward)

    directions = {
        name: [rng.standard_normal(values[name].shape) for _ in range(DIRECTIONS)] for name in names
    }
    report.method = _choose_method(forward, y, g, names, directions)
    report.tolerance = TOLERANCE[report.method]
    worst_name, report.error = names[0], 0.0
    for name in names:
        c = claimed[name]
        for v in directions[name]:
            numerical = _numeric.directional(report.method, forward, g, name, v)
            analytic = float(np.sum(c * v))
            scale = max(float(np.linalg.norm(c)) * float(np.linalg.norm(v)), abs(numerical))
            error = abs(analytic - numerical) / max(scale, RESOLUTION)
            if not error <= report.error:
                worst_name, report.error = name, error
    if not report.error <= report.tolerance:
        index, numerical = _numeric.localise(
            report.method, forward, g, worst_name, claimed[worst_name]
        )
        report.worst = Element(worst_name, index, float(claimed[worst_name][index]), numerical)
        problem = f"gradient for {worst_name!r} disagrees with the numerical derivative"
        return _fail(report, GradientMismatch, problem, start, forward)
    return _finish(report, start, forward)


def check_jacobian(
    f: Callable[..., Any],
    jacobian: Callable[..., Any],
    *,
    wrt: str | Iterable[str] | None = None,
    seed: int = 0,
    **inputs: Any,
) -> CheckReport:
    """Check a stated full Jacobian, laid out as ``output.shape + input.shape``.

    ``jacobian(**inputs)`` returns, per differentiated input, the array of
    d f[i...] / d x[p...]. It is compared element by element with the numerical
    Jacobian (one forward evaluation per input element); the error is the largest
    absolute difference over the largest magnitude. Raises GradientMismatch.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    values = draw_inputs(inputs, rng)
    names = choose_wrt(values, wrt)
    forward = Forward(f, values)
    y = _evaluate_output(forward)
    report = _new_report("jacobian", f, values, names, y, seed)

    claimed = _claimed(jacobian, None, values, names, "jacobian")
    problem = _shape_problem(claimed, values, y.shape, "Jacobian")
    if problem:
        return _fail(report, GradientMismatch, problem, start, forward)
    g = rng.standard_normal(y.shape)
    directions = {name: [rng.standard_normal(values[name].shape)] for name in names}
    report.method = _choose_method(forward, y, g, names, directions)
    report.tolerance = TOLERANCE[report.method]
    report.error = 0.0
    for name in names:
        numerical = _numeric.numerical_jacobian(report.method, forward, name, y.shape)
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
    lhs: Callable[..., Any], rhs: Callable[..., Any], *, seed: int = 0, **inputs: Any
) -> CheckReport:
    """Check that ``lhs(**inputs)`` and ``rhs(**inputs)`` agree to near machine precision.

    The error is the largest absolute difference over the largest magnitude among
    both sides and the float inputs (so an identity whose value is zero is judged
    against the size of what it was computed from). Raises IdentityMismatch.
    """
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    values = draw_inputs(inputs, rng)
    left = np.asarray(lhs(**copied(values)))
    right = np.asarray(rhs(**copied(values)))
    names = tuple(k for k, v in values.items() if isinstance(v, np.ndarray))
    report = _new_report("identity", lhs, values, names, left, seed)
    report.method = "direct comparison"
    report.tolerance = IDENTITY_TOLERANCE
    if left.shape != right.shape:
        problem = f"the two sides have different shapes: lhs {left.shape}, rhs {right.shape}"
        return _fail(report, IdentityMismatch, problem, start, None)
    for side, value in (("lhs", left), ("rhs", right)):
        if not np.all(np.isfinite(value)):
            return _fail(report, IdentityMismatch, f"{side} is not finite", start, None)
    scales = [np.max(np.abs(v), initial=0.0) for v in (left, right)]
    scales += [
        np.max(np.abs(v), initial=0.0)
        for v in values.values()
        if isinstance(v, np.ndarray) and v.dtype.kind == "f"
    ]
    error, index = _worst_difference(left, right, scale=float(max(scales)))
    report.error = error
    if not error <= report.tolerance:
        report.worst = Element("value", index, float(left[index]), float(right[index]))
        sides = (_name(lhs), _name(rhs))
        if "<lambda>" in sides:
            sides = ("lhs", "rhs")
        problem = f"{sides[0]} and {sides[1]} are not equal"
        return _fail(report, IdentityMismatch, problem, start, None)
    return _finish(report, start, None)


# -- helpers ---------------------------------------------------------------------------


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _evaluate_output(forward: Forward) -> np.ndarray:
    y = forward()
    if y.dtype != np.float64:
        raise TypeError(
            f"{_name(forward.f)} returned dtype {y.dtype}; a checked function must return float64"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{_name(forward.f)} returned non-finite values at the checked inputs")
    return y


def _new_report(kind, fn, values, names, y, seed) -> CheckReport:
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
        caller=_caller(),
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _caller() -> tuple[str, int] | None:
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame else None


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


def _step_free_problem(forward, y, vjp, g, claimed, values, names, rng) -> str:
    """Determinism of f and vjp, and linearity of vjp in g."""
    if not np.array_equal(forward(), y):
        return f"{_name(forward.f)} is not deterministic: two evaluations at the same inputs differ"
    again = _claimed(vjp, g, values, names, "vjp")
    for name in names:
        if not np.array_equal(np.asarray(again[name]), claimed[name]):
            return f"vjp is not deterministic: two calls give different gradients for {name!r}"
    g2 = rng.standard_normal(y.shape)
    a, b = 0.75, -1.25
    mixed = _claimed(vjp, a * g + b * g2, values, names, "vjp")
    separate = _claimed(vjp, g2, values, names, "vjp")
    for name in names:
        lhs = np.asarray(mixed[name])
        rhs = a * claimed[name] + b * np.asarray(separate[name])
        scale = max(float(np.linalg.norm(lhs)), float(np.linalg.norm(rhs)))
        if scale and float(np.linalg.norm(lhs - rhs)) > LINEARITY_TOLERANCE * scale:
            return (
                f"vjp is not linear in g: the gradient for {name!r} of a combination of "
                "two upstream gradients is not the combination of their gradients"
            )
    return ""


def _choose_method(forward, y, g, names, directions) -> str:
    safe = all(_numeric.is_complex_safe(forward, y, g, name, directions[name][0]) for name in names)
    return COMPLEX_STEP if safe else _numeric.STENCIL


def _worst_difference(a: np.ndarray, b: np.ndarray, scale: float | None = None):
    """The normalised largest difference between two arrays, and where it is."""
    diff = np.abs(a - b)
    if diff.size == 0:
        return 0.0, ()
    index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
    if scale is None:
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
