"""Where one rebuild under ``mkdocs serve`` spends its time: cProfile of an in-process build.

One page's last block changed, everything else is cached: the work of one save (``dirty``:
only that page is re-rendered, as under ``mkdocs serve --dirty``). cProfile slows Python code,
not the derivation process the hook waits for, so the shares are indicative.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .copies import environment, tagged

#: (label, file suffix, function): the rows of the report, by cumulative time.
ROWS = (
    ("whole build (mkdocs.commands.build.build)", "mkdocs/commands/build.py", "build"),
    ("hook on_files: verify all pages (edited page runs)", "hooks/verification.py", "on_files"),
    ("Markdown to HTML, all pages (_populate_page)", "mkdocs/commands/build.py", "_populate_page"),
    ("  of which Pygments highlighting", "pygments/__init__.py", "highlight"),
    ("  of which the hook's decoration (on_page_markdown)", "hooks/verification.py",
     "on_page_markdown"),
    ("page templates, all pages (_build_page)", "mkdocs/commands/build.py", "_build_page"),
    ("  of which the search index (Material search plugin)", "material/plugins/search/plugin.py",
     "on_page_context"),
    ("theme templates: sitemap, 404, search (_build_theme_template)", "mkdocs/commands/build.py",
     "_build_theme_template"),
    ("hook on_post_build: verification.json", "hooks/verification.py", "on_post_build"),
)  # fmt: skip

_SCRIPT = """
import cProfile, json, pstats, shutil, sys, tempfile
from pathlib import Path
from mkdocs.__main__ import cli
rows, dirty = json.loads(sys.argv[1]), sys.argv[2] == "True"
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
found = {}
for (filename, _, function), (_, _, _, cumulative, _) in pstats.Stats(profile).stats.items():
    for label, suffix, name in rows:
        if function == name and filename.replace("\\\\", "/").endswith(suffix):
            found[label] = found.get(label, 0.0) + cumulative
print(json.dumps(found))
shutil.rmtree(out, ignore_errors=True)
"""


def profile(repo: Path, page: str, python: str, dirty: bool) -> dict[str, float]:
    """Cumulative seconds of one rebuild by row of ROWS; the page is restored afterwards."""
    original = (repo / page).read_text()
    edited = repo.parent / "edited.md"
    edited.write_text(tagged(original, f"profile {time.time_ns()}", last_only=True))
    command = [python, "-c", _SCRIPT, json.dumps(ROWS), str(dirty), page, str(edited)]
    try:
        done = subprocess.run(command, cwd=repo, env=environment(), capture_output=True, text=True)
    finally:
        (repo / page).write_text(original)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])
