"""Every result equation of the site, read from docs/posts at test time: each parses (except the
out-of-scope ones listed with their reason), keeps the index rules (except the listed breaks of
the Conventions), and, for a handful evaluated numerically, a wrong sign, index, transpose,
factor or term makes the sides disagree."""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from derivations.blocks import parse_page
from derivations.equations import Environment, EquationError, evaluate, parse_equation
from derivations.source import read_page

POSTS = Path(__file__).resolve().parent.parent / "docs" / "posts"
MARKER = re.compile(r"^\s*<!--\s*result:\s*(?P<name>\S+)\s*-->\s*$")


@dataclass(frozen=True)
class Result:
    """A marked result equation: where its marker is and the LaTeX of its display."""

    page: str
    line: int
    name: str
    latex: str


def result_equations() -> list[Result]:
    """Every result marker of the posts with the LaTeX of its display, as the build reads it."""
    results = []
    for path in sorted(POSTS.glob("*.md")):
        source = read_page(path)
        for marker in parse_page(source.body, source.first_line).results:
            assert marker.equation is not None, f"{path.name}:{marker.line}: no display after it"
            results.append(Result(path.name, marker.line, marker.name, marker.equation))
    return results


RESULTS = result_equations()
BY_NAME = {result.name: result for result in RESULTS}

# Result equations outside the notation, each with the reason it is not read.
UNSUPPORTED = {
    "bn-running": "a primed symbol for the updated running statistic",
    "conv-xcorr": "a flip written as index arithmetic inside subscripts",
    "conv-figure-gather": "values at fixed positions (digit subscripts)",
    "es-forward": "multi-index letters (omega, sigma, alpha, beta) stand for strings of indices",
    "es-jacobian": "multi-indices and a product over index positions",
    "es-vjp-deltas": "multi-indices and a product over index positions",
    "es-rule": "multi-indices, with the summed letters defined in prose",
    "es-general": "multi-indices and products over sets of positions",
    "es-many": "multi-indices and a product over the other operands",
    "es-cost": "a statement about the letters of einsum strings, checked from einsum_path",
    "ew-jac-multi": "a bold multi-index and a product over its positions",
    "ew-delta-multi": "a product over index positions equated to a delta of flattened positions",
    "ew-sigmoid-stable": "cases",
    "ew-relu": "cases",
    "ew-erf-series": "an infinite series with an ellipsis",
    "ew-relu-kink": "one-sided limits",
    "inv-kron": "a Kronecker product (\\otimes) and the derivative of a flattening (vec)",
    "ew-max-dx": "cases",
    "ew-max-dw": "cases",
    "ew-max-tie": "cases whose conditions name frameworks, in words",
    "ew-f32-tanh": "a float32 threshold found by bisection, in a table row of words",
    "ew-f32-sigmoid": "a float32 threshold found by bisection, in a table row of words",
    "ew-f32-exp": "a float32 threshold found by bisection, in a table row of words",
    "lin-shape": "a prose statement about shapes, with underbraces",
    "mm-kron": "Kronecker products described in prose",
    "mm-complex": "conjugate transposes (^H) of complex matrices",
    "mm-kron-grad": "vec and Kronecker products (the flattened chain rule)",
    "pool-kink": "one-sided limits",
    "pool-first-max": "the minimum of a set defined by a condition",
    "tc-identity-jacobian-general": "a bold multi-index and a product over its positions",
    "tc-reshape": "index arithmetic inside a subscript (a row-major position)",
    "tc-reshape-vjp": "index arithmetic inside a subscript (a row-major position)",
    "tc-layout-vec": "vec and a Kronecker product (Magnus and Neudecker's layout)",
}

# Result equations that break the index rules as the Conventions state them, with the problem.
CONVENTION_BREAKS: dict[str, str] = {}


def test_the_posts_have_the_results_the_markers_promise():
    markers = sum(
        1
        for path in POSTS.glob("*.md")
        for line in path.read_text(encoding="utf-8").splitlines()
        if MARKER.match(line)
    )
    assert len(RESULTS) == markers == len(BY_NAME)


def test_table_rows_give_each_stacked_marker_its_row():
    assert BY_NAME["tc-op-transpose"].latex == r"Z = X^\top \qquad z_{ji} = x_{ij}"


@pytest.mark.parametrize("result", RESULTS, ids=[r.name for r in RESULTS])
def test_every_result_equation_parses_unless_out_of_scope(result):
    if result.name in UNSUPPORTED:
        with pytest.raises(EquationError):
            parse_equation(result.latex)
    else:
        assert parse_equation(result.latex).relations


def test_at_least_ninety_percent_of_the_results_are_read():
    assert set(UNSUPPORTED) <= set(BY_NAME)
    assert len(RESULTS) - len(UNSUPPORTED) >= 0.9 * len(RESULTS)


@pytest.mark.parametrize(
    "result",
    [r for r in RESULTS if r.name not in UNSUPPORTED],
    ids=[r.name for r in RESULTS if r.name not in UNSUPPORTED],
)
def test_every_read_equation_keeps_the_index_rules_unless_listed(result):
    found = [p.message for p in parse_equation(result.latex).index_problems()]
    expected = [CONVENTION_BREAKS[result.name]] if result.name in CONVENTION_BREAKS else []
    assert found == expected, f"docs/posts/{result.page}:{result.line}"


# ---------------------------------------------------------------- teeth
H_STEP = 1e-30


def complex_step(forward, inputs, upstream, output, env):
    """An ``env.derivative`` for the tests: derivatives of ``forward``'s named values (or of the
    loss L = sum(upstream * output)) by one input, by the complex step, output axes first."""

    def derivative(numerator, denominator):
        key = env.resolve(denominator.name, indexed=bool(denominator.indices))
        base = np.asarray(inputs[key], dtype=float)
        columns = []
        for k in range(base.size):
            step = np.zeros(base.size, dtype=complex)
            step[k] = 1j * H_STEP
            values = forward(**{**inputs, key: base + step.reshape(base.shape)})
            if numerator.is_loss:
                out = np.sum(upstream * values[output])
            else:
                out = values[numerator.name]
            columns.append(np.imag(out) / H_STEP)
        return np.stack(columns, axis=-1).reshape(np.shape(columns[0]) + base.shape)

    return derivative


def environment(forward, inputs, upstream, output, **extra):
    env = Environment({**inputs, **forward(**inputs), **extra})
    env.derivative = complex_step(forward, inputs, upstream, output, env)
    return env


def disagreement(latex, env):
    """Why the sides of ``latex`` disagree with ``env`` (None when every relation holds)."""
    try:
        for relation in parse_equation(latex).relations:
            left, *others = [evaluate(side, env) for side in relation.sides]
            for side, other in zip(relation.sides[1:], others, strict=True):
                if other.shape != left.shape or not np.allclose(other, left, rtol=1e-9):
                    return f"{side.text} differs from {relation.left.text}"
    except EquationError as error:
        return str(error)
    return None


def linear_forward(x, w, b):
    return {"y": x @ w.T + b}


def linear_matrix_forward(X, W, b):
    return {"Y": X @ W.T + b}


def matmul_forward(X, A):
    return {"Y": X @ A}


def matvec_forward(A, x):
    return {"y": A @ x}


def layer_norm_forward(x, gamma, beta, epsilon=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    c = x - mu
    v = (c * c).mean(axis=1)
    sigma = np.sqrt(v + epsilon)
    xhat = c / sigma[:, None]
    return {"y": gamma * xhat + beta, "xhat": xhat, "sigma": sigma, "c": c, "v": v}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


def _rng(seed):
    return np.random.default_rng(seed)


def _linear_env():
    rng = _rng(1)
    inputs = {"x": rng.normal(size=(4, 3)), "w": rng.normal(size=(3, 3)), "b": rng.normal(size=3)}
    g = rng.normal(size=(4, 3))
    return environment(linear_forward, inputs, g, "y", g=g)


def _linear_matrix_env():
    rng = _rng(2)
    inputs = {"X": rng.normal(size=(4, 3)), "W": rng.normal(size=(5, 3)), "b": rng.normal(size=5)}
    G = rng.normal(size=(4, 5))
    return environment(linear_matrix_forward, inputs, G, "Y", G=G)


def _matmul_env():
    rng = _rng(3)
    inputs = {"X": rng.normal(size=(3, 3)), "A": rng.normal(size=(3, 3))}
    G = rng.normal(size=(3, 3))
    return environment(matmul_forward, inputs, G, "Y", G=G)


def _matvec_env():
    rng = _rng(4)
    inputs = {"A": rng.normal(size=(3, 3)), "x": rng.normal(size=3)}
    g = rng.normal(size=3)
    return environment(matvec_forward, inputs, g, "y", g=g)


def _layer_norm_env():
    rng = _rng(5)
    inputs = {"x": rng.normal(size=(4, 4)), "gamma": rng.normal(size=4), "beta": rng.normal(size=4)}
    g = rng.normal(size=(4, 4))
    return environment(layer_norm_forward, inputs, g, "y", g=g, epsilon=1e-5)


def _sigmoid_env():
    x = np.linspace(-3, 3, 7)
    return Environment({"x": x, "sigma": sigmoid, "sigma_prime": sigmoid_prime})


def _smoothing_env():
    rng = _rng(6)
    z, chat, eps = rng.normal(size=(4, 4)), np.array([2, 0, 3, 1]), 0.1
    s = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q = (1 - eps) * np.eye(4)[chat] + eps / 4
    loss = -np.sum(q * np.log(s)) / 4
    return Environment({"s": s, "chat": chat, "ytilde": q, "varepsilon": eps, "L": loss})


# (result name, environment, [(mutation, original text, mutated text)])
TEETH = [
    (
        "lin-dx",
        _linear_env,
        [
            ("sign flipped", r"= \sum_j g_{pj}", r"= -\sum_j g_{pj}"),
            ("subscript swapped", r"g_{pj}\, w_{jq}", r"g_{pj}\, w_{qj}"),
            ("factor changed", r"= \sum_j g_{pj}", r"= 2 \sum_j g_{pj}"),
        ],
    ),
    (
        "lin-matrix",
        _linear_matrix_env,
        [
            ("transpose dropped", r"G^\top X", r"G X"),
            ("operands swapped", r"G^\top X", r"X^\top G"),
            ("transpose added", r"G\, W,", r"G\, W^\top,"),
            ("transpose dropped from ones", r"G^\top \mathbf{1}", r"G \mathbf{1}"),
        ],
    ),
    (
        "mm-matrix",
        _matmul_env,
        [
            ("transpose dropped", r"G A^\top", r"G A"),
            ("transpose moved", r"X^\top G", r"X G^\top"),
        ],
    ),
    (
        "bp-matvec-da",
        _matvec_env,
        [
            ("factor changed", r"g\, x^\top", r"2\, g\, x^\top"),
            ("subscripts swapped", r"g_p\, x_q", r"g_q\, x_p"),
            ("delta index swapped", r"\delta_{ip}", r"\delta_{iq}"),
        ],
    ),
    (
        "ln-dx",
        _layer_norm_env,
        [
            ("sign flipped", r"- \hat{x}_{bp} \sum_h", r"+ \hat{x}_{bp} \sum_h"),
            ("term dropped", r"- \mathbf{1}_p \sum_h g_{bh} \gamma_h ", ""),
            ("subscript swapped", r"\gamma_h \hat{x}_{bh}", r"\gamma_h \hat{x}_{hb}"),
            ("factor changed", r"\frac{1}{H \sigma_b}", r"\frac{2}{H \sigma_b}"),
        ],
    ),
    (
        "ew-sigmoid",
        _sigmoid_env,
        [
            ("sign flipped", r"\sigma(-x)", r"\sigma(x)"),
            ("sign flipped in a group", r"1 - \sigma(x)", r"1 + \sigma(x)"),
        ],
    ),
    (
        "ce-smooth-torch",
        _smoothing_env,
        [
            ("gather swapped", r"s_{b \hat{c}_b}", r"s_{\hat{c}_b b}"),
            ("factor changed", r"(1 - \varepsilon)", r"(1 + \varepsilon)"),
        ],
    ),
]


@pytest.mark.parametrize(("name", "env"), [(n, e) for n, e, _ in TEETH], ids=[n for n, *_ in TEETH])
def test_real_equations_hold_numerically(name, env):
    assert disagreement(BY_NAME[name].latex, env()) is None


@pytest.mark.parametrize(
    ("name", "env", "original", "mutated"),
    [(n, e, o, m) for n, e, mutations in TEETH for _, o, m in mutations],
    ids=[f"{n}: {what}" for n, _, mutations in TEETH for what, _, _ in mutations],
)
def test_a_mutated_real_equation_fails(name, env, original, mutated):
    latex = BY_NAME[name].latex
    assert latex.count(original) == 1
    assert disagreement(latex.replace(original, mutated), env()) is not None
