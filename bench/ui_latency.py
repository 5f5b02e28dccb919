"""Slider latency in a real browser: sliders of the Latent space and Discrete-latents pages
against a trivial one-slider plotly page (the baseline), all served by Streamlit on this
machine in the same run.

    python bench/ui_latency.py [--only gumbel]   # needs Debian's chromium; trains two runs first

Latency = key press on a focused slider (or a click on the rail of a figure's own plotly
slider) → the last chart redraw it caused.
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BASELINE = '''import numpy as np, plotly.graph_objects as go, streamlit as st
n = st.slider("Points", 10, 100, 50)
st.plotly_chart(go.Figure(go.Scatter(y=np.sin(np.arange(n)))))
'''

FIGURE = "figure's own slider"  # a plotly slider stepping through frames: clicked on its rail
PAGES = {  # page path → slider labels to press
    "/latent_space": ("Grid size", "Samples from q(z|x)", "Interpolation steps",
                      "Number of samples", "Range ± around μ_j"),
    "/gumbel": (FIGURE, "logit ℓ₁"),
    "/smoothing": (FIGURE, "p = P(z = 1)"),
    "/discrete_codes": ("Test image", "Number of samples"),
    "/elbo_posterior": (FIGURE, "q variance φ₂ (not σ)"),
    "/relaxation_bias": ("temperature τ", "logit ℓ₁"),
    "/variational_learning": ("φ₁: q mean",),
    "/mc_marginals": ("proposal q mean",),
}


def serve(script: Path, env: dict, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("streamlit did not start")


# Records the time of the last DOM change inside any plotly chart after the key press.
WATCH = """() => {
  window.__t0 = undefined; window.__last = undefined;
  document.addEventListener("keydown", () => { window.__t0 ??= performance.now(); },
                            {capture: true, once: true});
  window.__obs?.disconnect();
  window.__obs = new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest("[data-testid='stPlotlyChart']")) { window.__last = performance.now(); }
    }
  });
  window.__obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       characterData: true});
}"""
IDLE = "() => document.querySelector(\"[data-testid='stApp']\").getAttribute('data-test-script-state') === 'notRunning'"


def slider_latency(page, label: str, presses: int = 6) -> list[float]:
    """Seconds from the key press to the last chart redraw it caused (browser clock)."""
    slider = page.get_by_role("slider", name=label)
    times = []
    for k in range(presses):
        slider.focus()
        page.evaluate(WATCH)
        slider.press("ArrowLeft" if k % 2 else "ArrowRight")
        page.wait_for_function("() => window.__last !== undefined", timeout=30000)
        page.wait_for_function(IDLE, timeout=30000)
        page.wait_for_timeout(600)  # let the redraw settle; later mutations still count
        times.append(page.evaluate("() => window.__last - window.__t0") / 1000)
    return times


def figure_slider_latency(page, presses: int = 6) -> list[float]:
    """As slider_latency, for the first figure with its own (plotly, browser-side) slider: a
    click on its rail, alternately at 30% and 70%, so that every click moves it."""
    rail = page.locator("[data-testid='stPlotlyChart'] .slider-rail-touch-rect").first
    times = []
    for k in range(presses):
        rail.scroll_into_view_if_needed()
        box = rail.bounding_box()
        page.evaluate(WATCH.replace('"keydown"', '"mousedown"'))
        page.mouse.click(box["x"] + box["width"] * (0.3 if k % 2 else 0.7), box["y"] + box["height"] / 2)
        page.wait_for_function("() => window.__last !== undefined", timeout=30000)
        page.wait_for_timeout(600)
        times.append(page.evaluate("() => window.__last - window.__t0") / 1000)
    return times


def main():
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="measure only pages whose path contains this")
    pages = {k: v for k, v in PAGES.items() if parser.parse_args().only in k}

    tmp = Path(tempfile.mkdtemp())
    env = dict(os.environ, VAE_EXPLORER_STORE=str(tmp / "store"))
    for extra in ([], ["--model", "categorical", "--latent-dim", "20"]):
        subprocess.run([sys.executable, "-m", "trainer", "train", "--dataset", "mnist5k",
                        "--epochs", "5", "--quiet", *extra], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    (tmp / "baseline.py").write_text(BASELINE)
    app, app_url = serve(ROOT / "app.py", env)
    base, base_url = serve(tmp / "baseline.py", env)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base_url)
            page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=60000)
            baseline = statistics.median(slider_latency(page, "Points"))
            print(f"baseline one-slider page: {baseline:.2f} s (median)")
            for path, labels in pages.items():
                page.goto(app_url + path)
                page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=60000)
                page.wait_for_timeout(2000)
                for label in labels:
                    med = statistics.median(figure_slider_latency(page) if label == FIGURE
                                            else slider_latency(page, label))
                    print(f"{path[1:]:16s} · {label:22s} {med:.2f} s   ratio {med / baseline:.1f}")
            browser.close()
    finally:
        app.terminate()
        base.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
