"""The targets of the benchmark, as data: what is measured, its bound, and whether it held.

A target reads one section of the raw results; adding one is adding a row to TARGETS. The
report shows every target whose section ran, with the measured value, the bound and the
verdict; the sections' own text refers to a target by its key.
"""

from __future__ import annotations

import operator
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .sharpness import summarise

Data = dict[str, Any]


class Invalid(Exception):
    """The section ran, but what it measured cannot stand for the target (why is the message)."""


OPS = {"<": operator.lt, "≤": operator.le, "=": operator.eq, "≥": operator.ge}


@dataclass(frozen=True)
class Target:
    """``value(section) op limit``; ``value`` raises KeyError when the run did not measure it."""

    key: str
    section: str  # the key of the results it reads
    what: str
    value: Callable[[Data], float]
    op: str  # a key of OPS
    limit: float | Callable[[Data], float]
    unit: str = ""  # "x" (a ratio), "s" (seconds) or "" (a count)
    detail: Callable[[Data], str] | None = None  # shown after the measured value


def seconds(value: float | None) -> str:
    """Seconds as the report writes them: 3 decimals below 1 s, else 2; a dash for none."""
    if value is None or value != value:
        return "–"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s"


def milliseconds(value: float) -> str:
    return f"{value * 1e3:.2f} ms" if value < 1 else f"{value:.2f} s"


def _summary(data: Data, checker: str = "derivations") -> Data:
    return summarise({c["name"]: c for c in data["checkers"]}[checker])


def _vs_gradcheck(data: Data) -> float:
    return _summary(data)["median"] / _summary(data, "gradcheck")["median"]


def _times(data: Data) -> str:
    return " vs ".join(
        milliseconds(_summary(data, c)["median"]) for c in ("derivations", "gradcheck")
    )


def _vs_off(mode: str) -> Callable[[Data], float]:
    def ratio(data: Data) -> float:
        failed = [r for r in data["runs"] if r["returncode"] != 0]
        if failed:  # the time of a build that stopped with an error measures nothing
            raise Invalid(f"{len(failed)} of {len(data['runs'])} builds failed")
        return data["medians"][mode]["seconds"] / data["medians"]["off"]["seconds"]

    return ratio


def _builds(mode: str) -> Callable[[Data], str]:
    return lambda data: " vs ".join(seconds(data["medians"][m]["seconds"]) for m in (mode, "off"))


def _evaluations(subject: str) -> Target:
    def counts(data: Data) -> list[int]:
        points = [p for p in data["points"] if (p["subject"], p["checker"]) == (subject, "check")]
        if not points:
            raise KeyError(subject)
        return sorted({p["evaluations"] for p in points})

    def detail(data: Data) -> str:
        low, high = counts(data)[0], counts(data)[-1]
        return f"{low} at every size" if low == high else f"{low} to {high}"

    what = f"`check` evaluations, {subject}, 10 to 1,000,000 elements: largest / smallest"
    spread = lambda data: counts(data)[-1] / counts(data)[0]  # noqa: E731
    return Target(f"evaluations, {subject}", "scaling", what, spread, "=", 1, "x", detail)


def _check_at_a_million(subject: str) -> Target:
    def point(data: Data) -> Data:
        return next(
            p
            for p in data["points"]
            if (p["subject"], p["checker"], p["elements"]) == (subject, "check", 10**6)
        )

    def ratio(data: Data) -> float:
        p = point(data)
        return statistics.median(p["seconds"]) / statistics.median(p["forward_backward"])

    def detail(data: Data) -> str:
        p = point(data)
        return (
            f"{seconds(statistics.median(p['seconds']))} vs "
            f"{seconds(statistics.median(p['forward_backward']))}, {p['evaluations']} evaluations"
        )

    what = f"`check` at 10^6 elements, {subject}, vs one forward + one backward evaluation"
    return Target(f"million, {subject}", "scaling", what, ratio, "≤", 8, "x", detail)


def _save(variant: str) -> Callable[[Data], float]:
    return lambda data: data["medians"][variant]["seconds"]


TARGETS = (
    Target("caught", "sharpness", "`check` catches every wrong gradient",
           lambda d: _summary(d)["wrong_caught"], "=", lambda d: len(_summary(d)["wrong"])),
    Target("false alarms", "sharpness", "`check`: false alarms on correct gradients",
           lambda d: _summary(d)["false_alarms"], "=", 0,
           detail=lambda d: f"in {_summary(d)['correct_runs']} runs, {d['correct_seeds']} seeds "
           "per correct gradient"),
    Target("time", "sharpness",
           "`check` median time per check, vs gradcheck (slow mode): at least 10x faster",
           _vs_gradcheck, "≤", 0.1, "x", _times),
    _evaluations("layer norm"),
    _evaluations("matrix product"),
    _check_at_a_million("layer norm"),
    _check_at_a_million("matrix product"),
    Target("frameworks", "frameworks",
           "the posts' functions agree with PyTorch's autograd wherever a post says they do",
           lambda d: sum(r["agrees"] for r in d["rows"]), "=", lambda d: len(d["rows"]), "",
           detail=lambda d: f"of {len(d['rows'])} comparisons, torch {d['torch']}"),
    Target("warm", "build", "warm build, vs checks off", _vs_off("warm"), "≤", 1.05, "x",
           _builds("warm")),
    Target("cold", "build", "cold build, vs checks off", _vs_off("cold"), "≤", 1.25, "x",
           _builds("cold")),
    Target("large warm", "large", "warm build of the generated site, vs checks off",
           _vs_off("warm"), "≤", 1.05, "x", _builds("warm")),
    Target("large cold", "large", "cold build of the generated site, vs checks off",
           _vs_off("cold"), "≤", 1.25, "x", _builds("cold")),
    Target("dirty", "authoring", "save → served page with `mkdocs serve --dirty` (`make serve`)",
           _save("serve --dirty"), "≤", 1.0, "s"),
    Target("serve", "authoring", "the same with plain `mkdocs serve` (every page rebuilt)",
           _save("serve"), "<", 1.5, "s"),
    Target("watcher", "authoring",
           "`--dirty`, and MkDocs' file watcher polling every 0.1 s (patched in)",
           _save("serve --dirty, watcher 0.1 s"), "≤", 1.0, "s"),
)  # fmt: skip


def _shown(value: float, unit: str, bound: bool = False) -> str:
    if bound:  # as written in TARGETS
        return f"{value:g}" + {"x": "x", "s": " s"}.get(unit, "")
    return {"x": f"{value:.2f}x", "s": seconds(value)}.get(unit, f"{value:,.0f}")


def evaluate(results: Data) -> dict[str, Data]:
    """Every target whose section ran: key -> its section, what, measured, bound, limit, met."""
    rows = {}
    for t in TARGETS:
        try:
            data = results[t.section]
            value = t.value(data)
            limit = t.limit(data) if callable(t.limit) else t.limit
            detail = f" ({t.detail(data)})" if t.detail else ""
        except KeyError:
            continue  # not measured in this run (no peers, say)
        except Invalid as why:
            rows[t.key] = {
                "section": t.section,
                "what": t.what,
                "measured": f"not measured: {why}",
                "bound": t.op if callable(t.limit) else f"{t.op} {_shown(t.limit, t.unit, True)}",
                "limit": None,
                "met": False,
            }
            continue
        rows[t.key] = {
            "section": t.section,
            "what": t.what,
            "measured": _shown(value, t.unit) + detail,
            "bound": f"{t.op} {_shown(limit, t.unit, bound=True)}",
            "limit": limit,
            "met": OPS[t.op](value, limit),
        }
    return rows
