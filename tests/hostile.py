"""A corpus of hostile and tricky pages: each a tiny site, and what `mkdocs build` must do with it.

A case either **fails** the build with every listed ``docs/<page>.md:<line>: <start of message>``
among its errors, or **runs**: the build passes, as many derivation blocks ran as the pages
show, and the listed results are verified. Cases come from the ways authors (and attackers)
have written pages that the old line scanner read differently from the renderer, and from the
ways a check can be made to prove nothing.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    name: str
    pages: dict[str, str]
    fails: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()
    blocks: int = 0
    settings: dict[str, str] = field(default_factory=dict)


def marked(name: str = "r") -> str:
    return (
        f"<!-- result: {name} -->\n$$\n\\frac{{\\partial L}}{{\\partial x_p}} = g_p \\cos x_p\n$$\n"
    )


def block(body: str = "", header: str = '```{.python .derivation verifies="r"}') -> str:
    """A derivation block that checks the sine, with ``body`` before the check."""
    fence = header[: len(header) - len(header.lstrip("`~"))]
    return (
        f"{header}\nimport numpy as np\nfrom derivations import check\n{body}"
        "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(2, 3))\n"
        f"{fence}\n"
    )


def failing_block(header: str = '```{.python .derivation verifies="r"}') -> str:
    return block(header=header).replace("g * np.cos(x)", "-g * np.cos(x)")


def indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text, prefix, lambda line: True)


SINE = marked() + "\n" + block()

# -- constructs the renderer reads as blocks: they must render and run ------------------

RUNS = [
    Case("plain", {"index.md": SINE}, verified=("r",), blocks=1),
    Case(
        "inline code span of three backticks at the start of a line",
        {"index.md": "```x``` is inline code.\n\n" + SINE},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "a four-backtick line inside a three-backtick block",
        {"index.md": marked() + "\n" + block('s = """\n````\n"""\nassert "````" in s\n')},
        verified=("r",),
        blocks=1,
    ),
    Case("inside a blockquote", {"index.md": indent(SINE, "> ")}, verified=("r",), blocks=1),
    Case(
        "language before the braces",
        {"index.md": marked() + "\n" + block(header='```python {.derivation verifies="r"}')},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "language with a dot before the braces",
        {"index.md": marked() + "\n" + block(header='```.python {.derivation verifies="r"}')},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "a closing brace inside a quoted title",
        {
            "index.md": marked()
            + "\n"
            + block(header='```{.python .derivation title="a}b" verifies="r"}')
        },
        verified=("r",),
        blocks=1,
    ),
    Case(
        "front matter holding a fence line",
        {"index.md": '---\ntitle: T\nnote: "```{.python .derivation}"\n---\n\n' + SINE},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside a list item",
        {"index.md": "1. The sine:\n\n" + indent(SINE)},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside an admonition",
        {"index.md": '!!! note "Sine"\n\n' + indent(SINE)},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside collapsible details",
        {"index.md": '??? note "Sine"\n\n' + indent(SINE)},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside a content tab",
        {"index.md": '=== "Sine"\n\n' + indent(SINE) + '\n=== "Other"\n\n    Nothing.\n'},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside a footnote",
        {"index.md": "A claim.[^1]\n\n[^1]:\n" + indent(SINE)},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "inside an HTML block with Markdown",
        {"index.md": "<div markdown>\n\n" + SINE + "\n</div>\n"},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "a derivation block shown inside a longer example fence",
        {"index.md": "````markdown\n" + marked("example") + block() + "````\n\n" + SINE},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "a marker inside inline code is text",
        {"index.md": "Write `<!-- result: name -->` before it.\n\n" + SINE},
        verified=("r",),
        blocks=1,
    ),
    Case(
        "two pages with the same file name in different folders",
        {
            "a/x.md": SINE,
            "b/x.md": marked("s") + "\n" + block(header='```{.python .derivation verifies="s"}'),
        },
        verified=("r", "s"),
        blocks=2,
    ),
]

# -- pages that must fail the build, at the right line ---------------------------------

MACRO_PAGE = (
    "---\nrender_macros: true\n---\n\n"
    + SINE
    + "\n{% if false %}\n"
    + marked("hidden")
    + "\n"
    + block(header='```{.python .derivation verifies="hidden"}')
    + "{% endif %}\n"
)

FAILS = [
    Case(
        "a block inside a macro condition that is false",
        {"index.md": MACRO_PAGE},
        fails=(
            "docs/index.md:17: result marker 'hidden' is not on the rendered page",
            "docs/index.md:22: this derivation block ran, but the page does not show it",
        ),
    ),
    Case(
        "a result marker inside a script, where the browser shows nothing",
        {"index.md": "<script>\n" + marked() + "</script>\n\n" + block()},
        fails=("docs/index.md:2: result marker 'r' is not on the rendered page",),
    ),
    Case(
        "a result marker inside an attribute value",
        {"index.md": '<p title="\n' + marked() + '">x</p>\n\n' + block()},
        fails=("docs/index.md:2: result marker 'r' is not on the rendered page",),
    ),
    Case(
        "a block inside an indented code block",
        {"index.md": SINE + "\nSome text.\n\n" + indent(block(header="```{.python .derivation}"))},
        fails=("docs/index.md:14: this derivation block ran, but the page does not show it",),
    ),
    Case(
        "a block inside an HTML comment",
        {"index.md": SINE + "\n<!--\n" + block(header="```{.python .derivation}") + "-->\n"},
        fails=("docs/index.md:13: this derivation block ran, but the page does not show it",),
    ),
    Case(
        "a closing fence followed by a no-break space",
        {"index.md": marked() + "\n" + block().rstrip("\n") + "\u00a0\n"},
        fails=("docs/index.md:6: this fence names the derivation class, but the renderer",),
    ),
    Case(
        "a derivation block in another language first",
        {"index.md": marked() + "\n" + block(header='```{.derivation .python verifies="r"}')},
        fails=("docs/index.md:6: a derivation block must be Python",),
    ),
    Case(
        "lines are counted by newlines only (form feed, U+2028, U+0085 in a fence)",
        {"index.md": "```text\na\x0cb\u2028c\x85d\n```\n\n" + marked() + "\n" + failing_block()},
        fails=("docs/index.md:13: gradient for 'x' disagrees with the numerical derivative",),
    ),
    *[
        Case(
            f"marker typo {typo}",
            {"index.md": SINE.replace("<!-- result: r -->", typo)},
            fails=("docs/index.md:1: malformed result marker",),
        )
        for typo in ("<!-- Result: r -->", "<!-- result r -->", "<!-- result : r -->")
    ],
    Case(
        "a marker in the middle of a paragraph",
        {"index.md": SINE + "\nA claim <!-- result: inline --> in prose.\n"},
        fails=("docs/index.md:12: the page shows result marker 'inline'",),
    ),
    Case(
        "a caught failure",
        {
            "index.md": marked()
            + "\n"
            + block(
                "try:\n    check(np.sin, lambda g, x: 0 * g, x=(3,))\n"
                "except AssertionError:\n    pass\n"
            ).replace("np.sin, ", "lambda x: np.sin(x), ")
        },
        fails=("docs/index.md:10: gradient for 'x' disagrees",),
    ),
    Case(
        "a failure hidden inside recording()",
        {
            "index.md": marked()
            + "\n"
            + block(
                "import derivations\nwith derivations.recording():\n    try:\n"
                "        check(lambda x: np.sin(x), lambda g, x: 0 * g, x=(3,))\n"
                "    except AssertionError:\n        pass\n"
            )
        },
        fails=("docs/index.md:12: gradient for 'x' disagrees",),
    ),
    Case(
        "two results bound by name to a check of one of them",
        {
            "index.md": marked("lin-dx")
            + "\n"
            + marked("lin-dW")
            + "\n"
            + '```{.python .derivation verifies="lin-dx lin-dW"}\n'
            "import numpy as np\nfrom derivations import check\n"
            "def linear(x, W):\n    return W @ x\n"
            "def linear_vjp(g, x, W):\n    return {'x': W.T @ g, 'W': np.outer(g, x)}\n"
            "check(linear, linear_vjp, wrt='x', x=(3,), W=(4, 3))\n```\n"
        },
        fails=(
            "docs/index.md:11: block lists 'lin-dx' in verifies=, but none of its checks",
            "docs/index.md:18: this block verifies 'lin-dx', 'lin-dW': say which",
        ),
    ),
    Case(
        "a gradient result proven by a check of another input",
        {
            "index.md": "<!-- result: lin-dW -->\n$$\n"
            "\\frac{\\partial L}{\\partial W} = g\\, x^\\top\n$$\n\n"
            '```{.python .derivation verifies="lin-dW"}\n'
            "import numpy as np\nfrom derivations import check\n"
            "def linear(x, W):\n    return W @ x\n"
            "def linear_vjp(g, x, W):\n    return {'x': W.T @ g, 'W': np.outer(g, x)}\n"
            "check(linear, linear_vjp, wrt='x', x=(3,), W=(4, 3))\n```\n"
        },
        fails=("docs/index.md:1: result 'lin-dW' is a derivative by W, but no check attributed",),
    ),
    Case(
        "a wrong sign in an evaluated equation whose code is right",
        {
            "index.md": "<!-- result: lin-dx -->\n$$\n"
            "\\frac{\\partial L}{\\partial x_q} = -\\sum_j g_j\\, w_{jq}\n$$\n\n"
            '```{.python .derivation verifies="lin-dx"}\n'
            "from derivations import check_equation\n"
            "def linear(x, W):\n    return W @ x\n"
            "check_equation('lin-dx', linear, x=(3,), W=(4, 3))\n```\n"
        },
        fails=("docs/index.md:3: equation 'lin-dx': the side `-\\sum_j g_j\\, w_{jq}` disagrees",),
    ),
    Case(
        "an empty input",
        {"index.md": marked() + "\n" + block().replace("x=(2, 3)", "x=(0,)")},
        fails=("docs/index.md:9: ValueError: input 'x' is empty",),
    ),
    Case(
        "a wrong ReLU gradient checked only where the derivative is zero",
        {
            "index.md": marked()
            + "\n"
            + block().replace(
                "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(2, 3))",
                "check(lambda x: np.where(x > 0, x, 0.0), lambda g, x: 7 * g * (x > 0), "
                "x=-1 - np.arange(6.0))",
            )
        },
        fails=("docs/index.md:9: the numerical derivative for 'x' is zero in every direction",),
    ),
    Case(
        "an identity judged against an unrelated large input",
        {
            "index.md": marked()
            + "\n"
            + block().replace(
                "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(2, 3))",
                "from derivations import check_identity\n"
                "check_identity(lambda x, big: np.sin(x), lambda x, big: 1.1 * np.sin(x), "
                "x=(5,), big=np.array([1e12]))",
            )
        },
        fails=("docs/index.md:10: lhs and rhs are not equal",),
    ),
    Case(
        "one element off by 1e-3 among a thousand, checked by the stencil",
        {
            "index.md": marked()
            + "\n"
            + block(
                "def f(x):\n    return np.sin(x) * np.abs(x + 10)\n"
                "def vjp(g, x):\n"
                "    d = g * (np.cos(x) * np.abs(x + 10) + np.sin(x) * np.sign(x + 10))\n"
                "    d[123] *= 1 + 1e-3\n    return d\n"
                "check(f, vjp, x=(1000,))\n"
            )
        },
        fails=("docs/index.md:15: gradient for 'x' disagrees",),
    ),
    Case(
        "an upstream gradient equal to an input the author drew with the same seed",
        {
            "index.md": marked()
            + "\n"
            + block(
                "A = np.random.default_rng(0).standard_normal((3, 4))\n"
                "def product(A, B):\n    return A @ B\n"
                "def wrong(g, A, B):\n    return {'A': g @ B.T, 'B': g.T @ A}\n"
                "check(product, wrong, seed=0, A=A, B=(4, 4))\n"
            )
        },
        fails=("docs/index.md:14: gradient for 'B' disagrees",),
    ),
    Case(
        "a failing block that writes into the docs folder",
        {
            "index.md": marked()
            + "\n"
            + failing_block().replace("check(", "open('docs/loop.md', 'w').write('again')\ncheck(")
        },
        fails=("docs/index.md:9: PermissionError: a derivation block may not change the docs",),
    ),
    Case(
        "the same result name on two pages",
        {"a.md": SINE, "b.md": SINE},
        fails=("docs/b.md:1: result 'r' is already marked at docs/a.md:1",),
    ),
    Case(
        "a block verifying an unknown result",
        {"index.md": SINE.replace('verifies="r"', 'verifies="r rr"')},
        fails=("docs/index.md:6: block verifies 'rr', but no equation on this page is marked",),
    ),
    Case(
        "an infinite time limit",
        {"index.md": SINE},
        settings={"timeout": ".inf"},
        fails=("mkdocs.yml: extra.derivations.timeout must be a finite positive number",),
    ),
    Case(
        "a block over the memory limit",
        {"index.md": marked() + "\n" + block("hog = np.ones(2**28)\n")},
        settings={"memory": "1"},
        fails=("docs/index.md:9: ",),
    ),
]
