"""Real-browser tests of the classroom flow (issue 12's "Done when", two of issue 11's).

One streamlit server for the module on a store pre-filled in-process with tiny trained runs
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

from .conftest import ROOT
from .test_browser import ARGS, CHROMIUM, free_port, wait_idle

pytestmark = pytest.mark.browser

CONTENT = ", ".join(f"[data-testid='{t}']" for t in (
    "stPlotlyChart", "stDataFrame", "stMetric", "stImage", "stTable", "stVegaLiteChart"))
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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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
    for fig in page.evaluate(FIGURES_JS):
        if part in fig["title"]:  # titles come wrapped in <b> (ui/figures.py)
            return fig
    return None


def slider_value(page, name) -> str:
    return page.get_by_role("slider", name=name).get_attribute("aria-valuetext")


def press(page, name, key: str, times: int = 1):
    s = page.get_by_role("slider", name=name)
    s.focus()
    for _ in range(times):
        s.press(key)
    wait_idle(page)


# --- every page -------------------------------------------------------------------------------

def test_every_page_reaches_real_content(server, page):
    missing = []
    for path, title in app_pages():
        t0 = time.monotonic()
        open_page(page, f"{server['url']}/{'' if path == 'home' else path}")
        marker = TEXT_PAGES.get(path, CONTENT)
        try:
            # visible=true: the first chart of Latent space sits in a collapsed expander
            page.locator(f"{marker} >> visible=true").first.wait_for(timeout=90_000)
        except Exception:  # noqa: BLE001 — collected, reported together below
            missing.append(title)
        no_errors(page, title)
        print(f"{title}: {time.monotonic() - t0:.1f} s")
    unexpected = sorted(set(missing) - set(NO_CONTENT_EXPECTED))
    assert not unexpected, f"pages showing no chart, table or metric: {unexpected}"


# --- one example: the graph follows μ ---------------------------------------------------------

def test_one_example_graph_follows_the_mu_slider(server, page):
    open_page(page, f"{server['url']}/one_example?run={server['runs']['gauss']}")
    page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot", timeout=60_000)
    mu = re.compile(r"^μ_1 \(override\)")
    page.get_by_role("slider", name=mu).wait_for()
    before_mu = slider_value(page, mu)
    z_metric = page.locator("[data-testid='stMetric']", has_text="z_1").first
    before_z = z_metric.locator("[data-testid='stMetricValue']").inner_text()
    before = poll(lambda: [f["data"] for f in page.evaluate(FIGURES_JS)], 10)
    press(page, mu, "ArrowRight", times=5)
    assert poll(lambda: slider_value(page, mu) != before_mu, 10), "the μ slider did not move"
    assert poll(lambda: z_metric.locator("[data-testid='stMetricValue']").inner_text()
                != before_z, 30), "z_1 = μ_1 + σ_1 ε_1 did not change with μ_1"
    assert poll(lambda: [f["data"] for f in page.evaluate(FIGURES_JS)] != before, 30), \
        "the computation graph's figure did not change"
    assert "mu=" in page.url  # the override is shareable
    no_errors(page, "one example")


# --- latent space: the scrubber ---------------------------------------------------------------

WATCH = "μ(x) of q(z|x) for 500 test points as the run learns"


def test_scrubber_moves_through_snapshots(server, page):
    open_page(page, f"{server['url']}/latent_space?run={server['runs']['gauss']}")
    page.get_by_text("Watch it learn").first.click()
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd =>"
        " gd.layout && gd.layout.title && (gd.layout.title.text || '').includes(t))",
        arg=WATCH, timeout=60_000)
    fig = figure(page, WATCH)
    assert fig["frames"] >= 3, fig["frames"]
    assert f"snapshot {fig['frames']} of {fig['frames']}" in fig["title"], fig["title"]
    # Drag the slider's grip past the rail's left end: the first step (snapshot 1). (A click
    # on the first tick does not reach the slider: the pause button lies over it.)
    plot = page.locator(f".st-key-watch_latent_{server['runs']['gauss']} .js-plotly-plot")
    rail = plot.locator(".slider-rail-rect").first
    rail.scroll_into_view_if_needed()
    box, grip = rail.bounding_box(), plot.locator(".slider-grip-rect").first.bounding_box()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=5)
    page.mouse.move(box["x"] - 40, y, steps=5)
    page.mouse.up()
    label = f"snapshot 1 of {fig['frames']}"
    first_step = plot.locator(".slider-label-group text").first.text_content()  # its tick label
    assert first_step.endswith(label), first_step
    moved = poll(lambda: first_step in (figure(page, WATCH) or {}).get("title", ""), 10)
    assert moved, ((figure(page, WATCH) or {}).get("title"), first_step)
    current = plot.locator(".slider-group > text.slider-label").first.text_content()
    assert current == first_step, current  # the slider's current value says the same
    no_errors(page, "latent space")


# --- A/B ----------------------------------------------------------------------------------------

def test_ab_view_with_two_runs(server, page):
    a, b = server["runs"]["gauss"], server["runs"]["beta4"]
    open_page(page, f"{server['url']}/ab_compare?a={a}&b={b}")
    page.wait_for_function(
        "() => document.querySelectorAll('.st-key-ab_latent_A .js-plotly-plot, "
        ".st-key-ab_latent_B .js-plotly-plot').length == 2", timeout=60_000)
    # st.dataframe draws on a canvas: the diff table is there when its caption is.
    page.get_by_text("The settings that differ").wait_for()
    frames = page.locator("[data-testid='stDataFrame']")
    frames.nth(1).wait_for(timeout=60_000)  # the diff and the summary (drawn after the caption)
    assert frames.count() == 2
    assert f"a={a}" in page.url and f"b={b}" in page.url
    picked = (page.get_by_role("combobox", name="Run A").input_value(),
              page.get_by_role("combobox", name="Run B").input_value())
    assert a in picked[0] and "β=1 " in picked[0] and b in picked[1] and "β=4 " in picked[1], picked
    no_errors(page, "A/B")


# --- lessons ------------------------------------------------------------------------------------

def test_lesson_step_opens_its_preset(server, page):
    from ui.lessons import STEPS

    n = next(i for i, s in enumerate(STEPS) if s.page.endswith("elbo_posterior.py")) + 1
    open_page(page, f"{server['url']}/lessons")
    page.get_by_role("button", name=f"{n}. Open", exact=True).click()
    page.wait_for_url(re.compile(r"/elbo_posterior\?"), timeout=60_000)
    wait_idle(page)
    assert "q_mean=-1.0" in page.url and f"lesson={n}" in page.url, page.url
    # q's mean is the figure's own (browser-side) slider now; that it opens at the URL's frame
    # is checked in AppTest (tests/test_lessons.py).
    page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot >> visible=true").first.wait_for(
        timeout=60_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Lesson {n} of {len(STEPS)}" in sidebar.inner_text()
    sidebar.get_by_role("button", name="Next ▶").click()
    page.wait_for_url(re.compile(rf"/{Path(STEPS[n].page).stem}\?.*lesson={n + 1}"), timeout=60_000)
    wait_idle(page)
    sidebar.get_by_text(f"Lesson {n + 1} of {len(STEPS)}").wait_for()
    no_errors(page, "lesson step")


# --- URL round trip -----------------------------------------------------------------------------

# τ is the figure's own slider (frames in the browser); its URL value is checked in AppTest.
GUMBEL = {"logit ℓ₁": ("ArrowRight", 2), "logit ℓ₂": ("ArrowLeft", 3), "logit ℓ₃": ("ArrowRight", 1),
          "samples n": ("ArrowLeft", 1)}


def test_url_round_trip_restores_every_widget(server, browser, page):
    open_page(page, f"{server['url']}/gumbel")
    defaults = {}
    for name in GUMBEL:
        page.get_by_role("slider", name=name).wait_for()
        defaults[name] = slider_value(page, name)
    for name, (key, times) in GUMBEL.items():
        press(page, name, key, times)
    changed = {name: slider_value(page, name) for name in GUMBEL}
    assert all(changed[k] != defaults[k] for k in GUMBEL), (defaults, changed)
    assert poll(lambda: all(k in page.url for k in ("gm_l1", "gm_l2", "gm_l3", "gm_n")),
                10), page.url
    fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(fresh, page.url)
        for name in GUMBEL:
            fresh.get_by_role("slider", name=name).wait_for()
        restored = {name: slider_value(fresh, name) for name in GUMBEL}
        assert restored == changed, (page.url, restored, changed)
        no_errors(fresh, "gumbel from its URL")
    finally:
        fresh.close()


# --- live latent view while a run trains --------------------------------------------------------

def test_live_latent_view_gains_frames_while_training(server, page):
    from trainer import RunStore

    store = RunStore(server["store"])
    before = {r.run_id for r in store.list()}
    # Long enough that it is still training at the second look, even on a quiet machine.
    open_page(page, f"{server['url']}/train?dataset=digits&epochs=400")
    page.get_by_role("button", name="Train", exact=True).click()
    new = poll(lambda: [r for r in store.list() if r.run_id not in before], 30)
    assert new, "pressing Train queued no run"
    run_id = new[0].run_id
    try:
        t_end = time.monotonic() + 60
        # The page shows a run once it has a checkpoint (ui/run_picker.py), else another run.
        if not poll(lambda: store.get(run_id).checkpoint_epoch is not None, 45, interval=0.5):
            pytest.skip("the machine is too slow: the run wrote no checkpoint within 45 s")
        open_page(page, f"{server['url']}/latent_space?run={run_id}")
        plot = f".st-key-watch_latent_{run_id} .js-plotly-plot"

        def frames():
            return page.evaluate("sel => { const gd = document.querySelector(sel); return gd &&"
                                 " gd._transitionData ? gd._transitionData._frames.length : 0; }",
                                 plot)

        first = poll(frames, max(1.0, t_end - time.monotonic()), interval=0.5)
        if not first:
            pytest.skip("the machine is too slow: no snapshot of the live run within 60 s")
        later = poll(lambda: frames() > first, max(1.0, t_end - time.monotonic()), interval=0.5)
        if not later and store.get(run_id).status == "running" and time.monotonic() >= t_end:
            pytest.skip("the machine is too slow: the live run wrote no new snapshot in 60 s")
        if not later and store.get(run_id).status == "done":
            pytest.skip("the run finished before a second look; nothing live left to see")
        assert later, (first, frames(), store.get(run_id).status)
        assert "Live" in page.inner_text("body")
        no_errors(page, "live latent view")
    finally:
        store.request_cancel(run_id)


# --- a fresh store: the class models are prepared -----------------------------------------------

def test_fresh_store_shows_the_class_models_preparing(browser, tmp_path):
    root = tmp_path / "fresh"
    proc, url = _start_server(root / "store", root / "data", tmp_path / "fresh.log", pretrain="1")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/latent_space", timeout=90_000)
        page.get_by_text("Preparing the class models").first.wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()
    finally:
        _stop_server(proc, root / "store")
    assert not _worker_pids(root / "store"), "a worker outlived the test"
