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


def test_two_builds_of_one_tree_at_once_both_succeed(tmp_path):
    import subprocess
    import sys

    from sites import PASSING, environment

    site = make_site(
        tmp_path, {"index.md": PASSING, "more.md": PASSING.replace("sin-dx", "sin-dy")}
    )
    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "build", "-d", str(site / f"site{i}")],
            cwd=site,
            env=environment(DERIVATIONS_RERUN="1"),
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for process in builds:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr


def test_a_build_does_not_take_a_pass_from_the_cache_after_a_helper_module_turned_wrong(tmp_path):
    from sites import PASSING

    page = PASSING.replace(
        "def sine_vjp(g, x):\n    return g * np.cos(x)",
        "from helper import sine_vjp",
    )
    site = make_site(tmp_path, {"index.md": page})
    (site / "helper.py").write_text(
        "import numpy as np\n\ndef sine_vjp(g, x):\n    return g * np.cos(x)\n"
    )
    assert build(site).returncode == 0
    (site / "helper.py").write_text(
        "import numpy as np\n\ndef sine_vjp(g, x):\n    return g * np.sin(x)\n"
    )
    result = build(site)
    assert result.returncode == 1
    assert "docs/index.md:17: gradient for 'x' disagrees" in result.stderr


def test_the_command_line_and_the_build_read_a_page_with_bom_and_crlf_alike(tmp_path):
    import subprocess
    import sys

    from sites import MISMATCH_TEXT, ROOT, environment

    site = make_site(tmp_path, {})
    page = "\ufeff---\ntitle: T\n---\n\n" + MISMATCH_TEXT
    (site / "docs" / "index.md").write_bytes(page.replace("\n", "\r\n").encode())
    built = located(build(site))
    cli = subprocess.run(
        [sys.executable, "-m", "derivations", "docs/index.md"],
        cwd=site,
        env=environment(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 1
    assert built == [line for line in cli.stderr.splitlines() if line.startswith("docs/")]
    assert built[0].startswith("docs/index.md:22: gradient for 'x' disagrees")
