"""The authoring loop under ``mkdocs serve``: from saving an edited block to the served page.

Every variant serves its own copy (warm cache), all at once, and the saves go round them, so a
change of load hits all alike. A save adds a comment line to the last block of PAGE, which then
runs again; the page is polled every 10 ms until it shows the line.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import summary
from .copies import environment, tagged

PAGE = "docs/posts/layer-normalization.md"
#: name -> (arguments of ``mkdocs serve``, environment, the file watcher's polling interval
#: when not MkDocs' fixed 0.5 s)
VARIANTS = {
    "serve": ((), {}, None),
    "serve, checks off": ((), {"DERIVATIONS_CHECKS": "off"}, None),
    "serve --dirty": (("--dirty",), {}, None),
    "serve --dirty, watcher 0.1 s": (("--dirty",), {}, 0.1),
}
#: ``mkdocs`` with the watcher polling at the interval given first: MkDocs has no option for
#: it (``PollingObserver(timeout=polling_interval)`` in mkdocs.livereload).
_POLLING = """
import sys
import mkdocs.livereload as livereload
from mkdocs.__main__ import cli

interval, original = float(sys.argv.pop(1)), livereload.LiveReloadServer.__init__

def patched(self, *args, **kwargs):
    original(self, *args, **{**kwargs, "polling_interval": interval})

livereload.LiveReloadServer.__init__ = patched
sys.argv[0] = "mkdocs"
cli()
"""
_BUILT = "Documentation built in "


def _get(url: str, timeout: float = 120) -> tuple[str, str]:
    """The URL a request ended at (after redirects) and the page, or two empty strings."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.geturl(), response.read().decode()
    except (OSError, TimeoutError):  # urllib's URLError is an OSError
        return "", ""


def _cpu(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _serving(repo: Path, python: str, variant: str):
    """``mkdocs serve`` of ``repo``, answering on its port; stopped when the block ends."""
    args, env, polling = VARIANTS[variant]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    launcher = ["-m", "mkdocs"] if polling is None else ["-c", _POLLING, str(polling)]
    log = repo / f"serve-{port}.log"
    with log.open("w") as out:
        command = [python, *launcher, "serve", "-a", f"127.0.0.1:{port}", *args]
        env = environment(**env)
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600  # the port opens after the first build
            while not (base := _get(f"http://127.0.0.1:{port}/", timeout=5)[0]):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mkdocs serve failed:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield process, base.rstrip("/") + "/", log  # "/" redirects to the site's path
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _save(server: tuple, path: Path, original: str, page_url: str) -> dict[str, Any]:
    """One save: seconds until the page shows it, CPU meanwhile, MkDocs' rebuild, checks run."""
    process, base, log = server
    token = f"{os.getpid()}-{time.time_ns()}"
    mark, cpu, start = len(log.read_text()), _cpu(process.pid), time.perf_counter()
    path.write_text(tagged(original, f"benchmark edit {token}", last_only=True))
    while token not in _get(base + page_url)[1]:
        if time.perf_counter() > start + 300 or process.poll() is not None:
            raise RuntimeError(f"the edit never showed:\n{log.read_text()[-3000:]}")
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    run = {"seconds": seconds, "cpu": _cpu(process.pid) - cpu, "built_in": None}
    time.sleep(0.5)  # let the watcher settle before the next save
    for _ in range(20):  # MkDocs' log line may lag behind the page
        built = [
            line.split(_BUILT)[1] for line in log.read_text()[mark:].splitlines() if _BUILT in line
        ]
        if built:
            run.update(
                built_in=float(built[-1].split()[0]),
                outside_build=seconds - float(built[-1].split()[0]),
            )
            break
        time.sleep(0.1)
    checks = json.loads(_get(base + "verification.json")[1] or "{}").get("checks", [])
    mine = [not c.get("cached") for c in checks if c.get("page") == PAGE]
    others = [not c.get("cached") for c in checks if c.get("page") != PAGE]
    run.update(page_checks_run=sum(mine), other_checks_run=sum(others))
    run["other_checks_cached"] = len(others) - sum(others)
    return run


def authoring(repo: Path, *, edits: int, python: str, progress: Callable[[str], None]) -> dict:
    """``edits`` timed saves per variant, after one warm-up round, and their medians."""
    page_url = Path(PAGE).relative_to("docs").with_suffix("").as_posix() + "/"
    original = (repo / PAGE).read_text()
    runs = []
    with contextlib.ExitStack() as stack:
        servers = {}
        for n, variant in enumerate(VARIANTS):
            copy = repo.parent / f"serve-{n}"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("serve-*.log"))
            servers[variant] = (copy, stack.enter_context(_serving(copy, python, variant)))
        time.sleep(1.0)
        for i in range(edits + 1):  # round 0 is a warm-up
            for variant, (copy, server) in servers.items():
                run = {"variant": variant, **_save(server, copy / PAGE, original, page_url)}
                if i:
                    runs.append(run)
                    shown = {k: round(v, 3) if isinstance(v, float) else v for k, v in run.items()}
                    progress(f"save {i}/{edits}: {shown}")
    return {"runs": runs, "medians": {v: _medians(v, runs) for v in VARIANTS}}


def _medians(variant: str, runs: list[dict[str, Any]]) -> dict[str, float]:
    rows = [r for r in runs if r["variant"] == variant]
    keys = ("seconds", "cpu", "built_in", "outside_build", "page_checks_run", "other_checks_cached")
    return {**summary(rows, keys), "other_checks_run": max(r["other_checks_run"] for r in rows)}
