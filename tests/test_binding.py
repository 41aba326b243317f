"""The verdict rules: a result is verified only by a passing check attributed to it."""

import textwrap

from derivations.pages import verify_page

LINEAR = """\
<!-- result: lin-dx -->
$$ \\frac{\\partial L}{\\partial x_q} = \\sum_j g_j w_{jq} $$

<!-- result: lin-dW -->
$$ \\frac{\\partial L}{\\partial w_{pq}} = g_p x_q $$

```{.python .derivation verifies="lin-dx lin-dW"}
import numpy as np
from derivations import check, expect_mismatch, recording

def linear(x, W):
    return W @ x

def linear_vjp(g, x, W):
    return {"x": W.T @ g, "W": np.outer(g, x)}

def wrong(g, x, W):
    return {"x": -W.T @ g}

CHECKS
```
"""


def verify(tmp_path, checks: str, text: str = LINEAR):
    page = text.replace("CHECKS", textwrap.dedent(checks).strip())
    return verify_page("docs/p.md", page, cwd=tmp_path, timeout=20)


def messages(result):
    return [p.located(result.path) for p in result.problems]


def test_each_result_proven_by_its_own_check_is_verified(tmp_path):
    result = verify(
        tmp_path,
        """
        check(linear, linear_vjp, wrt="x", verifies="lin-dx", x=(3,), W=(4, 3))
        check(linear, linear_vjp, wrt="W", verifies="lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert result.problems == []
    assert set(result.verified) == {"lin-dx", "lin-dW"}
    assert [len(result.proofs[n]) for n in ("lin-dx", "lin-dW")] == [1, 1]


def test_one_check_may_prove_several_results(tmp_path):
    result = verify(
        tmp_path, 'check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))'
    )
    assert result.problems == [] and set(result.verified) == {"lin-dx", "lin-dW"}


def test_a_block_listing_several_results_must_attribute_every_check(tmp_path):
    """The old hole: a check of dx made lin-dW 'verified' too."""
    result = verify(tmp_path, 'check(linear, linear_vjp, wrt="x", x=(3,), W=(4, 3))')
    assert result.verified == {}
    assert any(
        m.startswith("docs/p.md:20: this block verifies 'lin-dx', 'lin-dW': say which this check")
        for m in messages(result)
    )


def test_a_listed_result_that_no_check_proves_is_a_problem(tmp_path):
    result = verify(
        tmp_path, 'check(linear, linear_vjp, wrt="x", verifies="lin-dx", x=(3,), W=(4, 3))'
    )
    assert "lin-dx" not in result.verified and "lin-dW" not in result.verified
    assert messages(result) == [
        "docs/p.md:7: block lists 'lin-dW' in verifies=, but none of its checks proves it: "
        'pass verifies="lin-dW" to the check that does'
    ]


def test_a_check_attributed_to_a_result_its_block_does_not_list_is_a_problem(tmp_path):
    result = verify(
        tmp_path,
        """
        check(linear, linear_vjp, verifies="lin-dX lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert any(
        "check verifies 'lin-dX', but its block does not list it in verifies= "
        "(did you mean 'lin-dx'?)" in m
        for m in messages(result)
    )


def test_a_supporting_check_may_prove_nothing_when_it_says_so(tmp_path):
    result = verify(
        tmp_path,
        """
        check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))
        check(linear, linear_vjp, verifies=(), x=(5,), W=(2, 5))
        """,
    )
    assert result.problems == []


def test_a_single_result_block_needs_no_attribution(tmp_path):
    text = LINEAR.replace('verifies="lin-dx lin-dW"', 'verifies="lin-dx"').replace(
        "<!-- result: lin-dW -->\n$$ \\frac{\\partial L}{\\partial w_{pq}} = g_p x_q $$\n", ""
    )
    result = verify(tmp_path, "check(linear, linear_vjp, x=(3,), W=(4, 3))", text)
    assert result.problems == [] and list(result.verified) == ["lin-dx"]


def test_a_caught_failure_fails_the_block(tmp_path):
    result = verify(
        tmp_path,
        """
        try:
            check(linear, wrong, wrt="x", verifies="lin-dx", x=(3,), W=(4, 3))
        except AssertionError:
            pass
        check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert result.verified == {}
    (message,) = messages(result)
    assert message.startswith("docs/p.md:21: gradient for 'x' disagrees with the numerical")
    assert "the block caught this failure" in message and "expect_mismatch" in message


def test_recording_cannot_hide_a_failure(tmp_path):
    result = verify(
        tmp_path,
        """
        with recording():
            try:
                check(linear, wrong, wrt="x", x=(3,), W=(4, 3))
            except AssertionError:
                pass
        check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert result.verified == {}
    assert messages(result)[0].startswith("docs/p.md:22: gradient for 'x' disagrees")


def test_an_expected_mismatch_is_a_demonstration_that_proves_nothing(tmp_path):
    result = verify(
        tmp_path,
        """
        with expect_mismatch():
            check(linear, wrong, wrt="x", x=(3,), W=(4, 3))
        check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert result.problems == []
    demo, proof = result.outcomes[0].reports
    assert demo["expected"] and not demo["passed"]
    assert result.proofs["lin-dx"] == [(0, 1)]


def test_an_expected_mismatch_cannot_verify_a_result(tmp_path):
    result = verify(
        tmp_path,
        """
        with expect_mismatch():
            check(linear, wrong, wrt="x", verifies="lin-dx", x=(3,), W=(4, 3))
        check(linear, linear_vjp, verifies="lin-dW", wrt="W", x=(3,), W=(4, 3))
        """,
    )
    assert "lin-dx" not in result.verified
    assert any("inside expect_mismatch() demonstrates a failure" in m for m in messages(result))


def test_an_expected_mismatch_that_does_not_happen_fails_the_block(tmp_path):
    result = verify(
        tmp_path,
        """
        with expect_mismatch():
            check(linear, linear_vjp, x=(3,), W=(4, 3))
        check(linear, linear_vjp, verifies="lin-dx lin-dW", x=(3,), W=(4, 3))
        """,
    )
    assert result.verified == {}
    assert "MismatchNotRaised: expect_mismatch: every check inside it passed" in messages(result)[0]


DERIVATIVES = """\
<!-- result: lin-grads -->
$$ \\frac{\\partial L}{\\partial x_q} = \\sum_j g_j\\, w_{jq} \\qquad
\\frac{\\partial L}{\\partial W} = g\\, x^\\top $$

```{.python .derivation verifies="lin-grads"}
import numpy as np
from derivations import check

def linear(x, W):
    return W @ x

def linear_vjp(g, x, W):
    return {"x": W.T @ g, "W": np.outer(g, x)}

CHECKS
```
"""


def test_a_result_about_two_inputs_needs_a_check_that_differentiates_each(tmp_path):
    result = verify(tmp_path, 'check(linear, linear_vjp, wrt="x", x=(3,), W=(4, 3))', DERIVATIVES)
    assert result.verified == {}
    assert messages(result) == [
        "docs/p.md:1: result 'lin-grads' is a derivative by W, but no check attributed to it "
        "differentiates W: attribute a check whose wrt includes W, or "
        "check_equation('lin-grads', ...)"
    ]
    both = verify(tmp_path, "check(linear, linear_vjp, x=(3,), W=(4, 3))", DERIVATIVES)
    assert both.problems == [] and "lin-grads" in both.verified
