"""What the benchmarks ran on: the machine, its load, the interpreters and library versions."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from . import ROOT

LIBRARIES = ("numpy", "mkdocs", "mkdocs-material", "pymdown-extensions", "Markdown", "Pygments")


def load() -> list[float]:
    """The load averages over 1, 5 and 15 minutes."""
    return [round(x, 2) for x in os.getloadavg()]


def stamp(data: dict[str, Any]) -> dict[str, Any]:
    """A section's results, with the time it ended and the load then."""
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "load": load(), **data}


def _output(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def describe(site_python: str) -> dict[str, Any]:
    """The machine, this interpreter, MkDocs' interpreter and the state of the repository."""
    import numpy as np

    info = Path("/proc/cpuinfo").read_text().splitlines()
    memory = Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0]
    versions = {}
    for name in (*LIBRARIES, "torch", "jax", "jaxlib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    changed = _output("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no")
    blas_env = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": next((x.split(":", 1)[1].strip() for x in info if x.startswith("model name")), "?"),
        "cores": os.cpu_count(),
        "memory_gib": int(memory) / 2**20,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "interpreter": sys.executable,
        "versions": versions,
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        "openblas_env": {k: os.environ[k] for k in blas_env if k in os.environ},
        "git": {
            "commit": _output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"),
            "modified_files": str(len(changed.splitlines())),
        },
        "load_at_start": load(),
        "site": {
            "interpreter": site_python,
            "python": _output(
                site_python, "-c", "import platform; print(platform.python_version())"
            ),
        },
    }
