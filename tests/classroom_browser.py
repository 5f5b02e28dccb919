"""Shared set-up of the real-browser classroom tests (tests/test_browser_classroom.py and
tests/test_browser_sharing.py): fixtures registered in tests/conftest.py.

One streamlit server for the session on a store pre-filled in-process with tiny trained runs
(digits, hidden (32,): a 2-D Gaussian, its β = 4 twin, a categorical and a VQ-VAE run), one
Chromium, a new page per test; a second server on an empty store checks the first-start
preparation. Same skip rule as tests/test_browser.py (REQUIRE_BROWSER=1 makes it a failure).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
from .test_browser import ARGS, CHROMIUM, free_port, wait_idle


CONTENT = ", ".join(f"[data-testid='{t}']" for t in (
    "stPlotlyChart", "stDataFrame", "stMetric", "stImage", "stTable", "stVegaLiteChart",
    "stCustomComponentV1"))  # a live view (ui/live): its figure is drawn in its iframe
# Pages that cannot reach a chart/table/metric with the runs of this store, and why.
NO_CONTENT_EXPECTED: dict[str, str] = {}
# Text pages by design (no chart): what their real content is instead.
TEXT_PAGES = {
    "home": "[data-testid='stMarkdown'] .katex",  # the ELBO identity (and the runs' status)
    "lessons": "[data-testid='stButton'] >> text=19. Open",  # every step's Open button
}


def _skip_without_browser():
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but no chromium binary is on PATH")
        pytest.skip("chromium is not installed (apt-get install chromium)")


def app_pages() -> list[tuple[str, str]]:
    """(url path, title) of every page in app.py's navigation, in order."""
    found = re.findall(r'st\.Page\("app_pages/(\w+)\.py",\s*title="([^"]+)"',
                       (ROOT / "app.py").read_text())
    assert len(found) >= 20, found
    return found


def _start_server(store: Path, data: Path, log_path: Path, pretrain: str):
    port = free_port()
    env = dict(os.environ, VAE_EXPLORER_STORE=str(store), VAE_EXPLORER_DATA=str(data),
               VAE_EXPLORER_PRETRAIN=pretrain, OMP_NUM_THREADS="1")
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                return proc, url
        except OSError:
            time.sleep(0.3)
    _stop_server(proc, store)
    pytest.fail("the app did not become healthy:\n" + log_path.read_text(errors="replace"))


def _worker_pids(store: Path) -> list[int]:
    """Worker processes (`python -m trainer worker --store STORE`) of this test's store: they
    run in their own sessions (trainer/executor.py), so killing the server leaves them."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in argv and str(store).encode() in argv:
            pids.append(int(d.name))
    return pids


def _stop_server(proc: subprocess.Popen, store: Path):
    from trainer import RunStore

    try:  # ask every run to stop first, so the workers exit cleanly
        rs = RunStore(store)
        for rec in rs.list(("queued", "running")):
            rs.request_cancel(rec.run_id)
    except Exception:  # noqa: BLE001 — teardown goes on regardless
        pass
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    deadline = time.monotonic() + 10
    while (pids := _worker_pids(store)) and time.monotonic() < deadline:
        time.sleep(0.3)
    for pid in _worker_pids(store):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while _worker_pids(store) and time.monotonic() < deadline:
        time.sleep(0.2)


def _train(store, **fields) -> str:
    from trainer import RunSpec
    from trainer.loop import train_run

    spec = RunSpec(**{"dataset": "digits", "hidden": (32,), "epochs": 2, **fields})
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    return rec.run_id


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The store (trained in-process before the server starts), the server URL, run ids."""
    _skip_without_browser()
    from trainer import RunStore

    root = tmp_path_factory.mktemp("classroom")
    store_dir, data_dir = root / "store", root / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAE_EXPLORER_STORE", str(store_dir))
        mp.setenv("VAE_EXPLORER_DATA", str(data_dir))
        mp.setenv("VAE_EXPLORER_PRETRAIN", "0")
        store = RunStore(store_dir)
        runs = {"vq": _train(store, model="vqvae", latent_dim=2, n_categories=8, code_dim=2),
                "categorical": _train(store, model="categorical", latent_dim=4, n_categories=4),
                "beta4": _train(store, latent_dim=2, epochs=3, beta=4.0, bounds_every=1,
                                bounds_points=16, bounds_k=10),
                "gauss": _train(store, latent_dim=2, epochs=3, bounds_every=1,
                                bounds_points=16, bounds_k=10)}
    proc, url = _start_server(store_dir, data_dir, root / "streamlit.log", pretrain="0")
    try:
        yield {"url": url, "store": store_dir, "runs": runs, "log": root / "streamlit.log"}
    finally:
        _stop_server(proc, store_dir)


@pytest.fixture(scope="session")
def browser():
    _skip_without_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.set_default_timeout(60_000)
    yield pg
    pg.close()


def no_errors(page, what: str):
    assert page.locator("[data-testid='stException']").count() == 0, what
    assert "Traceback" not in page.inner_text("body"), what


def open_page(page, url: str):
    page.goto(url, timeout=90_000)
    wait_idle(page, 90_000)


def poll(fn, timeout: float, interval: float = 0.25):
    """fn() until it returns a truthy value (returned) or `timeout` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    title: (gd.layout && gd.layout.title && gd.layout.title.text) || '',
    frames: (gd._transitionData && gd._transitionData._frames || []).length,
    data: JSON.stringify(gd.data || [])}))"""


def figure(page, part: str) -> dict | None:
    """The first figure whose title contains `part`, on the page or in a live view's iframe."""
    for frame in page.frames:
        for fig in frame.evaluate(FIGURES_JS):
            if part in fig["title"]:  # titles come wrapped in <b> (ui/figures.py)
                return fig
    return None


def slider(page, name):
    """The slider named `name`: on the page, or in a live view's iframe (ui/live)."""
    for frame in page.frames[1:]:
        found = frame.get_by_role("slider", name=name)
        if found.count():
            return found
    return page.get_by_role("slider", name=name)


def slider_value(page, name) -> str:
    return slider(page, name).get_attribute("aria-valuetext")


def press(page, name, key: str, times: int = 1):
    s = slider(page, name)
    s.focus()
    for _ in range(times):
        s.press(key)
    wait_idle(page)
