"""Real-browser smoke test: start the app, train a tiny run from the UI, see the latent plot.

Uses Debian's Chromium through Playwright (`executable_path`), as `playwright install`
cannot download browsers here. Skipped when Chromium is missing, unless REQUIRE_BROWSER=1
(CI sets it, so there a missing browser is a failure).
"""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but no chromium binary is on PATH")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    port = free_port()
    env = dict(os.environ, VAE_EXPLORER_STORE=str(tmp_path / "store"),
               VAE_EXPLORER_DATA=str(tmp_path / "data"))
    log = open(tmp_path / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the app did not become healthy:\n" + (tmp_path / "streamlit.log").read_text())
        yield url
    finally:
        proc.terminate()
        proc.wait(15)


def visible_chart(page, timeout=30_000):
    """A drawn plotly chart the user can see (figures inside a closed expander do not count):
    Streamlit's own, or one drawn by a live view in its iframe (ui/live)."""
    deadline = time.monotonic() + timeout / 1000
    own = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot >> visible=true")
    while not (own.count() or any(f.locator(".js-plotly-plot >> visible=true").count()
                                  for f in page.frames if "vx_live" in f.url)):
        assert time.monotonic() < deadline, "no chart drawn"
        time.sleep(0.25)


def wait_idle(page, timeout=60_000):
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout)


def delete_until(page, hint: str, attempts: int = 3):
    """Press Delete until `hint` shows: on a loaded machine a click that lands while the page
    reruns is lost, and the run is still there (a reload alone cannot bring the hint)."""
    for _ in range(attempts):
        page.get_by_role("button", name="Delete", exact=True).click()
        wait_idle(page)
        time.sleep(1.5)  # the live view's next poll, where a stale picker value would fail
        wait_idle(page)
        try:
            page.get_by_text(hint).first.wait_for(timeout=30_000)
            return
        except Exception:
            page.reload()
            wait_idle(page)
            if page.get_by_text(hint).count():
                return
    page.get_by_text(hint).first.wait_for(timeout=30_000)


def test_train_from_ui_then_see_latent_plot(app_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # Shareable URL state: the spec widgets read their values from the query string.
        page.goto(f"{app_url}/train?dataset=digits&epochs=3&latent_dim=2", timeout=60_000)
        wait_idle(page)
        # A deep link as the very first request still gets the app's own navigation.
        nav = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
        assert any("Latent space" in t for t in nav) and not any(t.strip() == "app" for t in nav), nav
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("✅ done").first.wait_for(timeout=120_000)
        page.get_by_text("Digits 8×8 (scikit-learn)").first.wait_for(timeout=10_000)  # from the URL
        page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(tmp_path / "train.png"), full_page=True)

        page.locator("[data-testid='stSidebarNavLink']", has_text="Latent space").click()
        wait_idle(page)
        page.get_by_text("Posterior means μ(x)").first.wait_for(timeout=60_000)
        visible_chart(page)
        assert page.locator("[data-testid='stException']").count() == 0
        page.screenshot(path=str(tmp_path / "latent.png"), full_page=True)

        # A bounds-lab page: the toy posterior against q, rendered without errors.
        page.locator("[data-testid='stSidebarNavLink']", has_text="ELBO & posterior").click()
        wait_idle(page)
        visible_chart(page)
        assert page.locator("[data-testid='stException']").count() == 0
        shots = os.environ.get("SCREENSHOT_DIR")
        if shots:
            os.makedirs(shots, exist_ok=True)
            for name in ("train.png", "latent.png"):
                shutil.copy(tmp_path / name, os.path.join(shots, name))
        browser.close()


def test_discrete_lab_pages_render_in_the_browser(app_url, tmp_path):
    """Train a tiny VQ-VAE from a shared URL, then open every Discrete-latents page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app_url}/train?model=vqvae&dataset=digits&epochs=2&vq_positions=3&vq_k=16",
                  timeout=60_000)
        wait_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("✅ done").first.wait_for(timeout=120_000)
        # By URL: with this many pages the sidebar folds some under "View more".
        for slug, marker in (("vq_codebook", "Codebook vectors and encoder outputs"),
                             ("gumbel", "Gumbel-max trick"),
                             ("smoothing", "Figure 1"),
                             ("discrete_compare", "standard line-up")):
            page.goto(f"{app_url}/{slug}", timeout=60_000)
            wait_idle(page)
            page.get_by_text(marker).first.wait_for(timeout=60_000)
            visible_chart(page)
            assert page.locator("[data-testid='stException']").count() == 0, slug
            page.screenshot(path=str(tmp_path / f"{slug}.png"), full_page=True)
        # Train → Delete: the page stays up and shows the next run, then the no-runs hint (it
        # used to be replaced by a KeyError traceback from the run picker).
        page.goto(f"{app_url}/train?model=vqvae&dataset=digits&epochs=1&vq_positions=2&vq_k=8",
                  timeout=60_000)
        wait_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_text("✅ done").first.wait_for(timeout=120_000)
        for hint in ("✅ done", "No runs yet"):
            delete_until(page, hint)
            assert page.locator("[data-testid='stException']").count() == 0, hint
        shots = os.environ.get("SCREENSHOT_DIR")
        if shots:
            os.makedirs(shots, exist_ok=True)
            for f in tmp_path.glob("*.png"):
                shutil.copy(f, os.path.join(shots, f.name))
        browser.close()
