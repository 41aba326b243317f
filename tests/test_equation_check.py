"""check_equation: a displayed equation, evaluated from its LaTeX, must hold side by side."""

import numpy as np
import pytest

from derivations import EquationMismatch, check_equation
from derivations._recording import runner_log


def linear(x, W):
    return W @ x


DX = r"\frac{\partial L}{\partial x_q} = \sum_j g_j\, w_{jq}"
DW_MATRIX = r"\frac{\partial L}{\partial W} = g\, x^\top"


def test_a_true_gradient_equation_passes_by_the_complex_step():
    report = check_equation("lin-dx", linear, latex=DX, x=(3,), W=(4, 3))
    assert report.passed and report.kind == "equation" and report.method == "complex step"
    assert report.error < 1e-14 and report.relations == 1
    assert report.verifies == ("lin-dx",) and report.wrt == ("x",)


def test_a_matrix_form_equation_passes():
    assert check_equation("lin-dW", linear, latex=DW_MATRIX, x=(3,), W=(4, 3)).passed


@pytest.mark.parametrize(
    "wrong",
    [
        r"\frac{\partial L}{\partial x_q} = -\sum_j g_j\, w_{jq}",
        r"\frac{\partial L}{\partial x_q} = 2 \sum_j g_j\, w_{jq}",
        r"\frac{\partial L}{\partial x_q} = \sum_j g_j\, w_{qj}",
    ],
    ids=["sign", "factor", "swapped subscript"],
)
def test_a_wrong_equation_fails_even_though_no_code_changed(wrong):
    with pytest.raises(EquationMismatch, match="disagrees with the numerical derivative"):
        check_equation("lin-dx", linear, latex=wrong, x=(3,), W=(3, 3))


def test_the_wrong_outer_product_of_the_review_fails():
    with pytest.raises(EquationMismatch, match=r"the side `2\\, g\\, x\^\\top`"):
        check_equation(
            "lin-dW",
            linear,
            latex=r"\frac{\partial L}{\partial W} = 2\, g\, x^\top",
            x=(3,),
            W=(4, 3),
        )


def test_a_dropped_transpose_fails_on_rectangular_inputs():
    with pytest.raises(EquationMismatch):
        check_equation(
            "lin-dx-matrix",
            linear,
            latex=r"\frac{\partial L}{\partial x} = W g",
            x=(3,),
            W=(4, 3),
        )


def test_the_failure_names_the_worst_element_by_its_indices():
    with pytest.raises(EquationMismatch) as caught:
        check_equation("lin-dx", linear, latex=DX.replace("= ", "= -"), x=(3,), W=(4, 3))
    assert "worst element at q=" in str(caught.value)


def test_an_index_rule_broken_fails_before_anything_is_evaluated():
    with pytest.raises(
        EquationMismatch, match="index q is free on the right side but not on the left"
    ):
        check_equation(
            "bad",
            linear,
            latex=r"\frac{\partial L}{\partial x_p} = \sum_j g_j\, w_{jq}",
            x=(3,),
            W=(4, 3),
        )


def test_an_unreadable_equation_is_a_clear_failure():
    with pytest.raises(EquationMismatch, match="cannot be read"):
        check_equation(
            "bad", linear, latex=r"y = \begin{cases} x & x > 0 \end{cases}", x=(3,), W=(4, 3)
        )


def test_an_equation_not_on_the_page_is_an_error():
    with pytest.raises(ValueError, match="no display equation on this page is marked"):
        check_equation("nowhere", linear, x=(3,), W=(4, 3))


def test_the_gradient_by_the_output_is_the_upstream_gradient():
    assert check_equation(
        "chain", linear, latex=r"\frac{\partial L}{\partial y_i} = g_i", x=(3,), W=(4, 3)
    ).passed


def normalise(x):
    mu = x.mean(axis=-1)
    return mu, x - mu[:, None]


def test_a_partial_derivative_holds_the_other_intermediates_fixed():
    """c = x - 1 mu with mu a node of its own: dc/dx is the identity, mu held fixed."""
    symbols = {"c": lambda x, mu: x - mu[:, None], "mu": lambda x: x.mean(axis=-1)}
    latex = r"\frac{\partial c_{bh}}{\partial x_{rp}} = \delta_{br} \delta_{hp}"
    assert check_equation("jac-c", symbols=symbols, latex=latex, x=(3, 4)).passed


def test_a_total_derivative_goes_through_every_intermediate():
    symbols = {"c": lambda x, mu: x - mu[:, None], "mu": lambda x: x.mean(axis=-1)}
    total = r"\frac{d c_{bh}}{d x_{rp}} = \delta_{br} \delta_{hp} - \frac{1}{H} \delta_{br}"
    assert check_equation("jac-c-total", symbols=symbols, latex=total, x=(3, 4)).passed
    partial = total.replace("d c", r"\partial c").replace("d x", r"\partial x")
    with pytest.raises(EquationMismatch):
        check_equation("jac-c-partial", symbols=symbols, latex=partial, x=(3, 4))


def test_a_relation_with_a_zero_side_is_judged_by_what_it_is_computed_from():
    symbols = lambda x: {"c": normalise(x)[1]}  # noqa: E731
    assert check_equation("sum", symbols=symbols, latex=r"\sum_h c_{bh} = 0", x=(3, 4)).passed
    with pytest.raises(EquationMismatch):
        check_equation("sum", symbols={"c": np.ones((3, 4))}, latex=r"\sum_h c_{bh} = 0", x=(3, 4))


def test_a_relation_whose_sides_are_all_zero_cannot_pass():
    with pytest.raises(EquationMismatch, match="cannot fail"):
        check_equation("zero", symbols={"c": np.zeros((2, 2))}, latex=r"c_{ij} = 0", x=(2,))


def test_bound_functions_are_applied_element_wise():
    sigma = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    latex = r"\sigma(x) = \frac{1}{1 + \exp(-x)}"
    assert check_equation("sig", symbols={"sigma": sigma}, latex=latex, x=(5,)).passed


def test_an_equation_check_is_reported_to_the_runner_and_proves_its_result():
    with runner_log() as log:
        check_equation("lin-dx", linear, latex=DX, x=(3,), W=(4, 3))
    (report,) = log
    assert report.verifies == ("lin-dx",) and report.passed


def test_the_loss_must_be_differentiated_by_an_input_of_the_forward_function():
    with pytest.raises(ValueError, match="pass a forward function f whose inputs include 'c'"):
        check_equation(
            "dc",
            linear,
            symbols={"c": np.ones(3)},
            latex=r"\frac{\partial L}{\partial c_q} = \sum_j g_j\, w_{jq}",
            x=(3,),
            W=(4, 3),
        )


def tanh_of_product(x, A):
    return np.tanh(A @ x)


CHAIN_SYMBOLS = {"u": lambda x, A: A @ x, "y": lambda u: np.tanh(u)}


def test_the_chain_rule_reads_the_output_through_its_definition_for_an_intermediate():
    latex = (
        r"\frac{\partial y_i}{\partial x_p} = "
        r"\sum_m \frac{\partial y_i}{\partial u_m}\, \frac{\partial u_m}{\partial x_p}"
    )
    report = check_equation(
        "chain", tanh_of_product, symbols=CHAIN_SYMBOLS, latex=latex, x=(3,), A=(4, 3)
    )
    assert report.passed


def test_the_loss_gradient_of_an_intermediate_goes_through_the_output_definition():
    latex = (
        r"\frac{\partial L}{\partial x_p} = "
        r"\sum_i \frac{\partial L}{\partial u_i}\, \frac{\partial u_i}{\partial x_p}"
    )
    assert check_equation(
        "fan", tanh_of_product, symbols=CHAIN_SYMBOLS, latex=latex, x=(3,), A=(4, 3)
    ).passed
    with pytest.raises(EquationMismatch):
        check_equation(
            "fan",
            tanh_of_product,
            symbols=CHAIN_SYMBOLS,
            latex=latex.replace(r"\sum_i", r"2 \sum_i"),
            x=(3,),
            A=(4, 3),
        )


def test_a_zero_side_against_derivatives_is_judged_by_the_size_of_the_derivatives():
    latex = r"\sum_p \frac{\partial L}{\partial x_p} = 0"
    centred = lambda x: np.sum((x - x.mean()) ** 2)  # noqa: E731 - shift-invariant
    assert check_equation("z", centred, output="L", symbols={"g": 1.0}, latex=latex, x=(4,)).passed
    with pytest.raises(EquationMismatch):
        shifted = lambda x: np.sum((x - 1) ** 2)  # noqa: E731 - not shift-invariant
        check_equation("z", shifted, output="L", symbols={"g": 1.0}, latex=latex, x=(4,))


def test_a_derivative_in_scalar_notation_is_taken_at_every_point_at_once():
    report = check_equation("sin", latex=r"\frac{d}{dx} \sin x = \cos x", x=(7,))
    assert report.passed and report.evaluations <= 12
    with pytest.raises(EquationMismatch):
        check_equation("sin", latex=r"\frac{d}{dx} \sin x = \cos(-x) + x", x=(7,))


GRAPH = {
    "mu": lambda x: x.mean(),
    "c": lambda x, mu: x - mu,
    "L": lambda c, w: np.sum(w * c**2),
    "g": 1.0,
}
VIA_C = r"\left.\frac{\partial L}{\partial x_p}\right|_{\text{via } c} = 2\, w_p\, c_p"


def test_a_derivative_via_a_node_follows_only_that_path():
    assert check_equation("via", symbols=GRAPH, output="L", latex=VIA_C, x=(5,), w=(5,)).passed
    via_mu = (
        r"\left.\frac{\partial L}{\partial x_p}\right|_{\text{via } \mu} = "
        r"-\frac{2}{N} \sum_n w_n\, c_n\, \mathbf{1}_p"
    )
    assert check_equation(
        "via", symbols=dict(GRAPH, N=5), output="L", latex=via_mu, x=(5,), w=(5,)
    ).passed


def test_the_full_gradient_written_as_one_path_is_caught():
    full = VIA_C + r" - \frac{2}{N} \sum_n w_n c_n"
    with pytest.raises(EquationMismatch):
        check_equation("via", symbols=dict(GRAPH, N=5), output="L", latex=full, x=(5,), w=(5,))


def test_a_derivative_via_a_node_that_is_not_a_definition_is_refused():
    with pytest.raises(ValueError, match="bind 'c' in symbols as a definition"):
        check_equation(
            "via",
            lambda x, w: np.sum(w * (x - x.mean()) ** 2),
            output="L",
            symbols={"g": 1.0, "c": np.zeros(5)},
            latex=VIA_C,
            x=(5,),
            w=(5,),
        )


def first_and_second(x):
    return x[:, 0] + 2 * x[:, 1]


def test_a_digit_among_the_indices_is_a_position_counted_from_one():
    latex = r"y_b = x_{b1} + 2 x_{b2}"
    assert check_equation("pos", first_and_second, latex=latex, x=(3, 4)).passed


def test_positions_are_counted_from_first_index():
    latex = r"y_b = x_{b0} + 2 x_{b1}"
    assert check_equation("pos", first_and_second, latex=latex, first_index=0, x=(3, 4)).passed


def test_a_wrong_position_fails():
    with pytest.raises(EquationMismatch, match="disagrees"):
        check_equation("pos", first_and_second, latex=r"y_b = x_{b1} + 2 x_{b3}", x=(3, 4))


def test_a_position_outside_its_axis_is_named():
    with pytest.raises(EquationMismatch, match=r"position 0 of x is outside its axis 1"):
        check_equation("pos", first_and_second, latex=r"y_b = x_{b0} + 2 x_{b1}", x=(3, 4))


@pytest.mark.parametrize(
    "latex", [r"y_b = \delta_{b1}", r"\frac{\partial L}{\partial x_{b1}} = g_b"]
)
def test_a_delta_or_a_derivative_takes_no_position(latex):
    with pytest.raises(EquationMismatch, match="cannot be read"):
        check_equation("pos", first_and_second, latex=latex, x=(3, 4))


def test_the_worst_element_is_named_as_the_page_counts():
    def off_in_the_first_row(x):
        return x[:, 0] + 2 * x[:, 1] + 1e3 * (np.arange(len(x)) == 0)

    latex = r"y_b = x_{b0} + 2 x_{b1}"
    with pytest.raises(EquationMismatch, match=r"worst element at b=0:"):
        check_equation("pos", off_in_the_first_row, latex=latex, first_index=0, x=(3, 4))


def test_a_large_loss_gradient_is_proven_along_a_direction_in_a_few_evaluations():
    report = check_equation("lin-dx", linear, latex=DX, x=(600,), W=(4, 600))
    assert report.passed and report.method == "complex step" and report.error < 1e-14
    assert report.evaluations < 10  # element by element it would take 600


def test_one_element_off_by_a_millionth_among_600_still_fails_and_is_named():
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal(600), rng.standard_normal((4, 600))
    e = np.zeros(600)
    e[417] = 1e-6
    with pytest.raises(EquationMismatch, match="at q=418") as caught:
        check_equation(
            "lin-dx",
            linear,
            latex=DX + r" + e_q",
            symbols={"e": e},
            x=x,
            W=W,
        )
    assert caught.value.report.worst.index == (417,)


JACOBIAN = r"\frac{\partial y_j}{\partial x_q} = w_{jq}"


def test_a_jacobian_is_proven_along_a_direction_and_a_weighting_in_a_few_evaluations():
    report = check_equation("lin-jac", linear, latex=JACOBIAN, x=(40,), W=(4, 40))
    assert report.passed and report.method == "complex step" and report.error < 1e-14
    assert report.evaluations < 10  # element by element it would take 40


def test_one_jacobian_element_off_by_a_millionth_still_fails_and_is_named():
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal(40), rng.standard_normal((4, 40))
    e = np.zeros((4, 40))
    e[2, 30] = 1e-6
    with pytest.raises(EquationMismatch, match="at j=3, q=31") as caught:
        check_equation("lin-jac", linear, latex=JACOBIAN + " + e_{jq}", symbols={"e": e}, x=x, W=W)
    assert caught.value.report.worst.index == (2, 30)
