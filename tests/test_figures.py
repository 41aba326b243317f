"""The figures in docs/posts/figures follow the convention of docs/writing-a-post.md ("Figures"),
read from the SVG files alone (no browser, no build).

- Every colour is a role of derivations.css, ``var(--figure-<role>,#light)`` in a ``style``
  attribute, with the light colour as the fallback: the dark palette can then redraw it.
  No bare colour, no ``currentColor``, no ``<style>`` element (its colours and its class-based
  font sizes are invisible to hooks/reader_html.py and to the palette).
- Font sizes are ``font-size`` attributes, and the smallest is at least 13 units in a figure
  800 units wide (scaled with the viewBox width), so that a phone shows the figure at a width
  that does not scroll far.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sites import ROOT

FIGURES = ROOT / "docs" / "posts" / "figures"
STYLESHEET = ROOT / "docs" / "assets" / "stylesheets" / "derivations.css"
SVG = "{http://www.w3.org/2000/svg}"

# Smallest label / viewBox width: 13 units in a figure 800 units wide.
SMALLEST_LABEL = 13 / 800

# Figures of part 1 drawn before the rule, with their smallest font-size now: the hook widens
# them on a phone (their labels stay at the body text's size), but they scroll further. Take a
# figure off the list when its labels are enlarged; the list may not grow, nor its sizes shrink.
SMALL_LABELS_BEFORE_THE_RULE = {
    "backpropagation-backward.svg": 13,
    "backpropagation-forward.svg": 14,
    "element-wise-activations.svg": 11,
    "layer-normalization-graph.svg": 13,
    "linear-layer-graph.svg": 10,
    "matrix-inverse-indices.svg": 11,
    "tensor-calculus-matmul-jacobian.svg": 9,
}

# Properties that paint with a colour, as attributes or in a style attribute.
PAINTS = ("fill", "stroke", "color", "stop-color", "flood-color", "lighting-color")
ROLE_COLOUR = re.compile(r"var\(--figure-([a-z-]+),\s*#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\)")


def roles() -> set[str]:
    """The colour roles derivations.css defines (``--figure-<role>: ...``)."""
    return set(re.findall(r"--figure-([a-z-]+)\s*:", STYLESHEET.read_text(encoding="utf-8")))


def figures() -> list[Path]:
    return sorted(FIGURES.glob("*.svg"))


def declarations(style: str) -> list[tuple[str, str]]:
    return [
        (name.strip(), value.strip())
        for name, _, value in (part.partition(":") for part in style.split(";"))
        if name.strip()
    ]


def colour_problems(svg: str, known: set[str]) -> list[str]:
    """Every colour of the SVG that is not one of the known roles with its light fallback."""
    problems = []
    if "currentcolor" in svg.lower():
        problems.append("uses currentColor")
    root = ET.fromstring(svg)
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        if tag == "style":
            problems.append("has a <style> element")
            continue
        for paint in PAINTS:
            value = element.get(paint)
            if value is not None and value != "none" and not value.startswith("url("):
                problems.append(f'<{tag}> {paint}="{value}" (give it as a style with a role)')
        for name, value in declarations(element.get("style", "")):
            if name not in PAINTS or value == "none" or value.startswith("url("):
                continue
            role = ROLE_COLOUR.fullmatch(value)
            if role is None:
                problems.append(f"<{tag}> {name}:{value} (not var(--figure-<role>,#light))")
            elif role[1] not in known:
                problems.append(f"<{tag}> {name}:{value} (no role {role[1]} in derivations.css)")
    return problems


def smallest_label(svg: str) -> float | None:
    """The smallest ``font-size`` attribute of the SVG (tspans included)."""
    sizes = [float(e.get("font-size")) for e in ET.fromstring(svg).iter() if e.get("font-size")]
    return min(sizes, default=None)


def label_problems(svg: str, *, smallest_allowed: float | None = None) -> list[str]:
    """Font sizes given other than as attributes, and a smallest label too small for the width
    (below 13 per 800 units, or below ``smallest_allowed`` if that is given)."""
    root = ET.fromstring(svg)
    width = float(root.get("viewBox").split()[2])
    problems = []
    for element in root.iter():
        tag = element.tag.removeprefix(SVG)
        if tag == "style" and "font" in (element.text or ""):
            problems.append("sizes text in a <style> element (give font-size attributes)")
        for name, value in declarations(element.get("style", "")):
            if name == "font-size":
                problems.append(f"<{tag}> style font-size:{value} (give it as an attribute)")
    smallest = smallest_label(svg)
    floor = SMALLEST_LABEL * width if smallest_allowed is None else smallest_allowed
    if smallest is not None and smallest < floor - 1e-9:
        problems.append(
            f"smallest font-size {smallest:g} in a viewBox {width:g} wide: below {floor:.1f}"
            + (" (13 per 800)" if smallest_allowed is None else " (its size before the rule)")
        )
    return problems


@pytest.mark.parametrize("path", figures(), ids=lambda path: path.name)
def test_every_colour_of_a_figure_is_a_role_with_its_light_fallback(path):
    assert colour_problems(path.read_text(encoding="utf-8"), roles()) == []


@pytest.mark.parametrize("path", figures(), ids=lambda path: path.name)
def test_a_figure_sizes_its_labels_by_attribute_and_legibly_for_its_width(path):
    allowed = SMALL_LABELS_BEFORE_THE_RULE.get(path.name)
    assert label_problems(path.read_text(encoding="utf-8"), smallest_allowed=allowed) == []


@pytest.mark.parametrize("name", sorted(SMALL_LABELS_BEFORE_THE_RULE))
def test_a_figure_listed_as_older_than_the_rule_still_breaks_it(name):
    svg = (FIGURES / name).read_text(encoding="utf-8")
    assert any("13 per 800" in problem for problem in label_problems(svg)), "take it off the list"


def test_the_checks_see_the_ways_a_figure_breaks_the_convention():
    known = roles()
    assert {"ink", "line", "panel", "blue-tint", "orange-deep", "paper"} <= known
    good = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 100" font-size="14">'
        '<rect fill="none" style="stroke:var(--figure-line,#888888)"/>'
        '<text font-size="13" style="fill:var(--figure-ink,#111111)">a</text></svg>'
    )
    assert colour_problems(good, known) == []
    assert label_problems(good) == []
    broken = {
        'fill="#e8710a"': "fill=",
        'fill="currentColor"': "currentColor",
        'style="fill:#222222"': "not var(",
        'style="fill:var(--figure-ink)"': "not var(",
        'style="fill:var(--figure-purple,#800080)"': "no role purple",
    }
    for attribute, problem in broken.items():
        svg = good.replace('fill="none" style="stroke:var(--figure-line,#888888)"', attribute)
        assert any(problem in found for found in colour_problems(svg, known)), attribute
    styled = good.replace("<rect", "<style>.a { fill: #000 }</style><rect")
    assert "has a <style> element" in colour_problems(styled, known)
    assert label_problems(good.replace('font-size="13"', 'font-size="12"'))
    assert label_problems(good.replace("#111111)", "#111111);font-size:12px"))
    assert label_problems(styled.replace("fill: #000", "font-size: 15px"))
    # 13 units stay legible in a narrower figure only if they are a larger share of it.
    assert label_problems(good.replace('viewBox="0 0 800 100"', 'viewBox="0 0 1000 100"'))
