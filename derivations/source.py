"""Reading a page as MkDocs does, so that the command line and the build agree on every line.

A page is UTF-8 with an optional byte-order mark, read with universal newlines. A
YAML front matter between ``---`` lines is not part of the Markdown when it holds a
mapping (otherwise it stays, as MkDocs leaves it). Lines are counted by ``\\n``
alone, as Python-Markdown splits them: a form feed or U+2028 is not a line break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.DOTALL)


@dataclass(frozen=True)
class PageSource:
    """A page's Markdown body and the line of the file on which it starts."""

    body: str
    first_line: int = 1


def read_text(path: Path) -> str:
    """The text of a page file, as MkDocs reads it (BOM dropped, universal newlines)."""
    with open(path, encoding="utf-8-sig", errors="strict") as handle:
        return handle.read()


def split_front_matter(text: str) -> PageSource:
    """The Markdown of a page without its YAML front matter, and where it starts."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return PageSource(text)
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return PageSource(text)
    if not isinstance(data, dict):
        return PageSource(text)
    body = text[match.end() :].lstrip("\n")
    return PageSource(body, text[: len(text) - len(body)].count("\n") + 1)


def read_page(path: Path) -> PageSource:
    return split_front_matter(read_text(path))
