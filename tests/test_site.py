"""The real site: it builds strictly with every result verified, and every check has teeth."""

import json
import os
import re

import pytest
from sites import ROOT

from derivations.blocks import parse_page
from derivations.pages import verify_page

POSTS = sorted((ROOT / "docs" / "posts").glob("*.md"))


SERIES_ORDER = (
    "backpropagation",
    "tensor-calculus",
    "element-wise",
    "layer-normalization",
    "linear-layer",
    "matrix-multiplication",
    "cross-entropy",
    "matrix-inverse",
    "einsum",
    "attention",
    "convolution",
    "batch-normalization",
    "rms-normalization",
    "pooling-and-embedding",
)


def test_series_has_its_posts_in_both_parts():
    assert [p.stem for p in POSTS] == sorted(SERIES_ORDER)


def test_every_result_on_the_site_is_verified(built_site):
    report = json.loads((built_site / "verification.json").read_text())
    summary = report["summary"]
    assert summary["problems"] == 0
    assert summary["results"] == summary["verified"] >= 150
    pages = {record["page"] for record in report["checks"]}
    assert pages == {f"docs/posts/{p.name}" for p in POSTS}
    assert all(r["passed"] or r["expected"] for r in report["checks"])


def test_every_page_shows_exactly_the_derivation_blocks_that_ran(built_site):
    report = json.loads((built_site / "verification.json").read_text())
    ran: dict[str, set] = {}
    for record in report["checks"]:
        ran.setdefault(record["page"], set()).add(record["block"])
    for page in (ROOT / "docs").rglob("*.md"):
        source = page.relative_to(ROOT).as_posix()
        url = page.relative_to(ROOT / "docs").with_suffix("")
        html_path = built_site / (url.parent if url.name == "index" else url) / "index.html"
        html = html_path.read_text()
        shown = html.count('class="derivation-anchor"')
        assert shown == html.count('class="derivation highlight"'), source
        assert shown == len(ran.get(source, ())), source


def test_every_post_shows_a_verified_mark_for_each_result(built_site):
    for post in POSTS:
        markers = len(re.findall(r"^\s*<!-- result: ", post.read_text(), flags=re.M))
        html = (built_site / "posts" / post.stem / "index.html").read_text()
        assert markers > 0
        assert html.count("result-mark result-mark--verified") == markers, post.name
        assert "result-mark--failed" not in html and "derivation-failure" not in html


def test_home_page_lists_the_series_in_order_with_the_live_count(built_site):
    html = (built_site / "index.html").read_text()
    report = json.loads((built_site / "verification.json").read_text())
    count = report["summary"]["results"]
    assert f"{count} results, all verified numerically at build time" in html
    positions = [html.index(f'href="posts/{stem}/"') for stem in SERIES_ORDER]
    assert positions == sorted(positions)


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.stem)
def test_every_block_fails_when_its_claimed_results_are_slightly_wrong(post, monkeypatch):
    """tests/mutation/sitecustomize.py nudges every claimed gradient, Jacobian and identity."""
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join([str(ROOT / "tests" / "mutation"), os.environ.get("PYTHONPATH", "")]),
    )
    path = post.relative_to(ROOT).as_posix()
    result = verify_page(path, post.read_text(), cwd=ROOT, timeout=120)
    assert result.blocks
    for block, outcome in zip(result.blocks, result.outcomes, strict=True):
        assert not outcome.passed, f"{path}:{block.line}: block passes with wrong results"
        assert all(block.line <= p.line <= block.end_line for p in outcome.problems)
    mismatches = [
        p
        for p in result.problems
        if "disagrees with the numerical derivative" in p.message or "are not equal" in p.message
    ]
    assert len(mismatches) >= len(result.blocks) - 1


def test_nav_and_front_matter_agree_on_the_series_order():
    import yaml
    from mkdocs.utils.meta import get_data

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    sections = {key: value for item in config["nav"] for key, value in item.items()}
    series = sections["The series"] + sections["Beyond the series"]
    by_order = sorted(POSTS, key=lambda p: get_data(p.read_text())[1]["order"])
    assert series == [f"posts/{p.name}" for p in by_order]
    assert [p.stem for p in by_order] == list(SERIES_ORDER)


def test_real_build_fails_with_file_and_line_for_every_block_when_results_are_wrong(tmp_path):
    """The same nudge as above, through `mkdocs build` itself: every block is listed."""
    import subprocess
    import sys

    from sites import environment

    env = environment(DERIVATIONS_RERUN="1", PYTHONPATH=str(ROOT / "tests" / "mutation"))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1
    located = re.findall(r"^(docs/posts/[\w-]+\.md):(\d+): ", result.stderr, flags=re.M)
    blocks = {
        (f"docs/posts/{post.name}", block.line, block.end_line)
        for post in POSTS
        for block in parse_page(post.read_text()).blocks
    }
    for path, first, last in blocks:
        assert any(p == path and first <= int(n) <= last for p, n in located), (path, first)


def equation_labels(text: str, command: str) -> set[str]:
    return set(re.findall(rf"\\{command}\{{([^{{}}]+)\}}", text))


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.stem)
def test_every_equation_reference_names_a_label_of_its_page(post):
    # MathJax numbers equations per page: a reference to a label elsewhere, or to none,
    # renders as "(???)", and no build warns of it.
    text = post.read_text(encoding="utf-8")
    missing = equation_labels(text, "eqref") - equation_labels(text, "label")
    assert not missing, f"{post.name}: \\eqref of labels it does not define: {sorted(missing)}"
