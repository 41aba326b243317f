"""The page process: run the derivation blocks of one page, in order, in one namespace.

Started by the fork server (``derivations._forkserver``) for every page, it reads
one request from its channel and answers with one JSON line per event. An audit
hook records the files each block reads (for the cache) and refuses writes into
the docs folder. The blocks' own output goes to stdout/stderr, never the channel.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from ._equation_check import use_page_equations
from ._recording import runner_log
from ._report import CheckFailure, describe_failure
from .binding import not_evaluated_reason, subjects_of

_ENGINE = os.path.dirname(os.path.abspath(__file__))
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_CHANGES = {
    "os.remove": 1,
    "os.rmdir": 1,
    "os.mkdir": 1,
    "os.truncate": 1,
    "os.chmod": 1,
    "os.chown": 1,
    "os.utime": 1,
    "shutil.rmtree": 1,
    "os.rename": 2,
    "os.link": 2,
    "os.symlink": 2,
    "shutil.copyfile": 2,
    "shutil.copytree": 2,
}


def equation_facts(equations: dict[str, tuple[str, int]]) -> dict[str, dict[str, Any]]:
    """What the build reads off each result's equation (by kind, then result name), read here,
    before any block runs, where the parser is warm and the checks reuse what it read."""
    return {
        "subjects": {name: list(subjects_of(latex)) for name, (latex, _) in equations.items()},
        "reasons": {name: not_evaluated_reason(latex) for name, (latex, _) in equations.items()},
    }


def serve_page(channel: socket.socket) -> None:
    """Read the page's request from the channel and run its blocks, reporting each."""
    with channel.makefile("rb") as reader:
        request = json.loads(reader.readline())
    writer = channel.makefile("w", buffering=1, encoding="utf-8")

    def send(message: dict[str, Any]) -> None:
        writer.write(json.dumps(message) + "\n")
        writer.flush()

    os.chdir(request["cwd"])
    sys.path.insert(0, request["cwd"])
    guard = _Guard(request["docs_dir"], request["cwd"])
    sys.addaudithook(guard)
    path = request["path"]
    equations = {k: tuple(v) for k, v in request.get("equations", {}).items()}
    use_page_equations(equations, path)
    namespace: dict[str, Any] = {"__name__": "__derivation__", "__file__": path}
    send({"event": "ready", "facts": equation_facts(equations)})
    for i, block in enumerate(request["blocks"]):
        send({"event": "start", "index": i})
        guard.reads = set()
        start = time.perf_counter()
        reports, problems = run_block(path, block, namespace, request.get("memory_note", ""))
        send(
            {
                "event": "done",
                "index": i,
                "seconds": time.perf_counter() - start,
                "reports": reports,
                "problems": problems,
                "reads": sorted(guard.reads),
            }
        )
    writer.close()


class _Guard:
    """An audit hook: remembers what a block reads, refuses what it may not write."""

    def __init__(self, docs_dir: str, cwd: str) -> None:
        self.docs = os.path.abspath(docs_dir) + os.sep if docs_dir else None
        self.cwd = cwd
        self.reads: set[str] = set()
        self.ignored = tuple(
            {os.path.abspath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
            | {_ENGINE + os.sep, "/dev/", "/proc/", "/sys/"}
        )

    def __call__(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            if _writes(mode, flags):
                self._refuse(event, path)
            else:
                self._read(path)
        elif event == "import":
            if args[1]:
                self._read(args[1])
        elif event in _CHANGES:
            for path in args[: _CHANGES[event]]:
                self._refuse(event, path)

    def _absolute(self, path: Any) -> str | None:
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return None  # a file descriptor: opened before, checked then
        return os.path.normpath(os.path.join(self.cwd, path))

    def _read(self, path: Any) -> None:
        absolute = self._absolute(path)
        if absolute and not absolute.startswith(self.ignored) and os.path.isfile(absolute):
            self.reads.add(absolute)

    def _refuse(self, event: str, path: Any) -> None:
        absolute = self._absolute(path)
        if self.docs and absolute and (absolute + os.sep).startswith(self.docs):
            raise PermissionError(
                f"a derivation block may not change the docs folder ({event} on "
                f"{os.path.relpath(absolute, self.cwd)}): the build would see its own output"
            )


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(isinstance(flags, int) and flags & _WRITE_FLAGS)


def run_block(
    path: str, block: dict[str, Any], namespace: dict[str, Any], memory_note: str = ""
) -> tuple[list[dict], list[dict]]:
    """Run one block; return the reports of its checks and what went wrong, with page lines."""
    code_line, end_line = block["code_line"], block["end_line"]
    inside = _lines_of(path, code_line, end_line)
    try:
        code = compile("\n" * (code_line - 1) + block["source"], path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"\n    {exc.text.rstrip()}" if exc.text else ""
        return [], [{"line": exc.lineno or code_line, "message": f"SyntaxError: {exc.msg}{where}"}]
    problems = []
    escaped = None
    with runner_log() as log:
        try:
            exec(code, namespace)
        except CheckFailure as exc:
            escaped = exc.report
            if not any(r is exc.report for r in log):  # raised by hand, not by a check
                problems.append(_exception_problem(exc, path, inside, code_line, memory_note))
        except BaseException as exc:  # noqa: BLE001 - a block's SystemExit is an error too
            problems.append(_exception_problem(exc, path, inside, code_line, memory_note))
    reports = []
    for report in log:
        data = report.to_dict()
        data["line"] = _pick_line(report.stack, path, inside, code_line)
        reports.append(data)
        if not report.passed and not report.expected:
            trail = [line for file, line in report.stack if file == path]
            message = _failure_message(report, trail, path, caught=report is not escaped)
            line = data["line"]
            if report.location and report.location[0] == path:  # an equation: point at its LaTeX
                message += f"\n  checked at {path}:{line}"
                line = report.location[1]
            problems.append({"line": line, "message": message})
    if not reports and not problems:
        problems.append(
            {
                "line": code_line - 1,
                "message": (
                    "derivation block checks nothing: call check, check_jacobian or check_identity"
                ),
            }
        )
    return reports, problems


def _lines_of(path: str, first: int, last: int) -> Callable[[str, int], bool]:
    return lambda file, line: file == path and first <= line <= last


def _pick_line(stack, path: str, inside, default: int) -> int:
    """The line in the running block that led to a report: its innermost frame there."""
    in_block = [line for file, line in stack if inside(file, line)]
    if in_block:
        return in_block[-1]
    in_page = [line for file, line in stack if file == path]
    return in_page[-1] if in_page else default


def _failure_message(report, trail: list[int], path: str, caught: bool) -> str:
    message = describe_failure(report)
    if len(trail) > 1:
        message += "\n  called through " + " -> ".join(f"{path}:{n}" for n in trail)
    if caught:
        message += (
            "\n  the block caught this failure, but a failed check fails the build "
            "unless it runs inside `with expect_mismatch():`"
        )
    return message


def _exception_problem(exc, path: str, inside, default: int, memory_note: str) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)
    page = [f for f in frames if f.filename == path]
    line = next((f.lineno for f in reversed(page) if inside(f.filename, f.lineno)), None)
    if line is None:
        line = page[-1].lineno if page else default
    headline = "".join(traceback.format_exception_only(exc)).strip()
    if isinstance(exc, MemoryError) and memory_note:
        headline += f" ({memory_note})"
    lines = [headline, "  Traceback (most recent call last):"]
    first = next((i for i, f in enumerate(frames) if f.filename == path), len(frames))
    for frame in frames[first:]:
        lines.append(f"    {frame.filename}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"      {frame.line.strip()}")
    return {"line": line, "message": "\n".join(lines)}
