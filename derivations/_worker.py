"""The child process that runs the derivation blocks of one page, in order, in one namespace.

Reads a JSON request on stdin and writes one JSON line per event on its original
stdout; the blocks' own output goes to stderr. Run by ``derivations.runner``.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any

from ._recording import recording
from ._report import CheckFailure


def main() -> None:
    request = json.load(sys.stdin)
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever a block prints, even from C, must not reach the channel
    sys.stdout = sys.stderr

    def send(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    path = request["path"]
    namespace: dict[str, Any] = {"__name__": "__derivation__", "__file__": path}
    send({"event": "ready"})
    for i, block in enumerate(request["blocks"]):
        send({"event": "start", "index": i})
        start = time.perf_counter()
        reports, problems = run_block(path, block["code_line"], block["source"], namespace)
        send(
            {
                "event": "done",
                "index": i,
                "seconds": time.perf_counter() - start,
                "reports": reports,
                "problems": problems,
            }
        )


def run_block(
    path: str, code_line: int, source: str, namespace: dict[str, Any]
) -> tuple[list[dict], list[dict]]:
    """Run one block; return the reports of its checks and what went wrong, with page lines."""
    try:
        code = compile("\n" * (code_line - 1) + source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"\n    {exc.text.rstrip()}" if exc.text else ""
        return [], [{"line": exc.lineno or code_line, "message": f"SyntaxError: {exc.msg}{where}"}]
    problems = []
    with recording() as log:
        try:
            exec(code, namespace)
        except CheckFailure as exc:
            problems.append({"line": _line_in_page(exc, path, code_line), "message": str(exc)})
        except BaseException as exc:  # noqa: BLE001 - a block's SystemExit is an error too
            problems.append(
                {
                    "line": _line_in_page(exc, path, code_line),
                    "message": _describe_exception(exc, path),
                }
            )
    reports = []
    for report in log:
        data = report.to_dict()
        caller = report.caller
        data["line"] = caller[1] if caller and caller[0] == path else code_line
        reports.append(data)
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


def _page_frames(exc: BaseException, path: str) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(exc.__traceback__)
    for i, frame in enumerate(frames):
        if frame.filename == path:
            return frames[i:]
    return []


def _line_in_page(exc: BaseException, path: str, default: int) -> int:
    in_page = [f for f in _page_frames(exc, path) if f.filename == path]
    return in_page[-1].lineno if in_page else default


def _describe_exception(exc: BaseException, path: str) -> str:
    headline = "".join(traceback.format_exception_only(exc)).strip()
    lines = [headline, "  Traceback (most recent call last):"]
    for frame in _page_frames(exc, path):
        lines.append(f"    {frame.filename}:{frame.lineno} in {frame.name}")
        if frame.line:
            lines.append(f"      {frame.line.strip()}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
