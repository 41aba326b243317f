"""Running the derivation blocks of a page in a separate process, with a time limit per block."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import Block, Problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = 30.0


@dataclass
class BlockOutcome:
    """What running one block gave: the reports of its checks and its problems."""

    status: str  # "passed", "failed", "timeout", "crashed", "skipped" or "not run"
    reports: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def run_blocks(
    path: str, blocks: list[Block], *, timeout: float = DEFAULT_TIMEOUT, cwd: Path | None = None
) -> list[BlockOutcome]:
    """Run ``blocks`` of the page at ``path`` in order, in one fresh Python process.

    ``path`` is how tracebacks and messages name the page (relative to ``cwd``).
    A block that runs longer than ``timeout`` seconds, or whose process dies,
    ends the process; the blocks after it are reported as not run.
    """
    if not blocks:
        return []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    process = subprocess.Popen(
        [sys.executable, "-m", "derivations._worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
        text=True,
    )
    events: queue.Queue[dict | None] = queue.Queue()
    stderr: list[str] = []
    threading.Thread(target=_read_events, args=(process.stdout, events), daemon=True).start()
    threading.Thread(target=_read_tail, args=(process.stderr, stderr), daemon=True).start()
    request = {
        "path": path,
        "blocks": [{"code_line": b.code_line, "source": b.source} for b in blocks],
    }
    try:
        process.stdin.write(json.dumps(request))
        process.stdin.close()
    except BrokenPipeError:
        pass

    outcomes: list[BlockOutcome] = []
    current: Block | None = None
    try:
        _expect(events, timeout, "ready")
        for block in blocks:
            current = block
            _expect(events, timeout, "start")
            done = _expect(events, timeout, "done")
            problems = [Problem(p["line"], p["message"]) for p in done["problems"]]
            outcomes.append(
                BlockOutcome(
                    status="failed" if problems else "passed",
                    reports=done["reports"],
                    problems=problems,
                    seconds=done["seconds"],
                )
            )
        return outcomes
    except TimeoutError:
        _stop(process)
        status, message = "timeout", f"timed out after {timeout:g} s"
        if current is None:
            message += " while starting Python and importing its modules"
        else:
            message += " (the time limit of one derivation block: extra.derivations.timeout)"
    except _ProcessDied:
        _stop(process)
        status, message = "crashed", _describe_death(process.returncode, stderr)
    finally:
        _stop(process)
    failed_line = (current or blocks[0]).line
    outcomes.append(BlockOutcome(status, problems=[Problem(failed_line, message)]))
    for block in blocks[len(outcomes) :]:
        outcomes.append(
            BlockOutcome(
                "skipped",
                problems=[
                    Problem(
                        block.line, f"not run: the page's process stopped at line {failed_line}"
                    )
                ],
            )
        )
    return outcomes


class _ProcessDied(Exception):
    pass


def _expect(events: queue.Queue, timeout: float, kind: str) -> dict:
    """The next event from the worker, which must be ``kind``."""
    try:
        event = events.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError from None
    if event is None:
        raise _ProcessDied
    if event.get("event") != kind:
        raise _ProcessDied  # the channel is out of step: treat as a broken worker
    return event


def _describe_death(returncode: int | None, stderr: list[str]) -> str:
    if returncode is not None and returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with code {returncode}"
    message = f"the derivation process {how} while running this block"
    tail = "".join(stderr[-8:]).rstrip()
    if tail:
        indented = "\n".join("    " + line for line in tail.splitlines())
        message += "\n  its last output:\n" + indented
    return message


def _read_events(stream, events: queue.Queue) -> None:
    for line in stream:
        try:
            events.put(json.loads(line))
        except json.JSONDecodeError:
            continue
    events.put(None)


def _read_tail(stream, tail: list[str]) -> None:
    for line in stream:
        tail.append(line)
        del tail[:-40]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()
