"""The engine's sharpness on the catalogue: no false alarm, every wrong gradient caught."""

import numpy as np
import pytest
from catalogue import CORRECT, WRONG

from derivations import GradientMismatch, check

SEEDS = range(200)


def test_catalogue_has_at_least_25_wrong_gradients():
    assert len(WRONG) >= 25


@pytest.mark.parametrize("case", CORRECT, ids=lambda c: c.name)
def test_correct_gradient_passes_for_200_seeds(case):
    for seed in SEEDS:
        report = check(case.f, case.vjp, seed=seed, **case.inputs(seed))
        assert report.passed
        assert report.error <= report.tolerance


@pytest.mark.parametrize("case", WRONG, ids=lambda c: c.name)
def test_wrong_gradient_is_caught_for_every_seed(case):
    for seed in range(20):
        with pytest.raises(GradientMismatch):
            check(case.f, case.vjp, seed=seed, **case.inputs(seed))


def test_complex_safe_correct_gradient_error_is_near_machine_precision():
    reports = [check(c.f, c.vjp, seed=s, **c.inputs(s)) for c in CORRECT for s in range(20)]
    errors = [r.error for r in reports if r.method == "complex step"]
    assert len(errors) > 200
    assert max(errors) < 1e-14
    assert np.median(errors) < 5e-16
