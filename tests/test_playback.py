"""Play / pause / step one epoch / speed (issue 12, "Watch it learn"): a paused run resumes
exactly where it stopped, so pausing and throttling change only when steps happen, never
what they compute; the oracle is the same spec trained without interruption."""
from __future__ import annotations

import time

import pytest
import torch

from trainer import RunSpec, RunStore, load_model, records
from trainer.checkpoints import load_checkpoint
from trainer import loop as loop_module
from trainer import recorder as recorder_module
from trainer.loop import train_run
from trainer.slots import claim_slot

from .test_trainer import wait_for

# 1437 digits, batch 256: 6 steps per epoch, 18 in all; binarised, so every step also draws
# Bernoulli noise besides ε; bounds every epoch, so the exact log p(x) runs in the background.
SPEC = dict(dataset="digits", hidden=(32,), latent_dim=2, epochs=3, batch_size=256,
            binarize=True, bounds_every=1, checkpoint_every=2)
PER_EPOCH = 6


def trained(store: RunStore, spec: RunSpec) -> str:
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    return rec.run_id


def play(store: RunStore, run_id: str) -> str:
    """▶ as a worker sees it: queued again, claimed, trained on."""
    store.requeue(run_id)
    store.claim(run_id)
    return train_run(store, run_id)


def pause_at_steps(monkeypatch, store: RunStore, run_id: str, steps: set[int], at="step"):
    """Ask for a pause during the given (1-based) training steps; every step flushes, so the
    worker reads its controls after each one."""
    monkeypatch.setattr(recorder_module, "FLUSH_SECONDS", -1.0)
    real, calls = loop_module.training_terms, {"n": 0}

    def asking(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] in steps:
            store.request_pause(run_id, at=at)
        return real(*args, **kwargs)

    monkeypatch.setattr(loop_module, "training_terms", asking)
    return calls


def same_run(a: RunStore, b: RunStore, run_id: str):
    """Bit for bit: weights, every metric row and every evaluation."""
    wa, wb = load_model(run_id, a).state_dict(), load_model(run_id, b).state_dict()
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert a.metrics(run_id) == b.metrics(run_id)
    assert a.evals(run_id) == b.evals(run_id)
    assert a.get(run_id).test_elbo == b.get(run_id).test_elbo


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("clean"))
    return store, trained(store, RunSpec(**SPEC))


def test_paused_mid_epoch_then_played_ends_bit_identical(tmp_path, monkeypatch, clean):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.claim(rec.run_id)
    pause_at_steps(monkeypatch, store, rec.run_id, {PER_EPOCH + 2})  # step 8: epoch 2, batch 2
    assert train_run(store, rec.run_id) == "paused"
    paused = store.get(rec.run_id)
    assert (paused.status, paused.step, paused.epoch) == ("paused", PER_EPOCH + 2, 1)
    assert paused.worker_pid is None and paused.pause_at is None and paused.resumable
    assert store.metrics(rec.run_id)["step"] == list(range(1, PER_EPOCH + 3))
    # The mid-epoch state has its own file: checkpoint.pt (what pages load, cached by
    # checkpoint_epoch) still holds the last epoch end's model (epoch 0: checkpoint_every = 2).
    assert store.paused_path(rec.run_id).exists() and paused.checkpoint_epoch == 0
    assert load_checkpoint(store.checkpoint_path(rec.run_id))["step"] == 0
    assert play(store, rec.run_id) == "done"
    assert not store.paused_path(rec.run_id).exists()  # superseded by the next checkpoint
    same_run(store, clean[0], rec.run_id)


def test_two_pauses_one_of_them_at_an_epoch_end(tmp_path, monkeypatch, clean):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.claim(rec.run_id)
    calls = pause_at_steps(monkeypatch, store, rec.run_id, {3, 2 * PER_EPOCH})
    assert train_run(store, rec.run_id) == "paused" and store.get(rec.run_id).step == 3
    # The second pause falls on an epoch's last step: it is taken at that epoch's end.
    assert play(store, rec.run_id) == "paused"
    assert (store.get(rec.run_id).step, store.get(rec.run_id).epoch) == (2 * PER_EPOCH, 2)
    assert play(store, rec.run_id) == "done" and calls["n"] == 3 * PER_EPOCH
    same_run(store, clean[0], rec.run_id)


def test_step_one_epoch_stops_at_the_end_of_the_epoch_in_progress(tmp_path, monkeypatch, clean):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.claim(rec.run_id)
    pause_at_steps(monkeypatch, store, rec.run_id, {2})
    assert train_run(store, rec.run_id) == "paused" and store.get(rec.run_id).step == 2
    monkeypatch.undo()
    store.request_pause(rec.run_id, at="epoch")  # paused: the request waits for ▶
    assert store.get(rec.run_id).pause_at == "epoch"
    assert play(store, rec.run_id) == "paused"  # the rest of epoch 1
    now = store.get(rec.run_id)
    assert (now.step, now.epoch, now.pause_at) == (PER_EPOCH, 1, None)
    assert store.evals(rec.run_id)["test_elbo"]["epoch"] == [1]
    store.request_pause(rec.run_id, at="epoch")
    assert play(store, rec.run_id) == "paused"  # one whole epoch
    assert (store.get(rec.run_id).step, store.get(rec.run_id).epoch) == (2 * PER_EPOCH, 2)
    store.request_pause(rec.run_id, at="epoch")
    assert play(store, rec.run_id) == "done"  # the last epoch ends the run
    same_run(store, clean[0], rec.run_id)


def test_a_speed_cap_changes_the_time_not_the_result(tmp_path, clean):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.set_speed(rec.run_id, 20.0)
    store.claim(rec.run_id)
    t0 = time.perf_counter()
    assert train_run(store, rec.run_id) == "done"
    took = time.perf_counter() - t0
    assert took >= (3 * PER_EPOCH - 1) / 20.0  # 17 intervals of at least 1/20 s
    assert store.get(rec.run_id).speed == 20.0
    same_run(store, clean[0], rec.run_id)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), 1e6])
def test_a_bad_speed_is_refused_with_its_range(tmp_path, bad):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    with pytest.raises(ValueError, match="steps per second"):
        store.set_speed(rec.run_id, bad)
    assert store.get(rec.run_id).speed is None


def test_a_paused_run_is_neither_reaped_nor_counted_as_a_worker(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.claim(rec.run_id)
    pause_at_steps(monkeypatch, store, rec.run_id, {4})
    assert train_run(store, rec.run_id) == "paused"
    monkeypatch.setattr(records, "HEARTBEAT_TIMEOUT", 0.0)  # every heartbeat is stale now
    time.sleep(0.01)
    assert store.reap_orphans(timeout=0.0) == []
    assert store.get(rec.run_id).status == "paused"
    assert [r.status for r in store.list()] == ["paused"]
    assert claim_slot(store, 1) == 0  # the one slot is free: a paused run holds no worker


def test_pause_requests_by_status(tmp_path):
    store = RunStore(tmp_path)
    queued, _ = store.create(RunSpec(**SPEC))
    assert store.request_pause(queued.run_id).status == "paused"  # no worker: at once
    assert store.request_pause(queued.run_id).status == "paused"  # again: nothing to do
    assert store.claim() is None  # a paused run is not in the queue
    assert store.request_cancel(queued.run_id).status == "cancelled"
    assert store.requeue(queued.run_id).status == "queued"
    running = store.claim(queued.run_id)
    rec = store.request_pause(running.run_id)
    assert rec.status == "running" and rec.pause_at == "step"  # the worker takes it
    store.clear_pause(running.run_id)
    assert store.get(running.run_id).pause_at is None
    store.request_pause(running.run_id, at="epoch")
    store.finish(running.run_id, "done", lease=running.lease)
    assert store.get(running.run_id).pause_at is None  # an ended run asks nothing more
    with pytest.raises(records.RunBusy, match="done"):
        store.request_pause(running.run_id)


class StoreExecutor:
    """The Executor seam without workers: this test trains the run itself."""

    def __init__(self, store):
        self.store = store

    def cancel(self, run_id):
        return self.store.request_cancel(run_id)

    def resume(self, run_id):
        return self.store.requeue(run_id)


def test_reset_stops_a_running_run_forgets_it_and_it_trains_again_the_same(tmp_path, clean):
    import threading

    from trainer import control, snapshots

    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    store.set_speed(rec.run_id, 20.0)  # still training when the reset comes
    first = store.claim(rec.run_id)
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("status", train_run(store, rec.run_id)))
    worker.start()
    assert wait_for(lambda: store.get(rec.run_id).step >= 3)
    reset = control.reset(StoreExecutor(store), store, rec.run_id)
    worker.join(30)
    assert out["status"] == "cancelled"
    assert (reset.status, reset.step, reset.epoch, reset.checkpoint_epoch) == ("queued", 0, 0, None)
    assert reset.speed == 20.0 and reset.test_elbo is None and reset.error is None
    assert store.metrics(rec.run_id)["step"] == [] and store.evals(rec.run_id) == {}
    assert not store.checkpoint_path(rec.run_id).exists()
    assert snapshots.steps(store, rec.run_id) == []
    again = store.claim(rec.run_id)
    assert again.lease > first.lease  # the old worker's lease stays fenced off
    assert train_run(store, rec.run_id) == "done"
    same_run(store, clean[0], rec.run_id)


@pytest.mark.parametrize("family", [
    dict(model="vqvae", latent_dim=3, n_categories=16, code_dim=4, codebook_update="ema"),
    dict(model="categorical", latent_dim=4, n_categories=5),
])
def test_a_discrete_run_paused_mid_epoch_keeps_its_code_statistics(tmp_path, monkeypatch, family):
    """The epoch's running code usage (and a VQ-VAE's EMA codebook) survive the pause: the
    per-epoch train_perplexity and friends come out as in the uninterrupted run."""
    spec = RunSpec(**{**SPEC, "binarize": False, "bounds_every": 0, **family})
    clean = RunStore(tmp_path / "clean")
    trained(clean, spec)
    store = RunStore(tmp_path / "s")
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    pause_at_steps(monkeypatch, store, rec.run_id, {PER_EPOCH + 4})
    assert train_run(store, rec.run_id) == "paused"
    assert play(store, rec.run_id) == "done"
    same_run(store, clean, rec.run_id)
    assert len(store.evals(rec.run_id)) > 3  # code statistics were recorded, and compared
