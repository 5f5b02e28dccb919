"""Bound tracking while training: one batched draw for the sampled bounds, the exact
log p(x) in a background thread — the same numbers as computing everything in place."""
import pytest
import torch

import trainer.loop as loop
from explorer import data
from explorer.bounds import exact_log_marginal, iwae
from trainer import RunSpec, RunStore, build_model, load_model
from trainer.bound_tracking import ELBO_SAMPLES, ExactInBackground, record_bounds
from trainer.loop import train_run

SMALL = dict(dataset="digits", hidden=(32,), latent_dim=2, epochs=4, batch_size=256,
             bounds_every=2, checkpoint_every=2, bounds_points=8)


def test_sampled_bounds_share_one_draw_and_exact_is_the_quadrature():
    torch.manual_seed(0)
    model = build_model(RunSpec(**SMALL)).eval()
    x = data.load("digits", "test")[0][:8]
    out = record_bounds(model, x, k=ELBO_SAMPLES, seed=3)
    # The same draw: the ELBO is the mean of the very log weights L_k averages in log space,
    # so ELBO ≤ L_k holds exactly (Jensen), and L_k is the IWAE bound of that draw.
    assert out["bound_elbo"] < out["bound_iwae"] < out["bound_exact"]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        with torch.no_grad():
            assert out["bound_iwae"] == pytest.approx(float(iwae(model, x, ELBO_SAMPLES).mean()),
                                                      abs=1e-4)
    with torch.no_grad():
        assert out["bound_exact"] == pytest.approx(float(exact_log_marginal(model, x).mean()), abs=1e-5)
    assert "bound_exact" not in record_bounds(model, x, k=5, seed=3, exact=False)


def run(store, spec):
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    return rec.run_id, train_run(store, rec.run_id)


def test_background_exact_bound_is_the_one_of_the_model_at_that_epoch(tmp_path):
    store = RunStore(tmp_path)
    run_id, status = run(store, RunSpec(**SMALL))
    assert status == "done"
    ev = store.evals(run_id)
    assert ev["bound_exact"]["epoch"] == [0, 2, 4] == ev["bound_elbo"]["epoch"]
    model = load_model(run_id, store)  # the final checkpoint: the model the epoch-4 bound saw
    x = data.load("digits", "test")[0][:8]
    with torch.no_grad():
        assert ev["bound_exact"]["value"][-1] == pytest.approx(
            float(exact_log_marginal(model, x).mean()), abs=1e-5)
    # Epoch 0's bound is the untrained model's (rebuilt as the run built it), though training
    # had moved the weights on by the time the background thread was done.
    torch.manual_seed(SMALL.get("seed", 0))
    untrained = build_model(RunSpec(**SMALL))
    untrained.init_output_bias(data.load("digits", "train")[0].mean(0))
    with torch.no_grad():
        assert ev["bound_exact"]["value"][0] == pytest.approx(
            float(exact_log_marginal(untrained.eval(), x).mean()), abs=1e-5)
    assert ev["bound_exact"]["value"][0] != pytest.approx(ev["bound_exact"]["value"][-1], abs=0.1)


def test_a_run_stopped_before_its_background_bound_was_written_recovers_it(tmp_path, monkeypatch):
    clean_store = RunStore(tmp_path / "clean")
    clean_id, _ = run(clean_store, RunSpec(**SMALL))
    clean = clean_store.evals(clean_id)["bound_exact"]

    store = RunStore(tmp_path / "s")
    real_submit, real_epoch = ExactInBackground.submit, loop.train_epoch

    def lose_epoch_2(self, epoch, *args, **kwargs):  # still computing when the process stopped
        if epoch != 2:
            real_submit(self, epoch, *args, **kwargs)

    def crash_in_epoch_3(state, *args):
        if state.epoch == 2:
            raise RuntimeError("worker killed")
        return real_epoch(state, *args)

    monkeypatch.setattr(ExactInBackground, "submit", lose_epoch_2)
    monkeypatch.setattr(loop, "train_epoch", crash_in_epoch_3)
    run_id, status = run(store, RunSpec(**SMALL))
    assert status == "failed" and store.get(run_id).checkpoint_epoch == 2
    assert store.evals(run_id)["bound_exact"]["epoch"] == [0]
    monkeypatch.undo()
    store.requeue(run_id)
    store.claim(run_id)
    assert train_run(store, run_id) == "done"
    got = store.evals(run_id)["bound_exact"]
    assert got["epoch"] == clean["epoch"] == [0, 2, 4]
    assert got["value"] == pytest.approx(clean["value"], abs=1e-4)
