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

from .sharpness import ROOT

LIBRARIES = (
    "numpy",
    "mkdocs",
    "mkdocs-material",
    "pymdown-extensions",
    "Markdown",
    "Pygments",
    "mkdocs-macros-plugin",
    "torch",
    "jax",
    "jaxlib",
)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return None


def load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def versions() -> dict[str, str]:
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def blas() -> str:
    try:
        import numpy as np

        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - only informative
        return "unknown"


def git_state() -> dict[str, str]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    changed = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "modified_files": str(len(changed.splitlines())),
    }


def site_interpreter(python: str) -> dict[str, str]:
    """Python and library versions of the interpreter MkDocs runs under."""
    code = (
        "import json, platform\n"
        "from importlib import metadata\n"
        "names = ['numpy', 'mkdocs', 'mkdocs-material', 'pymdown-extensions']\n"
        "print(json.dumps({'python': platform.python_version(),\n"
        "    **{n: metadata.version(n) for n in names}}))\n"
    )
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
        import json

        return {"interpreter": python, **json.loads(out.stdout)}
    except (OSError, subprocess.CalledProcessError, ValueError):
        return {"interpreter": python}


def describe(site_python: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "interpreter": sys.executable,
        "versions": versions(),
        "blas": blas(),
        "openblas_env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
            )
            if k in os.environ
        },
        "git": git_state(),
        "load_at_start": load(),
    }
    if site_python:
        info["site"] = site_interpreter(site_python)
    return info
