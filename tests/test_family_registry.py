"""A latent family added from this file alone trains through the normal trainer, the CLI and
the Train form (issue 9): z ∈ (0, 1)^d with a uniform prior and a Kumaraswamy posterior
(a reparameterisable inverse-CDF family, third lecture text §1.6), the KL by Monte Carlo.

Nothing outside this file knows the family; `VAE_EXPLORER_FAMILIES=tests.test_family_registry`
lets a CLI process import it the way an outside script's family would be.
"""
import json
import os
import subprocess
import sys

import pytest
import torch
from pydantic import BaseModel, ConfigDict
from torch.distributions import Independent, Kumaraswamy, Uniform
from torch.nn import functional as F

from explorer.models import ObservedDecoder, mlp, registry
from explorer.objectives import ElboTerms

from .conftest import ROOT

NAME = "uniform_toy"
EPS = 1e-6  # keeps z inside (0, 1), where both densities are finite


class UniformToyVAE(ObservedDecoder):
    """p(z) = U(0, 1)^d, q(z|x) = Π Kumaraswamy(a(x), b(x)), any observation model."""

    kind = NAME

    def __init__(self, data_dim, latent_dim, hidden, likelihood, obs_std, floor):
        super().__init__()
        self.latent_dim, self.floor = int(latent_dim), float(floor)
        self._build_decoder(self.latent_dim, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, 2 * self.latent_dim))
        self.register_buffer("_zero", torch.zeros(self.latent_dim), persistent=False)

    def prior(self):
        return Independent(Uniform(self._zero, self._zero + 1, validate_args=False), 1)

    def encode(self, x):
        a, b = (self.floor + F.softplus(self.encoder(x))).chunk(2, dim=-1)
        return Independent(Kumaraswamy(a, b, validate_args=False), 1)

    def decode(self, z):
        return self._observe(z)


def toy_terms(model, x, n_samples=1, beta=1.0, estimator="reparam"):
    """β-ELBO with reparameterised z and KL(q ‖ U) = E_q log q(z) by Monte Carlo."""
    q = model.encode(x)
    z = q.rsample((n_samples,)).clamp(EPS, 1 - EPS)
    kl_dim = (q.base_dist.log_prob(z) - model.prior().base_dist.log_prob(z)).mean(0)
    reconstruction = model.decode(z).log_prob(x).mean(0)
    return ElboTerms(reconstruction, kl_dim.sum(-1), kl_dim, float(beta))


class ToyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    uniform_floor: float = registry.option(0.5, "smallest Kumaraswamy concentration",
                                           label="Concentration floor", ge=0.01, le=5.0)


def log_weights(model, x, k):
    q = model.encode(x)
    z = q.sample((k,)).clamp(EPS, 1 - EPS)
    return model.decode(z).log_prob(x) + model.prior().log_prob(z) - q.log_prob(z)


FAMILY = registry.LatentFamily(
    name=NAME, label="uniform toy", description="z ~ U(0, 1)^d, Kumaraswamy q (a test family)",
    model_class=UniformToyVAE, options=ToyOptions, estimators=("reparam",),
    estimator_help="pathwise through the Kumaraswamy inverse CDF",
    size=registry.LatentSize("toy_dim", "Uniform latents d", 3),
    build=lambda spec, data_dim: UniformToyVAE(data_dim, spec.latent_dim, spec.hidden,
                                               spec.likelihood, spec.obs_std, spec.uniform_floor),
    training_terms=toy_terms,
    evaluation_terms=lambda model, x, n_samples=1: toy_terms(model, x, n_samples),
    log_weights=log_weights,
    describe=lambda spec: f"(0, 1)^{spec.latent_dim}",
)


@pytest.fixture
def toy_family():
    registry.register(FAMILY)
    yield FAMILY
    registry.unregister(NAME)


# Imported by a CLI process through VAE_EXPLORER_FAMILIES: register as an outside module would.
if os.environ.get("VAE_EXPLORER_FAMILIES", "").find(__name__) >= 0:
    registry.register(FAMILY)


SMALL = dict(model=NAME, dataset="digits", latent_dim=3, hidden=(16,), epochs=1,
             uniform_floor=0.7, bounds_every=1, bounds_k=20, bounds_points=8)


def test_spec_keeps_the_family_fields_and_refuses_unknown_ones(toy_family):
    from trainer import RunSpec

    spec = RunSpec(**SMALL)
    assert spec.family is toy_family and spec.uniform_floor == 0.7
    assert spec.options == ToyOptions(uniform_floor=0.7)
    assert spec.estimator == "reparam"  # the family's default
    assert "uniform_floor" in spec.canonical() and "tau0" not in spec.canonical()
    assert RunSpec(**{**SMALL, "tau0": 2.0}) == spec  # another family's field is dropped
    with pytest.raises(ValueError, match="uniform_floor"):
        RunSpec(**{**SMALL, "uniform_floor": 0.0})
    with pytest.raises(ValueError, match="unknown spec field"):
        RunSpec(**{**SMALL, "no_such_field": 1})
    with pytest.raises(ValueError, match="reparam"):
        RunSpec(**{**SMALL, "estimator": "gumbel_softmax"})


def test_trains_one_epoch_through_the_trainer_and_reloads(toy_family, tmp_path):
    from trainer import RunSpec, RunStore, load_model
    from trainer.loop import train_run

    store = RunStore(tmp_path / "store")
    rec, _ = store.create(RunSpec(**SMALL))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    rec = store.get(rec.run_id)
    evals = store.evals(rec.run_id)
    assert rec.test_elbo is not None and torch.isfinite(torch.tensor(rec.test_elbo))
    # ELBO ≤ L_k: recorded from the family's own log weights before and after the epoch
    for elbo, iwae in zip(evals["bound_elbo"]["value"], evals["bound_iwae"]["value"]):
        assert elbo <= iwae
    model = load_model(rec.run_id, store=store)
    assert isinstance(model, UniformToyVAE) and model.floor == 0.7


def test_cli_trains_it_in_process(toy_family, tmp_path, capsys):
    from trainer.cli import main

    code = main(["train", "--model", NAME, "--dataset", "digits", "--latent-dim", "2",
                 "--hidden", "16", "--epochs", "1", "--uniform-floor", "0.9", "--quiet",
                 "--store", str(tmp_path / "store")])
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and out["status"] == "done"
    assert out["spec"]["model"] == NAME and out["spec"]["uniform_floor"] == 0.9


def test_cli_process_imports_an_outside_family(tmp_path):
    env = dict(os.environ, VAE_EXPLORER_FAMILIES="tests.test_family_registry",
               PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "trainer", "train", "--model", NAME, "--dataset", "digits",
         "--latent-dim", "2", "--hidden", "16", "--epochs", "1", "--quiet",
         "--store", str(tmp_path / "store")], capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["status"] == "done"
    bad = dict(env, VAE_EXPLORER_FAMILIES="no.such.module")
    proc = subprocess.run([sys.executable, "-m", "trainer", "list"], capture_output=True,
                          text=True, cwd=ROOT, env=bad, timeout=120)
    assert proc.returncode != 0 and "VAE_EXPLORER_FAMILIES" in proc.stderr


def test_train_form_offers_it_with_its_settings(toy_family):
    from .apptest_helpers import app

    at = app("app_pages/train.py", model=NAME)
    assert at.selectbox(key="model").value == NAME
    assert at.slider(key="toy_dim").value == 3
    assert at.number_input(key="uniform_floor").value == 0.5
    assert any(FAMILY.description in c.value for c in at.caption)
