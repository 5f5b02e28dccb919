"""One server for a class: training yields the CPU, browsers cache plotly.js, and threads
importing scikit-learn at once do not deadlock (bench/load_test.py found each)."""


def test_a_worker_yields_the_cpu_in_its_own_session_too():
    """Workers lead their own session; with autogroup scheduling the session's share is what
    the app competes with, so the worker lowers its autogroup's nice value, not only its own."""
    import subprocess
    import sys
    from pathlib import Path

    from trainer.executor import WORKER_NICE

    code = ("import os\nfrom trainer.executor import yield_cpu\nyield_cpu()\n"
            "print(os.nice(0))\nprint(open('/proc/self/autogroup').read() "
            "if os.path.exists('/proc/self/autogroup') else 'none')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
    nice, group = out.stdout.strip().split("\n", 1)
    assert int(nice) >= WORKER_NICE
    if group != "none":  # a kernel with autogroup scheduling
        assert group.rstrip().endswith(f"nice {WORKER_NICE}"), group


def test_live_views_load_plotly_js_from_the_apps_static_folder(monkeypatch):
    """ui.live.plotly_src: the static copy (cached by browsers) is the package's file, dated
    long ago (the browser's freshness heuristic reads Last-Modified; the name has the version)."""
    import os
    import tomllib
    from pathlib import Path

    import streamlit as st

    from ui import live

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    option = {"server.enableStaticServing": True}
    monkeypatch.setattr(st, "get_option", lambda name: option[name])
    live.plotly_src.cache_clear()
    src = live.plotly_src()
    assert src.startswith("../../app/static/vx/plotly-") and src.endswith(".min.js")
    copy = root / "static" / src.removeprefix("../../app/static/")
    package = live._plotly_js()
    assert copy.read_bytes() == package.read_bytes()
    assert os.stat(copy).st_mtime == live.STATIC_DATE  # long fresh for the browser's heuristic
    option["server.enableStaticServing"] = False
    live.plotly_src.cache_clear()
    assert live.plotly_src() == "plotly.min.js"  # the component's own copy
    live.plotly_src.cache_clear()


def test_threads_importing_scikit_learn_at_once_do_not_deadlock():
    """Two students' pages importing two scikit-learn modules at once raised _DeadlockError
    (bench/load_test.py --wire, Infinite mixture); explorer.imports.import_module serialises them.
    Each try is a fresh interpreter, where nothing of sklearn is imported yet."""
    import subprocess
    import sys
    from pathlib import Path

    code = """
import threading
from explorer.imports import import_module
mods = ["sklearn.mixture", "sklearn.neighbors", "sklearn.manifold", "sklearn.datasets",
        "sklearn.model_selection", "sklearn.metrics"]
gate, errors = threading.Barrier(len(mods)), []
def one(name):
    gate.wait()
    try:
        import_module(name)
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=one, args=(m,)) for m in mods]
[t.start() for t in threads]
[t.join() for t in threads]
print(errors)
"""
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=Path(__file__).resolve().parent.parent)
        assert out.stdout.strip() == "[]", out.stdout
