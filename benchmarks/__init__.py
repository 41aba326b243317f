"""The benchmark suite of the engine and the site: run it with ``bash benchmarks/run``.

Each measurement is a module of its own (sharpness, peers, scaling, builds, pages, serve,
rebuild); ``targets`` states the goals as data, ``report`` renders BENCHMARKS.md from the raw
results through ``report.md.j2``, and ``suite`` runs the sections asked for.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):  # the engine; the catalogue and the test sites' helpers
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def log(message: str) -> None:
    """A progress line on stderr, stamped with the time of day."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(rows: list[dict], keys: Iterable[str]) -> dict[str, float]:
    """The median of each key over the rows that know it, the number of rows and, when there
    are ``seconds``, their least and greatest."""
    out: dict[str, float] = {"runs": len(rows)}
    for key in keys:
        known = [r[key] for r in rows if r.get(key) is not None]
        out[key] = statistics.median(known) if known else float("nan")
    if rows and "seconds" in rows[0]:
        out.update(min=min(r["seconds"] for r in rows), max=max(r["seconds"] for r in rows))
    return out
