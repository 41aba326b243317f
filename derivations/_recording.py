"""Where the reports of checks go, and the one sanctioned way for a check to fail.

Every report reaches the log of the page runner (``runner_log``), which nothing a
block does can hide from. ``recording()`` gives an author a list of the checks run
inside it, in addition. ``expect_mismatch()`` marks the checks inside it as a
demonstration: they must fail, and they never prove a result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._report import CheckFailure, CheckReport, describe_failure

_runner: list[CheckReport] | None = None
_recordings: list[list[CheckReport]] = []
_expectations: list[expect_mismatch] = []


class MismatchNotRaised(AssertionError):
    """``expect_mismatch`` ended, but no check inside it failed."""


def record(report: CheckReport) -> None:
    """Send a finished report to every log that is listening."""
    if _expectations:
        report.expected = True
        _expectations[-1].reports.append(report)
    for log in _recordings:
        log.append(report)
    if _runner is not None:
        _runner.append(report)


@contextmanager
def recording() -> Iterator[list[CheckReport]]:
    """Collect the report of every check (passed or failed) run inside the block."""
    log: list[CheckReport] = []
    _recordings.append(log)
    try:
        yield log
    finally:
        _recordings.remove(log)


@contextmanager
def runner_log() -> Iterator[list[CheckReport]]:
    """The page runner's log: every check run inside, whatever the block does."""
    global _runner
    outer, _runner = _runner, []
    try:
        yield _runner
    finally:
        _runner = outer


class expect_mismatch:  # noqa: N801 - used like contextlib.suppress
    """Demonstrate that a wrong formula is caught: the checks run inside must fail.

    ``with expect_mismatch():`` swallows the ``CheckFailure`` of the first failing
    check and raises ``MismatchNotRaised`` if none failed. ``match`` is a regular
    expression the failure's message must contain. The failed report is kept in
    ``.report``. Checks run inside never verify a result; pages show them as
    demonstrations.
    """

    def __init__(self, match: str | None = None) -> None:
        self.match = match
        self.reports: list[CheckReport] = []
        self.report: CheckReport | None = None

    def __enter__(self) -> expect_mismatch:
        _expectations.append(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool:
        _expectations.remove(self)
        if exc_type is not None and not issubclass(exc_type, CheckFailure):
            return False
        failed = [r for r in self.reports if not r.passed]
        if not failed:
            raise MismatchNotRaised(
                "expect_mismatch: every check inside it passed, so the wrong formula it "
                "demonstrates went unnoticed"
            )
        self.report = failed[0]
        message = describe_failure(self.report)
        if self.match is not None and not re.search(self.match, message):
            raise MismatchNotRaised(
                f"expect_mismatch: the check failed, but its message does not match "
                f"{self.match!r}:\n{message}"
            )
        return True
