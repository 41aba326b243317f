"""Running the derivation blocks of a page in a process of its own, with a time limit per block.

Pages never share state: each runs in a fresh process, forked from a server that has
already imported NumPy and the engine (``derivations._forkserver``), so a page costs a
fork instead of an interpreter start. The page process sees an allow-listed
environment (no secrets), runs under a memory limit, may not write into the docs
folder, and dies with the build; whatever it starts dies with it.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import Block, Problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_GIB = 4.0
#: Environment variables a page process may see; everything else (tokens, CI secrets)
#: stays out. LC_* variables pass too.
ALLOWED_ENVIRONMENT = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "SYSTEMROOT",
)
#: How much of a page process's output a message shows, at most.
OUTPUT_SHOWN = 2048
_STARTUP_TIMEOUT = 60.0


@dataclass
class BlockOutcome:
    """What running one block gave: the reports of its checks, its problems, what it read."""

    status: str  # "passed", "failed", "timeout", "crashed", "skipped" or "not run"
    reports: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False
    reads: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class PageRun:
    """What running a page's blocks gave: an outcome per block, and what the page process read
    off the page's equations before any block ran (kind -> result name -> value; see
    ``_worker.equation_facts``), empty when no process ran."""

    outcomes: list[BlockOutcome]
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)


def run_blocks(
    path: str,
    blocks: list[Block],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cwd: Path | None = None,
    memory_gib: float = DEFAULT_MEMORY_GIB,
    docs_dir: Path | None = None,
    equations: dict[str, tuple[str, int]] | None = None,
) -> PageRun:
    """Run ``blocks`` of the page at ``path`` in order, in one fresh process.

    ``path`` is how tracebacks and messages name the page (relative to ``cwd``).
    A block that runs longer than ``timeout`` seconds, or whose process dies,
    ends the process; the blocks after it are reported as not run. The request
    is delivered within the same time limit, however large the page. ``equations``
    are the page's result equations (name -> LaTeX and its line), for ``check_equation``.
    """
    if not blocks:
        return PageRun([])
    cwd = Path(cwd or os.getcwd()).resolve()
    memory = int(memory_gib * 2**30)
    request = {
        "path": path,
        "cwd": str(cwd),
        "docs_dir": str(Path(docs_dir).resolve()) if docs_dir else "",
        "memory_note": f"a page process may use {memory_gib:g} GiB: extra.derivations.memory",
        "blocks": [
            {"code_line": b.code_line, "end_line": b.end_line, "source": b.source} for b in blocks
        ],
        "equations": equations or {},
    }
    try:
        server = _server()
        page = server.spawn(memory)
    except _ServerFailed as failure:
        message = f"the derivation process could not start{failure}"
        return PageRun(_abandoned(blocks, 0, "crashed", message))
    with page:
        return _converse(page, server, blocks, request, timeout, memory_gib)


def _converse(page, server, blocks, request, timeout, memory_gib) -> PageRun:
    events: queue.Queue[dict | None] = queue.Queue()
    threading.Thread(target=_read_events, args=(page.channel, events), daemon=True).start()
    threading.Thread(target=_send, args=(page.channel, request), daemon=True).start()
    outcomes: list[BlockOutcome] = []
    current: Block | None = None
    facts: dict[str, dict[str, Any]] = {}
    try:
        facts = _expect(events, timeout, "ready").get("facts", {})
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
                    reads=done["reads"],
                )
            )
        return PageRun(outcomes, facts)
    except TimeoutError:
        page.kill()
        status, message = "timeout", f"timed out after {timeout:g} s"
        if current is None:
            message += " before the first block started"
        else:
            message += " (the time limit of one derivation block: extra.derivations.timeout)"
    except _ProcessDied:
        page.kill()
        returncode = server.exit_code(page.pid)
        status, message = "crashed", _describe_death(returncode, page.output_tail(), memory_gib)
    index = blocks.index(current) if current else 0
    return PageRun(outcomes + _abandoned(blocks, index, status, message), facts)


def _abandoned(blocks, index: int, status: str, message: str) -> list[BlockOutcome]:
    """The block where the page's process stopped, and the blocks after it, never run."""
    failed_line = blocks[index].line
    outcomes = [BlockOutcome(status, problems=[Problem(failed_line, message)])]
    for block in blocks[index + 1 :]:
        note = f"not run: the page's process stopped at line {failed_line}"
        outcomes.append(BlockOutcome("skipped", problems=[Problem(block.line, note)]))
    return outcomes


class _ProcessDied(Exception):
    pass


class _ServerFailed(Exception):
    pass


def _expect(events: queue.Queue, timeout: float, kind: str) -> dict:
    """The next event from the page process, which must be ``kind``."""
    try:
        event = events.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError from None
    if event is None or event.get("event") != kind:
        raise _ProcessDied  # closed, or out of step: a broken page process
    return event


def _describe_death(returncode: int | None, tail: str, memory_gib: float) -> str:
    if returncode is not None and returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    elif returncode is None:
        how = "stopped answering"
    else:
        how = f"exited with code {returncode}"
    message = f"the derivation process {how} while running this block"
    if returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT):
        message += f" (if it ran out of memory: a page process may use {memory_gib:g} GiB)"
    if tail:
        indented = "\n".join("    " + line for line in tail.splitlines())
        message += "\n  its last output:\n" + indented
    return message


def _read_events(channel: socket.socket, events: queue.Queue) -> None:
    try:
        with channel.makefile("rb") as stream:
            for line in stream:
                try:
                    events.put(json.loads(line))
                except ValueError:
                    break
    except OSError:
        pass
    events.put(None)


def _send(channel: socket.socket, request: dict) -> None:
    try:
        channel.sendall(json.dumps(request).encode() + b"\n")
    except OSError:
        pass  # the page process died or was killed: the conversation reports it


# -- the page process and its server ---------------------------------------------------


class _PageProcess:
    """One forked page process: its pid, its channel, and the file its output goes to."""

    def __init__(self, pid: int, channel: socket.socket, output) -> None:
        self.pid, self.channel, self.output = pid, channel, output

    def __enter__(self) -> _PageProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        for action in (lambda: self.channel.shutdown(socket.SHUT_RDWR), self.channel.close):
            try:
                action()
            except OSError:
                pass
        self.output.close()

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def output_tail(self) -> str:
        size = os.fstat(self.output.fileno()).st_size
        data = os.pread(self.output.fileno(), OUTPUT_SHOWN, max(0, size - OUTPUT_SHOWN))
        text = data.decode("utf-8", "replace").rstrip()
        if size > OUTPUT_SHOWN:
            text = f"[{size - len(data)} earlier bytes of output left out]\n" + text
        return text


class _ForkServer:
    """A running ``derivations._forkserver`` and the control channel to it."""

    def __init__(self, env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "derivations._forkserver", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.errors,
            stderr=self.errors,
        )
        theirs.close()
        self.control = ours
        self.lock = threading.Lock()
        self.replies: dict[int, int] = {}
        self.exits: dict[int, int] = {}
        self.changed = threading.Condition()
        self.ids = itertools.count()
        self.alive = True
        ours.settimeout(_STARTUP_TIMEOUT)
        try:
            ready = ours.recv(65536)
        except OSError:
            ready = b""
        if not ready:
            self.close()
            raise _ServerFailed(self._errors())
        ours.settimeout(None)
        threading.Thread(target=self._listen, daemon=True).start()

    def _errors(self) -> str:
        self.errors.seek(0)
        tail = self.errors.read()[-OUTPUT_SHOWN:].decode("utf-8", "replace").rstrip()
        return ":\n" + "\n".join("    " + line for line in tail.splitlines()) if tail else ""

    def _listen(self) -> None:
        while True:
            try:
                data = self.control.recv(65536)
            except OSError:
                data = b""
            with self.changed:
                if not data:
                    self.alive = False
                    self.changed.notify_all()
                    return
                message = json.loads(data)
                if "spawned" in message:
                    self.replies[message["spawned"]] = message["pid"]
                else:
                    self.exits[message["exited"]] = os.waitstatus_to_exitcode(message["status"])
                self.changed.notify_all()

    def spawn(self, memory: int) -> _PageProcess:
        ours, theirs = socket.socketpair()
        output = tempfile.TemporaryFile()
        request_id = next(self.ids)
        message = json.dumps({"id": request_id, "memory": memory}).encode()
        try:
            with self.lock:
                socket.send_fds(self.control, [message], [theirs.fileno(), output.fileno()])
        except OSError as error:
            raise _ServerFailed(f": {error}") from None
        finally:
            theirs.close()
        with self.changed:
            self.changed.wait_for(lambda: request_id in self.replies or not self.alive, 30)
            pid = self.replies.pop(request_id, None)
        if pid is None:
            ours.close()
            output.close()
            raise _ServerFailed(self._errors())
        return _PageProcess(pid, ours, output)

    def exit_code(self, pid: int, wait: float = 5.0) -> int | None:
        with self.changed:
            self.changed.wait_for(lambda: pid in self.exits or not self.alive, wait)
            return self.exits.pop(pid, None)

    def close(self) -> None:
        self.alive = False
        # shutdown, not just close: the listening thread is blocked in recv on this socket,
        # which keeps it open (and the server waiting for the end of its channel) until the
        # recv returns; shutdown ends both at once.
        with contextlib.suppress(OSError):
            self.control.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.control.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


def page_environment() -> dict[str, str]:
    """The environment of a page process: the allow-list, and single-threaded BLAS."""
    env = {k: v for k, v in os.environ.items() if k in ALLOWED_ENVIRONMENT or k.startswith("LC_")}
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[threads] = "1"
    return env


_servers: dict[tuple, _ForkServer] = {}
_servers_lock = threading.Lock()


def _engine_stamp() -> tuple:
    """Changes whenever a source file of the engine changes (the server must then restart)."""
    package = Path(__file__).resolve().parent
    return tuple(
        (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(package.glob("*.py"))
    )


def _server() -> _ForkServer:
    """The fork server for the current environment and engine, started when needed."""
    env = page_environment()
    key = (sys.executable, tuple(sorted(env.items())), _engine_stamp())
    with _servers_lock:
        server = _servers.get(key)
        if server is not None and server.alive:
            return server
        for stale in [k for k in _servers if k != key or not _servers[k].alive]:
            _servers.pop(stale).close()
        server = _servers[key] = _ForkServer(env)
        return server


@atexit.register
def _close_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.close()
        _servers.clear()
