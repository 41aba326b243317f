"""A fast subset of the sharpness benchmark (benchmarks/sharpness.py): no peers, few seeds.

The full benchmark (`bash benchmarks/run`) runs 200 seeds per correct gradient against torch
and jax; this runs the same code on the whole catalogue with derivations.check alone, and
renders its part of the report.
"""

import numpy as np
import pytest
from catalogue import CORRECT, WRONG

from benchmarks import report, sharpness, targets
from benchmarks.sharpness import ERROR, MISMATCH, PASS
from derivations import CheckFailure, check

CORRECT_SEEDS = range(5)
WRONG_SEEDS = range(3)


@pytest.fixture(scope="module")
def measured():
    return sharpness.measure(
        sharpness.DERIVATIONS, correct_seeds=CORRECT_SEEDS, wrong_seeds=WRONG_SEEDS
    )


@pytest.fixture(scope="module")
def summary(measured):
    return sharpness.summarise(measured)


def test_every_wrong_gradient_is_caught_by_its_comparison(summary):
    assert len(summary["wrong"]) == len(WRONG)
    assert not summary["wrong_missed"], f"missed: {summary['wrong_missed']}"
    assert summary["wrong_caught"] == len(WRONG)
    for row in summary["wrong"]:
        # caught as a GradientMismatch, never by the engine raising something else
        assert set(row["verdicts"]) == {MISMATCH}, (row["case"], row["verdicts"], row["messages"])


def test_no_false_alarm_on_correct_gradients(summary):
    assert len(summary["correct"]) == len(CORRECT)
    assert summary["correct_runs"] == len(CORRECT) * len(CORRECT_SEEDS)
    assert summary["false_alarms"] == 0
    for row in summary["correct"]:
        assert row["verdicts"] == [PASS] * len(CORRECT_SEEDS), row["case"]


def test_every_check_is_timed(summary):
    times = [t for row in summary["correct"] + summary["wrong"] for t in row["seconds"]]
    assert len(times) == len(CORRECT) * len(CORRECT_SEEDS) + len(WRONG) * len(WRONG_SEEDS)
    assert all(0 < t < 5 for t in times)
    assert 0 < summary["median"] < 0.5


@pytest.mark.parametrize("case", CORRECT + WRONG, ids=lambda c: c.name)
def test_peers_get_exactly_the_inputs_check_draws(case):
    """materialise() reproduces the arrays check() evaluates f at, so every checker sees them."""
    seen = []

    def recording_f(**kwargs):
        if not seen:
            seen.append({k: np.array(v, copy=True) for k, v in kwargs.items()})
        return case.f(**kwargs)

    problem = sharpness.materialise(case, seed=7)
    try:
        check(recording_f, case.vjp, seed=7, **problem.kwargs)
    except CheckFailure:
        pass
    assert set(seen[0]) == set(problem.values)
    for name, value in problem.values.items():
        np.testing.assert_array_equal(seen[0][name], value)
    assert problem.wrt == tuple(
        k for k, v in problem.values.items() if isinstance(v, np.ndarray) and v.dtype == np.float64
    )


def test_claimed_gradients_are_put_in_input_order():
    a, b = np.zeros(2), np.ones(3)
    assert sharpness.claimed_gradients({"y": b, "x": a}, ("x", "y")) == [a, b]
    assert sharpness.claimed_gradients((a, b), ("x", "y")) == [a, b]
    assert sharpness.claimed_gradients(a, ("x",)) == [a]
    with pytest.raises(TypeError):
        sharpness.claimed_gradients(a, ("x", "y"))


def test_a_checker_that_raises_is_an_error_verdict_not_a_pass():
    def broken(problem):
        raise RuntimeError("cannot handle this case")

    spec = sharpness.CheckerSpec("broken", "broken", broken, (AssertionError,))
    verdict, seconds, message = sharpness.run_one(spec, None)
    assert verdict == ERROR and seconds >= 0 and "cannot handle" in message
    accepting = sharpness.CheckerSpec("accepting", "accepting", lambda p: None, (AssertionError,))
    assert sharpness.run_one(accepting, None)[0] == PASS


def test_a_checker_that_rejects_is_a_mismatch_verdict():
    def rejecting(problem):
        raise AssertionError("gradient off by 1e-3")

    spec = sharpness.CheckerSpec("rejecting", "rejecting", rejecting, (AssertionError,))
    verdict, _, message = sharpness.run_one(spec, None)
    assert verdict == MISMATCH and message == "gradient off by 1e-3"


def _results(measured):
    sharpness_data = {"correct_seeds": len(CORRECT_SEEDS), "wrong_seeds": len(WRONG_SEEDS)}
    return {
        "machine": {"cpu": "test", "cores": 2, "versions": {}},
        "sharpness": {**sharpness_data, "checkers": [measured], "load": [0.5], "date": "today"},
    }


def test_report_renders_the_subset_with_its_targets_met(measured):
    text = report.render(_results(measured))
    assert "## 1. Sharpness and cost against peers" in text
    row = f"| `check` catches every wrong gradient | {len(WRONG)} | = {len(WRONG)} | met |"
    assert row in text
    runs = len(CORRECT) * len(CORRECT_SEEDS)
    assert f"| `check`: false alarms on correct gradients | 0 (in {runs} runs," in text
    assert "**missed**" not in text
    assert "The time against gradcheck was not measured (run without peers)." in text


def test_report_marks_a_target_missed_when_a_wrong_gradient_passes(measured):
    results = _results(measured)
    results["sharpness"]["checkers"][0] = {**measured, "wrong": [*measured["wrong"]]}
    first = measured["wrong"][0]
    results["sharpness"]["checkers"][0]["wrong"][0] = {**first, "verdicts": [PASS] * 3}
    rows = targets.evaluate(results)
    assert rows["caught"]["met"] is False
    assert rows["caught"]["measured"] == str(len(WRONG) - 1)
    text = report.render(results)
    assert f"| `check` catches every wrong gradient | {len(WRONG) - 1} | = {len(WRONG)} " in text
    assert "| **missed** |" in text
    assert f"| {first['case']} | ✗ 0/3 |" in text


def test_tagging_a_page_changes_every_derivation_block_and_nothing_else():
    from benchmarks.copies import tagged
    from derivations.blocks import parse_page
    from derivations.source import split_front_matter

    page = "---\ntitle: T\n---\n\n> ```{.python .derivation}\n> x = 1\n> ```\n\nText.\n"
    out = tagged(page, "copy 1")
    source = split_front_matter(out)
    (block,) = parse_page(source.body, source.first_line).blocks
    assert block.source == "# copy 1\nx = 1\n"
    assert out.replace("> # copy 1\n", "") == page


def test_a_copied_page_marks_its_results_under_names_of_its_own():
    from benchmarks.copies import renamed
    from derivations.blocks import parse_page

    page = (
        "<!-- result: ln-dx -->\n$$ y = x \\label{eq:ln-dx} $$\n\n"
        "<!-- result: ln-dx2 -->\n$$ z = x $$\n\n"
        '```{.python .derivation verifies="ln-dx ln-dx2"}\ncheck_equation("ln-dx", f)\n```\n'
        "See [the other](other.md#result-ln-dxy).\n"
    )
    out = renamed(page, "-copy1")
    assert [m.name for m in parse_page(out).results] == ["ln-dx-copy1", "ln-dx2-copy1"]
    assert 'verifies="ln-dx-copy1 ln-dx2-copy1"' in out
    assert 'check_equation("ln-dx-copy1", f)' in out and "eq:ln-dx-copy1" in out
    assert "#result-ln-dxy" in out  # a name the page does not mark is left alone


def test_a_build_target_from_builds_that_failed_is_not_met():
    def run(mode, returncode):
        return {"mode": mode, "seconds": 1.0, "cpu": 1.0, "returncode": returncode}

    medians = {m: {"seconds": 1.0, "cpu": 1.0} for m in ("off", "cold", "warm")}
    build = {"runs": [run("off", 0), run("cold", 1), run("warm", 0)], "medians": medians}
    rows = targets.evaluate({"build": build})
    assert rows["cold"]["met"] is False and rows["warm"]["met"] is False
    assert rows["cold"]["measured"] == "not measured: 1 of 3 builds failed"
    build["runs"][1]["returncode"] = 0
    assert targets.evaluate({"build": build})["cold"]["met"] is True
