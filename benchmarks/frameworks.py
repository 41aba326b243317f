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


# ---------------------------------------------------------------- convolution, pooling, embedding
def _conv1d(u: int, v: int, z: int, groups: int = 1) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        rng = _rng()
        x, w, beta = (
            rng.normal(size=(2, 6, 17)),
            rng.normal(size=(4, 6 // groups, 3)),
            rng.normal(size=4),
        )
        y = torch.nn.functional.conv1d(
            torch.tensor(x), torch.tensor(w), torch.tensor(beta), u, z, v, groups
        )
        g = rng.normal(size=tuple(y.shape))
        if groups == 1:
            ours = ns["conv1d_vjp"](g, x, w, beta, u, v, z)
        else:
            ours = ns["conv1d_grouped_vjp"](g, x, w, beta, u, v, z, groups)

        def conv(x, w, beta):
            return torch.nn.functional.conv1d(x, w, beta, u, z, v, groups)

        return ordered(ours, "x", "w", "beta"), vjp(conv, g, x, w, beta)

    what = "grouped, " if groups > 1 else ""
    name = "conv1d_grouped_vjp" if groups > 1 else "conv1d_vjp"
    return Comparison(
        "convolution",
        f"`{name}` against `F.conv1d`, {what}stride {u}, dilation {v}, padding {z}",
        compute,
    )


def _conv2d(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    options = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    x, w, beta = rng.normal(size=(2, 4, 9, 8)), rng.normal(size=(6, 2, 3, 2)), rng.normal(size=6)
    y = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(beta), **options)
    g = rng.normal(size=tuple(y.shape))
    ours = ns["conv2d_vjp"](g, x, w, beta, **options)

    def conv(x, w, beta):
        return torch.nn.functional.conv2d(x, w, beta, **options)

    return ordered(ours, "x", "w", "beta"), vjp(conv, g, x, w, beta)


#: rows with ties inside windows (every window's maximum is repeated somewhere in it)
_TIED = np.array([[1.0, 3.0, 3.0, 0.5, 2.0, 2.0, 2.0, -1.0, 4.0, 4.0, 0.0]])


def _max_pool1d(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    x, K, u = _TIED, 3, 2
    g = _rng().normal(size=(1, (x.shape[-1] - K) // u + 1))
    pool = torch.nn.functional.max_pool1d
    return [ns["max_pool1d_vjp"](g, x, K, u)], vjp(lambda x: pool(x[None], K, u)[0], g, x)


def _avg_pool1d(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    x, K, u = _rng().normal(size=(3, 12)), 4, 3
    g = _rng().normal(size=(3, (12 - K) // u + 1))
    pool = torch.nn.functional.avg_pool1d
    return [ns["avg_pool1d_vjp"](g, x, K, u)], vjp(lambda x: pool(x[None], K, u)[0], g, x)


def _pool2d(kind: str) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        rng = _rng()
        x = np.round(rng.normal(size=(2, 9, 8)), 0)  # rounded: many ties
        K, N, u1, u2 = 3, 2, 2, 1
        g = rng.normal(size=(2, (9 - K) // u1 + 1, (8 - N) // u2 + 1))
        pool = getattr(torch.nn.functional, f"{kind}_pool2d")
        theirs = vjp(lambda x: pool(x[None], (K, N), (u1, u2))[0], g, x)
        return [ns[f"{kind}_pool2d_vjp"](g, x, K, N, u1, u2)], theirs

    return Comparison(
        "pooling-and-embedding", f"`{kind}_pool2d_vjp` against `F.{kind}_pool2d`", compute
    )


def _embedding(padding: bool) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        rng = _rng()
        E, vhat = rng.normal(size=(7, 3)), np.array([[2, 0, 2], [6, 2, 1]])
        g, eta = rng.normal(size=(2, 3, 3)), 2
        if padding:
            ours = ns["embedding_padded_vjp"](g, E, vhat, eta, E[eta])
            theirs = vjp(
                lambda E, i: torch.nn.functional.embedding(i, E, padding_idx=eta), g, E, vhat
            )
        else:
            ours = ns["embedding_vjp"](g, E, vhat)
            theirs = vjp(lambda E, i: torch.nn.functional.embedding(i, E), g, E, vhat)
        return [ours], theirs

    name = "embedding_padded_vjp" if padding else "embedding_vjp"
    what = ", `padding_idx` repeated in the batch" if padding else ", tokens repeated"
    return Comparison("pooling-and-embedding", f"`{name}` against `F.embedding`{what}", compute)


CONVOLUTION_AND_POOLING = [
    _conv1d(1, 1, 0),
    _conv1d(2, 3, 2),
    _conv1d(3, 2, 4, groups=2),
    Comparison("convolution", "`conv2d_vjp` against `F.conv2d`, every option at once", _conv2d),
    Comparison(
        "pooling-and-embedding", "`max_pool1d_vjp` against `F.max_pool1d`, ties", _max_pool1d
    ),
    Comparison("pooling-and-embedding", "`avg_pool1d_vjp` against `F.avg_pool1d`", _avg_pool1d),
    _pool2d("max"),
    _pool2d("avg"),
    _embedding(padding=False),
    _embedding(padding=True),
]

# ---------------------------------------------------------------- losses
#: targets with an ignored row (-100) and a repeated class; row 0's logits have their
#: maximum at the target
_CHAT = np.array([2, 0, -100, 5, 2])


def _logits(rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(5, 6))
    z[0, 2] = 3.0
    return z


def _cross_entropy(**options: Any) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        rng = _rng()
        z, chat = _logits(rng), _CHAT
        weight = rng.uniform(0.5, 2.0, size=6) if options.get("weight") else None
        kwargs = {**options, "weight": weight}
        g = rng.normal(size=5) if options.get("reduction") == "none" else np.array(0.7)
        ours = ns["cross_entropy_vjp"](g, z, chat, **kwargs)
        constant = {**kwargs, "weight": None if weight is None else torch.tensor(weight)}

        def loss(z, chat):
            return torch.nn.functional.cross_entropy(z, chat, **constant)

        return [ours], vjp(loss, g, z, chat)

    shown = ", ".join(k if v is True else f"{k}={v!r}" for k, v in options.items())
    return Comparison(
        "cross-entropy",
        f"`cross_entropy_vjp` against `F.cross_entropy`, {shown or 'the defaults'}",
        compute,
    )


def _soft_targets(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    z, w, g = rng.normal(size=(4, 5)), rng.uniform(0.5, 2.0, size=5), np.array(1.3)
    u = rng.dirichlet(np.ones(5), size=4)

    def loss(z):
        return torch.nn.functional.cross_entropy(z, torch.tensor(u), weight=torch.tensor(w))

    return [ns["cross_entropy_soft_vjp"](g, z, u, w)], vjp(loss, g, z)


def _binary(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    z, y = rng.normal(size=(4, 3)) * 3, rng.uniform(size=(4, 3))
    pos_weight, g = rng.uniform(0.5, 3.0, size=3), np.array(0.9)

    def loss(z):
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        return bce(z, torch.tensor(y), pos_weight=torch.tensor(pos_weight))

    ours = ns["binary_cross_entropy_with_logits_vjp"](g, z, y, pos_weight)
    return [ours], vjp(loss, g, z)


LOSSES = [
    _cross_entropy(),
    _cross_entropy(reduction="sum"),
    _cross_entropy(reduction="none"),
    _cross_entropy(weight=True),
    _cross_entropy(label_smoothing=0.1),
    _cross_entropy(weight=True, label_smoothing=0.2, reduction="sum"),
    _cross_entropy(weight=True, label_smoothing=0.2),
    Comparison(
        "cross-entropy",
        "`cross_entropy_soft_vjp` against probability targets, weighted",
        _soft_targets,
    ),
    Comparison("cross-entropy", "`binary_cross_entropy_with_logits_vjp`, `pos_weight`", _binary),
]


# ---------------------------------------------------------------- normalisation
def _layer_norm(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    x, gamma, beta = rng.normal(size=(2, 3, 5)), rng.normal(size=5), rng.normal(size=5)
    g, eps = rng.normal(size=(2, 3, 5)), 1e-5

    def layer_norm(x, gamma, beta):
        return torch.nn.functional.layer_norm(x, (5,), gamma, beta, eps)

    ours = ordered(ns["layer_norm_vjp"](g, x, gamma, beta, eps), "x", "gamma", "beta")
    return ours, vjp(layer_norm, g, x, gamma, beta)


def _layer_norm_saved(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    """The post: PyTorch keeps the mean and 1/sigma of every row, and recomputes x-hat."""
    import torch

    rng = _rng()
    x, eps = rng.normal(size=(4, 5)), 1e-5
    mu, xtilde, v, sigma, xhat = ns["normalise"](x, eps)
    _, mean, rstd = torch.native_layer_norm(torch.tensor(x), (5,), None, None, eps)
    return [mu, 1 / sigma], [mean.numpy().reshape(-1), rstd.numpy().reshape(-1)]


def _rms_norm(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    x, gamma, g, eps = (
        rng.normal(size=(3, 4, 6)),
        rng.normal(size=6),
        rng.normal(size=(3, 4, 6)),
        1e-5,
    )

    def rms_norm(x, gamma):
        return torch.nn.functional.rms_norm(x, (6,), gamma, eps)

    return ordered(ns["rms_norm_vjp"](g, x, gamma, eps), "x", "gamma"), vjp(rms_norm, g, x, gamma)


def _batch_norm(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    x, gamma, beta = rng.normal(size=(4, 3, 2, 5)), rng.normal(size=3), rng.normal(size=3)
    g, eps = rng.normal(size=(4, 3, 2, 5)), 1e-5

    def batch_norm(x, gamma, beta):
        return torch.nn.functional.batch_norm(x, None, None, gamma, beta, True, 0.1, eps)

    ours = ns["batch_norm_boxed_vjp"](g, x, gamma, beta, eps)
    return [ours], vjp(batch_norm, g, x, gamma, beta)[:1]


NORMALISATION = [
    Comparison(
        "batch-normalization",
        "`batch_norm_boxed_vjp` against `F.batch_norm` in training mode, two spatial axes",
        _batch_norm,
    ),
    Comparison("layer-normalization", "`layer_norm_vjp` against `F.layer_norm`", _layer_norm),
    Comparison(
        "layer-normalization",
        "`normalise`'s mean and 1/σ against what `torch.native_layer_norm` saves",
        _layer_norm_saved,
    ),
    Comparison("rms-normalization", "`rms_norm_vjp` against `F.rms_norm`", _rms_norm),
]


# ---------------------------------------------------------------- attention, einsum
def _attention(fully_masked: bool) -> Comparison:
    def compute(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
        import torch

        rng = _rng()
        Q, K, V = (
            rng.normal(size=(2, 3, 4, 5)),
            rng.normal(size=(2, 3, 6, 5)),
            rng.normal(size=(2, 3, 6, 7)),
        )
        g = rng.normal(size=(2, 3, 4, 7))
        allowed = rng.uniform(size=(4, 6)) < 0.6
        allowed[0, 0] = True
        if fully_masked:
            allowed[2] = False
        mask = torch.tensor(allowed)

        def sdpa(Q, K, V):
            return torch.nn.functional.scaled_dot_product_attention(Q, K, V, attn_mask=mask)

        ours = ordered(ns["attention_with_mask_vjp"](g, Q, K, V, allowed), "Q", "K", "V")
        return ours, vjp(sdpa, g, Q, K, V)

    what = ", a row with no key (PyTorch 2.5+: zeros)" if fully_masked else ""
    return Comparison(
        "attention",
        f"`attention_with_mask_vjp` against `F.scaled_dot_product_attention`{what}",
        compute,
    )


#: a contraction, a batch letter, a trace, a diagonal, a sum, an ellipsis and three operands
_SPECS = {
    "ij,jk->ik": [(3, 4), (4, 5)],
    "lij,ljk->lik": [(2, 3, 4), (2, 4, 5)],
    "ii->": [(4, 4)],
    "ii->i": [(4, 4)],
    "iij,jk->ki": [(3, 3, 4), (4, 2)],
    "ij->": [(3, 4)],
    "...ij,jk->...ik": [(2, 3, 3, 4), (4, 5)],
    "ij,jk,kl->il": [(2, 3), (3, 4), (4, 5)],
}


def _einsum(ns: dict[str, Any]) -> tuple[Arrays, Arrays]:
    import torch

    rng = _rng()
    ours, theirs = [], []
    for spec, shapes in _SPECS.items():
        operands = [rng.normal(size=shape) for shape in shapes]
        g = rng.normal(size=np.einsum(spec, *operands).shape)
        ours += ns["einsum_vjp"](g, spec, *operands)
        theirs += vjp(lambda *ts, spec=spec: torch.einsum(spec, *ts), g, *operands)
    return ours, theirs


ATTENTION_AND_EINSUM = [
    _attention(fully_masked=False),
    _attention(fully_masked=True),
    Comparison("einsum", "`einsum_vjp` against `torch.einsum`, " + ", ".join(_SPECS), _einsum),
]

COMPARISONS = [
    *ELEMENT_WISE,
    *LINEAR_ALGEBRA,
    *CONVOLUTION_AND_POOLING,
    *LOSSES,
    *NORMALISATION,
    *ATTENTION_AND_EINSUM,
]


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
