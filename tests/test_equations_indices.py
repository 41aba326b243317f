"""The index rules of the Conventions, checked without evaluating: each rule broken once (with
its pinned message and offset) beside an equation that keeps it."""

import pytest

from derivations.equations import IndexProblem, parse_equation


def problems(latex):
    return [(p.message, p.offset) for p in parse_equation(latex).index_problems()]


def messages(latex):
    return [message for message, _ in problems(latex)]


def test_problems_are_index_problem_records():
    (problem,) = parse_equation("d_p = w_p v_q").index_problems()
    assert problem == IndexProblem("index q is free on the right side but not on the left", 12)


# ---------------------------------------------------------------- every sum is written
def test_a_repeated_index_without_sum_is_not_summed():
    assert problems("y_{ij} = x_{ik}\\, a_{kj}") == [
        (
            "index k is free on the right side but not on the left; a repeated index is not "
            "summed, write \\sum_k",
            13,
        )
    ]


def test_the_written_sum_keeps_the_rule():
    assert problems("y_{ij} = \\sum_k x_{ik}\\, a_{kj}") == []


def test_an_index_repeated_on_both_sides_is_element_wise():
    assert problems("d_p = g_p\\, f'(x_p)") == []


# ---------------------------------------------------------------- free indices of the left side
def test_index_free_on_the_right_but_not_on_the_left():
    assert problems("d_p = g_p\\, w_q") == [
        ("index q is free on the right side but not on the left", 14)
    ]


def test_index_free_on_the_left_but_not_on_the_right():
    assert problems("d_{pq} = g_p") == [
        ("index q is free on the left side but not on the right", 9)
    ]


def test_every_side_of_a_chain_is_compared_with_the_left_side():
    assert problems("a_i = b_i = c_j") == [
        ("index j is free on the right side but not on the left", 14),
        ("index i is free on the left side but not on the right", 12),
    ]


def test_the_same_indices_on_every_side_keep_the_rule():
    assert problems("d_{pq} = g_p\\, w_q = w_q\\, g_p") == []


def test_derivative_indices_are_output_then_input_indices():
    assert (
        problems("\\frac{\\partial y_i}{\\partial x_{pq} } = \\delta_{ip}\\, \\mathbf{1}_q") == []
    )
    assert messages("\\frac{\\partial y_i}{\\partial x_{pq} } = \\delta_{ip}") == [
        "index q is free on the left side but not on the right"
    ]


# ---------------------------------------------------------------- the two exceptions
def test_a_term_may_lack_indices_another_term_of_the_sum_has():
    assert problems("c_{bh} = x_{bh} - \\mu_b") == []


def test_broadcast_needs_one_term_with_all_the_free_indices():
    assert problems("c_{bh} = x_b - \\mu_h") == [
        (
            "index h is free in another term but not in x_b, and no term of the sum has all the "
            "free indices",
            9,
        )
    ]


def test_a_constant_side_holds_for_every_value_of_the_free_indices():
    assert problems("\\sum_h c_{bh} = 0") == []


def test_a_non_constant_side_without_the_free_indices_breaks_the_rule():
    assert problems("\\sum_h c_{bh} = k") == [
        ("index b is free on the left side but not on the right", 16)
    ]


# ---------------------------------------------------------------- dummy indices
def test_a_summed_index_is_not_also_free_in_the_same_term():
    assert ("index m is summed and also free in the same term", 6) in problems(
        "y = x_m \\sum_m u_m"
    )


def test_the_sum_over_the_whole_product_keeps_the_rule():
    assert problems("y = \\sum_m x_m\\, u_m") == []


def test_an_index_summed_twice():
    assert problems("s = \\sum_i \\sum_i x_i") == [("index i is summed twice", 9)]


def test_two_sums_over_different_indices_keep_the_rule():
    assert problems("s = \\sum_i \\sum_j x_{ij}") == []


def test_the_index_of_a_sum_occurs_in_its_summand():
    assert problems("s_j = \\sum_i x_j") == [
        ("index i of \\sum_i does not occur in its summand", 11)
    ]


def test_a_dummy_index_may_be_reused_in_another_term():
    assert problems("z_i = \\sum_j x_{ij}\\, w_j + \\sum_j y_{ij}\\, v_j") == []


# ---------------------------------------------------------------- notations do not mix
@pytest.mark.parametrize(
    ("latex", "construct"),
    [
        ("y_i = x_i^\\top", "x_i^\\top"),
        ("y_{ij} = x_{ij} \\odot z_{ij}", "x_{ij} \\odot z_{ij}"),
        ("y_i = x_i + \\mathbf{1}", "\\mathbf{1}"),
    ],
)
def test_matrix_notation_inside_index_notation(latex, construct):
    assert messages(latex) == [f"{construct} is matrix notation in an equation in index notation"]


def test_matrix_notation_inside_a_component_is_allowed():
    assert problems("y_{ij} = (X^\\top A)_{ij}") == []


def test_matrix_notation_relations_have_no_index_rules():
    assert problems("\\frac{\\partial L}{\\partial X} = G A^\\top") == []


def test_each_relation_of_a_display_is_checked_with_its_own_indices():
    latex = r"\frac{\partial L}{\partial x_{pq} } = g_p, \qquad \frac{\partial L}{\partial b_p} = 1"
    assert problems(latex) == [("index q is free on the left side but not on the right", 38)]
