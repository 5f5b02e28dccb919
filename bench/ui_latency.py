"""Slider latency in a real browser: sliders of the Latent space, Discrete-latents, toy-model
and Relaxation bias pages against a trivial one-slider plotly page (the baseline), all served by
Streamlit on this machine in the same run.

    python bench/ui_latency.py [--only gumbel,smoothing]   # needs Debian's chromium; pages that read a
                                                 # trained run (latent_space, discrete_codes)
                                                 # train two small ones first

Latency = key press on a focused slider (or a click on the rail of a figure's own plotly
slider) → the last chart redraw it caused; "rerun done" = key press → the end of the rerun it
caused (the server's share; the rest is the browser drawing). "new" presses move to values not shown before in this
session (a cache miss on the server, or a frame the browser has not drawn yet); "seen" presses
go back to values already shown.
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
PAGES = {  # page path → slider labels to press (every slider of the pages of issue 11 §5)
    "/latent_space": ("Grid size", "Samples from q(z|x)", "Interpolation steps",
                      "Number of samples", "Range ± around μ_j"),
    "/gumbel": ("temperature τ", "logit ℓ₁", "logit ℓ₂", "logit ℓ₃", "samples n", "τ₀", "τ_min"),
    "/smoothing": ("β (log scale)", "p = P(z = 1)", "β of DVAE++ (log scale)",
                   "DVAE++ bit probability p"),
    "/discrete_codes": ("Test image", "Number of samples"),
    "/elbo_posterior": ("Observation x", "q mean φ₁", "q variance φ₂ (not σ)", "q mean m₁",
                        "q variance v₂", "q correlation ρ (0 = diagonal)",
                        "Observation x of the 2-D model"),
    "/relaxation_bias": ("temperature τ", "logit ℓ₁", "logit ℓ₂", "target t"),  # live views
    "/variational_learning": ("Observation x", "φ₁: q mean", "φ₁: q variance", "φ₂: q mean",
                              "φ₂: q variance", "start θ₀", "steps shown"),
    "/mc_marginals": ("Observation x", "proposal q mean", "proposal q variance", "repetitions"),
}
NEEDS_RUNS = ("/latent_space", "/discrete_codes")


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
      // the live run's snapshot view (Latent space) redraws every 2 s on its own: not the move's
      if (el && el.closest("[data-testid='stPlotlyChart']") && !el.closest("[class*='st-key-watch_']"))
        window.__last = performance.now();
    }
  });
  window.__obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                       characterData: true});
  // When the rerun the press caused has finished on the server (its deltas have arrived): the
  // rest, up to the last chart mutation, is the browser's rendering.
  window.__ran = false; window.__done = undefined;
  window.__run?.disconnect();
  const app = document.querySelector("[data-testid='stApp']");
  window.__run = new MutationObserver(() => {
    const state = app.getAttribute("data-test-script-state");
    if (window.__t0 === undefined) return;
    if (state === "running") window.__ran = true;
    else if (window.__ran && state === "notRunning") window.__done ??= performance.now();
  });
  window.__run.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
IDLE = "() => document.querySelector(\"[data-testid='stApp']\").getAttribute('data-test-script-state') === 'notRunning'"


# The same inside a live view's iframe (ui/live): absolute times, since each frame has its own
# clock origin; a key press in any live frame starts the clock, a plotly mutation in any stops it.
LIVE_WATCH = """() => {
  const now = () => performance.timeOrigin + performance.now();
  window.__t0 = undefined; window.__last = undefined;
  document.addEventListener("keydown", () => { window.__t0 ??= now(); },
                            {capture: true, once: true});
  window.__obs?.disconnect();
  window.__obs = new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest(".js-plotly-plot")) { window.__last = now(); }
    }
  });
  // documentElement: a view still loading has no body yet (under load its iframe lags)
  window.__obs.observe(document.documentElement, {subtree: true, childList: true,
                                                  attributes: true, characterData: true});
}"""


def live_frames(page):
    return [f for f in page.frames if "vx_live" in f.url]


SERVER: list[float] = []  # key press → rerun finished, of every press measured (seconds)


def _press(page, slider, key: str) -> float:
    """Seconds from one key press on `slider` to the last chart redraw it caused; the time to
    the end of the rerun it caused goes to SERVER."""
    if slider.page_frame is not page.main_frame:
        return _press_live(page, slider, key)
    slider.focus()
    frames = live_frames(page)  # a server widget can redraw a live view's figure too
    for f in frames:
        f.evaluate(LIVE_WATCH)
    page.evaluate(WATCH)
    slider.press(key)
    deadline = time.time() + 30
    while not (page.evaluate("() => window.__last !== undefined")
               or any(f.evaluate("() => window.__last !== undefined") for f in frames)):
        if time.time() > deadline:
            raise TimeoutError("no chart redrew")
        time.sleep(0.02)
    page.wait_for_function(IDLE, timeout=30000)
    page.wait_for_timeout(600)  # let the redraw settle; later mutations still count
    t0, last, done = page.evaluate("() => [performance.timeOrigin + window.__t0, window.__last"
                                   " - window.__t0, window.__done - window.__t0]")
    for f in frames:  # absolute times: each frame has its own clock origin
        live = f.evaluate("() => window.__last")
        if live is not None:
            last = max(last if last == last else 0.0, live - t0)
    SERVER.append(done / 1000 if done == done else 0.0)  # NaN: the press caused no rerun
    return last / 1000


def _press_live(page, slider, key: str) -> float:
    """_press for a slider of a live view: the redraws are in the live views' iframes (the
    server hears the value later, debounced; that rerun redraws nothing)."""
    frames = live_frames(page)
    slider.focus()
    for f in frames:
        f.evaluate(LIVE_WATCH)
    page.evaluate(WATCH)
    slider.press(key)
    deadline = time.time() + 30
    while not any(f.evaluate("() => window.__last !== undefined") for f in frames):
        if time.time() > deadline:
            raise TimeoutError("no live view redrew")
        time.sleep(0.02)
    page.wait_for_timeout(600)
    page.wait_for_function(IDLE, timeout=30000)
    t0 = slider.page_frame.evaluate("() => window.__t0")
    last = max(f.evaluate("() => window.__last ?? 0") for f in frames)
    SERVER.append(0.0)
    return (last - t0) / 1000


class _Slider:
    """A slider locator and the frame it is in (the page, or a live view's iframe)."""

    def __init__(self, locator, frame):
        self._locator, self.page_frame = locator, frame

    def __getattr__(self, name):
        return getattr(self._locator, name)


def _slider(page, label: str):
    """The slider labelled exactly `label` (its accessible name also holds its value), on the
    page or in a live view's iframe."""
    css = f"input[type='range'][aria-label='{label}']"
    for frame in [page.main_frame, *live_frames(page)]:
        if frame.locator(css).count():
            return _Slider(frame.locator(css), frame)
    return _Slider(page.locator(css), page.main_frame)


def slider_latency(page, label: str, presses: int = 6) -> list[float]:
    """Alternate presses (new value, then back to a seen one), as the baseline is measured."""
    slider = _slider(page, label)
    return [_press(page, slider, "ArrowLeft" if k % 2 else "ArrowRight") for k in range(presses)]


def slider_new_seen(page, label: str, steps: int = 3) -> tuple[list[float], list[float]]:
    """`steps` presses one way (values not shown yet), then `steps` back (values seen): towards
    the end of the range with more room."""
    slider = _slider(page, label)
    now, lo, hi = slider.evaluate("e => [e.value, e.min, e.max].map(Number)")
    out, back = ("ArrowRight", "ArrowLeft") if hi - now >= now - lo else ("ArrowLeft", "ArrowRight")
    steps = max(1, min(steps, round(max(hi - now, now - lo) / float(slider.evaluate(
        "e => e.step === 'any' ? 1 : e.step") or 1))))  # a 3-value select slider has room for 2
    new = [_press(page, slider, out) for _ in range(steps)]
    return new, [_press(page, slider, back) for _ in range(steps)]


def figure_slider_latency(page, spots=(0.15, 0.85, 0.3, 0.7, 0.45, 0.6),
                          again=(0.15, 0.85, 0.3, 0.7)) -> tuple[list[float], list[float]]:
    """As slider_new_seen, for the first figure with its own (plotly, browser-side) slider: clicks
    on its rail, first at `spots` (frames not drawn yet), then `again` (frames drawn before)."""
    rail = page.locator("[data-testid='stPlotlyChart'] .slider-rail-touch-rect").first

    def click(at: float) -> float:
        rail.scroll_into_view_if_needed()
        box = rail.bounding_box()
        page.evaluate(WATCH.replace('"keydown"', '"mousedown"'))
        page.mouse.click(box["x"] + box["width"] * at, box["y"] + box["height"] / 2)
        page.wait_for_function("() => window.__last !== undefined", timeout=30000)
        page.wait_for_timeout(600)
        return page.evaluate("() => window.__last - window.__t0") / 1000
    return [click(at) for at in spots], [click(at) for at in again]


def main():
    import argparse

    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="measure only pages whose path contains one of "
                                                   "these (comma-separated)")
    only = parser.parse_args().only.split(",")
    pages = {k: v for k, v in PAGES.items() if any(o in k for o in only)}

    tmp = Path(tempfile.mkdtemp())
    # An empty store would queue the class models (ui/preparation.py), and their training
    # would share the cores with the pages measured: this bench trains its own runs.
    env = dict(os.environ, VAE_EXPLORER_STORE=str(tmp / "store"), VAE_EXPLORER_PRETRAIN="0")
    for extra in ([], ["--model", "categorical", "--latent-dim", "20"]) if any(
            p in pages for p in NEEDS_RUNS) else ():
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
            print(f"load average {open('/proc/loadavg').read().split()[:3]}")
            print(f"baseline one-slider page: {baseline:.2f} s (median)")
            print("| page | slider | new: median (max) s | seen: median s | new / baseline | "
                  "new: rerun done, median s |")
            print("|---|---|---|---|---|---|")
            for path, labels in pages.items():
                page.goto(app_url + path)
                page.wait_for_selector("[data-testid='stPlotlyChart'], "
                                       "[data-testid='stCustomComponentV1']", timeout=60000)
                page.wait_for_function(IDLE, timeout=120000)
                page.wait_for_timeout(2000)
                for label in labels:
                    SERVER.clear()
                    new, seen = (figure_slider_latency(page) if label == FIGURE
                                 else slider_new_seen(page, label))
                    med = statistics.median(new)
                    ran = statistics.median(SERVER[:len(new)]) if SERVER else 0.0
                    print(f"| {path[1:]} | {label} | {med:.2f} ({max(new):.2f}) | "
                          f"{statistics.median(seen):.2f} | {med / baseline:.1f} | {ran:.2f} |",
                          flush=True)
            print(f"load average {open('/proc/loadavg').read().split()[:3]}")
            browser.close()
    finally:
        app.terminate()
        base.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
