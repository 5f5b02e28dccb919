"""Load test: N concurrent headless Chromium sessions on the math pages while two runs train.

    python bench/load_test.py [--sessions 30] [--moves 5] [--root DIR]   # needs Debian's chromium
    python bench/load_test.py --sessions 2 --visits 7 --wire 28   # a class of 30, two cores

Thirty Chromiums cannot share two cores with the server (each page load is seconds of renderer
CPU that a class's laptops pay themselves), so --wire W adds W sessions that speak Streamlit's
websocket protocol (bench/wire.py): each opens a math page (a rotation of WIRE_PAGES) and then
steps its sliders, one step every --think s, exactly as a browser's messages reach the server
(a live view's debounced report, a Streamlit slider's rerun), for as long as the Chromium
sessions run. The server carries the whole class's load; the Chromium sessions measure what a
student sees under it, and the wire sessions report the server's share of each wait.

The app is served from --root (default: this checkout; point it at an unpacked older commit to
measure "before") on a temporary store with one finished run (for Latent space) and two long
runs training in LocalExecutor workers. Each session opens a page (rotating Gumbel, Smoothing,
ELBO & posterior, Latent space) and measures page load → first chart drawn, then moves the
page's main slider --moves times and measures each move → the last chart redraw it caused
(browser clock, as bench/ui_latency.py): the figure's own plotly slider where the page has one
(a click on its rail; no server round trip), else the Streamlit slider (arrow keys). Errors: an
exception box on the page, a JavaScript error, a timeout. Prints p50/p95 against the targets
(page p95 ≤ 3 s, slider p95 ≤ 1 s, 0 errors) and the load average.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
from bench.ui_latency import ARGS, IDLE, LIVE_WATCH, WATCH, live_frames, serve  # noqa: E402

PAGES = {  # page → (label of the Streamlit slider, used where the figure has no slider of its own)
    "/gumbel": "logit ℓ₁",  # a live view (ui/live): it moves in the browser
    "/smoothing": "β (log scale)",  # a live view too
    "/elbo_posterior": "q mean φ₁",
    "/latent_space": "Samples from q(z|x)",
    "/relaxation_bias": "logit ℓ₁",  # live views since 2026-12-03
    "/mc_marginals": "proposal q mean",
    "/variational_learning": "Observation x",
}
TARGETS = {"page": 3.0, "slider": 1.0}
WIRE_PAGES = ("gumbel", "smoothing", "elbo_posterior", "variational_learning", "relaxation_bias",
              "mc_marginals", "latent_space", "estimator_race", "reparam_families",
              "infinite_mixture")
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
RAIL = "[data-testid='stPlotlyChart'] .slider-rail-touch-rect"
WATCH_MOUSE = WATCH.replace('"keydown"', '"mousedown"')
SETTLE = 0.6  # s without a chart mutation after the script finished: the redraw is over


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (q = 0.95: p95); NaN for no values."""
    if not values:
        return float("nan")
    v = sorted(values)
    i = q * (len(v) - 1)
    lo = int(i)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (i - lo)


async def settled(page, timeout: float = 30.0) -> float:
    """Wait for the redraw to finish; seconds from the input event to the last chart mutation."""
    await page.wait_for_function("() => window.__last !== undefined", timeout=timeout * 1000)
    await page.wait_for_function(IDLE, timeout=timeout * 1000)
    await page.wait_for_function(
        f"() => performance.now() - window.__last > {SETTLE * 1000}", timeout=timeout * 1000)
    return await page.evaluate("() => (window.__last - window.__t0) / 1000")


async def move_plotly_slider(page, k: int) -> float:
    rail = page.locator(RAIL).first
    await rail.scroll_into_view_if_needed()
    box = await rail.bounding_box()
    await page.evaluate(WATCH_MOUSE)
    x = box["x"] + box["width"] * (0.3 if k % 2 else 0.7)  # alternate: every click moves it
    await page.mouse.click(x, box["y"] + box["height"] / 2)
    return await settled(page)


async def move_streamlit_slider(page, label: str, k: int) -> float:
    slider = page.get_by_role("slider", name=label)
    await slider.focus()
    await page.evaluate(WATCH)
    await slider.press("ArrowLeft" if k % 2 else "ArrowRight")
    return await settled(page)


async def live_chart(page, timeout: float = 90.0):
    """Wait for a chart drawn by a live view (ui/live) in its iframe, or by st.plotly_chart:
    a live view's box can appear before a chart above it is drawn, and a view below the fold
    draws only once scrolled to."""
    deadline = time.perf_counter() + timeout
    while True:
        if await page.locator(CHART).count():
            return
        for f in live_frames(page):
            if await f.locator(".js-plotly-plot").count():
                return
        if time.perf_counter() > deadline:
            raise TimeoutError("no live view drew a chart")
        await asyncio.sleep(0.05)


async def live_slider(page, label: str, timeout: float = 30.0) -> bool:
    """Whether `label` is a live view's slider (ui/live): its iframe loads once scrolled to."""
    boxes = page.locator("[data-testid='stCustomComponentV1']")
    if not await boxes.count():
        return False
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for f in live_frames(page):
            if await f.locator(f"input[aria-label='{label}']").count():
                return True
        for i in range(await boxes.count()):
            await boxes.nth(i).scroll_into_view_if_needed()
        await asyncio.sleep(0.25)
    return False


async def move_live_slider(page, label: str, k: int) -> float:
    """A slider of a live view: key press → the last chart mutation in any live iframe."""
    frames = live_frames(page)
    home = None
    for f in frames:
        if await f.locator(f"input[aria-label='{label}']").count():
            home = f
    slider = home.locator(f"input[aria-label='{label}']")
    await slider.focus()
    for f in frames:
        await f.evaluate(LIVE_WATCH)
    await slider.press("ArrowLeft" if k % 2 else "ArrowRight")
    deadline = time.perf_counter() + 30
    last = 0.0
    while True:  # settled: SETTLE s without a chart mutation in any live iframe
        marks = [await f.evaluate("() => window.__last ?? 0") for f in frames]
        now = await home.evaluate("() => performance.timeOrigin + performance.now()")
        last = max(marks)
        if last and now - last > SETTLE * 1000:
            break
        if time.perf_counter() > deadline:
            raise TimeoutError("no live view redrew")
        await asyncio.sleep(0.05)
    return (last - await home.evaluate("() => window.__t0")) / 1000


async def session(browser, url: str, paths: list[str], moves: int, delay: float, out: dict):
    """One student's browser: opens each of `paths` in turn in the same tab (its cache warm
    after the first), measuring each page load and `moves` slider moves there."""
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    for path in paths:
        await visit(page, url, path, moves, out)
    await context.close()


async def visit(page, url: str, path: str, moves: int, out: dict):
    js_errors, frames = [], False
    on_error = lambda e: js_errors.append(str(e))  # noqa: E731
    page.on("pageerror", on_error)
    try:
        t0 = time.perf_counter()
        await page.goto(url + path, timeout=90_000)
        await page.wait_for_selector(f"{CHART}, [data-testid='stCustomComponentV1']",
                                     timeout=90_000)
        if not await page.locator(CHART).count():
            await live_chart(page)
        out["page"].append(time.perf_counter() - t0)
        out["page_by"].setdefault(path, []).append(out["page"][-1])
        await page.wait_for_function(IDLE, timeout=90_000)
        live = await live_slider(page, PAGES[path])
        if path != "/latent_space" and not live:  # its chart with a slider comes after the run
            try:
                await page.wait_for_selector(RAIL, timeout=15_000)
                frames = True
            except Exception:  # an app without frames (an older checkout): its st.slider
                frames = False
        out["kind"][path] = "live view" if live else "plotly frames" if frames else "st.slider"
        for k in range(moves):
            dt = await (move_live_slider(page, PAGES[path], k) if live
                        else move_plotly_slider(page, k) if frames
                        else move_streamlit_slider(page, PAGES[path], k))
            out["slider"].append(dt)
            out["by_page"].setdefault(path, []).append(dt)
        if await page.locator("[data-testid='stException']").count():
            out["errors"].append(f"{path}: exception shown on the page")
    except Exception as e:  # a timeout or a missing element: one error, the next page
        out["errors"].append(f"{path}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    page.remove_listener("pageerror", on_error)
    out["errors"].extend(f"{path}: JS error {m[:120]}" for m in js_errors)


async def drive_measured(url: str, sessions: int, moves: int, stagger: float,
                         visits: int = 1) -> dict:
    """drive, with the CPU seconds each kind of process spent during it (sampled just before
    the browser closes, while its processes are alive)."""
    before = cpu_seconds()
    out = await drive(url, sessions, moves, stagger, on_done=lambda: out_cpu.update(cpu_seconds()),
                      visits=visits)
    out["cpu"] = {k: out_cpu.get(k, 0.0) - before[k] for k in before}
    return out


out_cpu: dict = {}


async def drive(url: str, sessions: int, moves: int, stagger: float, on_done=None,
                visits: int = 1) -> dict:
    from playwright.async_api import async_playwright

    out = {"page": [], "slider": [], "errors": [], "by_page": {}, "page_by": {}, "kind": {}}
    paths = list(PAGES)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        await asyncio.gather(*(session(browser, url, [paths[(i + k) % len(paths)]
                                                      for k in range(visits)],
                                       moves, i * stagger, out) for i in range(sessions)))
        if on_done:
            on_done()
        await browser.close()
    return out


async def wire_student(url: str, page: str, think: float, delay: float, stop: asyncio.Event,
                       out: dict):
    """One student's load on the server, without a browser (bench/wire.py): open `page`, then
    step its sliders until `stop`, one step every `think` s (±50%)."""
    import random

    from bench.wire import WireSession

    rng = random.Random(delay)
    await asyncio.sleep(delay)
    s = WireSession(url)
    try:
        await s.connect()
        out["wire_open"].append(await s.open(page))
        sliders = s.sliders()
        k = 0
        while sliders and not stop.is_set():
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            key, values = sliders[k % len(sliders)]
            out["wire_move"].append(await s.set(key, values[(k // len(sliders)) % len(values)]))
            out["wire_by"].setdefault(page, []).append(out["wire_move"][-1])
            k += 1
    except Exception as e:  # a timeout or a dropped socket: one error, the student leaves
        out["wire_errors"].append(f"{page}: {type(e).__name__}: {str(e)[:120]}")
    out["wire_errors"].extend(s.errors)
    await s.close()


async def drive_class(url: str, sessions: int, moves: int, stagger: float, wire: int,
                      think: float, visits: int = 1) -> dict:
    """`wire` protocol students on the server while `sessions` Chromium sessions measure."""
    stop = asyncio.Event()
    extra = {"wire_open": [], "wire_move": [], "wire_errors": [], "wire_by": {}}
    students = [asyncio.create_task(wire_student(url, WIRE_PAGES[i % len(WIRE_PAGES)], think,
                                                 i * stagger, stop, extra)) for i in range(wire)]
    await asyncio.sleep(wire * stagger + 2 * think)  # the class is in and moving sliders
    out = await drive_measured(url, sessions, moves, stagger, visits)
    stop.set()
    await asyncio.gather(*students)
    out.update(extra)
    return out


def start_training(root: Path, env: dict):
    """One finished tiny run (Latent space needs one), then two long runs left training."""
    subprocess.run([sys.executable, "-m", "trainer", "train", "--dataset", "digits", "--epochs", "3",
                    "--quiet"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
    code = ("import signal, sys, time\n"
            "from trainer import LocalExecutor, RunSpec, RunStore\n"
            "e = LocalExecutor(RunStore(sys.argv[1]), max_workers=2)\n"
            "ids = [e.submit(RunSpec(dataset='mnist5k', epochs=400, seed=s)).run_id for s in (11, 12)]\n"
            "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
            "try:\n    time.sleep(86400)\n"
            "finally:\n    [e.cancel(i) for i in ids]\n    e.shutdown()\n")
    return subprocess.Popen([sys.executable, "-c", code, env["VAE_EXPLORER_STORE"]], cwd=root,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this benchmark's processes: the app server, the training
    workers, the browsers (live processes only)."""
    import psutil

    out = {"server": 0.0, "training": 0.0, "browsers": 0.0}
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd, t = " ".join(proc.cmdline()), proc.cpu_times()
        except psutil.Error:
            continue
        kind = ("server" if "streamlit" in cmd else "training" if "trainer" in cmd or "LocalExecutor" in cmd
                else "browsers" if "chrom" in cmd else None)
        if kind:
            out[kind] += t.user + t.system
    return out


def training_count(store: str) -> int:
    from trainer import RunStore

    return sum(r.status == "running" for r in RunStore(store).list())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--moves", type=int, default=5, help="slider moves per session")
    parser.add_argument("--stagger", type=float, default=0.2, help="s between session starts")
    parser.add_argument("--root", type=Path, default=HERE, help="the app checkout to serve")
    parser.add_argument("--visits", type=int, default=1,
                        help="pages each Chromium session opens in turn (rotating PAGES)")
    parser.add_argument("--wire", type=int, default=0,
                        help="students without a browser (bench/wire.py) loading the server")
    parser.add_argument("--think", type=float, default=1.0,
                        help="s between one wire student's slider steps (±50%%)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    env = dict(os.environ, VAE_EXPLORER_STORE=str(tmp / "store"), OMP_NUM_THREADS="1",
               PYTHONPATH=str(args.root))
    trainer = start_training(args.root, env)
    app = None
    try:
        for _ in range(120):
            if training_count(env["VAE_EXPLORER_STORE"]) >= 2:
                break
            time.sleep(0.5)
        app, url = serve(args.root / "app.py", env, cwd=args.root)
        # one warm-up visit per page: the first import of torch etc. is not what is measured
        asyncio.run(drive(url, len(PAGES), 0, 0.0))
        load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
        out = asyncio.run(drive_class(url, args.sessions, args.moves, args.stagger, args.wire,
                                      args.think, args.visits))
        load1, wall = os.getloadavg()[0], time.perf_counter() - t0
        out["own_cpu"] = time.process_time() - c0
        running = training_count(env["VAE_EXPLORER_STORE"])
    finally:
        if app is not None:
            app.terminate()
        trainer.terminate()  # cancels both runs and stops its workers
        trainer.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{args.sessions} Chromium sessions × {args.moves} slider moves and {args.wire} wire "
          f"students (a step every {args.think:g} s), {running} runs training at the "
          f"end; load average {load0:.1f} before, {load1:.1f} after (1 min), {os.cpu_count()} cores")
    print(f"{wall:.0f} s wall; CPU seconds meanwhile: " + ", ".join(
        f"{k} {v:.0f}" for k, v in out["cpu"].items()) + f", this process (the wire students) "
          f"{out['own_cpu']:.0f}")
    for name in ("page", "slider"):
        v = out[name]
        p95 = percentile(v, 0.95)
        print(f"{name:6s}: n = {len(v):3d}  p50 = {percentile(v, 0.5):.2f} s  p95 = {p95:.2f} s  "
              f"max = {max(v, default=float('nan')):.2f} s   target p95 ≤ {TARGETS[name]:g} s "
              f"{'✓' if p95 <= TARGETS[name] else '✗'}")
    for path in PAGES:
        page, slider = out["page_by"].get(path, []), out["by_page"].get(path, [])
        print(f"  {path[1:]:15s} page p50 = {percentile(page, 0.5):.2f} s, p95 = "
              f"{percentile(page, 0.95):.2f} s; slider ({out['kind'].get(path)}) p50 = "
              f"{percentile(slider, 0.5):.2f} s, p95 = {percentile(slider, 0.95):.2f} s")
    if args.wire:
        print(f"wire students, server seconds to script_finished (n = {len(out['wire_move'])} "
              f"steps, {len(out['wire_move']) / wall:.1f} reruns/s):")
        for name in ("wire_open", "wire_move"):
            v = out[name]
            print(f"  {name[5:]:6s}: p50 = {percentile(v, 0.5):.2f} s  p95 = "
                  f"{percentile(v, 0.95):.2f} s  max = {max(v, default=float('nan')):.2f} s")
        for page, v in sorted(out["wire_by"].items()):
            print(f"    {page:22s} step p50 = {percentile(v, 0.5):.2f} s, p95 = "
                  f"{percentile(v, 0.95):.2f} s (n = {len(v)})")
    errors = out["errors"] + out.get("wire_errors", [])
    print(f"errors: {len(errors)}   target 0 {'✓' if not errors else '✗'}")
    for e in errors[:10]:
        print("  ", e)


if __name__ == "__main__":
    main()
