"""Tiny MkDocs sites in temporary folders, built or served with the project's hook."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
site_name: Test site
theme:
  name: material
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.superfences
  - pymdownx.arithmatex:
      generic: true
hooks:
  - {hook}
extra:
  derivations:
    timeout: {timeout}
"""

PASSING = """\
# Sine

<!-- result: sin-dx -->
$$
\\frac{\\partial L}{\\partial x_p} = g_p \\cos x_p
$$

```{.python .derivation title="Sine" verifies="sin-dx"}
import numpy as np
from derivations import check

def sine(x):
    return np.sin(x)

def sine_vjp(g, x):
    return g * np.cos(x)

check(sine, sine_vjp, x=(2, 3))
```
"""


def make_site(root: Path, pages: dict[str, str], *, timeout: float = 10) -> Path:
    """Write a site with these pages (name -> Markdown) and return its folder."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    hook = ROOT / "hooks" / "verification.py"
    (root / "mkdocs.yml").write_text(CONFIG.format(hook=hook, timeout=timeout))
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERIVATIONS_")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(extra)
    return env


def build(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=site,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=180,
    )
