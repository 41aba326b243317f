"""`mkdocs serve`: failures show in the page and the terminal, and the server recovers."""

from sites import MISMATCH_TEXT, PASSING, Server, make_site


def test_failing_first_build_is_served_with_the_error_in_the_page_then_recovers(tmp_path):
    site = make_site(tmp_path, {"index.md": MISMATCH_TEXT})
    with Server(site) as server:
        html = server.wait_for(lambda h: "derivation-failure" in h)
        assert "docs/index.md:18: gradient for &#x27;x&#x27; disagrees" in html
        assert "result-mark--failed" in html and "NOT verified" in html
        assert "docs/index.md:18: gradient for 'x' disagrees" in server.log.read_text()

        (site / "docs" / "index.md").write_text(PASSING)
        html = server.wait_for(lambda h: "result-mark--verified" in h)
        assert "derivation-failure" not in html


def test_server_survives_a_block_that_kills_its_process(tmp_path):
    site = make_site(tmp_path, {"index.md": PASSING})
    with Server(site) as server:
        server.wait_for(lambda h: "result-mark--verified" in h)
        killer = PASSING.replace("check(sine", "import os\nos._exit(1)\ncheck(sine")
        (site / "docs" / "index.md").write_text(killer)
        html = server.wait_for(lambda h: "derivation-failure" in h)
        assert "the derivation process exited with code 1" in html
        (site / "docs" / "index.md").write_text(PASSING)
        server.wait_for(lambda h: "derivation-failure" not in h and "result-mark--verified" in h)


def test_under_dirty_serve_a_page_whose_verdict_changed_is_rendered_again(tmp_path):
    """The page itself is unchanged; the helper module it imports turns wrong."""
    page = PASSING.replace(
        "def sine_vjp(g, x):\n    return g * np.cos(x)", "from helper import sine_vjp"
    )
    site = make_site(tmp_path, {"index.md": page})
    helper = site / "helper.py"
    helper.write_text("import numpy as np\n\ndef sine_vjp(g, x):\n    return g * np.cos(x)\n")
    config = site / "mkdocs.yml"
    config.write_text(config.read_text() + "watch:\n  - helper.py\n")
    with Server(site, dirty=True) as server:
        server.wait_for(lambda h: "result-mark--verified" in h)
        helper.write_text("import numpy as np\n\ndef sine_vjp(g, x):\n    return -g * np.cos(x)\n")
        html = server.wait_for(lambda h: "derivation-failure" in h)
        assert "NOT verified" in html
        helper.write_text("import numpy as np\n\ndef sine_vjp(g, x):\n    return g * np.cos(x)\n")
        server.wait_for(lambda h: "derivation-failure" not in h and "result-mark--verified" in h)
