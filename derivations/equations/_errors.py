"""The two ways an equation can be wrong before any number is compared."""

from __future__ import annotations

from dataclasses import dataclass


class EquationError(ValueError):
    """The LaTeX cannot be read or evaluated: ``message`` names the construct, ``offset`` is the
    character offset in the parsed LaTeX where it is (the caller turns it into a file line)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class IndexProblem:
    """A break of the index rules of the Conventions, found without evaluating anything."""

    message: str
    offset: int
