"""Demonstrating a caught failure: expect_mismatch, and what recording() may not hide."""

import numpy as np
import pytest

from derivations import (
    GradientMismatch,
    MismatchNotRaised,
    check,
    expect_mismatch,
    recording,
)
from derivations._recording import runner_log


def sine(x):
    return np.sin(x)


def sine_vjp(g, x):
    return g * np.cos(x)


def wrong_sine_vjp(g, x):
    return -g * np.cos(x)


def test_a_failing_check_inside_expect_mismatch_is_swallowed_and_kept():
    with expect_mismatch() as demo:
        check(sine, wrong_sine_vjp, x=(3,))
    assert demo.report is not None and not demo.report.passed
    assert demo.report.expected


def test_expect_mismatch_fails_when_every_check_inside_passes():
    with pytest.raises(MismatchNotRaised, match="went unnoticed"):
        with expect_mismatch():
            check(sine, sine_vjp, x=(3,))


def test_expect_mismatch_checks_the_message_when_asked():
    with expect_mismatch(match="disagrees with the numerical derivative"):
        check(sine, wrong_sine_vjp, x=(3,))
    with pytest.raises(MismatchNotRaised, match="does not match"):
        with expect_mismatch(match="not deterministic"):
            check(sine, wrong_sine_vjp, x=(3,))


def test_expect_mismatch_does_not_swallow_other_exceptions():
    with pytest.raises(ZeroDivisionError):
        with expect_mismatch():
            raise ZeroDivisionError


def test_a_failure_caught_by_the_author_inside_expect_mismatch_still_counts():
    with expect_mismatch() as demo:
        try:
            check(sine, wrong_sine_vjp, x=(3,))
        except GradientMismatch:
            pass
    assert demo.report is not None


def test_recording_cannot_hide_a_check_from_the_runner():
    with runner_log() as everything:
        with recording() as mine:
            try:
                check(sine, wrong_sine_vjp, x=(3,))
            except GradientMismatch:
                pass
    assert len(mine) == 1
    assert everything == mine and not everything[0].passed and not everything[0].expected


def test_checks_outside_expect_mismatch_are_not_marked_expected():
    with runner_log() as everything:
        check(sine, sine_vjp, x=(3,))
        with expect_mismatch():
            check(sine, wrong_sine_vjp, x=(3,))
    assert [r.expected for r in everything] == [False, True]
