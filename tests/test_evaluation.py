"""trainer.evaluation: a run's test ELBO, L_k, KL and active units against independent
computations (quadrature for d = 2, the training loop's own test ELBO, the posterior means),
the JSON cache next to the checkpoint, and `python -m trainer evaluate`."""
import json

import numpy as np
import pytest
import torch

from explorer import data
from explorer.bounds import exact_log_marginal
from trainer import RunSpec, RunStore, default_store_dir, load_model
from trainer import evaluation
from trainer.cli import EXIT_BAD_INPUT, EXIT_OK, main

from .apptest_helpers import trained_run


@pytest.fixture(scope="module")
def run_2d(tmp_path_factory):
    """A tiny trained 2-D Gaussian VAE on digits, in a store shared by this module's tests."""
    root = tmp_path_factory.mktemp("eval_store")
    store = RunStore(root)
    rec, _ = store.create(RunSpec(dataset="digits", latent_dim=2, hidden=(32,), epochs=2,
                                  bounds_every=0))
    store.claim(rec.run_id)
    from trainer.loop import train_run

    assert train_run(store, rec.run_id) == "done"
    return store, rec.run_id


def test_lk_sits_between_the_elbo_and_the_exact_log_likelihood(run_2d):
    store, run_id = run_2d
    model = load_model(run_id, store)
    x = data.load("digits", "test")[0][:40]
    torch.manual_seed(0)
    scores = evaluation.per_point_scores(model, x, k=2000)
    exact = exact_log_marginal(model, x).double().numpy()  # quadrature over the 2-D grid
    assert np.all(scores["elbo"] <= scores["lk"] + 1e-9)  # Jensen, on the same log weights
    gap = exact - scores["lk"]
    se = gap.std(ddof=1) / np.sqrt(len(gap))
    assert gap.mean() > -3 * se - 1e-3  # L_k ≤ log p(x) in expectation
    assert gap.mean() < 0.5  # and k = 2000 samples close most of the ELBO's gap in d = 2
    assert (exact - scores["elbo"]).mean() > gap.mean()


def test_evaluate_run_matches_the_loop_and_the_posterior_means(run_2d):
    store, run_id = run_2d
    out = evaluation.evaluate_run(store, run_id, k=50, seed=3)
    assert out["points"] == data.info("digits").n_test and not out["binarized"]
    # The loop's final test ELBO (10 samples per point, other z draws) agrees within 3 SE.
    assert abs(out["elbo"] - store.get(run_id).test_elbo) < 3 * out["elbo_se"]
    # ELBO = E log p(x|z) − KL, the two terms from independent samples.
    assert out["elbo"] == pytest.approx(out["reconstruction"] - out["kl"], abs=out["elbo_se"])
    assert out["lk"] >= out["elbo"]
    mu = load_model(run_id, store).encode(data.load("digits", "test")[0]).mean.detach()
    activity = mu.var(0, unbiased=False).numpy()
    assert np.allclose(out["unit_activity"], activity, rtol=1e-4, atol=1e-7)
    assert out["active_units"] == int((activity > 0.01).sum())


def test_the_result_is_cached_next_to_the_checkpoint(run_2d, monkeypatch):
    store, run_id = run_2d
    first = evaluation.evaluate_run(store, run_id, k=20, n_test=30)
    path = evaluation.evaluation_path(store, run_id, 20, 30, 0)
    assert path.parent == store.run_dir(run_id) and json.loads(path.read_text()) == first

    def no_model(*args, **kwargs):
        raise AssertionError("a cached evaluation must not load the model")

    monkeypatch.setattr(evaluation, "load_model", no_model)
    seen = []
    assert evaluation.evaluate_run(store, run_id, k=20, n_test=30,
                                   on_progress=lambda d, t: seen.append((d, t))) == first
    assert seen == [(30, 30)]
    assert evaluation.cached_evaluation(store, run_id, 20, 31) is None  # another key
    monkeypatch.undo()
    epoch = store.get(run_id).checkpoint_epoch
    store.set_checkpoint_epoch(run_id, epoch + 1)  # a newer checkpoint: the cache is stale
    try:
        assert evaluation.cached_evaluation(store, run_id, 20, 30) is None
    finally:
        store.set_checkpoint_epoch(run_id, epoch)


def test_progress_is_reported_in_blocks_of_points(run_2d):
    store, run_id = run_2d
    seen = []
    evaluation.evaluate_run(store, run_id, k=5, n_test=25, refresh=True,
                            on_progress=lambda d, t: seen.append((d, t)))
    assert seen == [(10, 25), (20, 25), (25, 25)]


def test_a_binarised_run_is_scored_on_one_fixed_binarisation():
    a = evaluation.test_inputs("digits", 20, True, seed=0)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(a, evaluation.test_inputs("digits", 20, True, seed=0))
    assert not torch.equal(a, evaluation.test_inputs("digits", 20, True, seed=1))


def test_cli_evaluate_prints_json_and_refuses_bad_runs(capsys):
    run_id = trained_run(latent_dim=2, hidden=(16,), epochs=1, bounds_every=0)
    assert main(["evaluate", run_id, "--k", "10", "--points", "20", "--quiet"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["run_id"] == run_id and out["k"] == 10 and out["points"] == 20
    assert main(["evaluate", "nosuchrun"]) == EXIT_BAD_INPUT
    assert "no run 'nosuchrun'" in capsys.readouterr().err
    store = RunStore(default_store_dir())
    rec, _ = store.create(RunSpec(dataset="digits", hidden=(16,), seed=5))  # queued, no file
    assert main(["evaluate", rec.run_id, "--quiet"]) == EXIT_BAD_INPUT
    assert "no checkpoint" in capsys.readouterr().err
    vq = trained_run(model="vqvae", latent_dim=2, hidden=(16,), epochs=1)
    assert main(["evaluate", vq, "--k", "5", "--quiet"]) == EXIT_BAD_INPUT
    assert "L_k cannot be estimated" in capsys.readouterr().err
