"""Running a page's derivation blocks: isolation, time limits, crashes, binding and caching."""

import textwrap
import time

import pytest

from derivations.cache import OutcomeCache
from derivations.pages import verify_page

HEADER = "```{.python .derivation}\nimport numpy as np\nfrom derivations import check\n"
SINE = "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(2, 3))\n```\n"


def verify(tmp_path, text, **options):
    text = textwrap.dedent(text)
    page = tmp_path / "docs" / "p.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text)
    options.setdefault("timeout", 10)
    return verify_page("docs/p.md", text, cwd=tmp_path, **options)


def messages(result):
    return [p.located(result.path) for p in result.problems]


def test_passing_page_has_no_problems_and_reports_its_checks(tmp_path):
    result = verify(tmp_path, HEADER + SINE)
    assert result.problems == []
    (outcome,) = result.outcomes
    assert outcome.passed and len(outcome.reports) == 1
    assert outcome.reports[0]["line"] == 4


def test_blocks_of_a_page_share_one_namespace_in_order(tmp_path):
    text = (
        HEADER
        + "def sine(x):\n    return np.sin(x)\n"
        + SINE
        + ("\n```{.python .derivation}\ncheck(sine, lambda g, x: g * np.cos(x), x=(3,))\n```\n")
    )
    assert verify(tmp_path, text).problems == []


def test_pages_do_not_share_state(tmp_path):
    verify(tmp_path, HEADER + "leaked = 1\n" + SINE)
    result = verify(tmp_path, HEADER + "print(leaked)\n" + SINE)
    assert messages(result)[0].startswith("docs/p.md:4: NameError: name 'leaked' is not defined")


def test_mismatch_is_reported_at_the_line_of_the_check(tmp_path):
    text = (
        HEADER
        + "\n\ncheck(lambda x: np.sin(x), lambda g, x: g * np.cos(x) * (1 + 1e-6), x=(3,))\n```\n"
    )
    (message,) = messages(verify(tmp_path, text))
    assert message.startswith(
        "docs/p.md:6: gradient for 'x' disagrees with the numerical derivative"
    )
    assert "worst element x[" in message and "tolerance 1e-12" in message


def test_exception_traceback_points_at_markdown_lines(tmp_path):
    text = HEADER + "def broken(x):\n    return x / undefined\n\nbroken(1.0)\n```\n"
    (message,) = messages(verify(tmp_path, text))
    assert message.startswith("docs/p.md:5: NameError: name 'undefined' is not defined")
    assert "    docs/p.md:7 in <module>" in message
    assert "    docs/p.md:5 in broken" in message and "return x / undefined" in message


def test_syntax_error_is_reported_at_its_line(tmp_path):
    (message,) = messages(verify(tmp_path, HEADER + "x = (1,\ny = 2\n```\n"))
    assert message.startswith("docs/p.md:4: SyntaxError:")


def test_block_that_checks_nothing_is_a_problem(tmp_path):
    (message,) = messages(verify(tmp_path, HEADER + "x = 1\n```\n"))
    assert message == (
        "docs/p.md:1: derivation block checks nothing: call check, check_jacobian or check_identity"
    )


def test_infinite_loop_times_out_and_later_blocks_are_not_run(tmp_path):
    text = HEADER + "while True:\n    pass\n```\n\n" + HEADER + SINE
    start = time.monotonic()
    result = verify(tmp_path, text, timeout=2)
    assert time.monotonic() - start < 10
    assert [o.status for o in result.outcomes] == ["timeout", "skipped"]
    assert messages(result) == [
        "docs/p.md:1: timed out after 2 s (the time limit of one derivation block: "
        "extra.derivations.timeout)",
        "docs/p.md:8: not run: the page's process stopped at line 1",
    ]


@pytest.mark.parametrize(
    "kill", ["import os; os._exit(3)", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
)
def test_block_that_kills_its_process_is_reported(tmp_path, kill):
    result = verify(tmp_path, HEADER + kill + "\n```\n")
    (message,) = messages(result)
    assert message.startswith("docs/p.md:1: the derivation process ")
    assert "exited with code 3" in message or "was killed by SIGKILL" in message


def test_sys_exit_in_a_block_is_an_error_not_a_crash(tmp_path):
    (message,) = messages(verify(tmp_path, HEADER + "import sys; sys.exit(0)\n```\n"))
    assert message.startswith("docs/p.md:4: SystemExit: 0")


def test_printing_in_a_block_does_not_disturb_the_runner(tmp_path):
    text = HEADER + "print('{\"event\": \"done\"}')\nimport os; os.write(1, b'noise\\n')\n" + SINE
    assert verify(tmp_path, text).problems == []


def test_result_without_a_verifying_block_is_a_problem(tmp_path):
    text = "<!-- result: lost -->\n$$ y $$\n\n" + HEADER + SINE
    assert messages(verify(tmp_path, text)) == [
        "docs/p.md:1: result 'lost' is not verified: no derivation block says verifies=\"lost\""
    ]


def test_block_verifying_an_unknown_result_is_a_problem(tmp_path):
    text = HEADER.replace("{.python .derivation}", '{.python .derivation verifies="ghost"}') + SINE
    assert messages(verify(tmp_path, text)) == [
        "docs/p.md:1: block verifies 'ghost', but no equation on this page is marked "
        "<!-- result: ghost -->"
    ]


def test_result_of_a_failing_block_is_not_verified(tmp_path):
    text = (
        "<!-- result: r -->\n$$ y $$\n\n"
        + HEADER.replace("{.python .derivation}", '{.python .derivation verifies="r"}')
        + "1 / 0\n"
        + SINE
    )
    result = verify(tmp_path, text)
    assert result.verified == {}
    assert len(result.problems) == 1  # the failure itself; no second message for the result


def test_passing_blocks_are_cached_and_failures_are_not(tmp_path):
    cache = OutcomeCache(tmp_path / "cache")
    first = verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="f")
    second = verify(
        tmp_path, HEADER + SINE, cache=OutcomeCache(tmp_path / "cache"), fingerprint="f"
    )
    assert not first.outcomes[0].cached and second.outcomes[0].cached
    assert second.outcomes[0].reports[0]["line"] == 4
    failing = HEADER + "1 / 0\n" + SINE
    verify(tmp_path, failing, cache=cache, fingerprint="f")
    assert not verify(tmp_path, failing, cache=cache, fingerprint="f").outcomes[0].cached


def test_cache_is_keyed_by_earlier_blocks_and_the_engine(tmp_path):
    cache = OutcomeCache(None)
    verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="f")
    assert not verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="g").outcomes[0].cached
    changed = HEADER + "a = 1\n" + SINE + "\n" + HEADER + SINE
    verify(tmp_path, changed, cache=cache, fingerprint="f")
    edited = verify(tmp_path, changed.replace("a = 1", "a = 2"), cache=cache, fingerprint="f")
    assert [o.cached for o in edited.outcomes] == [False, False]


def test_moved_block_keeps_its_cache_entry_with_new_lines(tmp_path):
    cache = OutcomeCache(None)
    verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="f")
    moved = verify(tmp_path, "Some new prose.\n\n" + HEADER + SINE, cache=cache, fingerprint="f")
    assert moved.outcomes[0].cached and moved.outcomes[0].reports[0]["line"] == 6


def test_rerun_ignores_the_cache(tmp_path):
    cache = OutcomeCache(None)
    verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="f")
    again = verify(tmp_path, HEADER + SINE, cache=cache, fingerprint="f", rerun=True)
    assert not again.outcomes[0].cached


def test_what_an_equation_differentiates_by_is_recalled_only_for_the_same_equation(tmp_path):
    cache = OutcomeCache(tmp_path / "cache")
    page = (
        "<!-- result: r -->\n$$\n\\frac{\\partial L}{\\partial x_p} = g_p \\cos x_p\n$$\n\n"
        + HEADER.replace("{.python .derivation}", '{.python .derivation verifies="r"}')
        + SINE
    )
    assert verify(tmp_path, page, cache=cache, fingerprint="f").problems == []
    assert verify(tmp_path, page, cache=cache, fingerprint="f").verified
    by_w = verify(tmp_path, page.replace("x_p} =", "w_p} ="), cache=cache, fingerprint="f")
    assert any("is a derivative by w" in m for m in messages(by_w))


def test_why_an_equation_was_not_evaluated_is_recalled_with_the_same_equations(
    tmp_path, monkeypatch
):
    import derivations.pages

    cache = OutcomeCache(tmp_path / "cache")
    page = (
        "<!-- result: r -->\n$$\n\\frac{\\partial L}{\\partial x_p} = g_p \\cos x_p + ?\n$$\n\n"
        + HEADER.replace("{.python .derivation}", '{.python .derivation verifies="r"}')
        + SINE
    )
    (first,) = verify(tmp_path, page, cache=cache, fingerprint="f").result_records()
    assert "outside the notation" in first["reason"]

    def unreadable(latex):
        raise AssertionError("the equation was read again")

    monkeypatch.setattr(derivations.pages, "not_evaluated_reason", unreadable)
    (again,) = verify(tmp_path, page, cache=cache, fingerprint="f").result_records()
    assert again["reason"] == first["reason"]


def test_the_build_process_reads_no_equation_when_the_page_process_ran(tmp_path, monkeypatch):
    """The page's process reads its equations (its parser is warm, its checks reuse them)."""
    import derivations.pages

    def unreadable(latex):
        raise AssertionError("the build process read the equation")

    monkeypatch.setattr(derivations.pages, "subjects_of", unreadable)
    monkeypatch.setattr(derivations.pages, "not_evaluated_reason", unreadable)
    page = (
        "<!-- result: r -->\n$$\n\\frac{\\partial L}{\\partial x_p} = g_p \\cos x_p\n$$\n\n"
        "<!-- result: s -->\n$$\n\\frac{\\partial L}{\\partial x_p} = g_p \\cos x_p + ?\n$$\n\n"
        + HEADER.replace("{.python .derivation}", '{.python .derivation verifies="r"}')
        + SINE
    )
    cache = OutcomeCache(tmp_path / "cache")
    verification = verify(tmp_path, page, cache=cache, fingerprint="f")
    assert set(verification.proofs) == {"r"}
    reasons = {r["name"]: r["reason"] for r in verification.result_records()}
    assert "outside the notation" in reasons["s"]
    by_w = verify(tmp_path, page.replace("x_p} =", "w_p} ="), cache=cache, fingerprint="f")
    assert any("is a derivative by w" in m for m in messages(by_w))
