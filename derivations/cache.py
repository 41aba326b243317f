"""Remembering passing blocks, so that an unchanged page is not run again.

A block's key covers its source, the sources of the blocks before it on its
page, the sources of this package, and the Python and NumPy versions. Only
passing blocks are stored: failures always run again.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import numpy as np

from .blocks import Block

_PACKAGE = Path(__file__).resolve().parent


def environment_fingerprint() -> str:
    """What every key depends on besides the page: the engine and its interpreter."""
    digest = hashlib.sha256()
    digest.update(f"{platform.python_version()} numpy {np.__version__}".encode())
    for source in sorted(_PACKAGE.rglob("*.py")):
        digest.update(source.relative_to(_PACKAGE).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def block_keys(blocks: list[Block], fingerprint: str, timeout: float) -> list[str]:
    """One key per block, each covering the block and every block before it."""
    digest = hashlib.sha256(f"{fingerprint} {timeout}".encode())
    keys = []
    for block in blocks:
        digest.update(b"\0" + block.source.encode())
        keys.append(digest.hexdigest())
    return keys


class OutcomeCache:
    """Passing block outcomes, in memory and (if given a directory) on disk."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.memory: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        if key in self.memory:
            return self.memory[key]
        if self.directory is None:
            return None
        path = self.directory / f"{key}.json"
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        self.memory[key] = entry
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.memory[key] = entry
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f"{key}.json.tmp"
        tmp.write_text(json.dumps(entry))
        tmp.replace(self.directory / f"{key}.json")
