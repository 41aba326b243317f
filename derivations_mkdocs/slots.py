"""Holding places in a page for verdicts that are not known yet.

A page is converted to HTML before its derivations have finished, and the report before
any page's. Where a verdict will go, the page gets a slot: an HTML comment carrying a token
of this process and the slot's name, which the other hooks and the search plugin pass
through untouched. When the verdict is known, every slot is filled. No page text can forge
a slot (the token is secret), and a slot that another hook lost, copied or moved is an
error, never a silent pass.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence

from .fence import Comment

_TOKEN = f"derivation-slot-{secrets.token_hex(6)}"
_SLOT = re.compile(rf"<!--{_TOKEN} ([\w-]+)-->")


class LostSlot(Exception):
    """A slot was not on the page exactly once, in its place, when it was filled."""


def slot(name: str) -> str:
    """The placeholder of slot ``name`` (letters, digits, ``-`` and ``_``)."""
    return f"<!--{_TOKEN} {name}-->"


def fill(html: str, names: Sequence[str], with_: Mapping[str, str]) -> str:
    """``html`` with slot ``name`` replaced by ``with_[name]``, for every name of ``names``.

    Raises LostSlot unless the slots on the page are exactly ``names``, in that order.
    """
    seen: list[str] = []

    def replace(match: re.Match) -> str:
        seen.append(match[1])
        return with_.get(match[1], "")

    filled = _SLOT.sub(replace, html)
    if seen != list(names):
        missing = [n for n in names if n not in seen]
        repeated = sorted({n for n in seen if seen.count(n) > 1})
        raise LostSlot(
            "the page's HTML changed between its conversion and its verdicts "
            f"(slots missing: {missing or 'none'}; repeated: {repeated or 'none'})"
        )
    return filled


def holds_a_verdict(comment: Comment) -> bool:
    """Whether a page's decoration may put something in this comment's place."""
    return comment.placeholder is not None or comment.text.startswith(" result: ")


def comment_slots(html: str, found: Sequence[Comment]) -> tuple[str, list[str]]:
    """``html`` with a slot, named by its number in ``found``, in place of every comment that
    may hold a verdict; and the names of those slots."""
    pieces, cursor, names = [], 0, []
    for number, comment in enumerate(found):
        if holds_a_verdict(comment):
            names.append(str(number))
            pieces += [html[cursor : comment.start], slot(str(number))]
            cursor = comment.end
    pieces.append(html[cursor:])
    return "".join(pieces), names
