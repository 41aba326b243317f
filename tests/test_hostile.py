"""`mkdocs build` on the hostile corpus: each case a tiny site, built as a reader's site is."""

import json
import re

import pytest
from hostile import FAILS, RUNS, Case
from sites import RICH_CONFIG, build, make_site


def build_case(tmp_path, case: Case):
    site = make_site(tmp_path, case.pages, timeout=20, config=RICH_CONFIG)
    config = (site / "mkdocs.yml").read_text()
    for key, value in case.settings.items():
        config = config.replace("timeout: 20", f"timeout: 20\n    {key}: {value}")
        if key == "timeout":
            config = config.replace("timeout: 20\n    timeout:", "timeout:")
    (site / "mkdocs.yml").write_text(config)
    return site, build(site)


def located(result) -> list[str]:
    lines = [re.sub(r"^ERROR\s+-\s+", "", line) for line in result.stderr.splitlines()]
    return [line for line in lines if line.startswith(("docs/", "mkdocs.yml"))]


@pytest.mark.parametrize("case", RUNS, ids=lambda c: c.name)
def test_a_legitimate_construct_renders_and_runs(tmp_path, case):
    site, result = build_case(tmp_path, case)
    assert result.returncode == 0, result.stderr
    report = json.loads((site / "site" / "verification.json").read_text())
    assert report["summary"]["problems"] == 0
    assert report["summary"]["verified"] == len(case.verified)
    assert len({(r["page"], r["block"]) for r in report["checks"]}) == case.blocks
    shown = sum(
        html.read_text().count('class="derivation-anchor"')
        for html in (site / "site").rglob("*.html")
    )
    assert shown == case.blocks


@pytest.mark.parametrize("case", FAILS, ids=lambda c: c.name)
def test_a_hostile_page_fails_the_build_where_it_is_wrong(tmp_path, case):
    _, result = build_case(tmp_path, case)
    assert result.returncode == 1, result.stderr
    errors = located(result)
    for expected in case.fails:
        assert any(line.startswith(expected) for line in errors), (expected, errors)


def test_report_anchors_of_same_named_pages_in_different_folders_differ(tmp_path):
    case = next(c for c in RUNS if c.name.startswith("two pages with the same file name"))
    site, result = build_case(tmp_path, case)
    html = (site / "site" / "verification" / "index.html").read_text()
    ids = re.findall(r'id="([^"]+--[rs])"', html)
    assert sorted(ids) == ["docs-a-x--r", "docs-b-x--s"]
