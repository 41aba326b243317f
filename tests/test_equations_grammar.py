"""The grammar of the notation: each construct parses to what it means (checked by evaluating it
against NumPy), and malformed input fails with a message naming the construct and its offset."""

import logging

import numpy as np
import pytest

from derivations.equations import Environment, EquationError, evaluate, parse_equation
from derivations.equations._parse import GRAMMAR

RNG = np.random.default_rng(7)


def normal(*shape):
    return RNG.normal(size=shape)


def side(latex, relation=0, index=1):
    """One side of a parsed equation."""
    return parse_equation(latex).relations[relation].sides[index]


def value(latex, relation=0, index=1, derivative=None, **values):
    """The value of one side of ``latex`` with ``values`` bound."""
    return evaluate(side(latex, relation, index), Environment(values, derivative))


def error(latex):
    with pytest.raises(EquationError) as caught:
        parse_equation(latex)
    return caught.value


# ---------------------------------------------------------------- the grammar itself
def lalr_conflicts(text, caplog):
    """The conflicts lark reports while building an LALR parser of the grammar ``text``."""
    from lark import Lark

    with caplog.at_level(logging.DEBUG, logger="lark"):
        Lark(text, parser="lalr", debug=True)
    return [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]


def test_grammar_has_no_lalr_conflicts(caplog):
    assert lalr_conflicts(GRAMMAR.read_text(encoding="utf-8"), caplog) == []


def test_a_grammar_with_a_conflict_is_caught(caplog):
    ambiguous = 'start: a | a b\na: "x" | "x" "y"\nb: "y"\n'
    assert lalr_conflicts(ambiguous, caplog) != []


# ---------------------------------------------------------------- symbols and subscripts
def test_symbol_with_two_subscripts_is_its_component():
    x = normal(3, 4)
    assert np.array_equal(value("z_{pq} = x_{pq}", x=x), x)


def test_a_single_letter_subscript_needs_no_braces():
    x = normal(5)
    assert np.array_equal(value("z_p = x_p", x=x), x)


def test_accents_and_greek_letters_follow_the_naming_rule():
    relation = parse_equation(r"y_{bh} = \gamma_h \hat{x}_{bh} + \bar{u}_b \tilde{g}_{bh}")
    assert relation.symbols() == {"y", "gamma", "xhat", "ubar", "gtilde"}


def test_primes_and_operatornames_name_bound_functions():
    equation = parse_equation(r"y = f'(x) + \operatorname{softplus}(x) + \operatorname{GELU}'(x)")
    assert equation.symbols() == {"y", "f_prime", "softplus", "GELU_prime", "x"}


def test_gather_index_reads_the_entry_its_integer_tensor_names():
    s, t = normal(4, 3), np.array([2, 0, 1, 2])
    assert np.array_equal(value(r"z_b = s_{b t_b}", s=s, t=t), s[np.arange(4), t])


def test_an_index_letter_with_a_hat_gathers_as_its_stored_value():
    s, chat = normal(4, 3), np.array([2, 0, 1, 2])
    for latex in (r"z_b = s_{b \hat{c}_b}", r"z_b = s_{b \hat c_b}"):
        assert np.array_equal(value(latex, s=s, chat=chat), s[np.arange(4), chat])


def test_repeated_index_in_one_symbol_is_its_diagonal():
    a = normal(4, 4)
    assert np.array_equal(value("z_i = a_{ii}", a=a), np.diag(a))


def test_text_subscript_names_a_variant():
    X = normal(3, 2)
    assert np.array_equal(value(r"Z = X_{\text{flat} }", X_flat=X), X)


def test_a_digit_subscript_names_a_variant_not_a_component():
    assert parse_equation("J = u_1 v_2").symbols() == {"J", "u_1", "v_2"}
    assert value("J = u_1 v_2", u_1=3.0, v_2=5.0) == 15.0


def test_a_lone_digit_names_the_same_variant_with_or_without_braces():
    assert parse_equation("J = u_{1} v_2").symbols() == parse_equation("J = u_1 v_{2}").symbols()


def test_a_digit_among_index_letters_is_a_fixed_position():
    x = normal(3, 4)
    got = value(r"y_b = x_{b2}", x=x, y=normal(3))
    assert np.array_equal(got, x[:, 1])  # counted from 1, as the Conventions count


# ---------------------------------------------------------------- special tensors
def test_kronecker_delta_is_the_identity_over_its_two_ranges():
    x = normal(3, 4)
    got = value(r"z_{ipq} = \delta_{ip}\, x_{pq}", x=x, z=normal(3, 3, 4))
    assert np.array_equal(got, np.einsum("ip,pq->ipq", np.eye(3), x))


def test_ones_with_an_index_broadcast_over_it():
    b = normal(4)
    got = value(r"y_{ij} = \mathbf{1}_i\, b_j", y=normal(3, 4), b=b)
    assert np.array_equal(got, np.broadcast_to(b, (3, 4)))


def test_ones_without_index_is_the_vector_of_ones_of_matrix_notation():
    G = normal(5, 3)
    assert np.allclose(value(r"d = G^\top \mathbf{1}", G=G), G.sum(axis=0))


def test_identity_takes_its_size_from_its_neighbour():
    X = normal(3, 4)
    assert np.array_equal(value(r"Y = X \mathbb{I}", X=X), X)


# ---------------------------------------------------------------- sums
def test_sum_over_one_index():
    x, w = normal(3, 4), normal(4)
    assert np.allclose(value(r"z_i = \sum_j x_{ij}\, w_j", x=x, w=w), x @ w)


def test_sum_over_two_indices_in_one_subscript():
    g = normal(3, 4)
    assert np.allclose(value(r"s = \sum_{i,j} g_{ij}", g=g), g.sum())


def test_nested_sums():
    g, x = normal(3, 4), normal(3, 4)
    assert np.allclose(value(r"s = \sum_b \sum_h g_{bh}\, x_{bh}", g=g, x=x), (g * x).sum())


def test_sum_bounds_that_restate_the_range_are_accepted():
    x = normal(6)
    assert np.allclose(value(r"s = \sum_{k=1}^{K} x_k", x=x), x.sum())


def test_a_sum_takes_the_rest_of_the_product_but_stops_at_plus():
    x, w, b = normal(3, 4), normal(4), normal(3)
    assert np.allclose(value(r"z_i = \sum_j x_{ij}\, w_j + b_i", x=x, w=w, b=b), x @ w + b)


def test_product_of_two_parenthesised_sums():
    u, w = normal(3), normal(5)
    got = value(r"s = \Big( \sum_m u_m \Big) \Big( \sum_n w_n \Big)", u=u, w=w)
    assert np.isclose(got, u.sum() * w.sum())


# ---------------------------------------------------------------- products and arithmetic
@pytest.mark.parametrize("joint", ["", r"\,", r"\cdot", r"\times", r"\;", "~"])
def test_products_by_juxtaposition_spacing_cdot_or_times(joint):
    u, w = normal(3), normal(3)
    assert np.allclose(value(f"z_i = u_i {joint} w_i", u=u, w=w), u * w)


def test_hadamard_product_in_matrix_notation():
    X, Y = normal(3, 4), normal(3, 4)
    assert np.array_equal(value(r"Z = X \odot Y", X=X, Y=Y), X * Y)


def test_sums_differences_and_unary_minus():
    a, b, c = normal(3), normal(3), normal(3)
    assert np.allclose(value("z_i = -a_i + b_i - c_i", a=a, b=b, c=c), -a + b - c)


def test_fraction_and_slash():
    a, b = normal(3), RNG.uniform(1, 2, 3)
    assert np.allclose(value(r"z_i = \frac{a_i}{b_i} + a_i / b_i", a=a, b=b), 2 * a / b)


def test_powers_with_digit_and_braced_exponents():
    x = RNG.uniform(1, 2, 4)
    assert np.allclose(value("z_i = x_i^2 + x_i^{3/2}", x=x), x**2 + x**1.5)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"\sqrt{x}", np.sqrt),
        (r"\exp(x)", np.exp),
        (r"\log x", np.log),
        (r"\ln(x)", np.log),
        (r"\tanh x", np.tanh),
        (r"\cosh x", np.cosh),
        (r"\sin x", np.sin),
        (r"\cos x", np.cos),
        (r"\max(x, 1.5)", lambda x: np.maximum(x, 1.5)),
        (r"\lvert -x \rvert", np.abs),
        (r"e^{x}", np.exp),
    ],
)
def test_built_in_functions(latex, expected):
    x = RNG.uniform(1, 2, 5)
    assert np.allclose(value(f"y = {latex}", x=x), expected(x))


def test_function_without_parentheses_takes_one_factor_with_its_power():
    x = RNG.uniform(1, 2, 5)
    assert np.allclose(value(r"y = \log x^2 \tanh^2 x", x=x), np.log(x**2) * np.tanh(x) ** 2)


def test_function_without_parentheses_before_a_sum_takes_the_sum():
    z = normal(3, 4)
    got = value(r"y_b = \log \sum_c \exp(z_{bc})", y=normal(3), z=z)
    assert np.allclose(got, np.log(np.exp(z).sum(axis=1)))


def test_bound_functions_are_called_element_wise():
    x = normal(4)

    def sigma(v):
        return 1 / (1 + np.exp(-v))

    def softplus(v):
        return np.log1p(np.exp(v))

    got = value(
        r"y = \sigma(x)\, \sigma(-x) + \operatorname{softplus}(x)",
        sigma=sigma,
        softplus=softplus,
        x=x,
    )
    assert np.allclose(got, sigma(x) * sigma(-x) + softplus(x))


def test_primed_bound_function_in_index_notation():
    x, g = normal(4), normal(4)
    assert np.allclose(value(r"d_p = g_p\, f'(x_p)", g=g, x=x, f_prime=np.cos), g * np.cos(x))


def test_a_space_before_the_parenthesis_makes_a_product_not_a_call():
    g, x = 2.0, normal(3)
    assert np.allclose(value(r"y_i = g \big( x_i + 1 \big)", g=g, x=x), g * (x + 1))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (r"\left(", r"\right)"),
        (r"\big(", r"\big)"),
        (r"\Big(", r"\Big)"),
        (r"\bigg(", r"\bigg)"),
        (r"\Bigg(", r"\Bigg)"),
        (r"\bigl(", r"\bigr)"),
        ("[", "]"),
        (r"\{", r"\}"),
        (r"\left[", r"\right]"),
    ],
)
def test_delimiters_group(left, right):
    a, b = normal(3), normal(3)
    assert np.allclose(value(f"z_i = 2 {left} a_i - b_i {right}", a=a, b=b), 2 * (a - b))


@pytest.mark.parametrize(
    ("left", "right"), [(r"\lfloor", r"\rfloor"), (r"\left\lfloor", r"\right\rfloor")]
)
def test_floor_brackets_take_the_floor(left, right):
    x = np.array([-2.5, -1.0, 0.5, 3.0])
    got = value(f"y = {left} x / 2 {right} + 1", x=x)
    assert np.array_equal(got, np.floor(x / 2) + 1)


def test_bmod_binds_like_a_product_and_applies_left_to_right():
    a, b, c, d = 7.0, 3.0, 4.0, 2.0
    assert value(r"y = a b \bmod c\, d", a=a, b=b, c=c, d=d) == a * b % c * d
    assert value(r"y = a - b \bmod c", a=a, b=b, c=c) == a - b % c
    assert value(r"y = (a - b) \bmod c", a=a, b=b, c=c) == (a - b) % c


def test_pi_and_e_are_constants():
    assert np.isclose(value(r"y = \frac{2}{\sqrt{\pi}}\, e^{1}"), 2 / np.sqrt(np.pi) * np.e)


# ---------------------------------------------------------------- matrix notation
def test_matrix_product_transpose_and_inverse():
    A, G = normal(3, 3) + 3 * np.eye(3), normal(3, 3)
    got = value(r"D = -A^{-\top} G\, A^{-1} + A^\top", A=A, G=G)
    inv = np.linalg.inv(A)
    assert np.allclose(got, -inv.T @ G @ inv + A.T)


def test_lower_case_vectors_are_columns_so_g_x_transpose_is_an_outer_product():
    g, x = normal(3), normal(4)
    assert np.allclose(value(r"D = g\, x^\top", g=g, x=x), np.outer(g, x))


def test_a_row_times_a_column_is_a_scalar():
    u, w = normal(4), normal(4)
    got = value(r"s = u^\top w", u=u, w=w)
    assert got.shape == () and np.isclose(got, u @ w)


def test_matrix_times_column_comes_back_one_dimensional():
    X, w = normal(3, 4), normal(4)
    got = value(r"z = X w", X=X, w=w)
    assert got.shape == (3,) and np.allclose(got, X @ w)


def test_trace_diag_and_norms():
    X, u, s = normal(3, 3), normal(4), RNG.uniform(1, 2, 3)
    assert np.isclose(value(r"s = \operatorname{tr} X", X=X), np.trace(X))
    assert np.allclose(value(r"D = \operatorname{diag}(s)^{-1} X", s=s, X=X), X / s[:, None])
    assert np.isclose(value(r"s = \lVert X \rVert_F", X=X), np.linalg.norm(X))
    assert np.isclose(value(r"s = \lVert u \rVert_2", u=u), np.linalg.norm(u))


def test_component_of_a_matrix_expression():
    G, A = normal(3, 4), normal(5, 4)
    got = value(r"d_{pq} = (G A^\top)_{pq}", G=G, A=A, d=normal(3, 5))
    assert np.allclose(got, G @ A.T)


def test_written_vector():
    got = value(r"\frac{\partial L}{\partial x} = (-6, -4, 10)", derivative=lambda n, d: None)
    assert np.array_equal(got, [-6, -4, 10])


# ---------------------------------------------------------------- derivatives
def calls(log):
    def derivative(numerator, denominator):
        log.append((numerator, denominator))
        return np.zeros((2, 3) if numerator.is_loss else (4, 2, 3))

    return derivative


def test_gradient_of_the_loss_names_the_loss_and_the_input():
    log = []
    got = value(
        r"\frac{\partial L}{\partial x_{pq} } = 0", index=0, derivative=calls(log), x=normal(2, 3)
    )
    ((numerator, denominator),) = log
    assert (numerator.name, numerator.is_loss, numerator.indices) == ("L", True, ())
    assert (denominator.name, denominator.indices, denominator.total) == ("x", ("p", "q"), False)
    assert got.shape == (2, 3)


def test_jacobian_has_output_indices_first():
    log = []
    got = value(
        r"\frac{\partial y_{i} }{\partial x_{pq} } = 0",
        index=0,
        derivative=calls(log),
        x=normal(2, 3),
        y=normal(4),
    )
    ((numerator, denominator),) = log
    assert (numerator.name, numerator.is_loss, numerator.indices) == ("y", False, ("i",))
    assert got.shape == (4, 2, 3)


def test_matrix_notation_derivative_is_about_its_denominator():
    derivative = side(r"\frac{\partial L}{\partial W} = G^\top X", index=0).derivative
    assert (derivative.numerator.name, derivative.denominator.name) == ("L", "W")
    assert derivative.denominator.indices == ()


@pytest.mark.parametrize(
    ("latex", "total"),
    [
        (r"\frac{d}{dx} \sin x = \cos x", True),
        (r"\frac{df}{dx} = 1", True),
        (r"\frac{\mathrm{d} c_{b} }{\mathrm{d} x_{r} } = 1", True),
        (r"\frac{\partial}{\partial x} \sin x = \cos x", False),
    ],
)
def test_derivative_operator_forms(latex, total):
    derivative = side(latex, index=0).derivative
    assert derivative.denominator.name == "x"
    assert derivative.denominator.total is total


def test_operator_form_differentiates_the_rest_of_the_product():
    derivative = side(r"\frac{\partial}{\partial x_p} \Big( \frac{u_i}{s} \Big) = 0", index=0)
    numerator = derivative.derivative.numerator
    assert (numerator.name, numerator.indices, numerator.text) == (
        None,
        ("i",),
        r"\Big( \frac{u_i}{s} \Big)",
    )


def test_restricted_derivative_records_the_path():
    derivative = side(
        r"\left.\frac{\partial L}{\partial x_p}\right|_{\text{via } \mu} = 0", index=0
    )
    assert derivative.derivative.denominator.via == "mu"


def test_derivative_of_an_expression_can_be_evaluated_by_the_caller():
    numerator = side(r"\frac{\partial \log s_i}{\partial z_p} = 0", index=0).derivative.numerator
    s = RNG.uniform(1, 2, 3)
    assert np.allclose(evaluate(numerator, {"s": s, "z": normal(3)}), np.log(s))


# ---------------------------------------------------------------- displays
def test_chain_of_equalities_is_one_relation_with_three_sides():
    equation = parse_equation(r"a_i = b_i = c_i")
    assert [s.text for s in equation.relations[0].sides] == ["a_i", "b_i", "c_i"]


def test_aligned_rows_are_relations_and_a_row_starting_with_equals_continues():
    latex = r"""\begin{aligned}
y_i &= a_i + b_i \\
    &= c_i \\[6pt]
z_i &= d_i
    + e_i
\end{aligned} \label{eq:x}"""
    relations = parse_equation(latex).relations
    assert [[" ".join(s.text.split()) for s in r.sides] for r in relations] == [
        ["y_i", "a_i + b_i", "c_i"],
        ["z_i", "d_i + e_i"],
    ]


def test_a_row_break_before_minus_continues_the_expression():
    latex = r"""\begin{aligned} s_b &= \Bigl( a_b \\ &\qquad - c_b \Bigr) \end{aligned}"""
    a, c = normal(3), normal(3)
    assert np.allclose(value(latex, a=a, c=c, s=a), a - c)


@pytest.mark.parametrize("environment", ["align", "align*", "gathered"])
def test_other_environments(environment):
    latex = rf"\begin{{{environment}}} a_i = b_i \\ c_i = d_i \end{{{environment}}}"
    assert len(parse_equation(latex).relations) == 2


@pytest.mark.parametrize(
    "separator", [r"\qquad", r"\quad", ",", r", \qquad", r", &\qquad", r"\Longrightarrow"]
)
def test_several_relations_in_one_display(separator):
    equation = parse_equation(f"a_i = b_i {separator} c_j = d_j")
    assert [r.free for r in equation.relations] == [("i",), ("j",)]


def test_labels_tags_spacing_remarks_and_trailing_punctuation_are_ignored():
    latex = r"a_i = b_i \, \! \; \ ~ \nonumber \tag{3} \label{eq:a} \quad \text{by definition} ."
    (relation,) = parse_equation(latex).relations
    assert [s.text for s in relation.sides] == ["a_i", "b_i"]


def test_boxed_relation():
    (relation,) = parse_equation(r"\boxed{a_i = b_i}").relations
    assert [s.text for s in relation.sides] == ["a_i", "b_i"]


def test_offsets_locate_each_side_in_the_latex():
    latex = "x_i = 2\\, y_i"
    right = side(latex)
    assert (right.offset, right.text, latex[right.offset :]) == (6, r"2\, y_i", r"2\, y_i")


# ---------------------------------------------------------------- malformed input
@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\lim_{t \to 0} f(t) = 1", r"\lim is not supported (at offset 0)"),
        (r"y_{\mathbf{i} } = 1", r"\mathbf{i} is not supported (at offset 3)"),
        (
            r"y_{\omega} = x",
            r"\omega is not an index: index letters are Latin letters (at offset 3)",
        ),
        ("x + = y", "= is unexpected here (at offset 4)"),
        (r"z = \frac{a}{b", "the equation ends too early (at offset 14)"),
        (r"I = \lfloor R / u \rvert", r"\rvert is unexpected here (at offset 18)"),
        (
            r"x = y \quad \text{when} \quad y = z",
            r"\text{when}: prose is allowed only as a remark at the end of a row (at offset 12)",
        ),
        (
            "L(x) = 1",
            "the loss L is a number, not a function: L(...) is not supported (at offset 0)",
        ),
        (
            r"s = \sum_{k=0}^{K} x_k",
            "a sum's lower bound must be 1 (the sum runs over the whole range of its index) "
            "(at offset 12)",
        ),
        (
            r"s = \sum_{k=1}^{N} x_k",
            r"the upper bound N of \sum_{k} is not the range of its index (write the capital of "
            r"the index, as \sum_{k=1}^{K}) (at offset 16)",
        ),
        (r"z = \delta_{ipq}", r"\delta takes two indices (at offset 4)"),
        ("z = x_{P}", "index P is upper-case; index letters are lower-case (at offset 7)"),
        (r"\sum_{i,i} x_i = 0", "index i is summed twice (at offset 8)"),
        (
            r"\frac{\partial L}{\partial s_{b t_b}} = 0",
            "a derivative is taken by a plain index (at offset 27)",
        ),
        (
            r"\frac{\partial L}{\partial x_{pp}} = 0",
            "a derivative is taken by distinct indices (at offset 27)",
        ),
        (
            r"z = \begin{cases} 1 & x > 0 \end{cases}",
            r"\begin{cases} is not supported (at offset 4)",
        ),
        (
            r"\lVert x \rVert_1 = 1",
            r"\lVert \rVert_1 is not a norm of the notation (F or 2) (at offset 16)",
        ),
    ],
)
def test_malformed_input_names_the_construct_and_its_offset(latex, message):
    assert str(error(latex)) == message


def test_error_carries_message_and_offset_separately():
    caught = error(r"a = \lim b")
    assert (caught.message, caught.offset) == (r"\lim is not supported", 4)


def test_no_malformed_equation_raises_anything_but_an_equation_error():
    """Cut and spliced copies of real-looking equations: errors are ours, never a crash."""
    import random

    from derivations.equations import EquationError, parse_equation

    seeds = [
        r"\frac{\partial L}{\partial x_{bp}} = \sum_h g_{bh} \delta_{t_b h} \hat{x}_{bh}",
        r"y_{bd} = \sum_v \delta_{t_b v} e_{vd} = e_{t_b d}",
        r"\frac{\partial L}{\partial W} = G^\top X \qquad "
        r"\frac{d}{dx} \sigma(x) = \sigma(x)(1 - \sigma(x))",
        r"\begin{aligned} \mu_b &= \frac{1}{H} \sum_h x_{bh} \\ "
        r"c_{bh} &= x_{bh} - \mu_b \end{aligned}",
    ]
    rng = random.Random(0)
    for _ in range(3000):
        text = rng.choice(seeds)
        i, j = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        mutated = (
            text[:i] + rng.choice(["", "_", "{", "}", "\\delta_{", "t_b", "^\\top", "&"]) + text[j:]
        )
        try:
            parse_equation(mutated)
        except EquationError:
            pass
