"""mkdocs-macros module: the series list, the verification line and a verified equation on the
home page.

Only pages with ``render_macros: true`` use these (``render_by_default: false``).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.utils.meta import get_data

from derivations.blocks import parse_page
from derivations.source import read_page
from derivations_mkdocs.report import SUMMARY_PLACEHOLDER, result_placeholder


def series(docs_dir: str) -> list[dict]:
    """The posts in reading order, from their own front matter (title, summary, order)."""
    posts = []
    for path in sorted(Path(docs_dir, "posts").glob("*.md")):
        meta = get_data(path.read_text(encoding="utf-8"))[1]
        if "order" in meta:
            posts.append(
                {
                    "file": f"posts/{path.name}",
                    "title": meta.get("title", path.stem),
                    "summary": meta.get("summary", ""),
                    "order": meta["order"],
                    "part": meta.get("part", 1),
                }
            )
    return sorted(posts, key=lambda post: post["order"])


def define_env(env) -> None:
    @env.macro
    def series_list(part: int = 1) -> str:
        """A numbered Markdown list of the posts of one part, with their one-line summaries."""
        posts = [post for post in series(env.conf["docs_dir"]) if post["part"] == part]
        return "\n".join(
            f"{i}. [{post['title']}]({post['file']}): {post['summary']}"
            for i, post in enumerate(posts, start=1)
        )

    @env.macro
    def featured_result(post: str, name: str) -> str:
        """The displayed equation of one result of a post, and (filled in by the hook once
        the build knows) whether it was verified and where its derivation and check are."""
        source = read_page(Path(env.conf["docs_dir"], post))
        marker = next(m for m in parse_page(source.body).results if m.name == name)
        return f"$$\n{marker.equation}\n$$\n\n{result_placeholder(post, name)}"

    @env.macro
    def verification_line() -> str:
        """Where the build's own verification count goes (the hook fills it in at the end)."""
        return SUMMARY_PLACEHOLDER
