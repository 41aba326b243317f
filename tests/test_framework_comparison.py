"""The comparison of the posts with PyTorch (benchmarks/frameworks.py), without PyTorch.

The comparison itself runs in the benchmark's environment, which has torch; what is tested
here is the part that decides a verdict: how far two sets of gradients are apart, and that
a post's own functions can be taken from its derivation blocks.
"""

from pathlib import Path

import numpy as np
import pytest

from benchmarks import frameworks, report, targets
from derivations.namespace import PageError, page_namespace

ROOT = Path(__file__).resolve().parent.parent


def test_rounding_agrees():
    theirs = np.array([1.0, -2.0, 3.0])
    assert frameworks.difference([theirs * (1 + 1e-15)], [theirs]) <= frameworks.TOLERANCE


def test_another_tie_convention_disagrees():
    halves, whole = np.array([0.5, 1.0]), np.array([1.0, 1.0])
    assert frameworks.difference([halves], [whole]) == pytest.approx(0.5)
    assert frameworks.difference([halves], [whole]) > frameworks.TOLERANCE


def test_a_gradient_of_another_shape_disagrees():
    assert frameworks.difference([np.zeros((2, 3))], [np.zeros((3, 2))]) == np.inf


def test_a_nan_where_pytorch_is_finite_disagrees():
    assert frameworks.difference([np.array([np.nan, 1.0])], [np.array([0.0, 1.0])]) == np.inf


def test_a_missing_gradient_disagrees():
    assert frameworks.difference([np.ones(2)], [np.ones(2), np.ones(2)]) == np.inf


def test_gradients_come_in_the_order_named_from_a_dict_or_a_tuple():
    a, b = np.zeros(1), np.ones(1)
    assert frameworks.ordered({"w": b, "x": a}, "x", "w") == [a, b]
    assert frameworks.ordered((a, b), "x", "w") == [a, b]
    assert frameworks.ordered(a, "x") == [a]


def test_every_comparison_names_a_function_its_post_defines():
    missing = []
    for comparison in frameworks.COMPARISONS:
        source = (ROOT / "docs" / "posts" / f"{comparison.post}.md").read_text()
        named = comparison.what.split("`")[1::2]  # the first is the post's function, if any
        if named and named[0].isidentifier() and f"def {named[0]}(" not in source:
            missing.append(named[0])
    assert not missing


def test_a_post_lends_its_functions_from_its_blocks():
    namespace = page_namespace(ROOT / "docs" / "posts" / "linear-layer.md")
    X, W, b = np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)
    assert namespace["linear"](X, W, b).shape == (2, 4)


def test_a_block_that_raises_stops_the_page_with_its_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('# T\n\n```{.python .derivation title="t"}\nraise ValueError("no")\n```\n')
    with pytest.raises(PageError, match=r"page.md:4: block raised ValueError"):
        page_namespace(page)


def test_a_disagreement_misses_the_target_and_shows_in_the_report():
    rows = [{"post": "p", "what": "`f` against `torch.f`", "error": 0.5, "agrees": False}]
    results = {
        "frameworks": {
            "torch": "2.13.0",
            "tolerance": 1e-10,
            "rows": rows,
            "date": "d",
            "load_before": [0.1],
        }
    }
    row = targets.evaluate(results)["frameworks"]
    assert row["met"] is False
    assert "**disagrees**" in report.render(results)
