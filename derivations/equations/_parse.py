"""Reading LaTeX with the grammar in notation.lark, and turning lark's errors into ours."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import (
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ._build import build
from ._errors import EquationError
from ._tree import Equation

GRAMMAR = Path(__file__).with_name("notation.lark")


@functools.cache
def parser() -> Lark:
    """The LALR parser of the notation, built once per process, with every lexer it needs."""
    lark = Lark(
        GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
    )
    _build_scanners(lark)
    return lark


def _build_scanners(lark: Lark) -> None:
    """Compile the lexer of every parser state now, not when a parse first needs it.

    lark builds them lazily; a page process forked from the server would otherwise compile
    the ones it meets, again in every page (about 0.1 s a page). This reads lark 1.3's
    ContextualLexer (``lexers`` and ``root_lexer``); another layout is left as it is.
    """
    lexer = getattr(getattr(lark, "parser", None), "lexer", None)
    basic = [*getattr(lexer, "lexers", {}).values(), getattr(lexer, "root_lexer", None)]
    for one in {id(b): b for b in basic if b is not None}.values():
        getattr(one, "scanner", None)


@functools.lru_cache(maxsize=4096)
def parse_equation(latex: str) -> Equation:
    """The ``Equation`` written in ``latex`` (the text between ``$$`` and ``$$``).

    Raises ``EquationError`` naming the construct and its offset when the text is not in the
    notation. An equation is read once per process (its tree is immutable): a page checks the
    same display in several blocks, and the build reads it again to bind its results.
    """
    try:
        tree = parser().parse(latex)
    except UnexpectedInput as error:
        raise _translate(error, latex) from None
    try:
        return build(tree, latex)
    except VisitError as error:
        if isinstance(error.orig_exc, EquationError):
            raise error.orig_exc from None
        raise


def _translate(error: UnexpectedInput, latex: str) -> EquationError:
    """lark's error as ours: what construct is wrong, and where."""
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return EquationError("the equation ends too early", len(latex))
    token: Token | None = getattr(error, "token", None)
    offset = token.start_pos if token is not None else error.pos_in_stream
    construct = _construct(latex, offset)
    if construct.startswith("\\text{"):
        message = f"{construct}: prose is allowed only as a remark at the end of a row"
    elif token is None:
        message = f"{construct} is not supported"
    elif token.type in _NOT_LETTERS and {"LETTER", "TEXT"} <= set(error.expected):
        message = f"{construct} is not an index: index letters are Latin letters"
    else:
        message = f"{construct} is unexpected here"
    return EquationError(message, offset)


_NOT_LETTERS = {"GREEK", "PI", "ACCENT", "DELTA"}


# Only to name the construct an error is about; the parsing is the grammar's.
_COMMAND = re.compile(r"\\(begin|end|text|mathbf|mathbb|mathrm)\{[^}]*\}|\\[A-Za-z]+|\\.|.")


def _construct(latex: str, offset: int) -> str:
    """The LaTeX construct starting at ``offset``: a command, an environment or one character."""
    match = _COMMAND.match(latex, offset)
    return match.group(0) if match else repr(latex[offset : offset + 1])
