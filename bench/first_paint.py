"""Seconds from opening each page in Chromium to its first content, with the class models trained.

    .venv/bin/python bench/first_paint.py [--store DIR] [--pages bound_ladder,digit_completion]
    .venv/bin/python bench/first_paint.py --navigate     # one tab, through the sidebar

The real-browser counterpart of bench/first_render.py (which times AppTest's script runs):
one app server on the store (the class models must be there: run first_render.py or
`python -m trainer pretrain --wait`), each page opened in a new tab (a new session; the
browser has cached Streamlit's and plotly's JavaScript from a warm-up visit, as for a student
who has opened the app before; the server's caches stay warm for what earlier pages computed
on the same run). Columns: the page title painted, the first chart/table/metric/image painted
("–": a text page, its title is its first content), and every progress bar gone with the script idle ("all", at most --timeout
s). Needs /usr/bin/chromium and Playwright. Target: first content ≤ 3 s (issue 12).

Before the pages, a bare Streamlit page (a title and one chart, on a server of its own) is
opened the same way: its time is the floor under every new tab here, and each page's first
content is also printed as its difference from it ("vs bare").

A new tab parses Streamlit's and plotly's JavaScript again (about 3 s of this machine's CPU
before any page's first chart); a student who has the app open moves between pages through the
sidebar instead, in the same tab. --navigate measures that: one tab, a click on each page's
sidebar link, then the new page's title and first content (the previous page's elements,
greyed as stale until the new run replaces them, do not count).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.first_render import TARGET_SECONDS, load_average, pages  # noqa: E402
from bench.ui_latency import ARGS, serve  # noqa: E402

CONTENT = ", ".join(f"[data-testid='{t}']" for t in (
    "stPlotlyChart", "stDataFrame", "stMetric", "stImage", "stTable"))
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TEXT_PAGES = ("home", "lessons")  # no chart by design: their first content is the title


def start_server(store: str | None) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, VAE_EXPLORER_PRETRAIN="0")
    if store:
        env["VAE_EXPLORER_STORE"] = str(Path(store).resolve())
    return serve(ROOT / "app.py", env)


BARE_APP = """import plotly.graph_objects as go
import streamlit as st

st.title("A bare Streamlit page")
st.plotly_chart(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2])))
"""


def bare_floor(context, timeout: float) -> float | None:
    """First content of a bare Streamlit page (a title and one small chart, its own server)
    in a new tab of the same browser: what Streamlit itself costs here, the floor under every
    page's new-tab time."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bare.py"
        script.write_text(BARE_APP)
        proc, url = serve(script, dict(os.environ), cwd=Path(tmp))
        try:
            seconds = []
            for _ in range(3):  # the first warms the server and the browser's cache
                page = context.new_page()
                t0 = time.perf_counter()
                page.goto(url, timeout=120_000)
                seconds.append(seconds_until(page, CONTENT, t0, timeout))
                page.close()
            return None if None in seconds else min(seconds[1:])
        finally:
            proc.terminate()
            proc.wait(15)


def seconds_until(page, selector: str, t0: float, timeout: float) -> float | None:
    try:
        page.wait_for_selector(selector, state="visible", timeout=timeout * 1000)
    except Exception:  # Playwright's TimeoutError: the page never showed it
        return None
    return time.perf_counter() - t0


FRESH = ":not([data-stale='true']) > "  # an element of the run now showing, not the page before


def fresh_title(page, before: str, t0: float, timeout: float) -> float | None:
    """Seconds until a new page's title (an h1 other than `before`) is painted."""
    while time.perf_counter() - t0 < timeout:
        for h in page.query_selector_all("[data-testid='stMain'] h1"):
            if h.is_visible() and h.inner_text() != before and not h.evaluate(
                    "e => Boolean(e.closest(\"[data-stale='true']\"))"):
                return time.perf_counter() - t0
        page.wait_for_timeout(30)
    return None


def fresh_content(page, t0: float, timeout: float) -> float | None:
    """first_content, counting only elements of the new page's run."""
    stale = "e => Boolean(e.closest(\"[data-stale='true']\"))"
    while time.perf_counter() - t0 < timeout:
        if any(el.is_visible() and not el.evaluate(stale) for el in page.query_selector_all(CONTENT)):
            return time.perf_counter() - t0
        for f in page.frames:
            if "vx_live" in f.url and f.query_selector(".js-plotly-plot .main-svg"):
                el = f.frame_element()
                if el.is_visible() and not el.evaluate(stale):
                    return time.perf_counter() - t0
        page.wait_for_timeout(30)
    return None


def first_content(page, t0: float, timeout: float) -> float | None:
    """Seconds until a chart/table/metric/image is painted on the page, or a live view (ui/live)
    has drawn its figure in its iframe."""
    while time.perf_counter() - t0 < timeout:
        if any(el.is_visible() for el in page.query_selector_all(CONTENT)) or any(
                f.query_selector(".js-plotly-plot .main-svg") for f in page.frames if "vx_live" in f.url):
            return time.perf_counter() - t0
        page.wait_for_timeout(50)
    return None


def all_done(page, t0: float, timeout: float) -> float | None:
    """Seconds until no progress bar is left and the script is idle for half a second."""
    while time.perf_counter() - t0 < timeout:
        if page.query_selector(IDLE) and not page.query_selector("[data-testid='stProgress']"):
            page.wait_for_timeout(500)
            if page.query_selector(IDLE) and not page.query_selector("[data-testid='stProgress']"):
                return time.perf_counter() - t0 - 0.5
        page.wait_for_timeout(200)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--pages", default=None, help="comma-separated page names (default: all)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--navigate", action="store_true",
                        help="one tab: open each page through its sidebar link")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chosen = [Path(p).stem for p in pages()]
    if args.pages:
        chosen = [p for p in chosen if p in args.pages.split(",")]
    proc, url = start_server(args.store)
    fmt = lambda s: (f"{s:7.2f}" if isinstance(s, float) else f"{s:>7s}" if s else
                     f"{'>' + str(int(args.timeout)):>7s}")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            warm = context.new_page()  # the server's first session pays its imports, and the
            for name in ("", "reparam_families"):  # browser caches the JavaScript of a chart
                warm.goto(f"{url}/{name}", timeout=120_000)
                seconds_until(warm, CONTENT if name else IDLE, time.perf_counter(), 120)
            warm.close()
            floor = None if args.navigate else bare_floor(context, args.timeout)
            if floor is not None:
                print(f"a bare Streamlit page (title + one chart) in a new tab: {floor:.2f} s "
                      f"(the floor; 'vs bare' below is each page's first content minus it)")
            print(f"{'page':24s} {'title s':>7s} {'content':>7s} {'all s':>7s} {'load':>5s}"
                  + (f" {'vs bare':>7s}" if floor is not None else ""))
            slow = []
            tab = None
            if args.navigate:
                tab = context.new_page()
                tab.goto(url, timeout=120_000)
                seconds_until(tab, IDLE, time.perf_counter(), 120)
                more = tab.query_selector("[data-testid='stSidebarNavViewButton']")
                if more is not None:  # "View 14 more": every page's link in the sidebar
                    more.click()
            for name in chosen:
                load = load_average()
                if tab is not None:
                    page = tab
                    here = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
                    if here == name or (name == "home" and ":" in here):  # on it already:
                        other = "lessons" if name != "lessons" else ""  # leave it first
                        page.click(f"[data-testid='stSidebarNavLink'][href$='/{other}']")
                        seconds_until(page, IDLE, time.perf_counter(), args.timeout)
                        page.wait_for_timeout(300)
                    before = page.inner_text("[data-testid='stMain'] h1")
                    t0 = time.perf_counter()
                    link = "" if name == "home" else name  # the default page is at /
                    page.click(f"[data-testid='stSidebarNavLink'][href$='/{link}']")
                    title = fresh_title(page, before, t0, args.timeout)
                    content = ("–" if name in TEXT_PAGES else
                               fresh_content(page, t0, args.timeout))
                else:
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"{url}/{name}", timeout=120_000)
                    title = seconds_until(page, "[data-testid='stMain'] h1", t0, args.timeout)
                    content = ("–" if name in TEXT_PAGES else
                               first_content(page, t0, args.timeout))
                done = all_done(page, t0, args.timeout)
                first = content if content not in (None, "–") else title
                flag = "  ← slow" if first is None or first > TARGET_SECONDS else ""
                extra = (f" {first - floor:+7.2f}" if floor is not None and first is not None
                         else "")
                print(f"{name:24s} {fmt(title)} {fmt(content)} {fmt(done)} {load:>5s}{extra}{flag}",
                      flush=True)
                if flag:
                    slow.append(name)
                if tab is None:
                    page.close()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # a page job still computing holds the shutdown
            proc.kill()
            proc.wait(5)
    print(f"first content over {TARGET_SECONDS:g} s: {', '.join(slow) or 'none'} "
          f"(load now {load_average()})")


if __name__ == "__main__":
    main()
