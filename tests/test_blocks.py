"""Finding derivation blocks and result markers: SuperFences decides what a fence is."""

import markdown
import pytest

from derivations.blocks import BlockFinder, parse_page
from derivations.source import read_page, split_front_matter

BLOCK = '```{.python .derivation title="Gain" verifies="a b"}\nx = 1\n```\n'


def rendered_code_blocks(text: str) -> int:
    md = markdown.Markdown(extensions=["attr_list", "pymdownx.superfences"])
    return md.convert(text).count('class="derivation')


def test_brace_form_block_is_found_with_its_lines_and_attributes():
    page = parse_page("Intro\n\n" + BLOCK)
    (block,) = page.blocks
    assert (block.line, block.code_line, block.end_line) == (3, 4, 5)
    assert block.title == "Gain"
    assert block.verifies == ("a", "b")
    assert block.source == "x = 1\n"


def test_lines_count_from_the_first_line_of_the_body():
    (block,) = parse_page(BLOCK, first_line=7).blocks
    assert (block.line, block.end_line) == (7, 9)


def test_plain_python_fences_are_not_derivation_blocks():
    assert parse_page("```python\nx = 1\n```\n").blocks == []


def test_blocks_shown_inside_a_longer_fence_are_examples_not_blocks():
    text = "````markdown\n<!-- result: r -->\n```{.python .derivation}\nx = 1\n```\n````\n"
    page = parse_page(text)
    assert page.blocks == [] and page.results == [] and page.problems == []


def test_indented_block_inside_an_admonition_is_dedented():
    text = "!!! note\n\n    ```{.python .derivation}\n    if True:\n        y = 2\n    ```\n"
    (block,) = parse_page(text).blocks
    assert block.source == "if True:\n    y = 2\n"


def test_a_line_starting_with_an_inline_code_span_opens_no_fence():
    text = "```x``` is inline.\n\n" + BLOCK
    (block,) = parse_page(text).blocks
    assert block.line == 3 and rendered_code_blocks(text) == 1


def test_a_longer_fence_line_inside_a_block_does_not_close_it():
    text = '```{.python .derivation}\ns = """\n````\n"""\ny = 2\n```\n'
    (block,) = parse_page(text).blocks
    assert block.source == 's = """\n````\n"""\ny = 2\n'
    assert block.end_line == 6


def test_a_closing_fence_followed_by_a_no_break_space_does_not_close_the_block():
    text = "```{.python .derivation}\nx = 1\n```\u00a0\n"
    page = parse_page(text)
    assert page.blocks == [] and rendered_code_blocks(text) == 0
    (problem,) = page.problems
    assert problem.line == 1 and "the renderer does not read it as a derivation block" in (
        problem.message
    )


def test_a_block_in_a_blockquote_is_found_without_the_quote_marks():
    text = "> ```{.python .derivation}\n> x = 1\n> ```\n"
    (block,) = parse_page(text).blocks
    assert block.source == "x = 1\n" and rendered_code_blocks(text) == 1


@pytest.mark.parametrize("header", ["```python {.derivation}", "```.python {.derivation}"])
def test_a_language_before_the_braces_is_a_derivation_block(header):
    (block,) = parse_page(header + "\nx = 1\n```\n").blocks
    assert block.source == "x = 1\n"


def test_a_brace_inside_a_quoted_title_is_part_of_the_title():
    (block,) = parse_page('```{.python .derivation title="a}b"}\nx = 1\n```\n').blocks
    assert block.title == "a}b"


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\x85"])
def test_only_newlines_separate_lines(separator):
    text = f"```python\nx = 1{separator}y = 2\n```\n\n" + BLOCK
    (block,) = parse_page(text).blocks
    assert block.line == 5


def test_front_matter_is_not_part_of_the_page(tmp_path):
    text = "---\ntitle: T\nnote: |\n  ```{.python .derivation}\n---\n\n" + BLOCK
    source = split_front_matter(text)
    (block,) = parse_page(source.body, source.first_line).blocks
    assert block.line == 7


def test_a_front_matter_that_is_not_a_mapping_stays_in_the_page():
    source = split_front_matter("---\njust text\n---\n" + BLOCK)
    assert source.first_line == 1 and source.body.startswith("---")


def test_pages_are_read_with_byte_order_mark_and_crlf_as_mkdocs_reads_them(tmp_path):
    path = tmp_path / "p.md"
    path.write_bytes(("\ufeff---\ntitle: T\n---\n\n" + BLOCK).replace("\n", "\r\n").encode())
    source = read_page(path)
    assert source.first_line == 5 and "\r" not in source.body
    (block,) = parse_page(source.body, source.first_line).blocks
    assert (block.line, block.end_line) == (5, 7)


def test_result_marker_is_found_at_its_line_with_its_equation():
    page = parse_page("Text\n\n<!-- result: r -->\n$$\ny = 2 x\n$$\n")
    (marker,) = page.results
    assert (marker.name, marker.line) == ("r", 3)
    assert (marker.equation, marker.equation_line) == ("y = 2 x", 5)  # the LaTeX's own line


def test_a_marker_in_a_blockquote_keeps_its_equation():
    (marker,) = parse_page("> <!-- result: r -->\n> $$ y = x $$\n").results
    assert marker.equation == "y = x"


@pytest.mark.parametrize(
    "typo",
    ["<!-- Result: x -->", "<!-- result x -->", "<!-- result : x -->", "<!--result: x-->"],
)
def test_a_marker_typo_is_a_problem_not_a_silent_comment(typo):
    page = parse_page(f"Text\n\n{typo}\n$$ y $$\n")
    assert page.results == []
    (problem,) = page.problems
    assert problem.line == 3
    assert "malformed result marker" in problem.message and "<!-- result: name -->" in (
        problem.message
    )


def test_invalid_result_name_is_a_problem():
    page = parse_page("<!-- result: 9lives -->\n$$ y $$\n")
    assert page.results == []
    assert page.problems[0].line == 1 and "not valid" in page.problems[0].message


def test_duplicate_result_name_is_a_problem():
    page = parse_page("<!-- result: r -->\n$$ a $$\n\n<!-- result: r -->\n$$ b $$\n")
    assert [p.line for p in page.problems] == [4]
    assert "already marked at line 1" in page.problems[0].message


def test_an_unclosed_derivation_block_is_a_problem():
    page = parse_page("```{.python .derivation}\nx = 1\n")
    assert page.blocks == []
    assert page.problems[0].line == 1
    assert "the renderer does not read it as a derivation block" in page.problems[0].message


def test_a_derivation_header_the_renderer_rejects_is_a_problem():
    page = parse_page("```python derivation\nx = 1\n```\n")
    assert page.blocks == [] and page.problems[0].line == 1


@pytest.mark.parametrize("header", ["```{.derivation}", "```{.derivation .python}"])
def test_a_derivation_block_must_be_python_first(header):
    page = parse_page(header + "\nx = 1\n```\n")
    assert page.blocks == []
    assert "must be Python" in page.problems[0].message


def test_a_finder_can_be_configured_like_the_site():
    finder = BlockFinder(["attr_list", "pymdownx.superfences"], {})
    assert len(finder.parse(BLOCK).blocks) == 1


def test_a_finder_without_superfences_is_refused():
    with pytest.raises(ValueError, match="pymdownx.superfences"):
        BlockFinder(["attr_list", "fenced_code"])


def test_markers_stacked_before_a_table_take_its_rows_in_order():
    text = (
        "<!-- result: a -->\n<!-- result: b -->\n"
        "| Operation | Matrix | Index |\n|---|---|---|\n"
        "| Sum $c$ | $Z = X + Y$ | $z_{ij} = x_{ij} + y_{ij}$ |\n"
        "| Scale | $Z = cX$ | $z_{ij} = c\\, x_{ij}$ |\n"
    )
    a, b = parse_page(text).results
    assert (a.equation, a.equation_line) == (r"Z = X + Y \qquad z_{ij} = x_{ij} + y_{ij}", 5)
    assert (b.equation, b.equation_line) == (r"Z = cX \qquad z_{ij} = c\, x_{ij}", 6)


def test_an_environment_display_after_a_marker_is_its_equation():
    text = "<!-- result: r -->\n\\begin{align}\ny &= x \\\\\nz &= y\n\\end{align}\n"
    (marker,) = parse_page(text).results
    assert marker.equation.startswith("\\begin{align}") and marker.equation.endswith("\\end{align}")
    assert marker.equation_line == 2
