"""A catalogue of correct and deliberately wrong VJPs: the data the engine's sharpness is judged on.

Each case pairs a forward function with a claimed backward. ``CORRECT`` must pass
for every seed; every case in ``WRONG`` must be caught. Shared by the tests and
the benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable[..., Any]
    vjp: Callable[..., Any]
    make_inputs: Callable[[np.random.Generator], dict[str, Any]]

    def inputs(self, seed: int) -> dict[str, Any]:
        return self.make_inputs(np.random.default_rng(10_000 + seed))


def shapes(**named: tuple[int, ...]) -> Callable[[np.random.Generator], dict[str, Any]]:
    """Inputs drawn by the checker itself from these shapes."""
    return lambda rng: dict(named)


def away_from_zero(shape: tuple[int, ...]) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: np.where(rng.random(shape) < 0.5, -1.0, 1.0) * (0.5 + rng.random(shape))


def well_conditioned(n: int) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: 3.0 * np.eye(n) + 0.3 * rng.standard_normal((n, n))


# -- forward functions ---------------------------------------------------------------------


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def softmax(z):
    e = np.exp(z - np.max(z.real, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layer_norm(x, gamma, beta, eps):
    mu = np.mean(x, axis=-1, keepdims=True)
    c = x - mu
    var = np.mean(c**2, axis=-1, keepdims=True)
    return gamma * c / np.sqrt(var + eps) + beta


def layer_norm_vjp(g, x, gamma, beta, eps, *, drop_eps=False, drop_mean_term=False):
    H = x.shape[-1]
    c = x - np.mean(x, axis=-1, keepdims=True)
    var = np.mean(c**2, axis=-1, keepdims=True)
    sigma = np.sqrt(var + (0.0 if drop_eps else eps))
    xhat = c / sigma
    gx = g * gamma
    dx = gx - np.sum(gx * xhat, axis=-1, keepdims=True) * xhat / H
    if not drop_mean_term:
        dx = dx - np.mean(gx, axis=-1, keepdims=True)
    lead = tuple(range(x.ndim - 1))
    return {"x": dx / sigma, "gamma": np.sum(g * xhat, axis=lead), "beta": np.sum(g, axis=lead)}


def cross_entropy(z, labels):
    """Mean cross-entropy of logits z (B, C) against integer labels (B,)."""
    shifted = z - np.max(z.real, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(logp[np.arange(z.shape[0]), labels])


def cross_entropy_vjp(g, z, labels, *, reduce_mean=True):
    s = softmax(z)
    onehot = np.eye(z.shape[1])[labels]
    return g * (s - onehot) / (z.shape[0] if reduce_mean else 1.0)


def gelu(x):
    erf = np.vectorize(__import__("math").erf)
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def gelu_vjp(g, x, *, drop_pdf_term=False):
    erf = np.vectorize(__import__("math").erf)
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * x**2) / np.sqrt(2.0 * np.pi)
    return g * (cdf + (0.0 if drop_pdf_term else x * pdf))


def large_logits(rng: np.random.Generator) -> dict[str, Any]:
    """Logits of magnitude 1000 whose targets are not the most likely class.

    Were every target the arg-max, the whole gradient would be below 1e-100, and no
    numerical derivative could tell a right formula from a zero one.
    """
    z = 1000.0 * rng.standard_normal((4, 3))
    return {"z": z, "labels": np.argmin(z, axis=1)}


def off_by(array: np.ndarray, index: tuple[int, ...], relative: float) -> np.ndarray:
    out = array.copy()
    out[index] *= 1.0 + relative
    return out


# -- the catalogue -------------------------------------------------------------------------

X34 = shapes(x=(3, 4))

CORRECT = [
    Case("sin", lambda x: np.sin(x), lambda g, x: g * np.cos(x), X34),
    Case("tanh", lambda x: np.tanh(x), lambda g, x: g * (1 - np.tanh(x) ** 2), X34),
    Case("sigmoid", sigmoid, lambda g, x: g * sigmoid(x) * (1 - sigmoid(x)), X34),
    Case("softplus", lambda x: np.log1p(np.exp(x)), lambda g, x: g * sigmoid(x), X34),
    Case(
        "exp of sum",
        lambda x: np.exp(np.sum(x)),
        lambda g, x: g * np.exp(np.sum(x)) * np.ones_like(x),
        X34,
    ),
    Case("gelu (not complex-safe)", gelu, gelu_vjp, shapes(x=(2, 5))),
    Case(
        "abs cubed (not complex-safe)",
        lambda x: np.abs(x) ** 3,
        lambda g, x: 3 * g * x * np.abs(x),
        lambda rng: {"x": away_from_zero((3, 4))(rng)},
    ),
    Case(
        "square via conj (silently breaks the complex step)",
        lambda x: x * np.conj(x),
        lambda g, x: 2 * g * x,
        X34,
    ),
    Case(
        "abs via sign (silently breaks the complex step)",
        lambda x: x * np.sign(x),
        lambda g, x: g * np.sign(x),
        lambda rng: {"x": away_from_zero((3, 4))(rng)},
    ),
    Case(
        "relu away from 0",
        lambda x: np.maximum(x, 0.0),
        lambda g, x: g * (x > 0),
        lambda rng: {"x": away_from_zero((3, 4))(rng)},
    ),
    Case(
        "mean over rows",
        lambda x: np.mean(x, axis=0),
        lambda g, x: np.broadcast_to(g / x.shape[0], x.shape).copy(),
        shapes(x=(4, 4)),
    ),
    Case(
        "sum over last axis",
        lambda x: np.sum(x, axis=-1),
        lambda g, x: np.broadcast_to(g[..., None], x.shape).copy(),
        shapes(x=(4, 4)),
    ),
    Case(
        "matmul",
        lambda X, A: X @ A,
        lambda g, X, A: {"X": g @ A.T, "A": X.T @ g},
        shapes(X=(3, 4), A=(4, 2)),
    ),
    Case(
        "matmul, square",
        lambda X, A: X @ A,
        lambda g, X, A: {"X": g @ A.T, "A": X.T @ g},
        shapes(X=(4, 4), A=(4, 4)),
    ),
    Case(
        "linear",
        lambda x, W, b: x @ W.T + b,
        lambda g, x, W, b: {
            "x": g @ W,
            "W": np.einsum("bti,btk->ik", g, x),
            "b": g.sum(axis=(0, 1)),
        },
        shapes(x=(2, 3, 4), W=(5, 4), b=(5,)),
    ),
    Case(
        "inverse",
        lambda X: np.linalg.inv(X),
        lambda g, X: -np.linalg.inv(X).T @ g @ np.linalg.inv(X).T,
        lambda rng: {"X": well_conditioned(4)(rng)},
    ),
    Case(
        "layer norm",
        layer_norm,
        layer_norm_vjp,
        lambda rng: {"x": (2, 3, 5), "gamma": (5,), "beta": (5,), "eps": 1e-5},
    ),
    Case(
        "softmax",
        softmax,
        lambda g, z: softmax(z) * (g - np.sum(g * softmax(z), axis=-1, keepdims=True)),
        shapes(z=(3, 5)),
    ),
    Case(
        "cross-entropy, mean",
        cross_entropy,
        cross_entropy_vjp,
        lambda rng: {"z": rng.standard_normal((4, 3)), "labels": np.array([0, 2, 1, 2])},
    ),
    Case(
        "cross-entropy, logits of magnitude 1000",
        cross_entropy,
        cross_entropy_vjp,
        large_logits,
    ),
    Case(
        "trace of product",
        lambda A, B: np.trace(A @ B),
        lambda g, A, B: {"A": g * B.T, "B": g * A.T},
        shapes(A=(3, 5), B=(5, 3)),
    ),
    Case(
        "frobenius norm",
        lambda X: np.sqrt(np.sum(X**2)),
        lambda g, X: g * X / np.sqrt(np.sum(X**2)),
        shapes(X=(3, 2)),
    ),
]


def _scaled(vjp, factor):
    def wrong(g, **inputs):
        out = vjp(g, **inputs)
        if isinstance(out, dict):
            return {k: v * factor for k, v in out.items()}
        return out * factor

    return wrong


WRONG = [
    Case(
        "gradient scaled by 1 + 1e-6",
        lambda x: np.sin(x),
        _scaled(lambda g, x: g * np.cos(x), 1 + 1e-6),
        X34,
    ),
    Case(
        "gradient scaled by 1 + 1e-4",
        lambda x: np.tanh(x),
        _scaled(lambda g, x: g * (1 - np.tanh(x) ** 2), 1 + 1e-4),
        X34,
    ),
    Case(
        "one element off by a relative 1e-6",
        lambda x: np.sin(x),
        lambda g, x: off_by(g * np.cos(x), (1, 2), 1e-6),
        X34,
    ),
    Case(
        "layer norm: epsilon dropped from the backward only",
        layer_norm,
        lambda g, **k: layer_norm_vjp(g, **k, drop_eps=True),
        lambda rng: {"x": (2, 3, 5), "gamma": (5,), "beta": (5,), "eps": 1e-5},
    ),
    Case(
        "layer norm: mean term missing",
        layer_norm,
        lambda g, **k: layer_norm_vjp(g, **k, drop_mean_term=True),
        lambda rng: {"x": (2, 3, 5), "gamma": (5,), "beta": (5,), "eps": 1e-5},
    ),
    Case(
        "matmul, square: missing transpose on A",
        lambda X, A: X @ A,
        lambda g, X, A: {"X": g @ A, "A": X.T @ g},
        shapes(X=(4, 4), A=(4, 4)),
    ),
    Case(
        "matmul, square: missing transpose on X",
        lambda X, A: X @ A,
        lambda g, X, A: {"X": g @ A.T, "A": X @ g},
        shapes(X=(4, 4), A=(4, 4)),
    ),
    Case(
        "matmul: gradient transposed (wrong shape)",
        lambda X, A: X @ A,
        lambda g, X, A: {"X": g @ A.T, "A": (X.T @ g).T},
        shapes(X=(3, 4), A=(4, 2)),
    ),
    Case(
        "sum over the wrong axis of a square array",
        lambda x: np.sum(x, axis=-1),
        lambda g, x: np.broadcast_to(g[None, :], x.shape).copy(),
        shapes(x=(4, 4)),
    ),
    Case(
        "sum where the forward takes a mean",
        lambda x: np.mean(x, axis=0),
        lambda g, x: np.broadcast_to(g, x.shape).copy(),
        shapes(x=(4, 4)),
    ),
    Case("sign flipped", lambda x: np.sin(x), lambda g, x: -g * np.cos(x), X34),
    Case("factor 2 missing in a square", lambda x: x**2, lambda g, x: g * x, X34),
    Case("sigmoid: derivative taken as s", sigmoid, lambda g, x: g * sigmoid(x), X34),
    Case(
        "tanh: derivative taken as 1 - y",
        lambda x: np.tanh(x),
        lambda g, x: g * (1 - np.tanh(x)),
        X34,
    ),
    Case(
        "softmax: diagonal term only",
        softmax,
        lambda g, z: g * softmax(z) * (1 - softmax(z)),
        shapes(z=(3, 5)),
    ),
    Case(
        "cross-entropy: sum reduction against a mean forward",
        cross_entropy,
        lambda g, z, labels: cross_entropy_vjp(g, z, labels, reduce_mean=False),
        lambda rng: {"z": rng.standard_normal((4, 3)), "labels": np.array([0, 2, 1, 2])},
    ),
    Case(
        "inverse: sign missing",
        lambda X: np.linalg.inv(X),
        lambda g, X: np.linalg.inv(X).T @ g @ np.linalg.inv(X).T,
        lambda rng: {"X": well_conditioned(4)(rng)},
    ),
    Case(
        "inverse: transposes missing",
        lambda X: np.linalg.inv(X),
        lambda g, X: -np.linalg.inv(X) @ g @ np.linalg.inv(X),
        lambda rng: {"X": well_conditioned(4)(rng)},
    ),
    Case(
        "linear: bias gradient not summed over the batch",
        lambda x, W, b: x @ W.T + b,
        lambda g, x, W, b: {"x": g @ W, "W": np.einsum("bti,btk->ik", g, x), "b": g.sum(axis=0)[0]},
        shapes(x=(2, 3, 4), W=(5, 4), b=(5,)),
    ),
    Case(
        "linear: weight gradient from the first batch row only",
        lambda x, W, b: x @ W.T + b,
        lambda g, x, W, b: {"x": g @ W, "W": g[0].T @ x[0], "b": g.sum(axis=(0, 1))},
        shapes(x=(2, 3, 4), W=(5, 4), b=(5,)),
    ),
    Case(
        "gelu: x * pdf term missing (not complex-safe)",
        gelu,
        lambda g, x: gelu_vjp(g, x, drop_pdf_term=True),
        shapes(x=(2, 5)),
    ),
    Case(
        "abs cubed scaled by 1 + 1e-6 (not complex-safe)",
        lambda x: np.abs(x) ** 3,
        _scaled(lambda g, x: 3 * g * x * np.abs(x), 1 + 1e-6),
        lambda rng: {"x": away_from_zero((3, 4))(rng)},
    ),
    Case(
        "returns float32", lambda x: np.sin(x), lambda g, x: (g * np.cos(x)).astype(np.float32), X34
    ),
    Case(
        "affine in g (a constant added)",
        lambda x: np.sin(x),
        lambda g, x: g * np.cos(x) + 1e-3,
        X34,
    ),
    Case(
        "not deterministic",
        lambda x: np.sin(x),
        lambda g, x: g * np.cos(x) * (1 + 1e-9 * np.random.default_rng().standard_normal()),
        X34,
    ),
    Case(
        "trace of product: transposes missing",
        lambda A, B: np.trace(A @ B),
        lambda g, A, B: {"A": g * B, "B": g * A},
        shapes(A=(4, 4), B=(4, 4)),
    ),
    Case("zero gradient", lambda x: np.sin(x), lambda g, x: np.zeros_like(x), X34),
    Case(
        "relu: mask from the wrong side",
        lambda x: np.maximum(x, 0.0),
        lambda g, x: g * (x < 0),
        lambda rng: {"x": away_from_zero((3, 4))(rng)},
    ),
]
