"""The fork server: a Python with NumPy and the engine imported, forking one process per page.

A page process then costs a fork, not an interpreter start and a NumPy import.
Started by ``derivations.runner`` with an allow-listed environment and one end of
a SOCK_SEQPACKET socket as its control channel (argv[1] is its descriptor). Each
control message asks for a page process and carries two descriptors: the page's
channel and the file that takes its output. The server answers with the pid, and
later with its exit status.

Every page process runs in a session of its own, under a memory limit, and dies
with the server. The server is a child subreaper (Linux): whatever a page leaves
behind, even a process that escaped with setsid, comes back to it when the page
ends and is killed. When the control channel closes (the build ended, however it
ended), the server kills everything it started and exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import selectors
import signal
import socket
import sys
import traceback

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def main(control_fd: int) -> None:
    import numpy  # noqa: F401 - the point of a fork server: imported once, before any fork
    import numpy.random  # noqa: F401 - not imported by numpy itself; every check draws (10 ms)

    from . import _worker
    from .equations import _parse

    _parse.parser()  # the notation's grammar too: built once, not once a page (0.2 s)
    # What is imported now is never collected: a page's garbage collections then leave the
    # server's objects alone instead of copying every page of memory that holds one.
    gc.freeze()

    control = socket.socket(fileno=control_fd)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    # The build renders pages while their checks run: pages and checks share the cores, and the
    # build, which must write every page, goes first. The checks only need to end before it does.
    os.nice(10)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build's Ctrl-C is for the build
    pages: set[int] = set()

    def spawn(message: dict, fds: list[int]) -> int:
        channel_fd, output_fd = fds
        pid = os.fork()
        if pid == 0:  # the page process
            status = 1
            try:
                os.setsid()
                _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
                for fd in (control.fileno(), wake_read, wake_write):
                    os.close(fd)
                signal.set_wakeup_fd(-1)
                for sig in (signal.SIGCHLD, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                limit = message.get("memory")
                if limit:
                    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
                os.dup2(output_fd, 1)
                os.dup2(output_fd, 2)
                os.close(output_fd)
                _worker.serve_page(socket.socket(fileno=channel_fd))
                status = 0
            except BaseException:  # noqa: BLE001 - shown in the page's output, then exit 1
                traceback.print_exc()
            finally:
                with contextlib.suppress(Exception):
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(status)
        os.close(channel_fd)
        os.close(output_fd)
        pages.add(pid)
        return pid

    def reap() -> None:
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None:
                return
            pid = info.si_pid
            if pid in pages:  # its group goes with it, before the pid can be reused
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            if pid in pages:
                pages.discard(pid)
                _send(control, {"exited": pid, "status": status})
            _kill_strays(pages)

    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    _send(control, {"ready": os.getpid()})
    while True:
        for key, _ in selector.select():
            if key.fileobj is control:
                data, fds, _, _ = socket.recv_fds(control, 65536, 2)
                if not data:
                    _shut_down(pages)
                    return
                message = json.loads(data)
                _send(control, {"spawned": message["id"], "pid": spawn(message, fds)})
            else:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 4096)
                reap()


def _send(control: socket.socket, message: dict) -> None:
    control.sendall(json.dumps(message).encode())


def _prctl(option: int, value: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _children() -> list[int]:
    """The processes whose parent is this one (Linux /proc)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _kill_strays(pages: set[int]) -> None:
    """Kill every child that is not a running page: what pages left behind."""
    for pid in _children():
        if pid not in pages:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _shut_down(pages: set[int]) -> None:
    for pid in list(pages):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    pages.clear()
    for _ in range(50):
        strays = _children()
        if not strays:
            return
        _kill_strays(pages)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass


if __name__ == "__main__":
    main(int(sys.argv[1]))
