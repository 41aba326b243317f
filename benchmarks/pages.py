"""Every page's derivations alone: ``derivations.pages.verify_page``, no cache, no MkDocs.

Where a cold build's extra time goes. For each page with derivation blocks: wall and CPU
seconds of ``verify_page`` (which runs the page's blocks in a process of its own), and the
seconds spent inside its blocks and inside its checks; the rest is the page's process itself.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from derivations.blocks import parse_page

from . import summary
from .copies import environment

KEYS = ("seconds", "cpu", "blocks", "checks", "problems", "block_seconds", "check_seconds")

_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from derivations.pages import verify_page

def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

rows = []
for page in sys.argv[1:]:
    c, t = cpu(), time.perf_counter()
    result = verify_page(page, Path(page).read_text(), cwd=Path.cwd())
    rows.append({
        "page": page,
        "seconds": time.perf_counter() - t,
        "cpu": cpu() - c,
        "blocks": len(result.blocks),
        "checks": len(result.records()),
        "problems": len(result.problems),
        "block_seconds": sum(o.seconds for o in result.outcomes),
        "check_seconds": sum(r["seconds"] for r in result.records()),
    })
print(json.dumps(rows))
"""


def page_runs(repo: Path, *, python: str, repeats: int, pages: list[str] | None = None) -> list:
    """``repeats`` runs of every page (default: each page of docs/ with derivation blocks)."""
    if pages is None:
        pages = [
            p.relative_to(repo).as_posix()
            for p in sorted((repo / "docs").rglob("*.md"))
            if parse_page(p.read_text()).blocks
        ]
    rows = []
    for _ in range(repeats):
        done = subprocess.run(
            [python, "-c", _SCRIPT, *pages],
            cwd=repo,
            env=environment(PYTHONPATH=str(repo)),
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def page_medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per page, the median of every measure over its runs, and the number of runs."""
    return {
        page: summary([r for r in rows if r["page"] == page], KEYS)
        for page in dict.fromkeys(r["page"] for r in rows)
    }
