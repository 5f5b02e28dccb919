"""Run specs, the store, the training loop, divergence, dedupe and kill-then-resume."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from pydantic import ValidationError

from trainer import LocalExecutor, RunBusy, RunSpec, RunStore, describe_errors, load_model
from trainer import loop as loop_module
from trainer.loop import train_run

from .conftest import ROOT

SMALL = dict(dataset="digits", hidden=(32,), latent_dim=2, epochs=3, batch_size=256)


def wait_for(predicate, timeout=60.0, every=0.1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return True
        time.sleep(every)
    return False


# ---- specs -----------------------------------------------------------------
@pytest.mark.parametrize("bad, field", [
    (dict(latent_dim=0), "latent_dim"),
    (dict(latent_dim=65), "latent_dim"),
    (dict(hidden="400,abc"), "hidden"),
    (dict(hidden=()), "hidden"),
    (dict(lr=0), "lr"),
    (dict(dataset="no-such-data"), "dataset"),
    (dict(dataset="two_moons", likelihood="bernoulli"), "Bernoulli"),
    (dict(likelihood="gaussian_fixed", binarize=True), "binarisation"),
    (dict(unknown_field=1), "unknown_field"),
])
def test_invalid_specs_get_a_clear_message(bad, field):
    with pytest.raises(ValidationError) as err:
        RunSpec(**bad)
    assert field in describe_errors(err.value)


def test_spec_hash_is_content_identity():
    a, b = RunSpec(**SMALL), RunSpec(**{**SMALL, "hidden": "32"})
    assert a == b and a.run_id == b.run_id
    assert RunSpec(**{**SMALL, "seed": 1}).run_id != a.run_id
    # obs_std only matters for the fixed-variance Gaussian.
    assert RunSpec(**{**SMALL, "obs_std": 0.5}).run_id == a.run_id
    g = dict(SMALL, likelihood="gaussian_fixed")
    assert RunSpec(**{**g, "obs_std": 0.5}).run_id != RunSpec(**g).run_id


# ---- store -----------------------------------------------------------------
def test_store_lifecycle(tmp_path):
    store = RunStore(tmp_path / "s")
    spec = RunSpec(**SMALL)
    rec, created = store.create(spec)
    assert created and rec.status == "queued" and rec.spec == spec
    again, created = store.create(spec)
    assert not created and again.run_id == rec.run_id
    assert store.request_cancel(rec.run_id).status == "cancelled"
    assert store.requeue(rec.run_id).status == "queued"
    assert store.claim().run_id == rec.run_id
    assert store.claim() is None
    assert store.get(rec.run_id).status == "running"
    with pytest.raises(RunBusy):
        store.requeue(rec.run_id)
    with pytest.raises(RunBusy):
        store.delete(rec.run_id)  # our own pid is alive
    assert store.request_cancel(rec.run_id).cancel_requested


def test_train_run_end_to_end(tmp_path):
    store = RunStore(tmp_path / "s")
    rec, _ = store.create(RunSpec(**SMALL))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    rec = store.get(rec.run_id)
    steps_per_epoch = -(-1437 // 256)
    assert rec.status == "done" and rec.step == rec.total_steps == 3 * steps_per_epoch
    m = store.metrics(rec.run_id)
    assert m["step"] == list(range(1, rec.step + 1))
    assert all(len(k) == 2 for k in m["kl_per_dim"])
    ev = store.evals(rec.run_id)
    assert ev["test_elbo"]["epoch"] == [1, 2, 3]
    assert rec.test_elbo == pytest.approx(ev["test_elbo"]["value"][-1])
    # ELBO = reconstruction − KL, per example, on the test set
    recon, kl = ev["test_reconstruction"]["value"][-1], ev["test_kl"]["value"][-1]
    assert rec.test_elbo == pytest.approx(recon - kl, abs=1e-4)
    model = load_model(rec.run_id, store)
    assert not model.training and model.latent_dim == 2 and model.checkpoint_epoch == 3
    q = model.encode(torch.rand(5, 64))
    assert q.batch_shape == (5,) and q.event_shape == (2,)


def test_divergence_stops_with_status_and_step(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "s")
    rec, _ = store.create(RunSpec(**SMALL))
    store.claim(rec.run_id)
    real = loop_module.training_terms
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        terms = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 4:  # the fifth optimisation step would be step index 4
            terms.reconstruction = terms.reconstruction * float("nan")
        return terms

    monkeypatch.setattr(loop_module, "training_terms", poisoned)
    assert train_run(store, rec.run_id) == "diverged"
    rec = store.get(rec.run_id)
    assert rec.status == "diverged" and rec.diverged_step == 3
    assert "NaN" in rec.error and "step 3" in rec.error
    assert store.metrics(rec.run_id)["step"] == [1, 2, 3]


def test_extreme_learning_rate_diverges_or_finishes_finitely(tmp_path):
    """Whatever happens with lr = 1, the run ends in a defined state with finite metrics."""
    store = RunStore(tmp_path / "s")
    spec = RunSpec(**{**SMALL, "lr": 1.0, "likelihood": "gaussian_learned", "epochs": 2})
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    status = train_run(store, rec.run_id)
    assert status in ("done", "diverged")
    m = store.metrics(rec.run_id)
    assert all(v == v and abs(v) != float("inf") for v in m["loss"])


def test_dedupe_reuses_finished_run(tmp_path):
    store = RunStore(tmp_path / "s")
    spec = RunSpec(**SMALL)
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    train_run(store, rec.run_id)
    executor = LocalExecutor(store)
    again = executor.submit(RunSpec(**SMALL))
    assert again.run_id == rec.run_id and again.status == "done"
    assert executor.live_workers() == 0 and len(store.list()) == 1


def test_killed_worker_leaves_store_consistent_and_resume_matches(tmp_path):
    spec = RunSpec(dataset="digits", hidden=(48,), latent_dim=2, epochs=60, batch_size=128,
                   checkpoint_every=3)
    store = RunStore(tmp_path / "killed")
    executor = LocalExecutor(store, max_workers=1)
    rec = executor.submit(spec)
    assert wait_for(lambda: (store.get(rec.run_id).checkpoint_epoch or 0) >= 6, timeout=120)
    pid = store.get(rec.run_id).worker_pid
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: executor.live_workers() == 0, timeout=10)
    broken = store.get(rec.run_id)  # reading finds the dead worker; no sweep is needed
    assert broken.status == "failed" and broken.resumable and "resume" in broken.error
    m = store.metrics(rec.run_id)
    assert m["step"] == list(range(1, len(m["step"]) + 1))  # no gaps, no duplicates

    executor.resume(rec.run_id)
    assert wait_for(lambda: executor.status(rec.run_id).status == "done", timeout=180)
    resumed = store.get(rec.run_id)
    m = store.metrics(rec.run_id)
    assert m["step"] == list(range(1, resumed.total_steps + 1))
    assert store.evals(rec.run_id)["test_elbo"]["epoch"] == list(range(1, 61))

    # The same spec trained without interruption (one thread, as in a worker).
    clean_store = RunStore(tmp_path / "clean")
    clean, _ = clean_store.create(spec)
    clean_store.claim(clean.run_id)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_run(clean_store, clean.run_id)
    finally:
        torch.set_num_threads(threads)
    assert resumed.test_elbo == pytest.approx(clean_store.get(clean.run_id).test_elbo, abs=1e-4)


def test_cancel_running_then_resume(tmp_path):
    spec = RunSpec(dataset="digits", hidden=(48,), latent_dim=2, epochs=400, checkpoint_every=5)
    store = RunStore(tmp_path / "s")
    executor = LocalExecutor(store, max_workers=1)
    rec = executor.submit(spec)
    assert wait_for(lambda: store.get(rec.run_id).step > 20, timeout=120)
    executor.cancel(rec.run_id)
    assert wait_for(lambda: store.get(rec.run_id).status == "cancelled", timeout=20)
    assert executor.resume(rec.run_id).status == "queued"
    assert wait_for(lambda: executor.status(rec.run_id).status == "running", timeout=60)
    executor.shutdown()
    assert store.get(rec.run_id).status == "cancelled"


def test_queue_is_bounded_by_workers(tmp_path):
    store = RunStore(tmp_path / "s")
    executor = LocalExecutor(store, max_workers=1)
    recs = [executor.submit(RunSpec(**{**SMALL, "seed": s, "epochs": 2})) for s in range(3)]
    assert executor.live_workers() == 1
    assert wait_for(lambda: all(store.get(r.run_id).status == "done" for r in recs), timeout=120)



def test_reading_a_queued_run_starts_no_worker(tmp_path):
    """Workers start on submit and resume; a page polling a run's status starts none."""
    store = RunStore(tmp_path / "s")
    executor = LocalExecutor(store, max_workers=1)
    rec, _ = store.create(RunSpec(**SMALL))
    assert executor.status(rec.run_id).status == "queued"
    assert executor.live_workers() == 0

# ---- CLI -------------------------------------------------------------------
def cli(*args, store):
    return subprocess.run([sys.executable, "-m", "trainer", *args, "--store", str(store)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_cli_train_list_show(tmp_path):
    out = cli("train", "--dataset", "digits", "--latent-dim", "2", "--epochs", "2",
              "--hidden", "32", "--seed", "3", store=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == "done" and result["test_elbo"] < 0 and len(result["run_id"]) == 12
    listing = cli("list", store=tmp_path)
    assert listing.returncode == 0 and result["run_id"] in listing.stdout
    shown = cli("show", result["run_id"], store=tmp_path)
    assert json.loads(shown.stdout)["spec"]["seed"] == 3
    # the same spec again is reused, not retrained
    again = cli("train", "--dataset", "digits", "--epochs", "2", "--hidden", "32", "--seed", "3",
                store=tmp_path)
    assert json.loads(again.stdout.strip().splitlines()[-1])["run_id"] == result["run_id"]
    assert "[" not in again.stderr  # no progress bar: nothing was trained


@pytest.mark.parametrize("args, message", [
    (("train", "--latent-dim", "0"), "latent_dim"),
    (("train", "--dataset", "nope"), "dataset"),
    (("train", "--epochs", "many"), "epochs"),
    (("show", "deadbeef0000"), "no run"),
])
def test_cli_bad_input_exits_nonzero_with_message(tmp_path, args, message):
    out = cli(*args, store=tmp_path)
    assert out.returncode == 2 and message in out.stderr


def test_worker_that_crashes_at_start_fails_the_queue_instead_of_respawning(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "s")
    executor = LocalExecutor(store, max_workers=1)
    # A worker whose interpreter cannot start the trainer: an import error on the path.
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "broken"))
    (tmp_path / "broken" / "trainer").mkdir(parents=True)
    (tmp_path / "broken" / "trainer" / "__init__.py").write_text("raise ImportError('boom')\n")
    monkeypatch.setattr("trainer.executor.PROJECT_ROOT", tmp_path / "broken")
    rec = executor.submit(RunSpec(**SMALL))
    assert wait_for(lambda: executor.live_workers() == 0 and store.get(rec.run_id).status != "queued",
                    timeout=60)
    failed = store.get(rec.run_id)
    assert failed.status == "failed" and "boom" in failed.error and failed.resumable
