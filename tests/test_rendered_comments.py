"""What counts as an HTML comment of a rendered page: what the HTML tokenizer says, with offsets."""

from derivations_mkdocs.fence import comments


def spans(html: str) -> list[tuple[str, str]]:
    return [(html[c.start : c.end], c.text) for c in comments(html)]


def test_a_comment_is_found_with_its_text_and_exact_span():
    html = "<p>a</p>\n<div\n class='x'>\n<!-- result: r -->\n</div>"
    assert spans(html) == [("<!-- result: r -->", " result: r ")]


def test_a_comment_closed_with_a_space_before_the_bracket_ends_at_the_bracket():
    assert spans("<!-- a -- ><!--b-->") == [("<!-- a -- >", " a "), ("<!--b-->", "b")]


def test_text_that_looks_like_a_comment_inside_a_script_or_style_is_not_one():
    html = '<script>s = "<!-- result: r -->"</script><style>/*<!--x-->*/</style><!--y-->'
    assert spans(html) == [("<!--y-->", "y")]


def test_text_that_looks_like_a_comment_inside_an_attribute_value_is_not_one():
    html = "<a title=\"<!-- result: r -->\" alt='<!--q-->'>t</a><!--y-->"
    assert spans(html) == [("<!--y-->", "y")]


def test_a_tag_whose_attribute_holds_a_closing_bracket_does_not_end_early():
    assert spans('<a b="x>y<!--no-->">t</a><!--yes-->') == [("<!--yes-->", "yes")]


def test_an_unterminated_comment_is_no_comment():
    assert comments("<p>x</p><!-- result: r") == []


def test_an_unchanged_page_has_its_comments_recalled_as_they_were_read():
    from derivations.cache import OutcomeCache
    from derivations_mkdocs.fence import TOKEN

    html = f"<p>a</p><!--{TOKEN} 0--><pre>x</pre><!--/{TOKEN} 0--><!-- result: r -->"
    cache = OutcomeCache(None)
    first = comments(html, cache)
    assert len(cache.memory) == 1
    again = comments(html, cache)
    assert again == first == comments(html)
    assert [c.placeholder for c in again] == [("open", 0), ("close", 0), None]


def test_a_page_that_writes_the_tokens_stand_in_is_read_afresh_and_forges_no_placeholder():
    from derivations.cache import OutcomeCache
    from derivations_mkdocs.fence import _STAND_IN, TOKEN

    cache = OutcomeCache(None)
    real = f"<!--{TOKEN} 0--><pre>x</pre><!--/{TOKEN} 0-->"
    comments(real, cache)
    forged = real.replace(TOKEN, _STAND_IN)
    assert [c.placeholder for c in comments(forged, cache)] == [None, None]
    assert len(cache.memory) == 1  # the forged page was neither recalled nor remembered
