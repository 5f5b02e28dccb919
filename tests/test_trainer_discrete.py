"""Discrete-latent runs through the normal trainer: specs, training, code statistics,
checkpoints and exact resume."""
import json

import pytest
import torch
from pydantic import ValidationError

from explorer import data
from explorer.discrete import temperature
from explorer.models import VQVAE, BernoulliDVAE, CategoricalVAE
from trainer import RunSpec, RunStore, load_model
from trainer.loop import evaluate, train_run

from .test_trainer import cli

SMALL = dict(dataset="digits", hidden=(32,), epochs=2, batch_size=256)
KINDS = {
    "categorical": (CategoricalVAE, dict(latent_dim=4, n_categories=5, anneal_rate=0.05,
                                         tau_min=0.2)),
    "dvae": (BernoulliDVAE, dict(latent_dim=8)),
    "dvae++": (BernoulliDVAE, dict(latent_dim=8, smoothing="overlapping_exponential")),
    "vqvae": (VQVAE, dict(latent_dim=3, n_categories=16, code_dim=4)),
}


def train(store, **fields):
    rec, _ = store.create(RunSpec(**{**SMALL, **fields}))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done", store.get(rec.run_id).error
    return store.get(rec.run_id)


def test_gaussian_run_ids_are_unchanged_by_the_discrete_fields():
    """Ids of runs stored before the model field existed (sha256 of their canonical spec)."""
    assert RunSpec().run_id == "38e217a4efdb"
    assert RunSpec(latent_dim=5, likelihood="gaussian_fixed", obs_std=0.3).run_id == "7060b137277a"
    assert RunSpec(n_categories=50).run_id == RunSpec().run_id  # unused by a Gaussian model
    assert RunSpec(model="vqvae", beta=3.0).run_id == RunSpec(model="vqvae").run_id
    assert RunSpec(model="vqvae", n_categories=32).run_id != RunSpec(model="vqvae").run_id


@pytest.mark.parametrize("kind, estimator", [("gaussian", "reparam"), ("categorical", "gumbel_softmax"),
                                             ("dvae", "smoothing"), ("vqvae", "straight_through")])
def test_each_kind_has_a_default_estimator(kind, estimator):
    assert RunSpec(model=kind).estimator == estimator


@pytest.mark.parametrize("fields, message", [
    (dict(model="dvae", estimator="reparam"), "dvae model trains with estimator smoothing"),
    (dict(model="gaussian", estimator="gumbel_softmax"), "gaussian model"),
    (dict(model="categorical", tau0=0.5, tau_min=1.0), "tau_min"),
    (dict(model="vqvae", codebook_update="kmeans"), "codebook_update"),
    (dict(model="categorical", n_categories=1), "n_categories"),
    (dict(model="spiking"), "model"),
])
def test_bad_discrete_specs_are_rejected_with_a_message(fields, message):
    with pytest.raises(ValidationError) as err:
        RunSpec(**fields)
    assert message in str(err.value)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_trains_and_reloads(tmp_path, kind):
    cls, fields = KINDS[kind]
    store = RunStore(tmp_path)
    rec = train(store, model=kind.rstrip("+"), **fields)
    ev = store.evals(rec.run_id)
    assert ev["test_elbo"]["epoch"] == [1, 2]
    recon, kl = ev["test_reconstruction"]["value"][-1], ev["test_kl"]["value"][-1]
    assert rec.test_elbo == pytest.approx(recon - kl, abs=1e-3)
    m = store.metrics(rec.run_id)
    assert all(len(k) == fields["latent_dim"] for k in m["kl_per_dim"])
    model = load_model(rec.run_id, store)
    assert isinstance(model, cls) and model.kind == kind.rstrip("+")
    if kind == "dvae++":
        assert model.smoothing == "overlapping_exponential"
    x = torch.rand(3, 64)
    assert model.decode(model.encode(x).sample()).log_prob(x).shape == (3,)
    # The stored final number is reproducible from the checkpoint.
    again = evaluate(model, data.load("digits", "test")[0], seed=rec.spec.seed, n_samples=10)
    assert again["test_elbo"] == pytest.approx(rec.test_elbo, abs=1e-4)


def test_dvae_records_its_elbo_and_importance_weighted_bound(tmp_path):
    store = RunStore(tmp_path)
    rec = train(store, model="dvae", latent_dim=6, bounds_every=1, bounds_k=50, beta=0.2)
    ev = store.evals(rec.run_id)
    assert ev["bound_elbo"]["epoch"] == [0, 1, 2] and "bound_exact" not in ev
    gaps = [b - a for a, b in zip(ev["bound_elbo"]["value"], ev["bound_iwae"]["value"])]
    assert all(g > 0 for g in gaps[1:])  # L_50 above the ELBO once the codes are used


def test_categorical_records_the_annealed_temperature(tmp_path):
    store = RunStore(tmp_path)
    rec = train(store, model="categorical", **KINDS["categorical"][1])
    ev = store.evals(rec.run_id)
    want = [temperature(s, 1.0, 0.2, 0.05) for s in ev["tau"]["step"]]
    assert ev["tau"]["value"] == pytest.approx(want)
    assert ev["tau"]["value"][-1] < ev["tau"]["value"][0]
    k = KINDS["categorical"][1]["n_categories"]
    assert all(1.0 <= v <= k for v in ev["test_perplexity"]["value"])
    assert "bound_iwae" in ev  # the generic IWAE bound works for categorical z
    # 5^4 = 625 codes: the exact log p(x) is summed over all of them, above both bounds
    for lo, hi in (("bound_elbo", "bound_iwae"), ("bound_iwae", "bound_exact")):
        assert all(a <= b + 0.05 for a, b in zip(ev[lo]["value"], ev[hi]["value"]))


@pytest.mark.parametrize("update", ["loss", "ema"])
def test_vq_records_code_usage_and_no_bounds(tmp_path, update):
    store = RunStore(tmp_path)
    rec = train(store, model="vqvae", codebook_update=update, **KINDS["vqvae"][1])
    ev = store.evals(rec.run_id)
    for name in ("test_perplexity", "test_dead_codes", "train_perplexity", "codebook_loss",
                 "commitment_loss"):
        assert len(ev[name]["value"]) == 2
    assert all(1.0 <= v <= 16 for v in ev["test_perplexity"]["value"])
    assert all(0 <= v <= 15 for v in ev["test_dead_codes"]["value"])
    assert not any(k.startswith("bound_") for k in ev)
    model = load_model(rec.run_id, store)
    if update == "ema":  # the codebook is the EMA statistics' ratio, as the update defines
        smoothed = model.ema_size.sum() * (model.ema_size + 1e-5) / (model.ema_size.sum() + 16e-5)
        assert torch.allclose(model.codebook, model.ema_sum / smoothed[:, None], atol=1e-5)


@pytest.mark.parametrize("kind", ["categorical", "vqvae"])
def test_resumed_discrete_run_retraces_the_uninterrupted_one(tmp_path, kind, monkeypatch):
    """τ depends on the step and EMA statistics live in buffers: both must survive a resume."""
    fields = {**KINDS[kind][1], "epochs": 4, "checkpoint_every": 2, "model": kind}
    if kind == "vqvae":
        fields["codebook_update"] = "ema"
    clean = train(RunStore(tmp_path / "clean"), **fields)

    store = RunStore(tmp_path / "broken")
    rec, _ = store.create(RunSpec(**{**SMALL, **fields}))
    store.claim(rec.run_id)

    class Crash(Exception):
        pass

    def crash_after_epoch_3(step, total, results):
        if results.get("test_elbo") is not None and store.get(rec.run_id).epoch >= 3:
            raise Crash

    # An exception inside the loop fails the run with its cause; the worker lives on.
    assert train_run(store, rec.run_id, on_progress=crash_after_epoch_3) == "failed"
    assert store.get(rec.run_id).error.startswith("Crash")
    assert store.get(rec.run_id).checkpoint_epoch == 2
    store.requeue(rec.run_id)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    assert store.get(rec.run_id).test_elbo == pytest.approx(clean.test_elbo, abs=1e-4)


def test_cli_trains_a_categorical_model(tmp_path):
    out = cli("train", "--model", "categorical", "--dataset", "digits", "--latent-dim", "3",
              "--n-categories", "4", "--epochs", "1", "--hidden", "16", store=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shown = json.loads(cli("show", result["run_id"], store=tmp_path).stdout)
    assert shown["spec"]["model"] == "categorical" and shown["spec"]["estimator"] == "gumbel_softmax"
    bad = cli("train", "--model", "dvae", "--estimator", "reinforce", store=tmp_path)
    assert bad.returncode == 2 and "smoothing" in bad.stderr
