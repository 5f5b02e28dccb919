"""Seconds from opening each page to its first full render, with the class models trained.

    .venv/bin/python bench/first_render.py [--store DIR] [--pages latent_space,bound_ladder]

Uses the store at DIR ($VAE_EXPLORER_STORE, else the default), training the class models
first if they are missing (`python -m trainer pretrain --wait`, trainer/class_models.py).
Every page runs in Streamlit's AppTest (a proxy: no browser, so the seconds are the script
run, not the paint) in a fresh session with the caches cleared (cold: what the first student
to open it waits until the page's first run ends), then — where the page left work to its
background jobs (ui/background.py) — until those are done and the page has drawn them
("all"), then once more in the same session (warm). Target: ≤ 3 s cold (issue 12). The load
average (/proc/loadavg, 1 min) is printed per page: the machine is shared.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 3.0


def pages() -> list[str]:
    return re.findall(r'st\.Page\("(app_pages/[a-z_]+\.py)"', (ROOT / "app.py").read_text())


def ensure_class_models(store):
    from trainer import LocalExecutor, class_models

    records = class_models.pretrain(LocalExecutor(store))
    if any(r.status != "done" for r in records):
        print("training the class models first …", flush=True)
        records = class_models.wait(store, records, lambda line: print("  " + line, flush=True))
    for r in records:
        print(f"  {r.run_id} {r.status:5s} {r.seconds:6.1f} s  {class_models.describe(r.spec)}")


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def render(at, page: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    at.switch_page(page).run()
    seconds = time.perf_counter() - t0
    return seconds, shown(at)


def settle(at, ended: int) -> float:
    """Seconds until the page's background jobs are done and a rerun has drawn them (`ended`:
    the queue's count of finished jobs before the page's first run)."""
    from ui.background import page_jobs

    t0, jobs = time.perf_counter(), page_jobs()
    while jobs.busy() or jobs.ended != ended:
        jobs.wait()
        ended = jobs.ended
        at.run()
    return time.perf_counter() - t0


def shown(at) -> str:
    return (f"exception: {at.exception[0].message[:60]}" if at.exception else
            f"{len(at.get('plotly_chart'))} charts, {len(at.get('progress'))} progress bars, "
            f"{len(at.error)} errors, {len(at.info)} infos")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None)
    parser.add_argument("--pages", default=None, help="comma-separated page names (default: all)")
    args = parser.parse_args()
    if args.store:
        os.environ["VAE_EXPLORER_STORE"] = str(Path(args.store).resolve())
    os.environ.setdefault("VAE_EXPLORER_PRETRAIN", "0")  # the bench queues them itself
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from trainer import RunStore, default_store_dir
    from ui.background import page_jobs

    store = RunStore(default_store_dir())
    print(f"store {store.root}")
    ensure_class_models(store)
    chosen = pages()
    if args.pages:
        chosen = [p for p in chosen if Path(p).stem in args.pages.split(",")]
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()  # imports torch,
    for thread in threading.enumerate():  # streamlit, … once: not any page's cost; and the
        if thread.name == "warm-imports":  # server's background imports (ui/preparation.py)
            thread.join()
    slow = []
    print(f"{'page':24s} {'cold s':>7s} {'all s':>7s} {'warm s':>7s} {'load':>5s}  what it shows")
    for page in chosen:
        logging.disable(logging.WARNING)  # clearing caches outside a server logs a warning
        st.cache_data.clear()
        st.cache_resource.clear()
        logging.disable(logging.NOTSET)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()  # a new session on Home: no run picked on another page carries over
        load, ended = load_average(), page_jobs().ended
        cold, first = render(at, page)
        rest = settle(at, ended)
        warm, what = render(at, page)
        flag = "  ← slow" if cold > TARGET_SECONDS else ""
        done = f"{cold + rest:7.2f}" if rest > 0.01 else f"{'–':>7s}"
        print(f"{Path(page).stem:24s} {cold:7.2f} {done} {warm:7.2f} {load:>5s}  {what}"
              + (f" (first run: {first})" if first != what else "") + flag, flush=True)
        if cold > TARGET_SECONDS:
            slow.append(Path(page).stem)
    print(f"over {TARGET_SECONDS:g} s cold: {', '.join(slow) or 'none'} (load now {load_average()})")


if __name__ == "__main__":
    main()
