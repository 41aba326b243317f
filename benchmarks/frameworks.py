"""The posts' statements about PyTorch, run against PyTorch.

The docs build has no PyTorch: a post says what PyTorch computes (a tie convention, what a
loss divides by, which gradient a layer returns) and links the source. Here each comparison
takes the post's own functions, run from its derivation blocks by
``derivations.namespace.page_namespace``, and PyTorch's autograd on the same float64 inputs,
and reports the largest difference relative to the size of PyTorch's gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import ROOT

#: float64 on both sides: the formulas differ in rounding only, a wrong convention by O(1).
TOLERANCE = 1e-10

Arrays = Sequence[np.ndarray]


@dataclass(frozen=True)
class Comparison:
    """One statement of a post: ``compute(namespace)`` gives (ours, PyTorch's) gradients."""

    post: str
    what: str
    compute: Callable[[dict[str, Any]], tuple[Arrays, Arrays]]


def vjp(f: Callable[..., Any], g: np.ndarray, *inputs: np.ndarray) -> list[np.ndarray]:
    """PyTorch's gradients of <g, f(inputs)> by every floating (or complex) input."""
    import torch

    tensors = [torch.tensor(np.asarray(a)) for a in inputs]
    wrt = [t for t in tensors if t.is_floating_point() or t.is_complex()]
    for t in wrt:
        t.requires_grad_(True)
    f(*tensors).backward(torch.tensor(np.asarray(g)))
    return [t.grad.numpy() for t in wrt]


def ordered(result: Any, *names: str) -> list[np.ndarray]:
    """A post's gradients in the order of ``names``, whether it returns a dict, tuple or array."""
    if isinstance(result, dict):
        return [result[name] for name in names]
    return list(result) if isinstance(result, (tuple, list)) else [result]


def difference(ours: Arrays, theirs: Arrays) -> float:
    """The largest difference over the pairs, relative to the largest of PyTorch's entries."""
    if len(ours) != len(theirs):
        return float("inf")
    worst = 0.0
    for a, b in zip(ours, theirs, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return float("inf")
        if not np.array_equal(np.isfinite(a), np.isfinite(b)):
            return float("inf")
        finite = np.isfinite(b)
        scale = max(float(np.max(np.abs(b[finite]), initial=0.0)), 1e-300)
        worst = max(worst, float(np.max(np.abs(a[finite] - b[finite]), initial=0.0)) / scale)
    return worst


def _rng() -> np.random.Generator:
    return np.random.default_rng(20261202)


# ---------------------------------------------------------------- element-wise functions
#: every tie of the binary operations, and 0 for the kinks of relu and abs
_X = np.array([-1.5, 0.0, 0.7, 2.0, 2.0, -0.3])
_W = np.array([-1.5, 1.0, 0.7, 3.0, 1.0, -0.3])
_G = np.array([1.0, -2.0, 3.0, 0.5, -1.25, 2.0])


def _unary(ours: str, theirs: str, x: np.ndarray = _X) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        function = eval(theirs, {"torch": torch, "F": torch.nn.functional})  # noqa: S307
        g = _rng().normal(size=x.shape)
        return ordered(ns[ours](g, x), "x"), vjp(function, g, x)

    return Comparison("element-wise", f"`{ours}` against `{theirs}`", compute)


def _maximum(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    return ordered(ns["maximum_vjp"](_G, _X, _W), "x", "w"), vjp(torch.maximum, _G, _X, _W)


def _clamp_min(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    theirs = [
        vjp(lambda x, w=float(w): torch.clamp(x, min=w), g, x)[0]
        for x, w, g in zip(_X[:, None], _W, _G[:, None], strict=True)
    ]
    return [ns["clamp_min_vjp"](_G, _X, _W)], [np.concatenate(theirs)]


_POSITIVE = np.array([0.3, 1.0, 2.5, 7.0, 40.0])
_WIDE = np.array([-60.0, -30.0, -5.0, -0.4, 0.0, 0.9, 6.0, 19.0, 21.0, 60.0])
#: below PyTorch's softplus threshold (20), and where the post's series erf is meant to serve
_MODERATE = np.array([-6.0, -2.5, -0.4, 0.0, 0.9, 3.0, 6.0, 19.0])


def _softplus_above_threshold(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    """The post: above its threshold of 20, PyTorch's backward returns the upstream gradient."""
    import torch

    x = np.array([20.5, 25.0, 40.0, 60.0])
    g = _rng().normal(size=x.shape)
    return [g], vjp(torch.nn.functional.softplus, g, x)


ELEMENT_WISE = [
    Comparison("element-wise", "`maximum_vjp` against `torch.maximum`, ties included", _maximum),
    Comparison("element-wise", "`clamp_min_vjp` against `torch.clamp(x, min=w)`, ties", _clamp_min),
    _unary("relu_vjp", "torch.relu"),
    _unary("absolute_vjp", "torch.abs"),
    _unary("tanh_vjp", "torch.tanh", _WIDE),
    _unary("sigmoid_vjp", "torch.sigmoid", _WIDE),
    _unary("softplus_vjp", "F.softplus", _MODERATE),
    Comparison(
        "element-wise", "softplus above 20: PyTorch returns g itself", _softplus_above_threshold
    ),
    _unary("gelu_vjp", "F.gelu", _MODERATE),
    _unary("gelu_tanh_vjp", "lambda x: F.gelu(x, approximate='tanh')", _WIDE),
    _unary("silu_vjp", "F.silu", _WIDE),
    _unary("erf_vjp", "torch.erf", _WIDE / 10),
    _unary("exp_vjp", "torch.exp", _WIDE / 10),
    _unary("log_vjp", "torch.log", _POSITIVE),
    _unary("sqrt_vjp", "torch.sqrt", _POSITIVE),
]


# ---------------------------------------------------------------- linear algebra
def _linear(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, W, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(5, 4)), rng.normal(size=5)
    g = rng.normal(size=(2, 3, 5))
    return ordered(ns["linear_vjp"](g, X, W, b), "X", "W", "b"), vjp(
        torch.nn.functional.linear, g, X, W, b
    )


def _well_conditioned(rng: np.random.Generator, *lead: int, n: int = 4) -> np.ndarray:
    return rng.normal(size=(*lead, n, n)) + 4 * np.eye(n)


def _inverse(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, g = _well_conditioned(rng), rng.normal(size=(4, 4))
    return [ns["inverse_vjp"](g, X)], vjp(torch.linalg.inv, g, X)


def _inverse_stack(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, g = _well_conditioned(rng, 3), rng.normal(size=(3, 4, 4))
    theirs = vjp(torch.linalg.inv, g, X)
    return [ns["inverse_vjp_batched"](g, X), ns["inverse_vjp_matrix"](g, X)], theirs * 2


def _solve(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, F, g = _well_conditioned(rng), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    return ordered(ns["solve_vjp"](g, X, F), "X", "F"), vjp(torch.linalg.solve, g, X, F)


def _log_abs_det(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, g = rng.normal(size=(4, 4)), np.array(1.7)
    return [ns["log_abs_det_vjp"](g, X)], vjp(lambda x: torch.linalg.slogdet(x)[1], g, X)


def _broadcast_matmul(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    X, A, g = (
        rng.normal(size=(2, 1, 3, 4)),
        rng.normal(size=(5, 4, 6)),
        rng.normal(size=(2, 5, 3, 6)),
    )
    return ordered(ns["broadcast_matmul_vjp"](g, X, A), "X", "A"), vjp(torch.matmul, g, X, A)


def _complex_matmul(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()

    def z(*shape: int) -> np.ndarray:
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    X, A, g = z(3, 4), z(4, 2), z(3, 2)
    return ordered(ns["complex_matmul_vjp"](g, X, A), "X", "A"), vjp(torch.matmul, g, X, A)


LINEAR_ALGEBRA = [
    Comparison("linear-layer", "`linear_vjp` against `F.linear`, two leading axes", _linear),
    Comparison("matrix-inverse", "`inverse_vjp` against `torch.linalg.inv`", _inverse),
    Comparison(
        "matrix-inverse", "`inverse_vjp_batched`, `inverse_vjp_matrix` on a stack", _inverse_stack
    ),
    Comparison("matrix-inverse", "`solve_vjp` against `torch.linalg.solve`", _solve),
    Comparison("matrix-inverse", "`log_abs_det_vjp` against `torch.linalg.slogdet`", _log_abs_det),
    Comparison(
        "matrix-multiplication", "`broadcast_matmul_vjp` against `torch.matmul`", _broadcast_matmul
    ),
    Comparison(
        "matrix-multiplication",
        "`complex_matmul_vjp` against complex `torch.matmul`",
        _complex_matmul,
    ),
]

COMPARISONS = [*ELEMENT_WISE, *LINEAR_ALGEBRA]


def _by_post(comparisons: Sequence[Comparison]) -> Iterator[tuple[str, list[Comparison]]]:
    posts = dict.fromkeys(c.post for c in comparisons)
    for post in posts:
        yield post, [c for c in comparisons if c.post == post]


def run(
    comparisons: Sequence[Comparison] = COMPARISONS,
    posts: Path = ROOT / "docs" / "posts",
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every comparison, with its difference and whether it is within ``TOLERANCE``."""
    import torch

    from derivations.namespace import page_namespace

    rows = []
    for post, group in _by_post(comparisons):
        namespace = page_namespace(posts / f"{post}.md")
        for comparison in group:
            with np.errstate(all="ignore"):
                try:
                    error = difference(*comparison.compute(namespace))
                    problem = ""
                except Exception as exc:  # noqa: BLE001 - a broken comparison is a row, not a crash
                    error, problem = float("inf"), f"{type(exc).__name__}: {exc}"
            agrees = error <= TOLERANCE
            rows.append(
                {"post": post, "what": comparison.what, "error": error, "agrees": agrees}
                | ({"problem": problem} if problem else {})
            )
        agreed = sum(row["agrees"] for row in rows[-len(group) :])
        progress(f"compared {post} with PyTorch: {agreed} of {len(group)} agree")
    return {"torch": torch.__version__, "tolerance": TOLERANCE, "rows": rows}
