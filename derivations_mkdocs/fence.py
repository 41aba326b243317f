"""What the renderer really shows: a SuperFences formatter for every fence, and the page's comments.

The hook registers ``FENCE`` as SuperFences' custom fence for every language
(name ``*``). It formats each fence exactly as SuperFences would (its own
highlighter), and around each derivation block it leaves two placeholder
comments that carry the block's number in the page. After the page is converted,
``shown_blocks`` and ``comments`` read back what is on it: a block that SuperFences
formatted but the page then dropped (an indented code block swallowing it) has no
placeholder left, so it does not count.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
from dataclasses import dataclass
from html.parser import HTMLParser, tagfind_tolerant
from pathlib import Path

from pymdownx.superfences import highlight_validator

from derivations.cache import OutcomeCache
from derivations.rendering import RenderedBlock

#: Placeholders carry a token of this process, so that no page text can look like one.
TOKEN = f"derivation-block-{secrets.token_hex(6)}"

_formatted: list[RenderedBlock] = []


def begin_page() -> None:
    """Forget the blocks of the previous page: the next conversion starts afresh."""
    _formatted.clear()


def format_fence(source, language, class_name, options, md, **kwargs) -> str:  # noqa: ANN001
    """SuperFences' own highlighting, with placeholders around a derivation block."""
    classes, attrs = kwargs["classes"], kwargs["attrs"]
    title = str(options.get("title", attrs.get("title", "")))
    verifies = tuple(str(attrs.get("verifies", options.get("verifies", ""))).split())
    html = md.preprocessors["fenced_code_block"].highlight(
        src=source,
        language=language,
        options=options,
        md=md,
        classes=classes,
        id_value=kwargs["id_value"],
        attrs=attrs,
    )
    if "derivation" not in classes and language != "derivation":
        return html
    index = len(_formatted)
    _formatted.append(RenderedBlock(source + "\n", title, verifies))
    return f"<!--{TOKEN} {index}-->{html}<!--/{TOKEN} {index}-->"


FENCE = {
    "name": "*",
    "class": "highlight",
    "format": format_fence,
    "validator": highlight_validator,
}


@dataclass(frozen=True)
class Comment:
    """An HTML comment of the rendered page: where it is and what it says."""

    start: int
    end: int
    text: str

    @property
    def placeholder(self) -> tuple[str, int] | None:
        """("open" or "close", block number) for the hook's placeholders, else None."""
        words = self.text.split()
        if len(words) == 2 and words[0] in (TOKEN, "/" + TOKEN) and words[1].isdigit():
            return ("close" if words[0].startswith("/") else "open", int(words[1]))
        return None


class _CommentFinder(HTMLParser):
    """Python's HTML tokenizer, reporting only comments, with where each starts and ends.

    The tokenizer decides what is a comment (not one inside ``<script>`` or an attribute); it is
    spared the work whose results nobody reads here: the attributes of tags other than the
    raw-text ones (which do change how what follows is read), and line numbers (the offsets come
    from the tokenizer's own position). A page is read in one pass, so positions are offsets
    into it.
    """

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[Comment] = []
        self._text = ""
        self.rawdata = html
        self.goahead(True)

    def parse_starttag(self, i: int) -> int:
        name = tagfind_tolerant.match(self.rawdata, i + 1)
        if name is None or name.group(1).lower() in self.CDATA_CONTENT_ELEMENTS:
            return super().parse_starttag(i)
        return self.check_for_whole_start_tag(i)

    def parse_comment(self, i: int, report: bool = True) -> int:
        end = super().parse_comment(i, report)
        if end >= 0 and report:
            self.found.append(Comment(i, end, self._text))
        return end

    def handle_comment(self, data: str) -> None:
        self._text = data

    def updatepos(self, i: int, j: int) -> int:
        return j


#: What stands for the token when a page's comments are remembered: as long as the token, so
#: the offsets hold, and never a token (not hexadecimal).
_STAND_IN = "derivation-block-" + "x" * (len(TOKEN) - len("derivation-block-"))
_FINDER = hashlib.sha256(sys.version.encode() + Path(__file__).read_bytes()).hexdigest()


def comments(html: str, cache: OutcomeCache | None = None) -> list[Comment]:
    """Every HTML comment of a rendered page, in order.

    With a ``cache``, they are recalled for a page whose HTML was read before (a page that
    did not change renders the same HTML, but for this process's token; reading it is most
    of what the hook costs a build). A page whose text holds the stand-in for the token is
    always read afresh, so that no page can pass its own text off as a placeholder.
    """
    if cache is None or _STAND_IN in html:
        return _CommentFinder(html).found
    remembered = html.replace(TOKEN, _STAND_IN)
    key = hashlib.sha256(f"{_FINDER}\0comments\0{remembered}".encode()).hexdigest()
    entry = cache.get(key, fields=frozenset({"comments"}))
    if entry is not None:
        return [Comment(a, b, text.replace(_STAND_IN, TOKEN)) for a, b, text in entry["comments"]]
    found = _CommentFinder(html).found
    cache.put(
        key, {"comments": [(c.start, c.end, c.text.replace(TOKEN, _STAND_IN)) for c in found]}
    )
    return found


def shown_blocks(found: list[Comment]) -> list[RenderedBlock]:
    """The derivation blocks whose placeholders survived onto the page, in order."""
    numbers = [c.placeholder[1] for c in found if c.placeholder and c.placeholder[0] == "open"]
    return [_formatted[n] for n in numbers if n < len(_formatted)]
