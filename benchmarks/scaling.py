"""How the cost of ``check`` and ``check_jacobian`` grows with the size of the input.

Two functions, layer norm (x of shape (B, H), gamma and beta of shape (H,)) and a matrix
product (X of shape (n, k) times A of shape (k, n)), at inputs of 10 to 10^6 elements.
``check`` evaluates the forward a fixed number of times, whatever the size; ``check_jacobian``
once per input element, and it holds two Jacobians of output-size x input-size entries, so it
is run only up to ``jacobian_limit`` elements (10^4 by default: 800 MB per Jacobian).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from catalogue import layer_norm, layer_norm_vjp  # noqa: E402, I001

from derivations import check, check_jacobian  # noqa: E402

from .sharpness import ROOT  # noqa: F401  (puts the project and tests/ on sys.path)

SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000)
#: x of layer norm, (B, H), by number of elements.
LAYER_NORM_SHAPES = {
    10: (1, 10),
    100: (10, 10),
    1_000: (10, 100),
    10_000: (100, 100),
    100_000: (100, 1_000),
    1_000_000: (1_000, 1_000),
}
#: X of the matrix product, (n, k); A has the transposed shape (k, n).
MATMUL_SHAPES = {
    10: (2, 5),
    100: (10, 10),
    1_000: (25, 40),
    10_000: (100, 100),
    100_000: (250, 400),
    1_000_000: (1_000, 1_000),
}


def layer_norm_jacobian(x, gamma, beta, eps):
    """d y[b, h] / d (x[b', p], gamma[p], beta[p]) for x of shape (B, H)."""
    B, H = x.shape
    c = x - x.mean(axis=-1, keepdims=True)
    sigma = np.sqrt((c**2).mean(axis=-1, keepdims=True) + eps)
    xhat = c / sigma
    eye = np.eye(H)
    block = (eye[None] - 1.0 / H - xhat[:, :, None] * xhat[:, None, :] / H) * (
        gamma[None, :, None] / sigma[:, :, None]
    )
    jx = np.zeros((B, H, B, H))
    rows = np.arange(B)
    jx[rows, :, rows, :] = block
    return {
        "x": jx,
        "gamma": np.einsum("bh,hp->bhp", xhat, eye),
        "beta": np.broadcast_to(eye, (B, H, H)).copy(),
    }


def matmul(X, A):
    return X @ A


def matmul_vjp(g, X, A):
    return {"X": g @ A.T, "A": X.T @ g}


def matmul_jacobian(X, A):
    """d Y[i, j] / d (X[p, q], A[p, q]) for Y = X A."""
    n, m = X.shape[0], A.shape[1]
    return {
        "X": np.einsum("ip,qj->ijpq", np.eye(n), A),
        "A": np.einsum("ip,jq->ijpq", X, np.eye(m)),
    }


@dataclass(frozen=True)
class Subject:
    name: str
    f: Callable[..., Any]
    vjp: Callable[..., Any]
    jacobian: Callable[..., Any]
    inputs: Callable[[int], dict[str, Any]]  # elements -> keyword inputs of the check


def _layer_norm_inputs(size: int) -> dict[str, Any]:
    B, H = LAYER_NORM_SHAPES[size]
    return {"x": (B, H), "gamma": (H,), "beta": (H,), "eps": 1e-5}


def _matmul_inputs(size: int) -> dict[str, Any]:
    n, k = MATMUL_SHAPES[size]
    return {"X": (n, k), "A": (k, n)}


SUBJECTS = (
    Subject("layer norm", layer_norm, layer_norm_vjp, layer_norm_jacobian, _layer_norm_inputs),
    Subject("matrix product", matmul, matmul_vjp, matmul_jacobian, _matmul_inputs),
)


@dataclass
class Point:
    subject: str
    checker: str  # "check" or "check_jacobian"
    elements: int  # elements of the first input (x or X)
    shapes: str
    method: str
    evaluations: int
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shapes(inputs: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in inputs.items() if isinstance(v, tuple))


def measure_point(subject: Subject, checker: str, size: int, repeats: int) -> Point:
    inputs = subject.inputs(size)
    fn = check if checker == "check" else check_jacobian
    claim = subject.vjp if checker == "check" else subject.jacobian
    seconds, report = [], None
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        report = fn(subject.f, claim, seed=0, **inputs)
        seconds.append(time.perf_counter() - start)
        assert report.passed
    return Point(
        subject.name, checker, size, _shapes(inputs), report.method, report.evaluations, seconds
    )


def run(
    *,
    sizes=SIZES,
    jacobian_limit: int = 10_000,
    repeats: int = 5,
    progress: Callable[[str], None] | None = None,
) -> list[Point]:
    points = []
    for subject in SUBJECTS:
        for size in sizes:
            # fewer repeats where one run takes seconds
            n = repeats if size < 1_000_000 else max(3, repeats // 2)
            points.append(measure_point(subject, "check", size, n))
            if progress:
                p = points[-1]
                progress(f"check {subject.name} {size}: {p.median:.3f} s, {p.evaluations} evals")
        for size in sizes:
            if size > jacobian_limit:
                continue
            n = repeats if size < 10_000 else 3
            points.append(measure_point(subject, "check_jacobian", size, n))
            if progress:
                p = points[-1]
                progress(
                    f"check_jacobian {subject.name} {size}: {p.median:.3f} s, {p.evaluations} evals"
                )
    return points
