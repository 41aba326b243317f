"""A log of the checks run, for tools (such as the page runner) that report on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ._report import CheckReport

_log: list[CheckReport] | None = None


def record(report: CheckReport) -> None:
    if _log is not None:
        _log.append(report)


@contextmanager
def recording() -> Iterator[list[CheckReport]]:
    """Collect the report of every check (passed or failed) run inside the block."""
    global _log
    outer, _log = _log, []
    try:
        yield _log
    finally:
        _log = outer
