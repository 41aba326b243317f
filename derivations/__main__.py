"""Verify the derivation blocks of Markdown pages from the command line.

    python -m derivations docs/*.md

Prints every problem as ``path:line: message`` and exits with 1 if there is any.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .pages import verify_page
from .runner import DEFAULT_TIMEOUT
from .source import read_page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m derivations", description=__doc__.split("\n")[0]
    )
    parser.add_argument("pages", nargs="+", type=Path, help="Markdown files")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds allowed per derivation block (default %(default)s)",
    )
    args = parser.parse_args(argv)
    failed = False
    for page in args.pages:
        source = read_page(page)
        result = verify_page(
            str(page), source.body, first_line=source.first_line, timeout=args.timeout
        )
        checks = sum(len(o.reports) for o in result.outcomes)
        for problem in result.problems:
            print(problem.located(str(page)), file=sys.stderr)
        status = "FAILED" if result.problems else "ok"
        print(
            f"{page}: {len(result.blocks)} blocks, {checks} checks, "
            f"{len(result.verified)}/{len(result.results)} results verified: {status}"
        )
        failed = failed or bool(result.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
