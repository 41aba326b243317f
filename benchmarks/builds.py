"""Building the whole site: ``mkdocs build`` with checks off, with a cold and a warm cache.

Each build is a fresh ``mkdocs build -q`` in a copy of the repository: its wall time is what
an author waits, and its CPU seconds (the build's and its derivation processes') are what a
loaded machine disturbs far less. ``parts`` times builds in process, part by part.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import summary
from .copies import environment

MODES = ("off", "cold", "warm")
#: One build in process with some of MkDocs' functions wrapped in timers (no profiler): per
#: part, and per page (its Markdown conversion plus its template, search indexing included).
_PARTS = """
import json, sys, tempfile, time
import mkdocs.commands.build as build
import mkdocs.plugins as plugins
from mkdocs.__main__ import cli

found = {"parts": {}, "pages": {}}

def timed(owner, name, key=None):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            group, k = ("pages", args[0].file.src_uri) if key is None else ("parts", key)
            found[group][k] = found[group].get(k, 0.0) + time.perf_counter() - start

    setattr(owner, name, wrapper)

timed(build, "_populate_page")
timed(build, "_build_page")
timed(build, "build", "total")
timed(build, "_build_theme_template", "theme templates (sitemap, 404, search page)")
timed(plugins.PluginCollection, "on_files", "on_files (the hook verifies every page here)")
timed(plugins.PluginCollection, "on_post_build", "on_post_build (verification.json, search index)")
with tempfile.TemporaryDirectory(prefix="bench-parts-") as out:
    cli(["build", "-q", "-d", out], standalone_mode=False)
print(json.dumps(found))
"""


def _run(command: list[str], repo: Path, mode: str) -> subprocess.CompletedProcess:
    env = environment(**({"DERIVATIONS_CHECKS": "off"} if mode == "off" else {}))
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=1800)


def build_once(repo: Path, mode: str, python: str) -> dict[str, Any]:
    """One ``mkdocs build -q`` into a temporary folder; ``cold`` empties the cache first."""
    if mode == "cold":
        shutil.rmtree(repo / ".cache" / "derivations", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as out:
        cpu = lambda: sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])  # noqa: E731
        before, start = cpu(), time.perf_counter()
        done = _run([python, "-m", "mkdocs", "build", "-q", "-d", out], repo, mode)
        run = {"mode": mode, "seconds": time.perf_counter() - start, "cpu": cpu() - before}
        try:
            checks = json.loads((Path(out) / "verification.json").read_text())["checks"]
        except (OSError, ValueError, KeyError):
            checks = None
    run["verification"] = checks and {
        "checks": len(checks),
        "cached": sum(bool(c.get("cached")) for c in checks),
        "failed": sum(not c.get("passed") and not c.get("caught") for c in checks),
    }
    run.update(returncode=done.returncode, output=(done.stdout + done.stderr).strip()[-2000:])
    return run


def builds(repo: Path, *, rounds: int, python: str, progress: Callable[[str], None]) -> dict:
    """``rounds`` rounds of (off, cold, warm) after one untimed cold build, and their medians.

    The modes alternate within each round, so a change of load hits all three alike.
    """
    build_once(repo, "cold", python)  # compiles the .pyc files, fills the OS file cache
    runs = []
    for i in range(rounds):
        for mode in MODES:
            runs.append(r := build_once(repo, mode, python))
            progress(f"build {i + 1}/{rounds} {mode}: {r['seconds']:.2f} s, cpu {r['cpu']:.2f} s")
    medians = {m: summary([r for r in runs if r["mode"] == m], ("seconds", "cpu")) for m in MODES}
    return {"runs": runs, "medians": medians}


def parts(repo: Path, *, rounds: int, python: str) -> dict[str, dict[str, dict[str, float]]]:
    """Per mode (checks off, warm), the median seconds of every part and every page."""
    found: dict[str, list[dict]] = {"off": [], "warm": []}
    for _ in range(rounds):
        for mode, rows in found.items():
            done = _run([python, "-c", _PARTS], repo, mode)
            if done.returncode != 0:
                raise RuntimeError(done.stderr[-3000:])
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        mode: {
            group: {
                k: statistics.median(r[group].get(k, 0.0) for r in rows) for k in rows[0][group]
            }
            for group in ("parts", "pages")
        }
        for mode, rows in found.items()
    }
