"""The public API of the engine: what check, check_jacobian and check_identity accept and report."""

import numpy as np
import pytest

from derivations import (
    CheckFailure,
    GradientMismatch,
    IdentityMismatch,
    check,
    check_identity,
    check_jacobian,
)


def matmul(X, A):
    return X @ A


def matmul_vjp(g, X, A):
    return {"X": g @ A.T, "A": X.T @ g}


def test_failures_are_assertion_errors():
    assert issubclass(GradientMismatch, CheckFailure)
    assert issubclass(IdentityMismatch, CheckFailure)
    assert issubclass(CheckFailure, AssertionError)


def test_report_describes_the_check():
    report = check(matmul, matmul_vjp, X=(3, 4), A=(4, 2))
    assert report.passed
    assert report.kind == "vjp"
    assert report.function == "matmul"
    assert report.method == "complex step"
    assert report.tolerance == 1e-12
    assert 0 <= report.error < 1e-15
    assert report.inputs == {"X": (3, 4), "A": (4, 2)}
    assert report.wrt == ("X", "A")
    assert report.output_shape == (3, 2)
    assert report.seconds > 0
    assert "complex step, error" in report.summary()


def test_gradients_may_be_a_tuple_in_input_order():
    report = check(matmul, lambda g, X, A: (g @ A.T, X.T @ g), X=(3, 4), A=(4, 2))
    assert report.passed


def test_a_single_differentiated_input_may_return_a_bare_array():
    assert check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(5,)).passed


def test_integer_labels_and_python_numbers_are_constants():
    def f(z, labels, scale):
        return scale * z[np.arange(z.shape[0]), labels]

    def vjp(g, z, labels, scale):
        dz = np.zeros_like(z)
        dz[np.arange(z.shape[0]), labels] = scale * g
        return {"z": dz}

    report = check(f, vjp, z=(3, 4), labels=np.array([0, 3, 1]), scale=2.5)
    assert report.wrt == ("z",)


def test_wrt_chooses_the_differentiated_inputs():
    report = check(matmul, lambda g, X, A: {"A": X.T @ g}, wrt="A", X=(3, 4), A=(4, 2))
    assert report.wrt == ("A",)


def test_wrt_naming_an_unknown_input_is_rejected_with_the_known_names():
    with pytest.raises(ValueError, match=r"wrt names 'W', but the inputs are 'X', 'A'"):
        check(matmul, matmul_vjp, wrt="W", X=(3, 4), A=(4, 2))


def test_wrt_naming_an_integer_array_is_rejected():
    with pytest.raises(TypeError, match="not a float64 array"):
        check(lambda x, k: x * k, lambda g, x, k: g * k, wrt="k", x=(3,), k=np.arange(3))


def test_a_gradient_for_an_unknown_name_is_rejected():
    with pytest.raises(TypeError, match="'W', which is not an input"):
        check(matmul, lambda g, X, A: {"X": g @ A.T, "A": X.T @ g, "W": g}, X=(3, 4), A=(4, 2))


def test_a_missing_gradient_is_rejected():
    with pytest.raises(TypeError, match="no result for 'A'"):
        check(matmul, lambda g, X, A: {"X": g @ A.T}, X=(3, 4), A=(4, 2))


def test_a_gradient_with_the_transposed_shape_is_a_mismatch():
    wrong = lambda g, X, A: {"X": g @ A.T, "A": g.T @ X}  # noqa: E731
    with pytest.raises(
        GradientMismatch, match=r"'A' has shape \(2, 4\), but it must have shape \(4, 2\)"
    ):
        check(matmul, wrong, X=(3, 4), A=(4, 2))


def test_mismatch_message_names_input_worst_element_values_error_and_tolerance():
    def vjp(g, x):
        dx = g * np.cos(x)
        dx[1, 2] *= 1 + 1e-6
        return dx

    with pytest.raises(GradientMismatch) as caught:
        check(lambda x: np.sin(x), vjp, x=(3, 4))
    lines = str(caught.value).splitlines()
    assert lines[0] == "gradient for 'x' disagrees with the numerical derivative"
    assert lines[1].startswith("  error ") and lines[1].endswith("> tolerance 1e-12 (complex step)")
    assert lines[2].startswith("  worst element x[1, 2]: claimed ")
    assert "numerical " in lines[2] and "rel diff 1.00e-06" in lines[2]
    assert lines[3] == "  inputs: x (3, 4); output (3, 4); seed 0"
    report = caught.value.report
    assert not report.passed and report.error > report.tolerance


def test_worst_element_of_a_large_input_is_found_by_bisection():
    def vjp(g, x):
        dx = 2 * g * x
        dx[123, 45] *= 1.01
        return dx

    with pytest.raises(GradientMismatch, match=r"worst element x\[123, 45\]"):
        check(lambda x: x**2, vjp, x=(200, 100))


def test_forward_evaluations_do_not_grow_with_the_input_size():
    small = check(lambda x: np.tanh(x), lambda g, x: g / np.cosh(x) ** 2, x=(10,))
    large = check(lambda x: np.tanh(x), lambda g, x: g / np.cosh(x) ** 2, x=(100_000,))
    assert small.evaluations == large.evaluations <= 16


def test_function_that_is_not_complex_safe_falls_back_to_the_stencil():
    report = check(
        lambda x: np.abs(x) ** 3,
        lambda g, x: 3 * g * x * np.abs(x),
        x=np.array([0.7, -1.3, 2.1, -0.4]),
    )
    assert report.method == "5-point central difference"
    assert report.tolerance == 1e-8


def test_function_that_silently_breaks_the_complex_step_is_detected():
    report = check(lambda x: x * np.conj(x), lambda g, x: 2 * g * x, x=(3, 4))
    assert report.method == "5-point central difference"


def test_gradient_of_the_wrong_dtype_is_a_mismatch():
    with pytest.raises(GradientMismatch, match="dtype float32"):
        check(lambda x: 2 * x, lambda g, x: (2 * g).astype(np.float32), x=(3,))


def test_vjp_that_is_not_linear_in_g_is_a_mismatch():
    with pytest.raises(GradientMismatch, match="not linear in g"):
        check(lambda x: 2 * x, lambda g, x: 2 * g + 1e-3, x=(3,))


def test_nondeterministic_forward_is_rejected():
    rng = np.random.default_rng()
    with pytest.raises(GradientMismatch, match="not deterministic"):
        check(lambda x: x * rng.random(), lambda g, x: g, x=(3,))


def test_vjp_mutating_its_inputs_does_not_corrupt_the_check():
    def vjp(g, x):
        x *= 0  # a careless backward that scribbles over its input
        return g * 3.0

    with pytest.raises(GradientMismatch):
        check(lambda x: 3 * x**2 / 2, vjp, x=(4,))
    assert check(lambda x: 3 * x, vjp, x=(4,)).passed


def test_seed_makes_inputs_reproducible():
    seen = []
    check(lambda x: (seen.append(x.copy()), 2 * x)[1], lambda g, x: 2 * g, seed=7, x=(3,))
    again = []
    check(lambda x: (again.append(x.copy()), 2 * x)[1], lambda g, x: 2 * g, seed=7, x=(3,))
    np.testing.assert_array_equal(seen[0], again[0])


def test_matrix_product_jacobian_has_output_indices_first():
    def jacobian(X, A):
        return {
            "X": np.einsum("ip,qj->ijpq", np.eye(X.shape[0]), A),
            "A": np.einsum("ip,qj->ijpq", X, np.eye(A.shape[1])),
        }

    report = check_jacobian(matmul, jacobian, X=(2, 3), A=(3, 4))
    assert report.kind == "jacobian" and report.passed
    assert report.error < 1e-15


def test_jacobian_with_the_input_indices_first_is_rejected_by_its_shape():
    def jacobian(X, A):
        return np.einsum("ip,qj->pqij", np.eye(X.shape[0]), A)

    with pytest.raises(GradientMismatch, match=r"must have shape \(2, 4, 2, 3\)"):
        check_jacobian(matmul, jacobian, wrt="X", X=(2, 3), A=(3, 4))


def test_wrong_jacobian_element_is_located():
    def jacobian(X, A):
        J = np.einsum("ip,qj->ijpq", np.eye(X.shape[0]), A)
        J[1, 2, 1, 0] += 1e-7
        return J

    with pytest.raises(GradientMismatch, match=r"worst element dmatmul/dX\[1, 2, 1, 0\]"):
        check_jacobian(matmul, jacobian, wrt="X", X=(2, 3), A=(3, 4))


def test_identity_that_holds_passes():
    report = check_identity(
        lambda A, B: np.trace(A @ B), lambda A, B: np.einsum("ij,ji->", A, B), A=(3, 4), B=(4, 3)
    )
    assert report.kind == "identity" and report.passed and report.error < 1e-14


def test_identity_that_says_an_expression_is_zero_is_rejected_with_advice():
    with pytest.raises(IdentityMismatch, match="one side is zero everywhere") as caught:
        check_identity(
            lambda x: np.sum(x - x.mean(axis=-1, keepdims=True), axis=-1),
            lambda x: np.zeros(x.shape[0]),
            x=(4, 7),
        )
    assert "compare two non-zero expressions" in str(caught.value)


def test_the_same_fact_as_two_non_zero_sides_passes():
    report = check_identity(
        lambda x: np.sum(x, axis=-1), lambda x: x.shape[-1] * x.mean(axis=-1), x=(4, 7)
    )
    assert report.passed


def test_identity_whose_sides_are_both_zero_cannot_pass():
    with pytest.raises(IdentityMismatch, match="both sides are zero at every element"):
        check_identity(lambda x: 0 * x, lambda x: np.zeros_like(x), x=(3,))


def test_identity_is_judged_relative_to_its_sides_not_to_unrelated_inputs():
    with pytest.raises(IdentityMismatch, match="are not equal"):
        check_identity(
            lambda x, big: np.sin(x), lambda x, big: 1.1 * np.sin(x), x=(5,), big=np.array([1e12])
        )


def test_identity_of_a_small_value_is_judged_relative_to_that_value():
    """A 1e-9 relative error in a quantity far smaller than the inputs is still caught."""
    with pytest.raises(IdentityMismatch):
        check_identity(
            lambda x: 1e-6 * np.tanh(x),
            lambda x: 1e-6 * np.tanh(x) * (1 + 1e-9),
            x=1e3 * np.ones(4),
        )


def test_identity_that_fails_names_the_worst_element():
    def nudged(A):
        out = A.copy()
        out[1, 0] += 1e-9
        return out

    with pytest.raises(IdentityMismatch) as caught:
        check_identity(lambda A: A, nudged, A=(3, 4))
    assert str(caught.value).splitlines()[0] == "lhs and rhs are not equal"
    assert "worst element value[1, 0]: lhs " in str(caught.value)


def test_identity_with_different_shapes_fails():
    with pytest.raises(IdentityMismatch, match="different shapes"):
        check_identity(lambda A: A, lambda A: A.T, A=(2, 3))


def test_an_empty_input_is_rejected():
    with pytest.raises(ValueError, match=r"input 'x' is empty \(shape \(0,\)\)"):
        check(lambda x: 2 * x, lambda g, x: 3 * g, x=(0,))


def test_an_empty_output_is_rejected():
    with pytest.raises(ValueError, match="returned an empty array"):
        check(lambda x: x[:0], lambda g, x: np.zeros_like(x), x=(3,))


def relu(x):
    return np.where(x > 0, x, 0.0)


def test_a_wrong_vjp_checked_only_where_the_derivative_is_zero_fails():
    negative = -1.0 - np.random.default_rng(1).random(6)
    with pytest.raises(GradientMismatch, match="zero in every direction probed"):
        check(relu, lambda g, x: 7.0 * g * (x > 0), x=negative)


def test_a_zero_gradient_passes_when_the_author_says_it_is_meant():
    negative = -1.0 - np.random.default_rng(1).random(6)
    report = check(relu, lambda g, x: g * (x > 0), x=negative, zero_gradient="x")
    assert report.passed


def test_saying_zero_gradient_of_an_input_whose_gradient_is_not_zero_fails():
    with pytest.raises(GradientMismatch, match="zero_gradient names 'x', but"):
        check(lambda x: 2 * x, lambda g, x: 2 * g, x=(3,), zero_gradient="x")


def test_a_jacobian_that_is_zero_everywhere_fails_unless_said():
    negative = -1.0 - np.random.default_rng(1).random(4)
    jacobian = lambda x: np.diag((x > 0).astype(float))  # noqa: E731
    with pytest.raises(GradientMismatch, match="zero in every direction probed"):
        check_jacobian(relu, jacobian, x=negative)
    assert check_jacobian(relu, jacobian, x=negative, zero_gradient="x").passed


def not_complex_safe(x):
    return np.sin(x) * np.abs(x + 10)


def not_complex_safe_vjp(g, x):
    return g * (np.cos(x) * np.abs(x + 10) + np.sin(x) * np.sign(x + 10))


@pytest.mark.parametrize("seed", range(10))
def test_the_stencil_catches_one_element_off_by_1e_minus_3_among_a_thousand(seed):
    def one_wrong_element(g, x):
        dx = not_complex_safe_vjp(g, x)
        dx[7 * seed] *= 1 + 1e-3
        return dx

    with pytest.raises(GradientMismatch, match=rf"worst element x\[{7 * seed}\]"):
        check(not_complex_safe, one_wrong_element, seed=seed, x=(1000,))
    report = check(not_complex_safe, not_complex_safe_vjp, seed=seed, x=(1000,))
    assert report.method == "5-point central difference" and report.passed


def test_the_upstream_gradient_is_never_a_copy_of_an_input_the_author_drew_with_the_seed():
    """With g equal to A, the wrong dB = G^T A equals the right A^T G."""
    A = np.random.default_rng(0).standard_normal((3, 4))

    def product(A, B):
        return A @ B

    def wrong(g, A, B):
        return {"A": g @ B.T, "B": g.T @ A}

    with pytest.raises(GradientMismatch, match="gradient for 'B'"):
        check(product, wrong, seed=0, A=A, B=(4, 4))


def test_a_single_element_input_is_noted_as_degenerate():
    report = check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(1, 1))
    assert report.notes == ["x has a single element: a transpose or a wrong sum cannot show"]


def test_a_square_symmetric_input_is_noted_as_degenerate():
    S = np.array([[2.0, 1.0], [1.0, 3.0]])
    report = check(lambda S: S @ S, lambda g, S: g @ S.T + S.T @ g, S=S)
    assert report.notes == ["S is square and symmetric: a missing transpose cannot show"]


def test_generic_inputs_have_no_notes():
    assert check(matmul, matmul_vjp, X=(3, 4), A=(4, 2)).notes == []


def test_verifies_names_the_results_a_check_proves():
    report = check(matmul, matmul_vjp, verifies="mm-dX mm-dA", X=(3, 4), A=(4, 2))
    assert report.verifies == ("mm-dX", "mm-dA")
    assert check(matmul, matmul_vjp, X=(3, 4), A=(4, 2)).verifies is None


def test_seed_must_be_a_non_negative_integer():
    with pytest.raises(TypeError, match="seed must be a non-negative integer"):
        check(lambda x: 2 * x, lambda g, x: 2 * g, seed=-1, x=(3,))


def test_drawn_inputs_are_the_arrays_a_check_with_that_seed_evaluates_at():
    from derivations import drawn_inputs

    seen = []
    check(
        lambda x, k: (seen.append(x.copy()), 2 * x)[1], lambda g, x, k: 2 * g, seed=3, x=(4,), k=2
    )
    values = drawn_inputs(3, x=(4,), k=2)
    np.testing.assert_array_equal(values["x"], seen[0])
    assert values["k"] == 2


@pytest.mark.parametrize("wrong", ["x", "w"])
def test_a_wrong_gradient_fails_whichever_input_carries_the_largest_term(wrong):
    # With the complex step, the input whose term <vjp, v> is largest is read off the joint
    # derivative of all inputs; a relative error of 1e-9 must show there as elsewhere.
    rng = np.random.default_rng(5)
    x, w = 1e3 * rng.standard_normal((4, 5)), rng.standard_normal((4, 5))  # w's term is largest

    def product_vjp(g, x, w):
        grads = {"x": g * w, "w": g * x}
        grads[wrong] = grads[wrong] * (1 + 1e-9)
        return grads

    with pytest.raises(GradientMismatch, match=f"gradient for '{wrong}'"):
        check(lambda x, w: x * w, product_vjp, x=x, w=w)
