"""Evaluating a side: the layout of its value, where index ranges come from, how derivatives
are asked for, and the errors that name what is wrong."""

import numpy as np
import pytest

from derivations.equations import Environment, EquationError, evaluate, parse_equation

RNG = np.random.default_rng(11)


def normal(*shape):
    return RNG.normal(size=shape)


def sides(latex, relation=0):
    return parse_equation(latex).relations[relation].sides


def value(latex, index=1, derivative=None, **values):
    return evaluate(sides(latex)[index], Environment(values, derivative))


def failure(latex, index=1, derivative=None, **values):
    with pytest.raises(EquationError) as caught:
        value(latex, index, derivative, **values)
    return str(caught.value)


# ---------------------------------------------------------------- layout of a value
def test_axes_follow_the_order_of_the_left_side():
    x = normal(3, 4)
    assert np.array_equal(value("z_{ji} = x_{ij}", x=x), x.T)


def test_a_jacobian_side_is_laid_out_output_indices_first():
    a = normal(4, 5)
    latex = r"\frac{\partial y_{ij} }{\partial x_{pq} } = \delta_{ip}\, a_{qj}"
    got = value(latex, x=normal(3, 4), a=a, y=normal(3, 5))
    assert got.shape == (3, 5, 3, 4)
    assert np.array_equal(got, np.einsum("ip,qj->ijpq", np.eye(3), a))


def test_derivative_values_are_labelled_by_the_written_indices():
    x = normal(2, 3)
    identity = np.einsum("ip,jq->ijpq", np.eye(2), np.eye(3))
    latex = r"\frac{\partial z_{ij} }{\partial x_{pq} } = \frac{\partial x_{ji} }{\partial x_{pq} }"
    got = value(latex, derivative=lambda numerator, denominator: identity, x=x, z=x.T)
    assert np.array_equal(got, np.einsum("jp,iq->ijpq", np.eye(2), np.eye(3)))


def test_a_constant_side_is_broadcast_to_the_left_side():
    got = value(r"\sum_h c_{bh} = 0", c=normal(3, 5))
    assert np.array_equal(got, np.zeros(3))


def test_a_side_that_lacks_a_free_index_is_refused():
    assert failure("d_{pq} = g_p", g=normal(3), d=normal(3, 2)) == (
        "index q is free on the left side but not on the right (at offset 9)"
    )


def test_values_keep_complex_parts_for_the_complex_step():
    a, x = normal(3, 4), normal(4) + 1e-20j * normal(4)
    got = value(r"y_i = \sum_j a_{ij}\, \exp(x_j)", a=a, x=x, y=normal(3))
    expected = a @ np.exp(x)
    assert np.allclose(got.real, expected.real)
    assert np.allclose(got.imag * 1e20, expected.imag * 1e20)


# ---------------------------------------------------------------- index ranges
def test_ranges_come_from_the_shapes_of_bound_tensors():
    got = value(r"z_{ij} = \mathbf{1}_i\, w_j + \delta_{ij}", z=normal(3, 4), w=normal(4))
    assert got.shape == (3, 4)


def test_conflicting_ranges_name_the_index_and_both_tensors():
    assert failure("z_i = x_i + w_i", x=normal(3), w=normal(4)) == (
        "index i runs over 3 values in x (axis 0) but 4 in w (axis 0) (at offset 14)"
    )


def test_an_index_without_a_bound_tensor_has_no_range():
    assert failure(r"z_{pq} = \delta_{pq}") == (
        "the range of index p is unknown: it labels no axis of a bound tensor (at offset 17)"
    )


def test_a_capital_is_the_range_of_its_lower_case_index():
    x = normal(3, 5)
    got = value(r"\mu_b = \frac{1}{H} \sum_h x_{bh}", x=x, mu=normal(3))
    assert np.allclose(got, x.mean(axis=1))


def test_a_bound_capital_must_agree_with_the_range():
    assert failure(r"\mu_b = \frac{1}{H} \sum_h x_{bh}", x=normal(3, 5), H=4) == (
        "H is bound to 4 but index h runs over 5 values (at offset 17)"
    )


def test_a_bound_capital_gives_the_range_of_its_index():
    trace = sides(r"\sum_i \delta_{ii} = I")
    assert [evaluate(side, {"I": 4}) for side in trace] == [4.0, 4.0]


def test_a_delta_gives_an_unknown_index_the_range_of_its_partner():
    got = value(r"\sum_m \delta_{im}\, \delta_{mp} = \delta_{ip}", index=0, I=3)
    assert np.array_equal(got, np.eye(3))


def test_the_number_of_indices_must_match_the_shape():
    assert failure("z_{ij} = x_{ij}", x=normal(3)) == (
        "x is written with 2 indices but its value has shape (3,) (at offset 9)"
    )


# ---------------------------------------------------------------- symbols
def test_a_component_finds_its_tensor_under_the_capital_name():
    X = normal(2, 3)
    assert np.array_equal(value("z_{ij} = x_{ij}", X=X), X)


def test_a_matrix_finds_its_tensor_under_the_lower_case_name():
    x, w = normal(2, 3), normal(3)
    assert np.allclose(value("z = X w", x=x, w=w), x @ w)


def test_a_capital_is_not_found_under_a_lower_case_vector():
    assert failure(r"d = \frac{1}{B} u", b=normal(3), u=normal(3)) == (
        "symbol 'B' is not bound (at offset 13)"
    )


def test_an_unbound_symbol_is_named():
    assert failure("z_i = x_i", z=normal(3)) == "symbol 'x' is not bound (nor 'X') (at offset 6)"


def test_an_unindexed_symbol_of_index_notation_is_a_number():
    assert failure(r"y_i = g\, x_i", g=normal(3), x=normal(3)) == (
        "g has no indices here, but its value has shape (3,) (at offset 6)"
    )


def test_a_gathered_index_must_hold_integers():
    assert failure(r"z_b = s_{b t_b}", s=normal(4, 3), t=np.zeros(4)) == (
        "t is used as an index but holds float64 values (at offset 11)"
    )


def test_a_bound_function_is_applied_element_wise():
    assert failure(r"y_i = f(x_i)", x=normal(3), f=np.sum) == (
        "'f' is applied element-wise but returned shape () for arguments of shape (3,) "
        "(at offset 6)"
    )


def test_an_applied_symbol_must_be_a_function():
    assert failure(r"y_i = f(x_i)", x=normal(3), f=2.0) == (
        "'f' is applied but is not a function (at offset 6)"
    )


def test_symbols_lists_what_evaluation_reads():
    equation = parse_equation(
        r"\frac{\partial L}{\partial x_{bp} } = \frac{1}{H} \sum_h g_{bh}\, \sigma(s_{b t_b})"
    )
    assert equation.symbols() == {"g", "sigma", "s", "t"}


# ---------------------------------------------------------------- derivatives
def test_env_derivative_is_asked_with_the_two_descriptors():
    asked = []

    def derivative(numerator, denominator):
        asked.append((numerator.name, numerator.indices, denominator.name, denominator.indices))
        return np.ones((2, 3, 2, 3))

    latex = r"\frac{\partial y_{bh} }{\partial \hat{x}_{rp} } = \gamma_h \delta_{br} \delta_{hp}"
    value(latex, index=0, derivative=derivative, xhat=normal(2, 3))
    assert asked == [("y", ("b", "h"), "xhat", ("r", "p"))]


def test_a_side_says_which_symbol_it_differentiates_by_which():
    (left, right) = sides(r"\frac{\partial L}{\partial W} = G^\top X")
    assert (left.derivative.numerator.is_loss, left.derivative.denominator.name) == (True, "W")
    assert right.derivative is None


def test_every_derivative_of_an_equation_is_listed():
    equation = parse_equation(
        r"\frac{\partial L}{\partial x_p} = \sum_i \frac{\partial L}{\partial y_i}\, "
        r"\frac{\partial y_i}{\partial x_p}"
    )
    assert [(d.numerator.name, d.denominator.name) for d in equation.derivatives()] == [
        ("L", "x"),
        ("L", "y"),
        ("y", "x"),
    ]


def test_a_derivative_needs_a_callback():
    assert failure(r"\frac{\partial L}{\partial x_p} = g_p", index=0, x=normal(3)) == (
        "the environment has no derivative callback to evaluate L by x_p (at offset 0)"
    )


def test_a_derivative_of_the_wrong_order_is_refused():
    assert failure(
        r"\frac{\partial L}{\partial x_p} = g_p", index=0, derivative=lambda n, d: np.ones((3, 3))
    ) == (
        "the derivative of L by x_p has 1 indices, but env.derivative returned shape (3, 3) "
        "(at offset 0)"
    )


def test_a_derivative_of_the_wrong_size_is_refused():
    assert failure(
        r"\frac{\partial L}{\partial x_p} = g_p",
        index=0,
        derivative=lambda n, d: np.ones(4),
        x=normal(3),
    ) == (
        "index p runs over 3 values in x (axis 0) but 4 in env.derivative of L by x_p (at offset 0)"
    )


# ---------------------------------------------------------------- matrix notation
def test_a_row_vector_result_stays_a_row():
    x, A = normal(3), normal(3, 4)
    assert value(r"d = x^\top A", x=x, A=A).shape == (1, 4)


def test_incompatible_matrix_shapes_are_named():
    assert failure(r"D = G\, W", G=normal(4, 3), W=normal(5, 2)) == (
        "a product of shapes (4, 3) and (5, 2) (at offset 8)"
    )


def test_two_columns_side_by_side_are_not_a_product():
    assert failure(r"D = u\, w", u=normal(3), w=normal(3)) == (
        "a column vector times a column vector (at offset 8)"
    )


def test_a_scalar_is_not_added_to_a_matrix():
    assert failure(r"D = X + c", X=normal(2, 2), c=1.0) == (
        "adds a matrix and a scalar (at offset 8)"
    )


def test_an_outer_product_of_ones_takes_its_size_from_the_sum_it_is_in():
    G = normal(3, 5)
    got = value(r"D = G - \frac{1}{H} G \mathbf{1} \mathbf{1}^\top", G=G, H=5)
    assert np.allclose(got, G - G.mean(axis=1, keepdims=True))


def test_ones_with_nothing_to_size_them_are_refused():
    assert failure(r"d = 2 \mathbf{1}") == (
        "the size of \\mathbf{1} or \\mathbb{I} is not determined by what it multiplies or adds "
        "(at offset 4)"
    )


def test_matrix_notation_is_refused_when_evaluating_index_notation():
    assert failure(r"y_i = x_i^\top", x=normal(3)) == (
        "x_i^\\top is matrix notation, not index notation (at offset 6)"
    )


def test_matrix_notation_derivative_takes_the_shape_it_is_given():
    G = normal(3, 2)
    got = value(r"\frac{\partial L}{\partial W} = 0", index=0, derivative=lambda n, d: G)
    assert np.array_equal(got, G)


def test_stacked_matrices_multiply_matrix_by_matrix():
    G, A = normal(2, 3, 4), normal(5, 4)
    assert np.allclose(value(r"D = G A^\top", G=G, A=A), G @ A.T)


# ---------------------------------------------------------------- scalar notation
def test_scalar_notation_is_element_wise_over_arrays():
    x = normal(7)

    def sigma(v):
        return 1 / (1 + np.exp(-v))

    values = [
        evaluate(s, {"sigma": sigma, "x": x}) for s in sides(r"s = \sigma(x)\, \sigma(-x)")[1:]
    ]
    assert np.allclose(values[0], sigma(x) * sigma(-x))


def test_the_floor_of_a_negative_number_is_below_it():
    assert value(r"y = \lfloor x \rfloor", x=np.array([-0.5, -2.0, 1.5])).tolist() == [-1, -2, 1]


def test_bmod_takes_the_sign_of_the_divisor_as_python_does():
    got = value(r"y = a \bmod b", a=np.array([-7, 7, -7]), b=np.array([3, 3, -3]))
    assert got.tolist() == [-7 % 3, 7 % 3, -7 % -3] == [2, 1, -1]


def test_a_floor_of_an_exact_quotient_is_that_quotient():
    # a quotient computed as n * (1 / u) would be 0.999... for n = u = 49, and its floor 0
    n = np.arange(0, 400)
    got = np.array([value(r"I = \left\lfloor \frac{N}{u} \right\rfloor", N=k, u=49) for k in n])
    assert np.array_equal(got, n // 49)


def test_a_relation_with_a_floor_or_a_remainder_is_scalar_notation_over_arrays():
    R, K, u = np.array([7, 9, 12]), np.array([3, 2, 5]), np.array([2, 3, 4])
    relations = parse_equation(
        r"I = \left\lfloor \frac{R - K}{u} \right\rfloor + 1 \\ T = (R - K) \bmod u"
    ).relations
    assert [relation.mode for relation in relations] == ["scalar", "scalar"]
    values = {"R": R, "K": K, "u": u}
    assert evaluate(relations[0].sides[1], values).tolist() == ((R - K) // u + 1).tolist()
    assert evaluate(relations[1].sides[1], values).tolist() == ((R - K) % u).tolist()


def test_a_delta_with_a_gather_selects_the_class_of_each_row():
    from derivations.equations import Environment, evaluate, parse_equation

    t = np.array([2, 0, 2, 1])
    E = np.arange(15.0).reshape(3, 5)
    relation = parse_equation(r"y_{bd} = \sum_v \delta_{t_b v} e_{vd}").relations[0]
    value = evaluate(relation.sides[1], Environment({"t": t, "e": E, "y": E[t]}))
    np.testing.assert_array_equal(value, E[t])
