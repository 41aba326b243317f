"""MkDocs hook: verify every derivation block of the site and show the verdicts on the pages.

A thin adapter over ``derivations``: it runs all pages' blocks once per build (in
``on_files``, in parallel, cached), cross-checks each rendered page against what
ran (the renderer, not a second parser, decides what a derivation block is),
decorates the page's HTML with verification marks, notes and failure admonitions,
writes ``verification.json``, and fails ``mkdocs build`` with every problem as
``docs/<page>.md:<line>: ...``. Under ``mkdocs serve`` failures show in the page and
in the terminal instead.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from derivations.blocks import BlockFinder, ParsedPage, Problem
from derivations.cache import OutcomeCache, environment_fingerprint
from derivations.pages import PageVerification, unverified_page, verify_page
from derivations.rendering import RenderedBlock, rendered_disagreements
from derivations.runner import DEFAULT_MEMORY_GIB, DEFAULT_TIMEOUT
from derivations_mkdocs import fence as verification_fence
from derivations_mkdocs import slots
from derivations_mkdocs.fence import Comment
from derivations_mkdocs.marks import decorations
from derivations_mkdocs.report import (
    REPORT_PAGE,
    RESULT_CLASS,
    SUMMARY_PLACEHOLDER,
    fill_results,
    report_markdown,
    report_slot_names,
    report_slots,
    summarise,
    summary_html,
)

log = logging.getLogger("mkdocs.hooks.verification")

RERUN_VARIABLE = "DERIVATIONS_RERUN"
SWITCH_VARIABLE = "DERIVATIONS_CHECKS"
SETTINGS = {
    "timeout": "seconds allowed to one derivation block",
    "memory": "GiB a page process may use",
    "checks": "true or false",
}


@dataclass
class _Rendered:
    """What the renderer put on a page: its comments as converted, and its derivation blocks."""

    found: list[Comment]
    shown: list[RenderedBlock]
    originals: list[str]
    slots: list[str]
    compared: bool = False


class _State:
    command = "build"
    dirty = False
    cache: OutcomeCache | None = None
    finder: BlockFinder | None = None
    futures: dict[str, Future] = {}
    settled: dict[str, PageVerification] | None = None
    sources: dict[str, tuple[str, int]] = {}
    signatures: dict[str, tuple] = {}
    report_order: tuple[list[str], dict[str, str]] = ([], {})
    rendered: dict[str, _Rendered] = {}
    parsed: dict[str, Future] = {}
    report_listed: list[str] = []
    unfilled: list[tuple[str, str]] = []  # (written page, its URL) whose totals wait for the end
    enabled = True


_state = _State()


def on_startup(command: str, dirty: bool) -> None:
    _state.command, _state.dirty = command, dirty


def on_config(config) -> None:
    """Reject a malformed ``extra.derivations`` at once, and let the renderer report its blocks."""
    _settings(config)
    names = [e if isinstance(e, str) else type(e).__module__ for e in config.markdown_extensions]
    for needed in ("attr_list", "pymdownx.superfences"):
        if not any(name == needed or name.endswith("." + needed) for name in names):
            raise PluginError(f"mkdocs.yml: derivation blocks need the {needed} extension")
    superfences = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = superfences.setdefault("custom_fences", [])
    if any(f.get("name") == "*" and f is not verification_fence.FENCE for f in fences):
        raise PluginError(
            "mkdocs.yml: a custom fence named '*' is configured; the derivation hook needs "
            "that name to see every fence the renderer formats"
        )
    if verification_fence.FENCE not in fences:
        fences.append(verification_fence.FENCE)
    _state.finder = BlockFinder(config.markdown_extensions, config.mdx_configs)


def _settings(config) -> dict:
    settings = config.extra.get("derivations") or {}
    if not isinstance(settings, dict):
        raise PluginError(
            "mkdocs.yml: extra.derivations must be a mapping (timeout, memory, checks)"
        )
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        known = "; ".join(f"{k} ({v})" for k, v in SETTINGS.items())
        raise PluginError(
            f"mkdocs.yml: extra.derivations has unknown keys {unknown}; known: {known}"
        )
    for key in ("timeout", "memory"):
        value = settings.get(key, 1)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not value > 0
        ):
            raise PluginError(
                f"mkdocs.yml: extra.derivations.{key} must be a finite positive number "
                f"({SETTINGS[key]}), not {value!r}"
            )
    if not isinstance(settings.get("checks", True), bool):
        checks = settings["checks"]
        raise PluginError(
            f"mkdocs.yml: extra.derivations.checks must be true or false, not {checks!r}"
        )
    return settings


def on_files(files: Files, config) -> Files:
    settings = _settings(config)
    root = Path(config.config_file_path).resolve().parent
    pages = [f for f in files.documentation_pages() if not f.generated_by]
    if _state.cache is None:
        _state.cache = OutcomeCache(root / ".cache" / "derivations")
    _state.sources = {f.src_uri: _body(f.content_string) for f in pages}

    # Start every page's derivation blocks (or recall them), once per build. A build converts
    # and lays out the pages while they run, and waits for a page's verdict only when it
    # writes that page (the home page's totals, if need be, at the very end); serve waits
    # for all at once, to log them and to know which verdicts changed.
    _state.enabled = settings.get("checks", True) and os.environ.get(SWITCH_VARIABLE) != "off"
    if _state.enabled:
        _state.futures = _start(pages, root, config, settings)
    else:
        _state.futures = _skip(pages, root)
    _state.settled = None
    _state.rendered, _state.unfilled = {}, []
    if _state.command == "serve":
        for verification in _all_pages().values():
            for problem in verification.problems:
                log.error(problem.located(verification.path))

    files.append(_report_file(config, pages))
    if _state.dirty:
        _rerender_changed_verdicts(pages, config)
    return files


def _page(src_uri: str) -> PageVerification | None:
    """One page's verification, once it is known."""
    future = _state.futures.get(src_uri)
    return future.result() if future is not None else None


def _all_pages() -> dict[str, PageVerification]:
    """Every page's verification (waiting for all), with the site-wide rules applied once, and
    each page converted so far compared with what it shows."""
    if _state.settled is None:
        _state.settled = {src: future.result() for src, future in _state.futures.items()}
        _unique_names(_state.settled)
    for src in _state.rendered:
        _compared(src)
    return _state.settled


def _body(content: str) -> tuple[str, int]:
    """The Markdown MkDocs renders (front matter removed) and the file line it starts on."""
    body, _ = get_data(content)
    if not content.endswith(body):
        return content, 1
    return body, content[: len(content) - len(body)].count("\n") + 1


def _skip(pages: list[File], root: Path) -> dict[str, Future]:
    # Printed rather than logged: it must be seen, but it must not fail a --strict build
    # that was asked, on purpose, to skip the checks.
    print(
        f"WARNING: DERIVATION CHECKS ARE OFF ({SWITCH_VARIABLE}=off or "
        "extra.derivations.checks: false): no formula on this site is verified in this build",
        file=sys.stderr,
    )
    skipped = {}
    for f in pages:
        body, first_line = _state.sources[f.src_uri]
        parsed = _state.finder.parse(body, first_line)
        page = unverified_page(_display_path(f, root), body, first_line=first_line, parsed=parsed)
        skipped[f.src_uri], _state.parsed[f.src_uri] = _done(page), _done(parsed)
    return skipped


def _done(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _report_file(config, pages: list[File]) -> File:
    """The verification report as a generated page, its sections in series order.

    Its body is written when it is converted, last, with slots for what the verdicts fill
    in (see ``on_page_markdown``); here it gets its front matter.
    """
    meta = {f.src_uri: get_data(f.content_string)[1] for f in pages}
    titles = {src: data.get("title", src) for src, data in meta.items()}
    order = sorted(meta, key=lambda src: (meta[src].get("order", float("inf")), src))
    _state.report_order = (order, titles)
    return File.generated(config, REPORT_PAGE, content=report_markdown([], titles))


def _start(pages: list[File], root: Path, config, settings: dict) -> dict[str, Future]:
    fingerprint = environment_fingerprint()
    rerun = os.environ.get(RERUN_VARIABLE, "") not in ("", "0")

    def parse(file: File) -> ParsedPage:
        return _state.finder.parse(*_state.sources[file.src_uri])

    def one(file: File) -> PageVerification:
        body, first_line = _state.sources[file.src_uri]
        return verify_page(
            _display_path(file, root),
            body,
            first_line=first_line,
            cwd=root,
            timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
            memory_gib=float(settings.get("memory", DEFAULT_MEMORY_GIB)),
            docs_dir=Path(config.docs_dir),
            cache=_state.cache,
            fingerprint=fingerprint,
            rerun=rerun,
            parsed=_state.parsed[file.src_uri].result(),
        )

    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
    # Every page is read first (quick), so that the report can be laid out early.
    _state.parsed = {f.src_uri: pool.submit(parse, f) for f in pages}
    futures = {f.src_uri: pool.submit(one, f) for f in pages}
    pool.shutdown(wait=False)  # the pool ends when its pages are done
    return futures


def _unique_names(pages: dict[str, PageVerification]) -> None:
    """A result name belongs to one page of the site: marks and report rows depend on it."""
    first: dict[str, tuple[str, int]] = {}
    for verification in pages.values():
        for marker in verification.results:
            if marker.name in first:
                path, line = first[marker.name]
                verification.problems.append(
                    Problem(
                        marker.line,
                        f"result {marker.name!r} is already marked at {path}:{line}: "
                        "result names are unique on the site",
                    )
                )
                verification.proofs.pop(marker.name, None)
            else:
                first[marker.name] = (verification.path, marker.line)


def _rerender_changed_verdicts(pages: list[File], config) -> None:
    """Under ``serve --dirty`` MkDocs renders only edited pages: add those whose verdict changed."""
    pages_now = _all_pages()
    signatures = {src: _signature(v) for src, v in pages_now.items()}
    summary = summarise(pages_now, enabled=_state.enabled)
    signatures["__summary__"] = tuple(sorted(summary.items()))
    for file in pages:
        changed = signatures.get(file.src_uri) != _state.signatures.get(file.src_uri)
        if file.src_uri == "index.md":
            changed = changed or signatures["__summary__"] != _state.signatures.get("__summary__")
        if changed and _state.signatures and os.path.exists(file.abs_dest_path):
            os.remove(file.abs_dest_path)  # in site_dir: MkDocs then counts the page as modified
    _state.signatures = signatures


def _signature(verification: PageVerification) -> tuple:
    return (
        tuple(p.located(verification.path) for p in verification.problems),
        tuple(sorted(verification.proofs)),
        tuple(o.status for o in verification.outcomes),
    )


def _display_path(file: File, root: Path) -> str:
    """How messages name a page: relative to the folder of mkdocs.yml, e.g. docs/posts/x.md."""
    return Path(os.path.relpath(file.abs_src_path, root)).as_posix()


def on_page_markdown(markdown: str, page: Page, config, files: Files) -> str:
    """The report is laid out from what the pages hold; its verdicts come in later."""
    if page.file.src_uri != REPORT_PAGE:
        return markdown
    order, titles = _state.report_order
    root = Path(config.config_file_path).resolve().parent
    parsed = {src: _state.parsed[src].result() for src in order if src in _state.parsed}
    _state.report_listed = [src for src, p in parsed.items() if p.results or p.blocks]
    return get_data(report_markdown(_state.report_listed, titles, root=root))[0]


def on_pre_page(page: Page, config, files: Files) -> Page:
    verification_fence.begin_page()
    return page


def on_page_content(html: str, page: Page, config, files: Files) -> str:
    """Read what the renderer put on the page, and hold the places of its verdicts.

    The page goes on through the build while its checks may still run; its verdicts are
    put in (``on_page_context``) when MkDocs is about to write it.
    """
    src = page.file.src_uri
    if src not in _state.futures:
        return html
    found = verification_fence.comments(html, _state.cache)
    shown = verification_fence.shown_blocks(found)  # of this page: read before the next one
    originals = [html[c.start : c.end] for c in found]
    slotted, names = slots.comment_slots(html, found)
    _state.rendered[src] = _Rendered(found, shown, originals, names)
    return slotted


def _compared(src: str) -> PageVerification:
    """The page's verification, once it has been compared with what the page shows."""
    verification = _page(src)
    rendered = _state.rendered.get(src)
    if rendered is None or rendered.compared or not _state.enabled:
        return verification
    rendered.compared = True
    body, first_line = _state.sources[src]
    texts = [c.text for c in rendered.found]
    problems = rendered_disagreements(verification, rendered.shown, texts, body, first_line)
    if problems:
        verification.fail_everything(problems)
        if _state.command == "serve":
            for problem in problems:
                log.error(problem.located(verification.path))
    return verification


@event_priority(100)  # before reader_html and the search plugin read the page
def on_page_context(context, page: Page, config, nav):
    """Put the verdicts on the page: marks, notes and failure boxes in their places."""
    src = page.file.src_uri
    if src == REPORT_PAGE:
        listed = _state.report_listed
        filled = report_slots(listed, _all_pages(), enabled=_state.enabled)
        page.content = _filled(REPORT_PAGE, page.content, report_slot_names(listed), filled)
        return context
    rendered = _state.rendered.get(src)
    if rendered is None:
        return context
    verification = _compared(src)
    before, replacements = decorations(
        rendered.found, verification, page.url, enabled=_state.enabled
    )
    with_ = {
        name: replacements.get(int(name), rendered.originals[int(name)]) for name in rendered.slots
    }
    page.content = before + _filled(verification.path, page.content, rendered.slots, with_)
    # MkDocs collected the page's anchors before the marks existed: add theirs, so that
    # links to a result (#result-name) are validated like any other.
    anchors = getattr(page, "present_anchor_ids", None)
    if anchors is not None:
        anchors.update(f"result-{m.name}" for m in verification.results)
        anchors.update(f"check-{b.index + 1}" for b in verification.blocks)
    return context


def _filled(path: str, html: str, names: list[str], with_: dict[str, str]) -> str:
    try:
        return slots.fill(html, names, with_)
    except slots.LostSlot as lost:
        raise PluginError(f"{path}: {lost}") from None


def on_post_page(output: str, page: Page, config) -> str:
    """The build's totals and verdicts where a page asked for them (the home page): now if all
    are known, else once the build has written every page (``on_post_build``)."""
    if SUMMARY_PLACEHOLDER not in output and RESULT_CLASS not in output:
        return output
    if not all(future.done() for future in _state.futures.values()):
        _state.unfilled.append((page.file.abs_dest_path, page.url))
        return output
    return _with_totals(output, page.url)


def _with_totals(output: str, page_url: str) -> str:
    if SUMMARY_PLACEHOLDER in output:
        summary = summarise(_all_pages(), enabled=_state.enabled)
        output = output.replace(SUMMARY_PLACEHOLDER, summary_html(summary, page_url))
    if RESULT_CLASS in output:
        output = fill_results(output, _all_pages(), page_url)
    return output


def _one_record_a_line(report: dict) -> str:
    """The report as JSON with a line per result and per check: readable, and written by the
    C encoder (an indented dump goes through the pure-Python one, 0.2 s for this site)."""
    parts = []
    for key, value in report.items():
        if isinstance(value, list):
            rows = ",\n  ".join(json.dumps(row) for row in value)
            parts.append(
                f"{json.dumps(key)}: [\n  {rows}\n ]" if value else f"{json.dumps(key)}: []"
            )
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n " + ",\n ".join(parts) + "\n}\n"


def on_post_build(config) -> None:
    pages = _all_pages()
    for written, page_url in _state.unfilled:
        html = Path(written).read_text(encoding="utf-8")
        Path(written).write_text(_with_totals(html, page_url), encoding="utf-8")
    records = [r for v in pages.values() for r in v.records()]
    results = [r for v in pages.values() for r in v.result_records()]
    summary = summarise(pages, enabled=_state.enabled)
    report = {"summary": summary, "results": results, "checks": records}
    Path(config.site_dir, "verification.json").write_text(_one_record_a_line(report))
    problems = [p.located(v.path) for v in pages.values() for p in v.problems]
    if problems and _state.command != "serve":
        count = f"{len(problems)} derivation problem{'s' if len(problems) > 1 else ''}"
        raise PluginError(f"{count}:\n" + "\n".join(problems))
