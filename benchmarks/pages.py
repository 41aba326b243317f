"""Every page's derivations alone, one page after another: ``derivations.pages.verify_page``.

No cache, no MkDocs: the wall and CPU seconds of each page, of its blocks and of its checks.
What the blocks do not account for is the page's process itself (starting Python, imports).
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
#: Run in the copy, under the site's interpreter, so that it measures the copy's engine.
_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from derivations.pages import verify_page

rows = []
for page in sys.argv[1:]:
    cpu, start = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]), time.perf_counter()
    result = verify_page(page, Path(page).read_text(), cwd=Path.cwd())
    records = result.records()
    rows.append({
        "page": page,
        "seconds": time.perf_counter() - start,
        "cpu": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]) - cpu,
        "blocks": len(result.blocks),
        "checks": len(records),
        "problems": len(result.problems),
        "block_seconds": sum(o.seconds for o in result.outcomes),
        "check_seconds": sum(r["seconds"] for r in records),
    })
print(json.dumps(rows))
"""


def page_runs(repo: Path, *, python: str, repeats: int, pages: list[str] | None = None) -> list:
    """``repeats`` runs of the pages (by default every page of docs/ with derivation blocks)."""
    if pages is None:
        paths = sorted((repo / "docs").rglob("*.md"))
        pages = [p.relative_to(repo).as_posix() for p in paths if parse_page(p.read_text()).blocks]
    rows = []
    for _ in range(repeats):
        command = [python, "-c", _SCRIPT, *pages]
        env = environment(PYTHONPATH=str(repo))
        done = subprocess.run(
            command, cwd=repo, env=env, capture_output=True, text=True, check=True
        )
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def page_medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per page, the median of every measure over its runs, and the number of runs."""
    pages = dict.fromkeys(r["page"] for r in rows)
    return {page: summary([r for r in rows if r["page"] == page], KEYS) for page in pages}
