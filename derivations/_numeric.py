"""Numerical derivatives of a forward function: the complex step, and a 5-point stencil.

All derivatives here are of the scalar projection phi(x) = <g, f(x)> along a
direction v, or of f itself along one coordinate. The complex step is exact to
rounding error but needs complex-safe forward code; the 5-point central stencil
works on any smooth function at a lower accuracy.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

COMPLEX_STEP = "complex step"
STENCIL = "5-point central difference"

_H_COMPLEX = 1e-20


class Forward:
    """The forward function bound to its inputs, counting its evaluations."""

    def __init__(self, f: Callable[..., Any], values: Mapping[str, Any]) -> None:
        self.f = f
        self.values = dict(values)
        self.evaluations = 0

    def __call__(self, **overrides: Any) -> np.ndarray:
        kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in self.values.items()}
        kwargs.update(overrides)
        self.evaluations += 1
        return np.asarray(self.f(**kwargs))

    def at_complex(self, name: str, imaginary: np.ndarray) -> np.ndarray | None:
        """f at x + i*imaginary, or None when f is visibly not complex-safe."""
        return self.at_complex_joint({name: imaginary})

    def at_complex_joint(self, imaginary: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """f with every named input x moved to x + i*imaginary, or None when f is visibly
        not complex-safe."""
        moved = {name: self.values[name] + 1j * part for name, part in imaginary.items()}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", np.exceptions.ComplexWarning)
                out = self(**moved)
        except Exception:  # any failure on complex input means: not complex-safe
            return None
        return out if np.iscomplexobj(out) else None


#: Steps tried by the stencil, largest first (divided by the direction's largest entry).
_STENCIL_STEPS = 0.1 * 4.0 ** -np.arange(9)


def _central(at: Callable[[float], Any], h: float) -> Any:
    """The 5-point central difference of t -> at(t) at 0 with step h (error O(h^4))."""
    f = {t: at(t * h) for t in (-2, -1, 1, 2)}
    return (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * h)


def _unit(v: np.ndarray) -> float:
    """Steps are divided by this, so that no element moves by more than the step itself."""
    return max(float(np.max(np.abs(v), initial=0.0)), 1e-300)


def _five_point(forward: Forward, g: np.ndarray, name: str, v: np.ndarray, h: float) -> float:
    x = forward.values[name]
    return _central(lambda t: float(np.sum(g * forward(**{name: x + t * v}))), h)


def stencil_directional(
    forward: Forward, g: np.ndarray, name: str, v: np.ndarray
) -> tuple[float, float, float]:
    """d/dt <g, f(x + t v)> at t = 0 by the 5-point central stencil, its error estimate, its step.

    The stencil (error O(h^4)) is taken at a ladder of steps; the answer is the one
    where two successive steps agree best, and their difference estimates its error.
    No single step suits every function: a function of differences of large inputs
    (softmax of logits near 1000) needs small steps, a noisy one larger steps. The
    step returned is how far the largest element of x moved.
    """
    estimates = [_five_point(forward, g, name, v, h / _unit(v)) for h in _STENCIL_STEPS]
    gaps = [abs(a - b) for a, b in zip(estimates, estimates[1:], strict=False)]
    best = int(np.argmin(gaps))
    return estimates[best + 1], gaps[best], float(_STENCIL_STEPS[best + 1])


def stencil_gradient(forward: Forward, g: np.ndarray, name: str, h: float) -> np.ndarray:
    """The gradient of <g, f> for ``name``, element by element, by the 5-point stencil at step h."""
    x = forward.values[name]
    gradient = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[index] = 1.0
        gradient[index] = _five_point(forward, g, name, e, h)
    return gradient


def complex_directional(forward: Forward, g: np.ndarray, name: str, v: np.ndarray) -> float | None:
    """d/dt <g, f(x + t v)> at t = 0 by the complex step, or None if f is not complex-safe."""
    out = forward.at_complex(name, _H_COMPLEX * v)
    if out is None:
        return None
    return float(np.sum(g * out.imag)) / _H_COMPLEX


def complex_safety(
    forward: Forward, y: np.ndarray, g: np.ndarray, directions: Mapping[str, np.ndarray]
) -> float | None:
    """d/dt <g, f(x + t v)> by the complex step along ``directions`` (all inputs at once), if the
    complex step can be trusted for f in those inputs; None if it cannot.

    f must accept complex input and return complex output, keep its real part
    (Re f(x + ih v) = f(x)), and give the same directional derivative as the stencil:
    the last test catches code that silently breaks the complex step (conj, abs, sign,
    casts) without raising. One evaluation in complex numbers and one central difference of
    two decide it for every input, since a break in any input shows along a joint random
    direction; the full ladder of 5-point stencils is taken only when they disagree.
    """
    out = forward.at_complex_joint({n: _H_COMPLEX * v for n, v in directions.items()})
    if out is None or out.shape != y.shape:
        return None
    scale = max(1.0, float(np.max(np.abs(y), initial=0.0)))
    if not np.allclose(out.real, y, rtol=1e-12, atol=1e-12 * scale):
        return None
    by_complex = float(np.sum(g * out.imag)) / _H_COMPLEX
    unit = max(_unit(v) for v in directions.values())
    first = _joint_two_point(forward, g, directions, 1e-4 / unit)
    if abs(by_complex - first) <= 1e-6 * max(abs(by_complex), abs(first)):
        return by_complex
    estimates = [_joint_five_point(forward, g, directions, h / unit) for h in _STENCIL_STEPS]
    gaps = [abs(a - b) for a, b in zip(estimates, estimates[1:], strict=False)]
    best = int(np.argmin(gaps))
    return by_complex if _agrees(by_complex, estimates[best + 1], gaps[best]) else None


def _joint_projection(forward: Forward, g: np.ndarray, directions) -> Callable[[float], float]:
    """t -> <g, f(x + t v)> with every input moved along its direction at once."""

    def at(t: float) -> float:
        moved = {n: forward.values[n] + t * v for n, v in directions.items()}
        return float(np.sum(g * forward(**moved)))

    return at


def _joint_five_point(forward: Forward, g: np.ndarray, directions, h: float) -> float:
    return _central(_joint_projection(forward, g, directions), h)


def _joint_two_point(forward: Forward, g: np.ndarray, directions, h: float) -> float:
    """The plain central difference (error O(h^2)): enough to tell a complex step that code
    broke (a sign, a part lost) from a sound one, in two evaluations instead of four."""
    at = _joint_projection(forward, g, directions)
    return (at(h) - at(-h)) / (2 * h)


def _agrees(by_complex: float, by_stencil: float, uncertainty: float) -> bool:
    allowed = 1e-6 * max(abs(by_complex), abs(by_stencil)) + 10 * uncertainty
    return abs(by_complex - by_stencil) <= allowed


def directional(method: str, forward: Forward, g: np.ndarray, name: str, v: np.ndarray) -> float:
    if method == COMPLEX_STEP:
        value = complex_directional(forward, g, name, v)
        if value is None:  # it was complex-safe a moment ago; treat as a broken forward
            raise RuntimeError("the forward function stopped accepting complex input")
        return value
    return stencil_directional(forward, g, name, v)[0]


def coordinate_derivative(
    method: str, forward: Forward, name: str, index: tuple[int, ...]
) -> np.ndarray:
    """d f / d x[index]: one column of the Jacobian, shaped like the output."""
    x = forward.values[name]
    e = np.zeros_like(x)
    e[index] = 1.0
    if method == COMPLEX_STEP:
        out = forward.at_complex(name, _H_COMPLEX * e)
        if out is None:
            raise RuntimeError("the forward function stopped accepting complex input")
        return out.imag / _H_COMPLEX
    return _central(lambda t: forward(**{name: x + t * e}), 1e-3)


def pointwise_derivative(method: str, forward: Forward, name: str) -> np.ndarray:
    """The derivative of an element-wise f at every element of ``name`` at once: f moved along
    the all-ones direction, each output element seeing only its own input element."""
    x = forward.values[name]
    ones = np.ones_like(x)
    if method == COMPLEX_STEP:
        out = forward.at_complex(name, _H_COMPLEX * ones)
        if out is None:
            raise RuntimeError("the forward function stopped accepting complex input")
        return out.imag / _H_COMPLEX
    return _central(lambda t: forward(**{name: x + t * ones}), 1e-3)


def numerical_jacobian(method: str, forward: Forward, name: str, out_shape: tuple) -> np.ndarray:
    """The full Jacobian, output indices first: one evaluation per input element."""
    x = forward.values[name]
    jac = np.empty(out_shape + x.shape)
    for index in np.ndindex(x.shape):
        jac[(...,) + index] = coordinate_derivative(method, forward, name, index)
    return jac


def localise(
    method: str, forward: Forward, g: np.ndarray, name: str, claimed: np.ndarray
) -> tuple[tuple[int, ...], float]:
    """The element of the gradient for ``name`` where claimed and numerical differ most.

    Small inputs are scanned element by element; large ones by bisection on
    directions restricted to halves of the remaining elements (O(log n) evaluations).
    Returns the index and the numerical value there.
    """
    x = forward.values[name]

    def partial(index: tuple[int, ...]) -> float:
        return float(np.sum(g * coordinate_derivative(method, forward, name, index)))

    if x.size <= 4096:
        numerical = np.array([partial(i) for i in np.ndindex(x.shape)]).reshape(x.shape)
        worst = np.unravel_index(int(np.argmax(np.abs(claimed - numerical))), x.shape)
        worst = tuple(int(i) for i in worst)
        return worst, float(numerical[worst])
    rng = np.random.default_rng(0)
    candidates = np.arange(x.size)
    while candidates.size > 1:
        halves = np.array_split(candidates, 2)
        gaps = []
        for half in halves:
            v = np.zeros(x.size)
            v[half] = rng.standard_normal(half.size)
            v = v.reshape(x.shape)
            numerical = directional(method, forward, g, name, v)
            gaps.append(abs(float(np.sum(claimed * v)) - numerical))
        candidates = halves[int(np.argmax(gaps))]
    worst = tuple(int(i) for i in np.unravel_index(int(candidates[0]), x.shape))
    return worst, partial(worst)
