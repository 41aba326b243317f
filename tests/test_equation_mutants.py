"""The displayed equations have teeth: a wrong LaTeX fails its check while the code stays right.

For every post, each kind of mistake (tests/mutate_latex.py) is made in every evaluated equation
at once, the page is run with check_equation reading the mutated LaTeX (through
tests/equation_mutants/sitecustomize.py), and every mutated equation must fail.
"""

import json
import os
import re
import shutil

import pytest
from mutate_latex import KINDS, mutants
from sites import ROOT

from derivations.blocks import parse_page
from derivations.pages import verify_page
from derivations.source import read_page

POSTS = sorted((ROOT / "docs" / "posts").glob("*.md"))
MIN_EVALUATED = 0.9
#: Mutations that do not change what an equation says: the check is right to let them pass.
NEUTRAL = {
    ("conv-remainder", "transpose"): "its symbols are numbers, their own transpose",
    ("conv-transpose-size", "transpose"): "its symbols are numbers, their own transpose",
    ("inv-cond", "transpose"): "it transposes G_worst inside a Frobenius norm: the same value",
    ("inv-solve", "transpose"): "dropping the transpose of X^{-\\top} gives back the same LaTeX",
    ("inv-sym-coincide", "transpose"): "the equation is about symmetric matrices",
    ("lin-cost", "transpose"): "its symbols are numbers, their own transpose",
    ("tc-op-trace", "transpose"): "tr(X^T) = tr(X)",
    ("tc-op-frobenius", "transpose"): "the Frobenius norm of X^T is that of X",
}


def evaluated_results(built_site) -> dict[str, set[str]]:
    report = json.loads((built_site / "verification.json").read_text())
    by_page: dict[str, set[str]] = {}
    for record in report["results"]:
        if record["evaluated"]:
            by_page.setdefault(record["page"], set()).add(record["name"])
    return by_page


def test_at_least_nine_in_ten_results_are_proven_from_their_displayed_equation(built_site):
    report = json.loads((built_site / "verification.json").read_text())
    results = report["results"]
    evaluated = [r for r in results if r["evaluated"]]
    assert len(evaluated) >= MIN_EVALUATED * len(results), (len(evaluated), len(results))
    for record in results:
        assert record["evaluated"] or record["reason"], record


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.stem)
def test_every_evaluated_equation_fails_when_its_latex_is_wrong(
    post, built_site, tmp_path, monkeypatch
):
    path = post.relative_to(ROOT).as_posix()
    evaluated = evaluated_results(built_site).get(path, set())
    source = read_page(post)
    equations = {m.name: m.equation for m in parse_page(source.body, source.first_line).results}
    assert evaluated, f"{path}: no equation of the post is evaluated"
    mutated_any = set()
    for kind in KINDS:
        batch = {}
        for name in sorted(evaluated):
            mutant = mutants(equations[name]).get(kind)
            if mutant is not None:
                batch[name] = mutant
        if not batch:
            continue
        folder = tmp_path / kind
        folder.mkdir()
        shutil.copy(ROOT / "tests" / "equation_mutants" / "sitecustomize.py", folder)
        (folder / "mutants.json").write_text(json.dumps(batch))
        # in front of the PYTHONPATH the tests run with, which may name the engine under test
        paths = [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
        result = verify_page(path, source.body, first_line=source.first_line, cwd=ROOT, timeout=120)
        failed = {
            m["name"]
            for p in result.problems
            if (m := re.match(r"equation '(?P<name>[^']+)'", p.message))
        }
        neutral = {name for name in batch if (name, kind) in NEUTRAL}
        missing = sorted(set(batch) - failed - neutral)
        assert not missing, f"{path}: with a wrong {kind}, these equations still pass: {missing}"
        assert not neutral & failed, f"{path}: listed as neutral but failing: {neutral & failed}"
        mutated_any |= set(batch)
    for name in evaluated:
        assert name in mutated_any, f"{path}: no mutation applies to {name}"
