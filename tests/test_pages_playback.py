"""The Train page's ▶ / ❚❚ / ⏭ one epoch / ↺ reset buttons and speed select (AppTest)."""
import time

import pytest

from trainer import RunSpec, RunStore, default_store_dir
from trainer.loop import train_run

from .apptest_helpers import app, trained_run
from .test_playback import PER_EPOCH, SPEC, pause_at_steps

BUTTONS = ("run_play", "run_pause", "run_step", "run_reset")


def paused_run(monkeypatch, step: int = 3) -> str:
    """A run of SPEC trained in this process until a pause after `step` steps."""
    store = RunStore(default_store_dir())
    rec, _ = store.create(RunSpec(**SPEC))
    store.claim(rec.run_id)
    with monkeypatch.context() as m:
        pause_at_steps(m, store, rec.run_id, {step})
        assert train_run(store, rec.run_id) == "paused"
    return rec.run_id


def until(at, predicate, timeout=120.0):
    """Rerun the page (run_every never fires in AppTest) until `predicate()`, then once more:
    the page must be drawn after the state it is asked about (a check between a rerun and the
    store's change would see an older page)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        done = predicate()
        at.run()
        if done:
            return
        time.sleep(0.3)
    pytest.fail("the run did not get there in time")


def enabled(at) -> dict[str, bool]:
    return {k: not at.button(key=k).disabled for k in BUTTONS}


def test_a_paused_run_steps_one_epoch_then_plays_to_the_end(monkeypatch):
    run_id = paused_run(monkeypatch)
    store = RunStore(default_store_dir())
    at = app("app_pages/train.py", run=run_id)
    assert any("❚❚ paused" in m.value for m in at.markdown)
    assert enabled(at) == {"run_play": True, "run_pause": False, "run_step": True,
                           "run_reset": True}
    assert not at.button(key="run_resume").disabled and not at.button(key="run_cancel").disabled
    at.button(key="run_step").click().run()
    assert not at.exception and store.get(run_id).pause_at == "epoch"
    until(at, lambda: store.get(run_id).status == "paused")
    rec = store.get(run_id)
    assert (rec.step, rec.epoch) == (PER_EPOCH, 1)  # the rest of epoch 1, then a pause
    assert any("❚❚ paused" in m.value for m in at.markdown)
    at.button(key="run_play").click().run()
    until(at, lambda: store.get(run_id).status == "done")
    assert store.metrics(run_id)["step"] == list(range(1, 3 * PER_EPOCH + 1))


def test_pause_and_speed_on_a_queued_run():
    at = app("app_pages/train.py")  # the app's executor starts before the run: no worker
    store = RunStore(default_store_dir())
    rec, _ = store.create(RunSpec(**SPEC))
    at.run()
    assert enabled(at) == {"run_play": False, "run_pause": True, "run_step": True,
                           "run_reset": True}
    speed = at.selectbox(key=f"run_speed_{rec.run_id}")
    assert speed.value == "full" and speed.help
    speed.set_value("5/s").run()
    assert store.get(rec.run_id).speed == 5.0
    at.button(key="run_pause").click().run()
    assert not at.exception and store.get(rec.run_id).status == "paused"
    assert any("❚❚ paused" in m.value and "5 steps/s" in m.value for m in at.markdown)
    store.set_speed(rec.run_id, 2.0)  # from the CLI: the select follows
    at.run()
    assert at.selectbox(key=f"run_speed_{rec.run_id}").value == "2/s"


def test_reset_trains_a_finished_run_again_from_scratch():
    run_id = trained_run(**SPEC)
    store = RunStore(default_store_dir())
    before = store.metrics(run_id)
    at = app("app_pages/train.py", run=run_id)
    at.button(key="run_reset").click().run()
    assert not at.exception
    assert store.get(run_id).status in ("queued", "running")
    assert len(store.metrics(run_id)["step"]) < len(before["step"])
    until(at, lambda: store.get(run_id).status == "done")
    assert store.metrics(run_id) == before  # deterministic: the same run again


def test_classroom_mode_locks_the_playback_controls(monkeypatch):
    run_id = paused_run(monkeypatch)
    monkeypatch.setenv("VAE_EXPLORER_TEACHER_TOKEN", "secret")
    at = app("app_pages/train.py", run=run_id)
    assert not any(enabled(at).values())
    assert at.selectbox(key=f"run_speed_{run_id}").disabled
    at.text_input(key="teacher_token_input").set_value("secret").run()
    assert enabled(at)["run_play"]


def test_a_page_reading_a_paused_run_says_it_is_paused(monkeypatch):
    run_id = paused_run(monkeypatch)
    at = app("app_pages/latent_space.py", run=run_id)
    notes = [m.value for m in at.info]
    assert any(n.startswith("Paused — showing the checkpoint after epoch 0") for n in notes), notes
    assert not any("Still training" in n for n in notes)
