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

#: A site with the constructs authors put blocks into: lists, admonitions, details, tabs,
#: footnotes, definition lists, HTML blocks with Markdown inside, and Jinja macros.
RICH_CONFIG = """\
site_name: Test site
theme:
  name: material
markdown_extensions:
  - admonition
  - attr_list
  - def_list
  - footnotes
  - md_in_html
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.arithmatex:
      generic: true
plugins:
  - search
  - macros:
      render_by_default: false
      on_error_fail: true
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


MISMATCH_TEXT = PASSING.replace("return g * np.cos(x)", "return g * np.cos(x) * (1 + 1e-6)")


def make_site(
    root: Path, pages: dict[str, str], *, timeout: float = 10, config: str = CONFIG
) -> Path:
    """Write a site with these pages (name -> Markdown) and return its folder."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    hook = ROOT / "hooks" / "verification.py"
    (root / "mkdocs.yml").write_text(config.format(hook=hook, timeout=timeout))
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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`mkdocs serve` (with ``--dirty`` if asked) on a free local port, stopped when the block
    ends."""

    def __init__(self, site: Path, *, dirty: bool = False) -> None:
        self.site = site
        self.dirty = dirty
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = site / "serve.log"

    def __enter__(self) -> Server:
        self._log = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "serve",
                "-a",
                f"127.0.0.1:{self.port}",
                *(["--dirty"] if self.dirty else []),
            ],
            cwd=self.site,
            env=environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()

    def get(self, path: str = "") -> str | None:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            return None

    def wait_for(self, predicate, path: str = "", timeout: float = 60) -> str:
        """Poll the page until predicate(html) holds; fail with the server log otherwise."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mkdocs serve exited:\n{self.log.read_text()}")
            html = self.get(path)
            if html is not None and predicate(html):
                return html
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for the page:\n{self.log.read_text()}")
