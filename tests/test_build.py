"""`mkdocs build` with the hook, end to end, on tiny sites in temporary folders."""

import json
import re
from html import unescape

import pytest
from sites import MISMATCH_TEXT as MISMATCH
from sites import PASSING, Server, build, make_site


def error_lines(result):
    return [line for line in result.stderr.splitlines() if line.startswith("docs/")]


def test_passing_site_builds_with_marks_notes_and_report(tmp_path):
    site = make_site(tmp_path, {"index.md": PASSING})
    result = build(site)
    assert result.returncode == 0, result.stderr
    html = (site / "site" / "index.html").read_text()
    assert 'class="result-mark result-mark--verified" id="result-sin-dx"' in html
    assert 'href="#check-1"' in html and 'id="check-1"' in html
    assert "<strong>Checked</strong>: 1 check verifying <code>sin-dx</code> passed" in html
    assert "complex step, error" in html
    report = json.loads((site / "site" / "verification.json").read_text())
    (record,) = report["checks"]
    assert record["page"] == "docs/index.md" and record["line"] == 18
    assert record["results"] == ["sin-dx"] and record["passed"] and record["title"] == "Sine"
    assert record["method"] == "complex step" and record["error"] < record["tolerance"]
    assert {"wrt", "tolerance", "seconds", "cached", "block_line"} <= set(record)
    assert report["summary"]["results"] == report["summary"]["verified"] == 1
    assert (site / "site" / "verification" / "index.html").exists()


def test_rendered_code_is_exactly_the_code_that_ran(tmp_path):
    site = make_site(tmp_path, {"index.md": PASSING})
    build(site)
    html = (site / "site" / "index.html").read_text()
    assert html.count('<div class="derivation highlight">') == 1
    code = re.search(r'<div class="derivation highlight">.*?<code>(.*?)</code>', html, re.S)[1]
    shown = unescape(re.sub(r"<[^>]+>", "", code))
    ran = PASSING.split('verifies="sin-dx"}\n')[1].split("```")[0]
    assert shown == ran


def test_mismatch_fails_the_build_with_file_line_and_numbers(tmp_path):
    site = make_site(tmp_path, {"index.md": MISMATCH})
    result = build(site)
    assert result.returncode == 1
    assert "1 derivation problem:" in result.stderr
    assert error_lines(result) == [
        "docs/index.md:18: gradient for 'x' disagrees with the numerical derivative"
    ]
    assert "tolerance 1e-12 (complex step)" in result.stderr
    assert "worst element x[" in result.stderr and "claimed" in result.stderr


def test_failure_does_not_depend_on_strict_and_quiet_does_not_hide_it(tmp_path):
    site = make_site(tmp_path, {"index.md": MISMATCH})
    result = build(site, "-q")
    assert result.returncode == 1
    assert "docs/index.md:18: gradient for 'x' disagrees" in result.stderr


def test_all_failures_of_a_build_are_listed(tmp_path):
    exception = PASSING.replace("check(sine", "1 / 0\ncheck(sine").replace("sin-dx", "sin-other")
    site = make_site(
        tmp_path,
        {
            "index.md": MISMATCH,
            "other.md": exception,
            "third.md": "<!-- result: lonely -->\n$$ y $$\n",
        },
    )
    result = build(site)
    assert result.returncode == 1
    assert "3 derivation problems:" in result.stderr
    assert error_lines(result) == [
        "docs/index.md:18: gradient for 'x' disagrees with the numerical derivative",
        "docs/other.md:18: ZeroDivisionError: division by zero",
        "docs/third.md:1: result 'lonely' is not verified: no derivation block says "
        'verifies="lonely"',
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("x = (1,\n", "docs/index.md:3: SyntaxError:"),
        ("while True:\n    pass\n", "docs/index.md:1: timed out after 3 s"),
        (
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
            "docs/index.md:1: the derivation process was killed by SIGKILL",
        ),
        ("x = 1\n", "docs/index.md:1: derivation block checks nothing"),
    ],
    ids=["syntax error", "infinite loop", "killed process", "checks nothing"],
)
def test_each_kind_of_failure_fails_the_build_with_its_location(tmp_path, body, expected):
    site = make_site(
        tmp_path,
        {"index.md": "```{.python .derivation}\nimport numpy as np\n" + body + "```\n"},
        timeout=3,
    )
    result = build(site)
    assert result.returncode == 1
    assert error_lines(result)[0].startswith(expected), result.stderr


def test_unknown_result_name_fails_the_build_with_a_suggestion(tmp_path):
    site = make_site(
        tmp_path, {"index.md": PASSING.replace('verifies="sin-dx"', 'verifies="sin-dz"')}
    )
    result = build(site)
    assert result.returncode == 1
    assert error_lines(result) == [
        "docs/index.md:3: result 'sin-dx' is not verified: no derivation block says "
        'verifies="sin-dx"',
        "docs/index.md:8: block verifies 'sin-dz', but no equation on this page is marked "
        "<!-- result: sin-dz --> (did you mean 'sin-dx'?)",
    ]


def test_second_build_takes_passing_blocks_from_the_cache(tmp_path):
    site = make_site(tmp_path, {"index.md": PASSING})
    build(site)
    assert (site / ".cache" / "derivations").is_dir()
    build(site)
    report = json.loads((site / "site" / "verification.json").read_text())
    assert report["checks"][0]["cached"] is True
    build(site, DERIVATIONS_RERUN="1")
    report = json.loads((site / "site" / "verification.json").read_text())
    assert report["checks"][0]["cached"] is False


def test_checks_can_be_switched_off_loudly(tmp_path):
    site = make_site(tmp_path, {"index.md": MISMATCH})
    result = build(site, DERIVATIONS_CHECKS="off")
    assert result.returncode == 0
    assert "DERIVATION CHECKS ARE OFF" in result.stderr
    html = (site / "site" / "index.html").read_text()
    assert "not checked in this build" in html


def test_hook_never_writes_into_docs_dir(tmp_path):
    site = make_site(tmp_path, {"index.md": MISMATCH})
    before = sorted(p.name for p in (site / "docs").rglob("*"))
    build(site)
    assert sorted(p.name for p in (site / "docs").rglob("*")) == before


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("timeout: soon", "extra.derivations.timeout must be a finite positive number"),
        ("timeout: -1", "extra.derivations.timeout must be a finite positive number"),
        ("timeout: .inf", "extra.derivations.timeout must be a finite positive number"),
        ("memory: 0", "extra.derivations.memory must be a finite positive number"),
        ("checks: maybe", "extra.derivations.checks must be true or false"),
        ("timout: 5", "extra.derivations has unknown keys ['timout']"),
    ],
)
def test_malformed_settings_fail_the_build_with_a_clear_message(tmp_path, setting, message):
    site = make_site(tmp_path, {"index.md": PASSING})
    config = (site / "mkdocs.yml").read_text().replace("timeout: 10", setting)
    (site / "mkdocs.yml").write_text(config)
    result = build(site)
    assert result.returncode == 1
    assert message in result.stderr


LONG = PASSING.replace("check(sine", "".join(f"step_{i} = {i}\n" for i in range(30)) + "check(sine")


def test_a_long_block_folds_behind_a_line_that_says_what_it_checks(tmp_path):
    site = make_site(tmp_path, {"index.md": LONG})
    assert build(site).returncode == 0
    html = (site / "site" / "index.html").read_text()
    fold = re.search(r'<details class="derivation-fold success"><summary>(.*?)</summary>', html)
    assert fold and unescape(fold[1]) == "1 check: sine (complex step) (Sine)"
    assert html.index("<details") < html.index('class="derivation-note"') < html.index("</details>")


def test_a_short_block_does_not_fold(tmp_path):
    site = make_site(tmp_path, {"index.md": PASSING})
    build(site)
    assert "derivation-fold" not in (site / "site" / "index.html").read_text()


def test_a_failing_page_starts_with_a_banner_linking_to_each_open_red_box(tmp_path):
    failing = LONG.replace("return g * np.cos(x)", "return -g * np.cos(x)")
    site = make_site(tmp_path, {"index.md": failing})
    with Server(site) as server:
        html = server.wait_for(lambda h: "derivation-banner" in h)
    banner = html[
        html.index("derivation-banner") : html.index("</div>", html.index("derivation-banner"))
    ]
    links = re.findall(r'href="#(failure-\d+)"', banner)
    assert links and all(f'id="{anchor}"' in html for anchor in links)
    assert '<details class="derivation-fold failure" open>' in html
    title = re.search(r'id="failure-1"><p class="admonition-title">(.*?)</p>', html)[1]
    body = re.search(r'id="failure-1">.*?<pre><code>(.*?)</code>', html, re.S)[1]
    assert unescape(title).startswith("docs/index.md:") and unescape(title) not in unescape(body)


def test_a_mark_names_its_equation_by_mathjax_reference_when_the_equation_has_a_label(tmp_path):
    labelled = PASSING.replace("g_p \\cos x_p\n$$", "g_p \\cos x_p \\label{eq:sine}\n$$")
    site = make_site(tmp_path, {"index.md": labelled})
    assert build(site).returncode == 0
    html = (site / "site" / "index.html").read_text()
    assert '<span class="arithmatex result-mark__number">\\(\\eqref{eq:sine}\\)</span>' in html


def test_a_link_to_a_result_mark_on_another_page_passes_strict_validation(tmp_path):
    site = make_site(
        tmp_path, {"index.md": PASSING, "other.md": "See [it](index.md#result-sin-dx).\n"}
    )
    result = build(site, "--strict")
    assert result.returncode == 0, result.stderr
    assert "does not contain an anchor" not in result.stderr
    broken = make_site(
        tmp_path / "b", {"index.md": PASSING, "other.md": "[x](index.md#result-nope)\n"}
    )
    assert "does not contain an anchor '#result-nope'" in build(broken).stderr


def test_totals_and_report_are_filled_in_when_the_checks_finish_after_the_pages(tmp_path):
    """The build renders while the checks run: a home page written before the last verdict
    still gets the totals, the report every row."""
    slow = PASSING.replace("import numpy as np", "import time\ntime.sleep(3)\nimport numpy as np")
    slow = slow.replace("sin-dx", "slow-dx")
    home = '# Home\n\n<span class="verification-summary"></span>\n'
    site = make_site(tmp_path, {"index.md": home, "sine.md": PASSING, "slow.md": slow})
    result = build(site)
    assert result.returncode == 0, result.stderr
    html = (site / "site" / "index.html").read_text()
    assert 'class="verification-summary"' not in html
    assert "2 results, all verified numerically at build time" in html
    report = (site / "site" / "verification" / "index.html").read_text()
    assert "2 results on 2 pages, all verified" in report
    assert 'id="docs-slow--slow-dx"' in report and 'id="docs-sine--sin-dx"' in report
    assert "derivation-slot" not in report + html
    assert 'id="result-slow-dx"' in (site / "site" / "slow" / "index.html").read_text()
