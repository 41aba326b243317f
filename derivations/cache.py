"""Remembering passing blocks, so that an unchanged page is not run again.

A block's key covers its source, the sources of the blocks before it on its page,
the engine's sources, the Python and NumPy versions and the run settings. Each entry
also lists every local file the block read or imported, with its content hash: an
entry whose files changed is stale. Only passing blocks are stored; failures always
run again. Writes are atomic and safe when several builds share the folder.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .blocks import Block

_PACKAGE = Path(__file__).resolve().parent


def environment_fingerprint() -> str:
    """What every key depends on besides the page: the engine and its interpreter."""
    digest = hashlib.sha256()
    numpy = importlib.metadata.version("numpy")
    digest.update(f"{platform.python_version()} numpy {numpy}".encode())
    for source in sorted(_PACKAGE.rglob("*")):
        if source.is_file() and source.suffix in (".py", ".lark"):
            digest.update(source.relative_to(_PACKAGE).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


def block_keys(blocks: list[Block], fingerprint: str, settings: str) -> list[str]:
    """One key per block, each covering the block and every block before it."""
    digest = hashlib.sha256(f"{fingerprint}\0{settings}".encode())
    keys = []
    for block in blocks:
        digest.update(b"\0" + block.source.encode())
        keys.append(digest.hexdigest())
    return keys


def equations_key(fingerprint: str, equations: Iterable[str | None]) -> str:
    """The key of what is computed from a page's equations alone (what each differentiates by,
    why one is not evaluated); ``fingerprint`` names the engine and what was computed."""
    digest = hashlib.sha256(f"{fingerprint}\0equations".encode())
    for latex in equations:
        digest.update(b"\0" + (latex or "").encode())
    return digest.hexdigest()


def _hash(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def hashes_of(paths: Iterable[str]) -> dict[str, str | None]:
    """The content hash of each file a block read (None: it no longer exists)."""
    return {path: _hash(path) for path in paths}


def files_unchanged(hashes: dict[str, str | None]) -> bool:
    return all(_hash(path) == digest for path, digest in hashes.items())


class OutcomeCache:
    """Passing block outcomes (and what was computed from a page's equations), in memory and (if
    given a directory) on disk."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.memory: dict[str, dict[str, Any]] = {}

    def get(
        self, key: str, fields: frozenset[str] = frozenset({"reports", "seconds", "reads"})
    ) -> dict[str, Any] | None:
        """The entry stored under ``key``, if it has every one of ``fields`` (a block outcome's
        by default)."""
        if key in self.memory:
            return self.memory[key]
        if self.directory is None:
            return None
        try:
            entry = json.loads((self.directory / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or not fields <= set(entry):
            return None
        self.memory[key] = entry
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.memory[key] = entry
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=f"{key}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(entry, out)
            os.replace(temporary, self.directory / f"{key}.json")
        except OSError:
            Path(temporary).unlink(missing_ok=True)
