"""Run the benchmark suite and write BENCHMARKS.md.

    bash benchmarks/run                 # sets up .venv-bench (peers included), then runs this
    python -m benchmarks                # everything: sharpness, scaling, build, authoring
    python -m benchmarks --quick        # fewer seeds and repeats, to try the suite out
    python -m benchmarks --sections build authoring   # re-run some sections only
    python -m benchmarks --render       # re-write BENCHMARKS.md from the last run's data

Raw results go to .cache/benchmarks/results.json (merged section by section, so a partial
re-run keeps the other sections of the previous run; every section says when it ran).
"""

from __future__ import annotations

import os

# One BLAS thread, as derivation blocks get from the runner (set before NumPy loads); on a
# 2-core machine shared with other work, threaded BLAS on small arrays only adds noise. torch
# follows OMP_NUM_THREADS.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from . import machine, report, scaling, sharpness, website  # noqa: E402
from .sharpness import ROOT  # noqa: E402

SECTIONS = ("sharpness", "scaling", "build", "authoring")
RESULTS = ROOT / ".cache" / "benchmarks" / "results.json"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _stamp(data: dict[str, Any]) -> dict[str, Any]:
    return {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "load": machine.load(), **data}


def run_sharpness(args) -> dict[str, Any]:
    with_peers = not args.no_peers
    if with_peers:
        try:
            import jax  # noqa: F401
            import torch  # noqa: F401
        except ImportError as exc:
            raise SystemExit(
                f"{exc}: the peers are not installed. Run `bash benchmarks/run`, which installs "
                "benchmarks/requirements.txt into .venv-bench, or pass --no-peers."
            ) from None
    load_before = machine.load()
    summaries = sharpness.run(
        with_peers=with_peers,
        correct_seeds=args.correct_seeds,
        wrong_seeds=args.wrong_seeds,
        progress=log,
    )
    extra = {}
    try:
        import torch

        extra["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return _stamp(
        {
            "correct_seeds": args.correct_seeds,
            "wrong_seeds": args.wrong_seeds,
            "load_before": load_before,
            "checkers": [s.to_dict() for s in summaries],
            **extra,
        }
    )


def run_scaling(args) -> dict[str, Any]:
    load_before = machine.load()
    points = scaling.run(jacobian_limit=args.jacobian_limit, repeats=args.repeats, progress=log)
    return _stamp(
        {
            "load_before": load_before,
            "jacobian_limit": args.jacobian_limit,
            "points": [p.to_dict() for p in points],
        }
    )


def run_site(args, sections: list[str]) -> dict[str, dict[str, Any]]:
    python = args.site_python or website.site_python()
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-repo-") as scratch:
        repo = website.make_copy(Path(scratch), args.source)
        log(f"copied the repository ({args.source}) to {repo}")
        if "build" in sections:
            load_before = machine.load()
            runs = website.builds(repo, rounds=args.build_rounds, python=python, progress=log)
            pages = website.page_runs(repo, repeats=args.build_rounds, python=python)
            log("ran every page's derivations alone")
            parts: dict[str, list] = {"off": [], "warm": []}
            for _ in range(args.build_rounds):
                for mode in parts:
                    parts[mode].append(website.build_parts(repo, mode, python))
            log("timed the parts of the builds with checks off and warm")
            out["build"] = _stamp(
                {
                    "load_before": load_before,
                    "source": args.source,
                    "python": python,
                    "runs": [r.to_dict() for r in runs],
                    "medians": website.build_medians(runs),
                    "pages": website.page_medians(pages),
                    "parts": {mode: website.parts_medians(rows) for mode, rows in parts.items()},
                }
            )
        if "authoring" in sections:
            load_before = machine.load()
            if "build" not in sections:
                website.build_once(repo, "cold", python)  # fill the cache, as a first serve would
            page = website.page_runs(
                repo, pages=[website.EDITED_PAGE], repeats=args.edits, python=python
            )
            log(f"the edited page alone: {[round(r['seconds'], 3) for r in page]} s")
            profiles = {
                "full": website.profile_rebuild(repo, python=python),
                "dirty": website.profile_rebuild(repo, python=python, dirty=True),
            }
            log("profiled one rebuild (full and --dirty)")
            runs = website.authoring(repo, edits=args.edits, python=python, progress=log)
            out["authoring"] = _stamp(
                {
                    "load_before": load_before,
                    "source": args.source,
                    "python": python,
                    "page": website.EDITED_PAGE,
                    "runs": [r.to_dict() for r in runs],
                    "medians": website.authoring_medians(runs),
                    "page_runs": page,
                    "profiles": profiles,
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="few seeds and repeats")
    parser.add_argument("--no-peers", action="store_true", help="derivations.check only")
    parser.add_argument("--render", action="store_true", help="only re-write the report")
    parser.add_argument("--correct-seeds", type=int, default=200)
    parser.add_argument("--wrong-seeds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5, help="runs per scaling point")
    parser.add_argument("--jacobian-limit", type=int, default=10_000)
    parser.add_argument("--build-rounds", type=int, default=7)
    parser.add_argument("--edits", type=int, default=7, help="timed saves per serve variant")
    parser.add_argument(
        "--source", default="worktree", help="what to build: worktree (default) or a git commit"
    )
    parser.add_argument("--site-python", help="interpreter for MkDocs (default: .venv's)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.correct_seeds, args.wrong_seeds = 10, 3
        args.repeats, args.jacobian_limit = 2, 1_000
        args.build_rounds, args.edits = 2, 2

    results: dict[str, Any] = {}
    if args.results.exists():
        results = json.loads(args.results.read_text())
    if not args.render:
        results["machine"] = machine.describe(args.site_python or website.site_python())
        results["quick"] = args.quick
        if "sharpness" in args.sections:
            log("1. sharpness and cost on the catalogue")
            results["sharpness"] = run_sharpness(args)
        if "scaling" in args.sections:
            log("2. scaling with the input size")
            results["scaling"] = run_scaling(args)
        site_sections = [s for s in args.sections if s in ("build", "authoring")]
        if site_sections:
            log("3./4. the site: builds and the authoring loop")
            results.update(run_site(args, site_sections))
        results["machine"]["load_at_end"] = machine.load()
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=1))
        log(f"raw results in {args.results}")
    args.output.write_text(report.render(results))
    log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
