"""How the cost of ``check`` and ``check_jacobian`` grows with the size of the input.

Layer norm (x of shape (B, H), gamma and beta of shape (H,)) and a matrix product (X of shape
(n, k) times A of shape (k, n)), at 10 to 10^6 elements of x or X. ``check`` is set against
one forward plus one backward evaluation at the same inputs. ``check_jacobian`` holds two
Jacobians of output-size x input-size entries, so it runs only up to ``jacobian_limit``.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from catalogue import layer_norm, layer_norm_vjp

from derivations import check, check_jacobian

from .sharpness import draw

Array = np.ndarray
#: elements of the first input -> the shapes of layer norm's x (B, H) and the product's X (n, k)
SHAPES = {
    10: ((1, 10), (2, 5)),
    100: ((10, 10), (10, 10)),
    1_000: ((10, 100), (25, 40)),
    10_000: ((100, 100), (100, 100)),
    100_000: ((100, 1_000), (250, 400)),
    1_000_000: ((1_000, 1_000), (1_000, 1_000)),
}


def layer_norm_jacobian(x: Array, gamma: Array, beta: Array, eps: float) -> dict[str, Array]:
    """d y[b, h] / d (x[b', p], gamma[p], beta[p]) for x of shape (B, H)."""
    B, H = x.shape
    c = x - x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt((c**2).mean(axis=-1, keepdims=True) + eps)
    xhat, eye = c / sigma, np.eye(H)
    block = (eye[None] - 1.0 / H - xhat[:, :, None] * xhat[:, None, :] / H) * (
        gamma[None, :, None] / sigma[:, :, None]
    )
    jx = np.zeros((B, H, B, H))
    jx[np.arange(B), :, np.arange(B), :] = block
    beta_jacobian = np.broadcast_to(eye, (B, H, H)).copy()
    return {"x": jx, "gamma": np.einsum("bh,hp->bhp", xhat, eye), "beta": beta_jacobian}


def matmul(X: Array, A: Array) -> Array:
    """Y = X A."""
    return X @ A


def matmul_vjp(g: Array, X: Array, A: Array) -> dict[str, Array]:
    """The gradients of <g, X A> for X and for A."""
    return {"X": g @ A.T, "A": X.T @ g}


def matmul_jacobian(X: Array, A: Array) -> dict[str, Array]:
    """d Y[i, j] / d (X[p, q], A[p, q]) for Y = X A."""
    eye_n, eye_m = np.eye(X.shape[0]), np.eye(A.shape[1])
    return {"X": np.einsum("ip,qj->ijpq", eye_n, A), "A": np.einsum("ip,jq->ijpq", X, eye_m)}


def _layer_norm_inputs(size: int) -> dict[str, Any]:
    B, H = SHAPES[size][0]
    return {"x": (B, H), "gamma": (H,), "beta": (H,), "eps": 1e-5}


def _matmul_inputs(size: int) -> dict[str, Any]:
    n, k = SHAPES[size][1]
    return {"X": (n, k), "A": (k, n)}


#: name -> (forward, vjp, jacobian, elements -> the keyword inputs of the check)
SUBJECTS = {
    "layer norm": (layer_norm, layer_norm_vjp, layer_norm_jacobian, _layer_norm_inputs),
    "matrix product": (matmul, matmul_vjp, matmul_jacobian, _matmul_inputs),
}


def _timed(call: Callable[[], Any], repeats: int, collect: bool = True) -> tuple[list, Any]:
    """Seconds of each call, and the last result; ``collect`` runs the garbage collector first
    (it leaves the caches cold, which a call of microseconds would feel)."""
    seconds = []
    for _ in range(repeats):
        if collect:
            gc.collect()
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def measure_point(subject: str, checker: str, size: int, repeats: int) -> dict[str, Any]:
    """One checker on one subject at one size: seconds and evaluations, and for ``check`` the
    seconds of one forward plus one backward evaluation at its inputs."""
    f, vjp, jacobian, inputs_of = SUBJECTS[subject]
    inputs = inputs_of(size)
    fn, claim = (check, vjp) if checker == "check" else (check_jacobian, jacobian)
    seconds, report = _timed(lambda: fn(f, claim, seed=0, **inputs), repeats)
    assert report.passed
    shapes = ", ".join(f"{k} {v}" for k, v in inputs.items() if isinstance(v, tuple))
    point = {"subject": subject, "checker": checker, "elements": size, "shapes": shapes}
    point.update(method=report.method, evaluations=report.evaluations, seconds=seconds)
    if checker == "check":
        values = draw(inputs, 0)
        g = np.random.default_rng(1).standard_normal(np.shape(f(**values)))
        forward_backward = lambda: (f(**values), vjp(g, **values))  # noqa: E731
        point["forward_backward"] = _timed(forward_backward, repeats, collect=False)[0]
        point["parts"] = _parts(f, vjp, values, g, repeats)
    return point


def _parts(f, vjp, values: dict, g: Array, repeats: int) -> dict[str, list[float]]:
    """What a check's evaluations cost one by one: the forward, the forward in complex numbers
    (the complex step moves every array input), and the claimed VJP."""
    moved = {
        k: v + 1e-20j * np.random.default_rng(2).standard_normal(v.shape)
        if isinstance(v, np.ndarray)
        else v
        for k, v in values.items()
    }
    return {
        "forward": _timed(lambda: f(**values), repeats, collect=False)[0],
        "complex forward": _timed(lambda: f(**moved), repeats, collect=False)[0],
        "backward": _timed(lambda: vjp(g, **values), repeats, collect=False)[0],
    }


def run(*, jacobian_limit: int, repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Each subject under ``check`` at every size, then under ``check_jacobian`` to the limit."""
    points = []
    for subject in SUBJECTS:
        for checker, largest, many in (
            ("check", 10**6, 10**6),
            ("check_jacobian", jacobian_limit, 10**4),
        ):
            for size in (size for size in SHAPES if size <= largest):
                # fewer repeats where one run takes seconds
                n = repeats if size < many else (max(3, repeats // 2) if checker == "check" else 3)
                points.append(p := measure_point(subject, checker, size, n))
                median = statistics.median(p["seconds"])
                progress(f"{checker} {subject} {size}: {median:.3f} s, {p['evaluations']} evals")
    return {"jacobian_limit": jacobian_limit, "points": points}
