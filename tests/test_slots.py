"""Slots: the places a page holds for verdicts that are not known yet."""

import pytest

from derivations_mkdocs import fence, slots


def test_every_comment_that_may_hold_a_verdict_becomes_a_slot_and_nothing_else_changes():
    html = "<p>a</p><!-- result: r --><!-- an aside --><p>b</p>"
    found = fence.comments(html)
    slotted, names = slots.comment_slots(html, found)
    assert names == ["0"]
    assert slotted == "<p>a</p>" + slots.slot("0") + "<!-- an aside --><p>b</p>"
    assert slots.fill(slotted, names, {"0": "<p>mark</p>"}) == (
        "<p>a</p><p>mark</p><!-- an aside --><p>b</p>"
    )


def test_a_slot_that_another_hook_lost_is_an_error():
    with pytest.raises(slots.LostSlot, match=r"slots missing: \['b'\]"):
        slots.fill(slots.slot("a"), ["a", "b"], {"a": "x", "b": "y"})


def test_a_slot_that_another_hook_copied_is_an_error_not_a_second_mark():
    copied = slots.slot("a") + "<p>elsewhere</p>" + slots.slot("a")
    with pytest.raises(slots.LostSlot, match=r"repeated: \['a'\]"):
        slots.fill(copied, ["a"], {"a": "<p>verified</p>"})


def test_page_text_cannot_forge_a_slot_without_the_token():
    forged = "<!--derivation-slot-000000000000 a-->"
    assert slots.fill(forged + slots.slot("a"), ["a"], {"a": "mark"}) == forged + "mark"
