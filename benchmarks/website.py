"""The whole site: build times with checks off, cold and warm, and the authoring loop under serve.

Everything runs in a throw-away copy of the repository (the working tree, or ``git archive``
of a commit), so that neither the author's ``.cache/derivations`` nor anyone's ``site/`` is
touched. MkDocs runs in the site's own venv (``.venv``) when there is one, as ``make build``
and ``make serve`` run it.

Wall-clock times are what an author waits. Because a loaded machine stretches them, every run
also records the CPU seconds it used (the build process and every derivation process it
waited for), which other load disturbs far less.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from derivations.blocks import parse_page  # noqa: E402, I001

# isort: off
from .sharpness import ROOT  # puts the project and tests/ on sys.path
from sites import environment  # the test sites' environment, shared
# isort: on

IGNORED = {
    ".git",
    ".venv",
    ".venv-bench",
    ".cache",
    "site",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    "test-artifacts",
    "__pycache__",
}
EDITED_PAGE = "docs/posts/layer-normalization.md"


def site_python() -> str:
    """The interpreter MkDocs runs under: the site's venv if present, else this one."""
    candidate = ROOT / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def make_copy(destination: Path, source: str = "worktree") -> Path:
    """A copy of the repository: the working tree as it is, or a commit (``git archive``)."""
    repo = destination / "repo"
    if source == "worktree":
        shutil.copytree(ROOT, repo, ignore=lambda d, names: [n for n in names if n in IGNORED])
    else:
        repo.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", source], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(repo)], input=archive, check=True)
    return repo


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _summarise_verification(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    checks = data.get("checks", [])
    return {
        "checks": len(checks),
        "cached": sum(bool(c.get("cached")) for c in checks),
        "failed": sum(not c.get("passed") and not c.get("caught") for c in checks),
    }


# -- builds ------------------------------------------------------------------------------------


@dataclass
class BuildRun:
    mode: str  # "off", "cold" or "warm"
    seconds: float
    cpu: float
    returncode: int
    verification: dict[str, int] = field(default_factory=dict)
    output: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


BUILD_MODES = ("off", "cold", "warm")


def build_once(repo: Path, mode: str, python: str) -> BuildRun:
    """One ``mkdocs build -q`` into a temporary folder; ``cold`` empties the cache first."""
    env = environment()
    if mode == "off":
        env["DERIVATIONS_CHECKS"] = "off"
    if mode == "cold":
        shutil.rmtree(repo / ".cache" / "derivations", ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bench-site-") as out:
        cpu = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [python, "-m", "mkdocs", "build", "-q", "-d", out],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        seconds = time.perf_counter() - start
        cpu = _children_cpu() - cpu
        verification = _summarise_verification(Path(out) / "verification.json")
    output = (done.stdout + done.stderr).strip()
    return BuildRun(mode, seconds, cpu, done.returncode, verification, output[-2000:])


def builds(
    repo: Path,
    *,
    rounds: int = 5,
    python: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[BuildRun]:
    """``rounds`` rounds of (off, cold, warm), after one untimed cold build as a warm-up.

    The modes alternate within each round, so a change of load hits all three alike.
    """
    python = python or site_python()
    build_once(repo, "cold", python)  # compiles the .pyc files, fills the OS file cache
    runs = []
    for i in range(rounds):
        for mode in BUILD_MODES:
            runs.append(build_once(repo, mode, python))
            if progress:
                r = runs[-1]
                progress(
                    f"build round {i + 1}/{rounds} {mode}: {r.seconds:.2f} s "
                    f"(cpu {r.cpu:.2f} s, exit {r.returncode})"
                )
    return runs


def build_medians(runs: list[BuildRun]) -> dict[str, dict[str, float]]:
    out = {}
    for mode in BUILD_MODES:
        rows = [r for r in runs if r.mode == mode]
        if rows:
            out[mode] = {
                "seconds": statistics.median(r.seconds for r in rows),
                "min": min(r.seconds for r in rows),
                "max": max(r.seconds for r in rows),
                "cpu": statistics.median(r.cpu for r in rows),
                "runs": len(rows),
                "failed": sum(r.returncode != 0 for r in rows),
            }
    return out


# -- the authoring loop under mkdocs serve -----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _process_cpu(pid: int) -> float:
    """CPU seconds of a process and of the children it has waited for (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(x) for x in fields[11:15]) / ticks  # utime stime cutime cstime


#: ``mkdocs`` with its file watcher polling at another interval than its fixed 0.5 s
#: (``PollingObserver(timeout=polling_interval)`` in mkdocs/livereload; no command-line option).
_POLLING_LAUNCHER = """
import sys
import mkdocs.livereload as livereload
from mkdocs.__main__ import cli

interval = float(sys.argv.pop(sys.argv.index("--polling") + 1))
sys.argv.remove("--polling")
original = livereload.LiveReloadServer.__init__

def patched(self, *args, **kwargs):
    kwargs["polling_interval"] = interval
    original(self, *args, **kwargs)

livereload.LiveReloadServer.__init__ = patched
sys.argv[0] = "mkdocs"
cli()
"""


class Server:
    """``mkdocs serve`` on a free loopback port, in ``repo``; stopped when the block ends."""

    def __init__(
        self,
        repo: Path,
        python: str,
        args: tuple[str, ...] = (),
        *,
        polling: float | None = None,
        **env: str,
    ) -> None:
        self.repo = repo
        self.python = python
        self.args = args
        self.polling = polling
        self.env = environment(**env)
        self.port = free_port()
        self.log_path = repo / f"serve-{self.port}.log"
        self.base = ""

    def __enter__(self) -> Server:
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                self.python,
                *(["-m", "mkdocs"] if self.polling is None else ["-c", _POLLING_LAUNCHER]),
                "serve",
                "-a",
                f"127.0.0.1:{self.port}",
                *self.args,
            ]
            + ([] if self.polling is None else ["--polling", str(self.polling)]),
            cwd=self.repo,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        # The port opens after the first build; "/" redirects to the site's mount path.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mkdocs serve exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5) as r:
                    self.base = r.geturl()
                    if not self.base.endswith("/"):
                        self.base += "/"
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError("mkdocs serve did not answer within 600 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(self.base + path, timeout=120) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    @property
    def cpu(self) -> float:
        return _process_cpu(self.process.pid)

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")


def page_url(page: str) -> str:
    """docs/posts/x.md -> posts/x/ (MkDocs' directory URLs)."""
    rel = Path(page).relative_to("docs").with_suffix("")
    return "" if rel.name == "index" else rel.as_posix() + "/"


def edited(text: str, token: str, block_index: int = -1) -> str:
    """The page with the comment ``# <token>`` as the first line of one derivation block."""
    blocks = parse_page(text).blocks
    if not blocks:
        raise ValueError("the page has no derivation block to edit")
    block = blocks[block_index]
    lines = text.split("\n")
    lines.insert(block.line, f"{block.indent}# benchmark edit {token}")  # after the fence
    return "\n".join(lines)


@dataclass
class EditRun:
    variant: str
    seconds: float  # from saving the page to the new page being served
    cpu: float  # CPU seconds the server (and its derivation processes) used meanwhile
    built_in: float | None  # what MkDocs logged as "Documentation built in"
    page_checks_run: int  # checks of the edited page that ran (not from the cache)
    other_checks_cached: int
    other_checks_run: int  # checks of other pages that ran: should be 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Variant:
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    polling: float | None = None  # the file watcher's interval, if not MkDocs' 0.5 s
    description: str = ""


AUTHORING_VARIANTS = {
    "serve": Variant(description="`mkdocs serve`, checks on (the authoring loop of `make serve`)"),
    "serve, checks off": Variant(
        env={"DERIVATIONS_CHECKS": "off"},
        description="the same with DERIVATIONS_CHECKS=off: the floor set by MkDocs' own rebuild",
    ),
    "serve --dirty": Variant(
        args=("--dirty",),
        description="`mkdocs serve --dirty`, checks on: MkDocs re-renders only the changed page",
    ),
    "serve --dirty, watcher 0.1 s": Variant(
        args=("--dirty",),
        polling=0.1,
        description="the same, with MkDocs' file watcher polling every 0.1 s instead of 0.5 s "
        "(patched in by the benchmark: MkDocs has no option for it)",
    ),
}


def _built_in(log: str, since: int) -> float | None:
    marker = "Documentation built in "
    found = None
    for line in log[since:].splitlines():
        if marker in line:
            try:
                found = float(line.split(marker, 1)[1].split()[0])
            except ValueError:
                pass
    return found


def authoring(
    repo: Path,
    *,
    edits: int = 7,
    variants: tuple[str, ...] = tuple(AUTHORING_VARIANTS),
    page: str = EDITED_PAGE,
    python: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[EditRun]:
    """Under ``mkdocs serve``: save an edited derivation block, time until the page shows it.

    Each variant serves its own copy of ``repo`` (with its warm cache), all at once, and the
    edits go round the variants, so that a change of load hits every variant alike. Each edit
    adds a new comment line (a new token) to the last derivation block of ``page``, so the
    page's blocks miss the cache and run again, while the other pages' checks come from the
    cache. The page is polled every 10 ms until the token is in the served HTML. The first
    round is a warm-up and is not kept.
    """
    python = python or site_python()
    url = page_url(page)
    copies = {}
    for n, variant in enumerate(variants):
        copies[variant] = repo.parent / f"serve-{n}"
        shutil.rmtree(copies[variant], ignore_errors=True)
        shutil.copytree(repo, copies[variant], ignore=shutil.ignore_patterns("serve-*.log"))
    original = (repo / page).read_text()
    runs = []
    with contextlib.ExitStack() as stack:
        servers = {}
        for variant in variants:
            v = AUTHORING_VARIANTS[variant]
            servers[variant] = stack.enter_context(
                Server(copies[variant], python, v.args, polling=v.polling, **v.env)
            )
        time.sleep(1.0)
        for i in range(edits + 1):  # round 0 is a warm-up
            for variant, server in servers.items():
                run = _edit_once(server, variant, copies[variant] / page, original, url, page)
                if i == 0:
                    continue
                runs.append(run)
                if progress:
                    progress(
                        f"{variant} edit {i}/{edits}: {run.seconds:.2f} s (cpu {run.cpu:.2f} s, "
                        f"mkdocs {run.built_in} s, page checks run {run.page_checks_run}, "
                        f"other pages cached {run.other_checks_cached}, "
                        f"ran {run.other_checks_run})"
                    )
    return runs


def _edit_once(
    server: Server, variant: str, path: Path, original: str, url: str, page: str
) -> EditRun:
    token = f"{os.getpid()}-{time.time_ns()}"
    text = edited(original, token)
    log_mark = len(server.log_text())
    cpu = server.cpu
    start = time.perf_counter()
    path.write_text(text)
    deadline = start + 300
    while True:
        html = server.get(url)
        if html is not None and token in html:
            break
        if time.perf_counter() > deadline or server.process.poll() is not None:
            raise RuntimeError(f"the edit never showed ({variant}):\n{server.log_text()[-3000:]}")
        time.sleep(0.01)
    seconds = time.perf_counter() - start
    cpu = server.cpu - cpu
    time.sleep(0.5)  # let the watcher settle before the next save
    built_in = _built_in(server.log_text(), log_mark)
    for _ in range(20):  # the log line may lag behind the page
        if built_in is not None:
            break
        time.sleep(0.1)
        built_in = _built_in(server.log_text(), log_mark)
    return EditRun(variant, seconds, cpu, built_in, *_check_counts(server, page))


_PAGES_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from derivations.pages import verify_page

def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

rows = []
for page in sys.argv[1:]:
    c, t = cpu(), time.perf_counter()
    result = verify_page(page, Path(page).read_text(), cwd=Path.cwd())
    rows.append({
        "page": page,
        "seconds": time.perf_counter() - t,
        "cpu": cpu() - c,
        "blocks": len(result.blocks),
        "checks": sum(len(o.reports) for o in result.outcomes),
        "problems": len(result.problems),
        "block_seconds": sum(o.seconds for o in result.outcomes),
        "check_seconds": sum(r["seconds"] for o in result.outcomes for r in o.reports),
    })
print(json.dumps(rows))
"""


def page_runs(
    repo: Path,
    *,
    pages: list[str] | None = None,
    repeats: int = 5,
    python: str | None = None,
) -> list[dict[str, Any]]:
    """Each page's derivation process alone (no cache, no MkDocs), one page after another.

    For every page with derivation blocks (default: all of docs/), ``repeats`` times: wall
    and CPU seconds of ``verify_page`` (which starts one Python process for the page), the
    seconds spent inside its blocks and inside its checks. The difference is the cost of
    the process itself: starting Python, importing NumPy and the engine.
    """
    python = python or site_python()
    if pages is None:
        pages = [
            p.relative_to(repo).as_posix()
            for p in sorted((repo / "docs").rglob("*.md"))
            if parse_page(p.read_text()).blocks
        ]
    rows = []
    for _ in range(repeats):
        done = subprocess.run(
            [python, "-c", _PAGES_SCRIPT, *pages],
            cwd=repo,
            env=environment(PYTHONPATH=str(repo)),
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    return rows


def page_medians(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for page in dict.fromkeys(r["page"] for r in rows):
        mine = [r for r in rows if r["page"] == page]
        out[page] = {
            key: statistics.median(r[key] for r in mine) for key in mine[0] if key != "page"
        }
        out[page]["runs"] = len(mine)
    return out


def _check_counts(server: Server, page: str) -> tuple[int, int, int]:
    text = server.get("verification.json")
    if text is None:
        return (-1, -1, -1)
    checks = json.loads(text).get("checks", [])
    mine = [c for c in checks if c.get("page") == page]
    others = [c for c in checks if c.get("page") != page]
    return (
        sum(not c.get("cached") for c in mine),
        sum(bool(c.get("cached")) for c in others),
        sum(not c.get("cached") for c in others),
    )


def authoring_medians(runs: list[EditRun]) -> dict[str, dict[str, float]]:
    out = {}
    for variant in AUTHORING_VARIANTS:
        rows = [r for r in runs if r.variant == variant]
        if rows:
            built = [r.built_in for r in rows if r.built_in is not None]
            outside = [r.seconds - r.built_in for r in rows if r.built_in is not None]
            out[variant] = {
                "outside_build": statistics.median(outside) if outside else float("nan"),
                "seconds": statistics.median(r.seconds for r in rows),
                "min": min(r.seconds for r in rows),
                "max": max(r.seconds for r in rows),
                "cpu": statistics.median(r.cpu for r in rows),
                "built_in": statistics.median(built) if built else float("nan"),
                "runs": len(rows),
                "page_checks_run": statistics.median(r.page_checks_run for r in rows),
                "other_checks_run": max(r.other_checks_run for r in rows),
                "other_checks_cached": statistics.median(r.other_checks_cached for r in rows),
            }
    return out


#: Where a rebuild spends its time: (label, file suffix, function), by cumulative time.
PROFILE_ROWS = (
    ("whole build (mkdocs.commands.build.build)", "mkdocs/commands/build.py", "build"),
    ("hook on_files: verify all pages (edited page runs)", "hooks/verification.py", "on_files"),
    ("Markdown to HTML, all pages (_populate_page)", "mkdocs/commands/build.py", "_populate_page"),
    ("  of which Pygments highlighting", "pygments/__init__.py", "highlight"),
    (
        "  of which the hook's decoration (on_page_markdown)",
        "hooks/verification.py",
        "on_page_markdown",
    ),
    ("page templates, all pages (_build_page)", "mkdocs/commands/build.py", "_build_page"),
    (
        "  of which the search index (Material search plugin)",
        "material/plugins/search/plugin.py",
        "on_page_context",
    ),
    (
        "theme templates: sitemap, 404, search (_build_theme_template)",
        "mkdocs/commands/build.py",
        "_build_theme_template",
    ),
    ("hook on_post_build: verification.json", "hooks/verification.py", "on_post_build"),
)

_PROFILE_SCRIPT = """
import cProfile, json, pstats, shutil, sys, tempfile
from pathlib import Path
from mkdocs.__main__ import cli
rows = json.loads(sys.argv[1])
dirty = sys.argv[2] == "dirty"
page, edited = Path(sys.argv[3]), Path(sys.argv[4]).read_text()
out = tempfile.mkdtemp(prefix="bench-profile-")
if dirty:  # a first build fills the folder, as the first build of serve does
    cli(["build", "-q", "-d", out], standalone_mode=False)
page.write_text(edited)
profile = cProfile.Profile()
profile.enable()
try:
    cli(["build", "-q", "-d", out] + (["--dirty"] if dirty else []), standalone_mode=False)
finally:
    profile.disable()
stats = pstats.Stats(profile).stats
found = {}
for (filename, _, function), (_, _, _, cumulative, _) in stats.items():
    for label, suffix, name in rows:
        if function == name and filename.replace("\\\\", "/").endswith(suffix):
            found[label] = found.get(label, 0.0) + cumulative
print(json.dumps(found))
shutil.rmtree(out, ignore_errors=True)
"""


def profile_rebuild(
    repo: Path, *, page: str = EDITED_PAGE, dirty: bool = False, python: str | None = None
) -> dict[str, float]:
    """cProfile of one build in which ``page`` has an edited block and the rest is cached.

    The same work as one rebuild under ``mkdocs serve`` (``--dirty``: only the edited page is
    re-rendered). cProfile slows Python code, not the derivation process the hook waits for,
    so the shares are indicative. Returns cumulative seconds by row of PROFILE_ROWS.
    """
    python = python or site_python()
    path = repo / page
    original = path.read_text()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
        edited_path = Path(scratch) / "edited.md"
        edited_path.write_text(edited(original, f"profile-{time.time_ns()}"))
        rows = [[label, suffix, name] for label, suffix, name in PROFILE_ROWS]
        mode = "dirty" if dirty else "full"
        try:
            done = subprocess.run(
                [python, "-c", _PROFILE_SCRIPT, json.dumps(rows), mode, page, str(edited_path)],
                cwd=repo,
                env=environment(),
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            path.write_text(original)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


_PARTS_SCRIPT = """
import json, sys, tempfile, time
import mkdocs.commands.build as build
import mkdocs.plugins as plugins
from mkdocs.__main__ import cli

pages, parts = {}, {}

def timed(owner, name, key=None):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            if key is None:  # per page: the first argument is the page
                uri = args[0].file.src_uri
                pages[uri] = pages.get(uri, 0.0) + elapsed
            else:
                parts[key] = parts.get(key, 0.0) + elapsed

    setattr(owner, name, wrapper)

timed(build, "_populate_page")
timed(build, "_build_page")
timed(build, "build", "total")
timed(build, "_build_theme_template", "theme templates (sitemap, 404, search page)")
timed(plugins.PluginCollection, "on_files", "on_files (the hook verifies every page here)")
timed(plugins.PluginCollection, "on_post_build", "on_post_build (verification.json, search index)")
with tempfile.TemporaryDirectory(prefix="bench-parts-") as out:
    cli(["build", "-q", "-d", out], standalone_mode=False)
print(json.dumps({"parts": parts, "pages": pages}))
"""


def build_parts(repo: Path, mode: str, python: str | None = None) -> dict[str, Any]:
    """One in-process build (``off`` or ``warm``) timed by part, and each page's rendering.

    No profiler: the build's own functions are wrapped with timers. A page's time is its
    Markdown conversion plus its template (search indexing included).
    """
    python = python or site_python()
    env = environment(**({"DERIVATIONS_CHECKS": "off"} if mode == "off" else {}))
    done = subprocess.run(
        [python, "-c", _PARTS_SCRIPT],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def parts_medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median seconds per part and per page over several ``build_parts`` results."""
    out: dict[str, dict[str, float]] = {"parts": {}, "pages": {}}
    for group in ("parts", "pages"):
        keys = dict.fromkeys(k for r in runs for k in r[group])
        for key in keys:
            out[group][key] = statistics.median(r[group].get(key, 0.0) for r in runs)
    return out
