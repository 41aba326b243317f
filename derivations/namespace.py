"""Run a page's derivation blocks in this process and keep what they define.

For tools that reuse a post's own functions (the benchmark compares them with PyTorch): the
blocks run in order in one namespace, as the page process runs them, but here, without its
isolation, its limits or its verdicts. A block that raises stops the page, with its line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._equation_check import use_page_equations
from ._recording import runner_log
from .blocks import parse_page
from .source import read_page


class PageError(RuntimeError):
    """A block of the page raised, or the page cannot be read as derivation blocks."""


def page_namespace(path: Path) -> dict[str, Any]:
    """The names the derivation blocks of the Markdown page at ``path`` define, run in order."""
    source = read_page(path)
    parsed = parse_page(source.body, source.first_line)
    if parsed.problems:
        first = parsed.problems[0]
        raise PageError(f"{path}:{first.line}: {first.message}")
    equations = parsed.equations()
    use_page_equations(equations, str(path))
    namespace: dict[str, Any] = {"__name__": "__derivation__", "__file__": str(path)}
    for block in parsed.blocks:
        code = compile("\n" * (block.code_line - 1) + block.source, str(path), "exec")
        with runner_log():
            try:
                exec(code, namespace)
            except Exception as exc:
                raise PageError(f"{path}:{block.code_line}: block raised {exc!r}") from exc
    return namespace
