"""What a block may not do: see secrets, exhaust memory, change the docs, outlive the build."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from derivations.cache import OutcomeCache
from derivations.pages import verify_page

ROOT = Path(__file__).resolve().parent.parent
HEADER = "```{.python .derivation}\nimport numpy as np\nfrom derivations import check\n"
SINE = "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=(2, 3))\n```\n"


def verify(tmp_path, body, **options):
    (tmp_path / "docs").mkdir(exist_ok=True)
    options.setdefault("timeout", 20)
    options.setdefault("docs_dir", tmp_path / "docs")
    text = HEADER + textwrap.dedent(body) + SINE
    return verify_page("docs/p.md", text, cwd=tmp_path, **options)


def messages(result):
    return [p.located(result.path) for p in result.problems]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def wait_until_dead(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_block_sees_no_secret_of_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CI_DEPLOY_TOKEN", "hunter2")
    result = verify(tmp_path, "import os\nassert 'CI_DEPLOY_TOKEN' not in os.environ\n")
    assert result.problems == []


def test_a_block_still_sees_the_path_and_home(tmp_path):
    result = verify(tmp_path, "import os\nassert os.environ['PATH'] and os.environ['HOME']\n")
    assert result.problems == []


def test_memory_beyond_the_limit_is_a_clear_error(tmp_path):
    result = verify(tmp_path, "hog = np.ones(2**28)\n", memory_gib=1)
    (message,) = messages(result)
    assert message.startswith("docs/p.md:4: ") and "Unable to allocate 2.00 GiB" in message
    assert "a page process may use 1 GiB: extra.derivations.memory" in message


@pytest.mark.parametrize(
    "change",
    [
        "open('docs/x.md', 'w').write('hi')",
        "open('docs/p.md', 'a').write('more')",
        "import os; os.remove('docs/p.md')",
        "import os; os.rename('docs/p.md', 'docs/q.md')",
        "import pathlib; pathlib.Path('docs/new').mkdir()",
        "import shutil; shutil.rmtree('docs')",
        "import os; os.open('docs/y.md', os.O_WRONLY | os.O_CREAT)",
    ],
    ids=["write", "append", "remove", "rename", "mkdir", "rmtree", "os.open"],
)
def test_a_block_may_not_change_the_docs_folder(tmp_path, change):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text("the page")
    result = verify(tmp_path, change + "\n")
    (message,) = messages(result)
    assert message.startswith("docs/p.md:4: PermissionError: a derivation block may not change")
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["p.md"]
    assert (tmp_path / "docs" / "p.md").read_text() == "the page"


def test_a_block_may_write_outside_the_docs_folder(tmp_path):
    result = verify(tmp_path, "open('scratch.txt', 'w').write('ok')\n")
    assert result.problems == [] and (tmp_path / "scratch.txt").read_text() == "ok"


def test_a_process_that_escaped_with_setsid_dies_with_its_page(tmp_path):
    pid_file = tmp_path / "escaped.pid"
    body = f"""
    import subprocess
    p = subprocess.Popen(["setsid", "sh", "-c", "echo $$ > {pid_file}; exec sleep 300"])
    import time
    while not __import__("os").path.exists("{pid_file}") or not open("{pid_file}").read():
        time.sleep(0.01)
    """
    assert verify(tmp_path, body).problems == []
    pid = int(pid_file.read_text())
    assert wait_until_dead(pid)


def test_a_page_larger_than_a_pipe_buffer_runs_within_its_time_limit(tmp_path):
    padding = "# " + "x" * 98 + "\n"
    start = time.monotonic()
    result = verify(tmp_path, padding * 3000, timeout=20)
    assert result.problems == [] and time.monotonic() - start < 20


def test_a_flood_of_output_is_cut_short_in_the_message(tmp_path):
    body = "import os, sys\nsys.stderr.write('e' * 20_000_000)\nsys.stderr.flush()\nos._exit(3)\n"
    (message,) = messages(verify(tmp_path, body))
    assert "the derivation process exited with code 3" in message
    assert "earlier bytes of output left out" in message
    assert len(message) < 5000


def test_a_failure_in_a_function_of_an_earlier_block_is_reported_where_it_was_called(tmp_path):
    first = (
        HEADER
        + "def helper():\n"
        + "    return check(lambda x: np.sin(x), lambda g, x: -g * np.cos(x), x=(3,))\n"
    )
    first += SINE
    second = HEADER + "helper()\n" + "```\n"
    text = first + "\n" + second
    result = verify_page("docs/p.md", text, cwd=tmp_path, timeout=20)
    assert [o.status for o in result.outcomes] == ["passed", "failed"]
    (message,) = messages(result)
    assert message.startswith("docs/p.md:12: gradient for 'x' disagrees")
    assert "called through docs/p.md:12 -> docs/p.md:5" in message


def test_an_exception_in_a_function_of_an_earlier_block_is_reported_where_it_was_called(tmp_path):
    first = HEADER + "def helper():\n    return 1 / 0\n" + SINE
    second = HEADER + "helper()\n" + "```\n"
    result = verify_page("docs/p.md", first + "\n" + second, cwd=tmp_path, timeout=20)
    (message,) = messages(result)
    assert message.startswith("docs/p.md:12: ZeroDivisionError")
    assert "docs/p.md:5 in helper" in message


def test_a_cached_block_runs_again_when_a_local_module_it_imports_changes(tmp_path):
    (tmp_path / "helper.py").write_text(
        "def derivative(x):\n    return np.cos(x)\nimport numpy as np\n"
    )
    body = (
        "from helper import derivative\n"
        "check(lambda x: np.sin(x), lambda g, x: g * derivative(x), x=(3,))\n"
    )
    cache = OutcomeCache(tmp_path / "cache")
    assert verify(tmp_path, body, cache=cache, fingerprint="f").problems == []
    assert (
        verify(tmp_path, body, cache=OutcomeCache(tmp_path / "cache"), fingerprint="f")
        .outcomes[0]
        .cached
    )
    (tmp_path / "helper.py").write_text(
        "def derivative(x):\n    return -np.cos(x)\nimport numpy as np\n"
    )
    again = verify(tmp_path, body, cache=OutcomeCache(tmp_path / "cache"), fingerprint="f")
    assert not again.outcomes[0].cached
    assert "disagrees with the numerical derivative" in messages(again)[0]


def test_a_cached_block_runs_again_when_a_data_file_it_reads_changes(tmp_path):
    np_file = tmp_path / "x.npy"
    import numpy as np

    np.save(np_file, np.array([0.5, 1.5]))
    body = (
        f"x0 = np.load({str(np_file)!r})\n"
        "check(lambda x: np.sin(x), lambda g, x: g * np.cos(x), x=x0)\n"
    )
    cache = OutcomeCache(tmp_path / "cache")
    assert verify(tmp_path, body, cache=cache, fingerprint="f").problems == []
    assert verify(tmp_path, body, cache=cache, fingerprint="f").outcomes[0].cached
    np.save(np_file, np.array([0.5, 2.5]))
    assert not verify(tmp_path, body, cache=cache, fingerprint="f").outcomes[0].cached


def test_concurrent_writers_of_one_cache_entry_do_not_collide(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    cache = OutcomeCache(tmp_path / "cache")
    entry = {"reports": [], "seconds": 0.1, "reads": {}}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put("same", entry), range(200)))
    assert OutcomeCache(tmp_path / "cache").get("same") == entry
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["same.json"]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_page_processes_die_when_the_build_is_stopped(tmp_path, how):
    pid_file = tmp_path / "page.pid"
    block = (
        "```{.python .derivation}\nimport os, time\n"
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(300)\n```\n"
    )
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "from derivations.pages import verify_page\n"
        f"verify_page('docs/p.md', {block!r}, cwd={str(tmp_path)!r}, timeout=600)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        page = int(pid_file.read_text())
        assert alive(page)
        build.send_signal(how)
        build.wait(timeout=30)
        assert wait_until_dead(page)
    finally:
        build.kill()
