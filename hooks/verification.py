"""MkDocs hook: verify every derivation block of the site and show the verdicts on the pages.

A thin adapter over ``derivations.pages``: it runs all pages' blocks once per build
(in ``on_files``, in parallel, cached), decorates each page's Markdown with
verification marks, notes and failure admonitions, writes ``verification.json``,
and fails ``mkdocs build`` with every problem as ``docs/<page>.md:<line>: ...``.
Under ``mkdocs serve`` failures show in the page and in the terminal instead.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derivations.cache import OutcomeCache, environment_fingerprint  # noqa: E402
from derivations.pages import PageVerification, unverified_page, verify_page  # noqa: E402
from derivations.runner import DEFAULT_TIMEOUT  # noqa: E402

sys.path.pop(0)

from verification_marks import decorate_markdown  # noqa: E402  (hooks/ is on sys.path)
from verification_report import REPORT_PAGE, report_markdown, summarise  # noqa: E402

log = logging.getLogger("mkdocs.hooks.verification")

RERUN_VARIABLE = "DERIVATIONS_RERUN"
SWITCH_VARIABLE = "DERIVATIONS_CHECKS"


class _State:
    command = "build"
    cache: OutcomeCache | None = None
    pages: dict[str, PageVerification] = {}
    enabled = True


_state = _State()


def on_startup(command: str, dirty: bool) -> None:
    _state.command = command


def on_config(config) -> None:
    """Reject a malformed ``extra.derivations`` at once, before anything runs."""
    settings = config.extra.get("derivations") or {}
    if not isinstance(settings, dict):
        raise PluginError("mkdocs.yml: extra.derivations must be a mapping (timeout, checks)")
    unknown = sorted(set(settings) - {"timeout", "checks"})
    if unknown:
        raise PluginError(
            f"mkdocs.yml: extra.derivations has unknown keys {unknown}; "
            "known: timeout (seconds per block), checks (true or false)"
        )
    timeout = settings.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise PluginError(
            "mkdocs.yml: extra.derivations.timeout must be a positive number of "
            f"seconds, not {timeout!r}"
        )
    if not isinstance(settings.get("checks", True), bool):
        raise PluginError(
            "mkdocs.yml: extra.derivations.checks must be true or false, "
            f"not {settings['checks']!r}"
        )


def on_files(files: Files, config) -> Files:
    settings = config.extra.get("derivations") or {}
    root = Path(config.config_file_path).resolve().parent
    pages = [f for f in files.documentation_pages() if not f.generated_by]
    if _state.cache is None:
        _state.cache = OutcomeCache(root / ".cache" / "derivations")

    # Run (or recall) every page's derivation blocks, once per build.
    _state.enabled = settings.get("checks", True) and os.environ.get(SWITCH_VARIABLE) != "off"
    if _state.enabled:
        _state.pages = _verify(pages, root, float(settings.get("timeout", DEFAULT_TIMEOUT)))
    else:
        _state.pages = _skip(pages, root)

    # Publish the totals (the home page shows them) and add the report page.
    config.extra["verification"] = summarise(_state.pages, enabled=_state.enabled)
    files.append(_report_file(config, pages, root))
    return files


def _skip(pages: list[File], root: Path) -> dict[str, PageVerification]:
    # Printed rather than logged: it must be seen, but it must not fail a --strict build
    # that was asked, on purpose, to skip the checks.
    print(
        f"WARNING: DERIVATION CHECKS ARE OFF ({SWITCH_VARIABLE}=off or "
        "extra.derivations.checks: false): no formula on this site is verified in this build",
        file=sys.stderr,
    )
    return {f.src_uri: unverified_page(_display_path(f, root), f.content_string) for f in pages}


def _report_file(config, pages: list[File], root: Path) -> File:
    """The verification report as a generated page, its sections in series order."""
    meta = {f.src_uri: get_data(f.content_string)[1] for f in pages}
    titles = {src: data.get("title", src) for src, data in meta.items()}
    ordered = dict(
        sorted(
            _state.pages.items(),
            key=lambda item: (meta[item[0]].get("order", float("inf")), item[0]),
        )
    )
    content = report_markdown(ordered, titles, enabled=_state.enabled, root=root)
    return File.generated(config, REPORT_PAGE, content=content)


def _verify(pages: list[File], root: Path, timeout: float) -> dict[str, PageVerification]:
    fingerprint = environment_fingerprint()
    rerun = os.environ.get(RERUN_VARIABLE, "") not in ("", "0")

    def one(file: File) -> PageVerification:
        return verify_page(
            _display_path(file, root),
            file.content_string,
            cwd=root,
            timeout=timeout,
            cache=_state.cache,
            fingerprint=fingerprint,
            rerun=rerun,
        )

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip((f.src_uri for f in pages), pool.map(one, pages), strict=True))
    for verification in results.values():
        if _state.command == "serve":
            for problem in verification.problems:
                log.error(problem.located(verification.path))
    return results


def _display_path(file: File, root: Path) -> str:
    """How messages name a page: relative to the folder of mkdocs.yml, e.g. docs/posts/x.md."""
    return Path(os.path.relpath(file.abs_src_path, root)).as_posix()


def on_page_markdown(markdown: str, page: Page, config, files: Files) -> str:
    verification = _state.pages.get(page.file.src_uri)
    if verification is None:
        return markdown
    return decorate_markdown(markdown, verification, page.url, enabled=_state.enabled)


def on_post_build(config) -> None:
    records = [r for v in _state.pages.values() for r in v.records()]
    report = {"summary": config.extra["verification"], "checks": records}
    Path(config.site_dir, "verification.json").write_text(json.dumps(report, indent=1))
    problems = [p.located(v.path) for v in _state.pages.values() for p in v.problems]
    if problems and _state.command != "serve":
        count = f"{len(problems)} derivation problem{'s' if len(problems) > 1 else ''}"
        raise PluginError(f"{count}:\n" + "\n".join(problems))
