"""Loaded at start-up by derivation processes in the equation mutation test (via PYTHONPATH).

It makes ``check_equation`` evaluate a mutated copy of an equation's LaTeX (from
``mutants.json`` beside this file, result name -> LaTeX) instead of the page's, and keeps a
failing equation from stopping its block, so that every mutated equation of a page is judged
in one run. The failure is still reported: the runner's log has it.
"""

import json
from pathlib import Path

import derivations
from derivations import EquationMismatch

MUTANTS = json.loads((Path(__file__).with_name("mutants.json")).read_text())
_check_equation = derivations.check_equation


def check_equation(name, *args, **kwargs):
    if name in MUTANTS:
        kwargs["latex"] = MUTANTS[name]
    try:
        return _check_equation(name, *args, **kwargs)
    except EquationMismatch as failure:
        return failure.report


derivations.check_equation = check_equation
