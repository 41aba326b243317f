"""The sections of the suite, what each runs, and the command line of ``python -m benchmarks``.

Raw results go to .cache/benchmarks/results.json, merged section by section, so a partial
re-run keeps the other sections of the previous run (each section says when it ran).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from . import (
    ROOT,
    builds,
    copies,
    frameworks,
    log,
    machine,
    pages,
    rebuild,
    report,
    scaling,
    serve,
    sharpness,
)


def _sharpness(args: argparse.Namespace, repo: None) -> dict:
    specs, extra = [sharpness.DERIVATIONS], {}
    if not args.no_peers:
        try:
            import torch

            from .peers import SPECS
        except ImportError as exc:
            sys.exit(f"{exc}: run `bash benchmarks/run` (it installs the peers) or pass --no-peers")
        specs += [spec for spec in SPECS if args.peers is None or spec.name in args.peers]
        extra["torch_threads"] = torch.get_num_threads()
    seeds = {"correct_seeds": range(args.correct_seeds), "wrong_seeds": range(args.wrong_seeds)}
    checkers = [sharpness.measure(spec, **seeds, progress=log) for spec in specs]
    counts = {"correct_seeds": args.correct_seeds, "wrong_seeds": args.wrong_seeds}
    return {**counts, **extra, "checkers": checkers}


def _scaling(args: argparse.Namespace, repo: None) -> dict:
    return scaling.run(jacobian_limit=args.jacobian_limit, repeats=args.repeats, progress=log)


def _build(args: argparse.Namespace, repo: Path) -> dict:
    python, rounds = args.site_python, args.build_rounds
    data = builds.builds(repo, rounds=rounds, python=python, progress=log)
    data["pages"] = pages.page_medians(pages.page_runs(repo, python=python, repeats=rounds))
    log("ran every page's derivations alone")
    data["parts"] = builds.parts(repo, rounds=rounds, python=python)
    log("timed the parts of the builds with checks off and warm")
    return data


def _large(args: argparse.Namespace, repo: Path) -> dict:
    large = repo.parent / "large"
    shutil.copytree(repo, large)
    copies.grow(large, args.posts)
    log(f"generated a copy of the site with {args.posts} posts")
    data = builds.builds(large, rounds=args.build_rounds, python=args.site_python, progress=log)
    shutil.rmtree(large)
    return {"posts": args.posts, **data}


def _authoring(args: argparse.Namespace, repo: Path) -> dict:
    python = args.site_python
    builds.build_once(repo, "warm", python)  # fills the cache unless a build already has
    runs = pages.page_runs(repo, python=python, repeats=args.edits, pages=[serve.PAGE])
    log(f"the edited page alone: {[round(r['seconds'], 3) for r in runs]} s")
    profiles = {
        m: rebuild.profile(repo, serve.PAGE, python, m == "dirty") for m in ("full", "dirty")
    }
    log("profiled one rebuild (full and --dirty)")
    data = serve.authoring(repo, edits=args.edits, python=python, progress=log)
    return {"page": serve.PAGE, "page_runs": runs, "profiles": profiles, **data}


def _frameworks(args: argparse.Namespace, repo: None) -> dict:
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        sys.exit(f"{exc}: the comparison with PyTorch runs in `bash benchmarks/run`'s venv")
    return frameworks.run(progress=log)


RUNNERS = {"sharpness": _sharpness, "scaling": _scaling, "frameworks": _frameworks}
RUNNERS["build"] = _build
RUNNERS.update(large=_large, authoring=_authoring)  # the site sections need a copy of it


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        "python -m benchmarks", description="Run the benchmark suite and write BENCHMARKS.md."
    )
    add = parser.add_argument
    add("--sections", nargs="+", choices=RUNNERS, default=list(RUNNERS))
    add("--quick", action="store_true", help="few seeds, repeats and posts, to try it out")
    add("--no-peers", action="store_true", help="derivations.check only, without torch and jax")
    add(
        "--peers",
        nargs="+",
        choices=("gradcheck", "gradcheck-fast", "check_grads"),
        help="only these peers (all three by default)",
    )
    add("--render", action="store_true", help="only re-write the report from the results")
    add("--correct-seeds", type=int, default=200)
    add("--wrong-seeds", type=int, default=20)
    add("--repeats", type=int, default=5, help="runs per scaling point")
    add("--jacobian-limit", type=int, default=10_000)
    add("--build-rounds", type=int, default=7)
    add("--posts", type=int, default=90, help="posts of the generated site (section large)")
    add("--edits", type=int, default=7, help="timed saves per serve variant")
    add("--source", default="worktree", help="what the site sections build: worktree or a commit")
    add("--site-python", default=copies.site_python(), help="the interpreter MkDocs runs under")
    add("--results", type=Path, default=ROOT / ".cache" / "benchmarks" / "results.json")
    add("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.correct_seeds, args.wrong_seeds, args.repeats, args.jacobian_limit = 10, 3, 2, 1_000
        args.build_rounds, args.edits, args.posts = 2, 2, 27
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    if not args.render:
        results.update(machine=machine.describe(args.site_python), quick=args.quick)
        with tempfile.TemporaryDirectory(prefix="bench-repo-") as scratch:
            repo = None
            for name in (name for name in RUNNERS if name in args.sections):
                if repo is None and name in ("build", "large", "authoring"):
                    repo = copies.make_copy(Path(scratch), args.source)
                log(f"section {name}")
                site = {"source": args.source, "python": args.site_python} if repo else {}
                data = {"load_before": machine.load(), **site, **RUNNERS[name](args, repo)}
                results[name] = machine.stamp(data)
        results["machine"]["load_at_end"] = machine.load()
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1))
        log(f"raw results in {args.results}")
    args.output.write_text(report.render(results))
    log(f"wrote {args.output}")
    return 0
