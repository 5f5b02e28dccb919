"""Real-browser tests of sharing and live views: a lesson step, a URL round trip, the live
latent view during a run, a fresh store preparing its class models (tests/classroom_browser.py)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .classroom_browser import (_start_server, _stop_server, _worker_pids, figure, no_errors,
                                open_page, poll, press, slider, slider_value)
from .test_browser import wait_idle
from .test_browser_live import address

pytestmark = pytest.mark.browser

# --- lessons ------------------------------------------------------------------------------------

def test_lesson_step_opens_its_preset(server, page):
    from ui.lessons import STEPS

    n = next(i for i, s in enumerate(STEPS) if s.page.endswith("elbo_posterior.py")) + 1
    open_page(page, f"{server['url']}/lessons")
    page.get_by_role("button", name=f"{n}. Open", exact=True).click()
    page.wait_for_url(re.compile(r"/elbo_posterior\?"), timeout=60_000)
    wait_idle(page)
    assert "q_mean=-1.0" in page.url and f"lesson={n}" in page.url, page.url
    # q's mean is a live view's slider (ui/live): it opens at the preset
    assert poll(lambda: slider(page, "q mean φ₁").count(), 60)
    assert poll(lambda: slider_value(page, "q mean φ₁") == "-1", 10)
    assert poll(lambda: figure(page, "vs q(z) = N(-1, 2)"), 10)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert f"Lesson {n} of {len(STEPS)}" in sidebar.inner_text()
    sidebar.get_by_role("button", name="Next ▶").click()
    page.wait_for_url(re.compile(rf"/{Path(STEPS[n].page).stem}\?.*lesson={n + 1}"), timeout=60_000)
    wait_idle(page)
    sidebar.get_by_text(f"Lesson {n + 1} of {len(STEPS)}").wait_for()
    no_errors(page, "lesson step")


# --- URL round trip -----------------------------------------------------------------------------

# These sliders move in the browser (ui/live); the server hears them, debounced, for the URL.
GUMBEL = {"logit ℓ₁": ("ArrowRight", 2), "logit ℓ₂": ("ArrowLeft", 3), "logit ℓ₃": ("ArrowRight", 1),
          "samples n": ("ArrowLeft", 1), "temperature τ": ("ArrowRight", 2)}


def test_url_round_trip_restores_every_widget(server, browser, page):
    open_page(page, f"{server['url']}/gumbel")
    defaults = {}
    for name in GUMBEL:
        assert poll(lambda: slider(page, name).count(), 60), name
        defaults[name] = slider_value(page, name)
    for name, (key, times) in GUMBEL.items():
        press(page, name, key, times)
    changed = {name: slider_value(page, name) for name in GUMBEL}
    assert all(changed[k] != defaults[k] for k in GUMBEL), (defaults, changed)
    want = {"gm_l1=2.0", "gm_l2=-1.5", "gm_l3=-0.5", "gm_n=5000", "gm_tau=1.0"}
    assert poll(lambda: all(k in address(page) for k in want), 20), address(page)
    fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_page(fresh, address(page))
        for name in GUMBEL:
            assert poll(lambda: slider(fresh, name).count(), 60), name
        restored = {name: slider_value(fresh, name) for name in GUMBEL}
        assert restored == changed, (address(page), restored, changed)
        no_errors(fresh, "gumbel from its URL")
    finally:
        fresh.close()


# --- live latent view while a run trains --------------------------------------------------------

def train_from_page(server, page, query: str):
    """Press Train on the Train page opened with `query`: (the store, the new run's id)."""
    from trainer import RunStore

    store = RunStore(server["store"])
    before = {r.run_id for r in store.list()}
    open_page(page, f"{server['url']}/train?{query}")
    page.get_by_role("button", name="Train", exact=True).click()
    new = poll(lambda: [r for r in store.list() if r.run_id not in before], 30)
    assert new, "pressing Train queued no run"
    return store, new[0].run_id


def test_live_latent_view_gains_frames_while_training(server, page):
    # Long enough that it is still training at the second look, even on a quiet machine.
    store, run_id = train_from_page(server, page, "dataset=digits&epochs=400")
    try:
        t_end = time.monotonic() + 60
        # The page shows a run once it has a checkpoint (ui/run_picker.py), else another run.
        if not poll(lambda: store.get(run_id).checkpoint_epoch is not None, 45, interval=0.5):
            pytest.skip("the machine is too slow: the run wrote no checkpoint within 45 s")
        open_page(page, f"{server['url']}/latent_space?run={run_id}")
        plot = f".st-key-watch_latent_{run_id} .js-plotly-plot"

        def frames():
            """How many snapshots the live view's title counts (it draws the newest alone)."""
            import re

            title = page.evaluate("sel => { const gd = document.querySelector(sel); return gd &&"
                                  " gd.layout && gd.layout.title ? gd.layout.title.text : ''; }",
                                  plot)
            found = re.search(r"snapshot (\d+) of (\d+)", title or "")
            return int(found.group(2)) if found and found.group(1) == found.group(2) else 0

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
        # the newest snapshot alone is sent every 2 s; the frames only to who scrubs them
        assert page.evaluate("sel => document.querySelector(sel)._transitionData._frames.length",
                             plot) == 0
        page.get_by_text("Scrub the snapshots so far").first.click()
        assert poll(lambda: page.evaluate(
            "sel => { const gd = document.querySelector(sel); return gd && gd._transitionData ?"
            " gd._transitionData._frames.length : 0; }", plot) >= first, 20)
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


# --- playback on the Train page -----------------------------------------------------------------

def test_playback_buttons_pause_play_and_step_a_run(server, page):
    """❚❚ pauses the training run (its worker stops after the step in progress), ▶ plays it on,
    ⏭ trains to the end of the epoch and pauses: each press reaches the store's record."""
    store, run_id = train_from_page(server, page, "dataset=digits&epochs=400&seed=7")
    try:
        if not poll(lambda: store.get(run_id).status == "running", 60, interval=0.5):
            pytest.skip("the machine is too slow: the run did not start within 60 s")

        def press_button(name: str):
            wait_idle(page)
            page.get_by_role("button", name=name, exact=True).click()

        press_button("❚❚ Pause")
        assert poll(lambda: store.get(run_id).status == "paused", 60, interval=0.5), \
            store.get(run_id).status
        page.get_by_text("❚❚ paused").first.wait_for(timeout=30_000)  # the page follows the store
        epoch = store.get(run_id).checkpoint_epoch
        press_button("▶ Play")
        assert poll(lambda: store.get(run_id).status == "running", 60, interval=0.5), \
            store.get(run_id).status
        press_button("⏭ One epoch")
        assert poll(lambda: store.get(run_id).status == "paused", 90, interval=0.5), \
            store.get(run_id).status
        assert (store.get(run_id).checkpoint_epoch or 0) >= (epoch or 0)
        no_errors(page, "playback buttons")
    finally:
        store.request_cancel(run_id)
