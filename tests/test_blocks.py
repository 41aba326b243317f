"""Finding derivation blocks and result markers in Markdown."""

from derivations.blocks import parse_page


def test_brace_form_block_is_found_with_its_lines_and_attributes():
    page = parse_page('Intro\n\n```{.python .derivation title="Gain" verifies="a b"}\nx = 1\n```\n')
    (block,) = page.blocks
    assert (block.line, block.code_line, block.end_line) == (3, 4, 5)
    assert block.title == "Gain"
    assert block.verifies == ("a", "b")
    assert block.source == "x = 1\n"


def test_plain_python_fences_are_not_derivation_blocks():
    assert parse_page("```python\nx = 1\n```\n").blocks == []


def test_blocks_shown_inside_a_longer_fence_are_examples_not_blocks():
    text = "````markdown\n<!-- result: r -->\n```{.python .derivation}\nx = 1\n```\n````\n"
    page = parse_page(text)
    assert page.blocks == [] and page.results == []


def test_indented_block_inside_an_admonition_is_dedented():
    text = "!!! note\n\n    ```{.python .derivation}\n    if True:\n        y = 2\n    ```\n"
    (block,) = parse_page(text).blocks
    assert block.source == "if True:\n    y = 2\n"


def test_result_marker_is_found_at_its_line():
    page = parse_page("text\n<!-- result: ln-dx -->\n$$ x $$\n")
    assert [(m.name, m.line) for m in page.results] == [("ln-dx", 2)]


def test_invalid_result_name_is_a_problem():
    page = parse_page("<!-- result: two words -->\n")
    assert page.results == []
    assert page.problems[0].line == 1 and "not valid" in page.problems[0].message


def test_duplicate_result_name_is_a_problem():
    page = parse_page("<!-- result: a -->\n\n<!-- result: a -->\n")
    assert [(p.line, p.message) for p in page.problems] == [
        (3, "result 'a' is already marked at line 1")
    ]


def test_unclosed_derivation_block_is_a_problem():
    page = parse_page("```{.python .derivation}\nx = 1\n")
    assert page.problems[0].line == 1 and "no closing fence" in page.problems[0].message


def test_derivation_block_in_another_language_is_a_problem():
    page = parse_page("```{.julia .derivation}\nx = 1\n```\n")
    assert "must be Python" in page.problems[0].message
