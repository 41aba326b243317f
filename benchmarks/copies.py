"""Throw-away copies of the repository for the site benchmarks, and edits of their pages.

A copy is the working tree as it is (or ``git archive`` of a commit), so neither the author's
``.cache/derivations`` nor anyone's ``site/`` is touched; ``grow`` turns one into a larger
site of generated posts. MkDocs runs in the site's own venv when there is one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from sites import environment  # the test sites' environment: no DERIVATIONS_* from outside

from derivations.blocks import parse_page
from derivations.source import split_front_matter

from . import ROOT

__all__ = ["environment", "grow", "make_copy", "site_python", "tagged"]

IGNORED = set(".git .venv .venv-bench .cache site .pytest_cache .ruff_cache node_modules".split())
IGNORED |= {"test-artifacts", "__pycache__"}


def site_python() -> str:
    """The interpreter MkDocs runs under: the site's venv if present, else this one."""
    candidate = ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def make_copy(destination: Path, source: str = "worktree") -> Path:
    """A copy of the repository: the working tree as it is, or a commit (``git archive``)."""
    repo = destination / "repo"
    if source == "worktree":
        shutil.copytree(ROOT, repo, ignore=lambda d, names: [n for n in names if n in IGNORED])
    else:
        repo.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", source], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    return repo


def tagged(text: str, comment: str, *, last_only: bool = False) -> str:
    """The page with ``# comment`` as the first line of every (or the last) derivation block.

    A changed block misses the cache, so it runs again; nothing else about it changes.
    """
    source = split_front_matter(text)
    blocks = parse_page(source.body, source.first_line).blocks
    if not blocks:
        raise ValueError("the page has no derivation block to edit")
    lines = text.split("\n")
    for block in reversed(blocks[-1:] if last_only else blocks):
        fence = lines[block.line - 1]
        prefix = fence[: len(fence) - len(fence.lstrip(" \t>"))]
        lines.insert(block.line, f"{prefix}# {comment}")  # right after the opening fence
    return "\n".join(lines)


def renamed(text: str, suffix: str) -> str:
    """The page with every result name it marks given ``suffix``, wherever the name occurs.

    Result names are unique on a site: a copy that kept them would fail the build.
    """
    names = {m.name for m in parse_page(split_front_matter(text).body).results}
    if not names:
        return text
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    name = re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")
    return name.sub(lambda m: m.group(1) + suffix, text)


def grow(repo: Path, posts: int) -> list[str]:
    """Add copies of the posts until the site has ``posts`` of them; return the new pages.

    Every copy's blocks are tagged, so each is work of its own for the checks and the cache,
    and its result names get a suffix of their own. The copies join the navigation:
    ``mkdocs.yml`` inherits the original and extends its nav.
    """
    originals = sorted((repo / "docs" / "posts").glob("*.md"))
    added = []
    for n in range(posts - len(originals)):
        source = originals[n % len(originals)]
        number = n // len(originals) + 1
        copy = source.with_name(f"{source.stem}-copy{number}.md")
        text = renamed(source.read_text(), f"-copy{number}")
        copy.write_text(tagged(text, f"copy {n}") if parse_page(text).blocks else text)
        added.append(f"posts/{copy.name}")
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("", lambda loader, suffix, node: None)  # !ENV and the like
    nav = yaml.load((repo / "mkdocs.yml").read_text(), Loader=loader)["nav"]
    (repo / "mkdocs.yml").rename(repo / "mkdocs-base.yml")
    extended = {"INHERIT": "mkdocs-base.yml", "nav": [*nav, {"Generated copies": added}]}
    (repo / "mkdocs.yml").write_text(yaml.safe_dump(extended, sort_keys=False))
    return added
