"""Specs, runs and CLI flags of the training objectives (elbo, iwae, renyi) and regularisers
(kl, l2, mmd)."""
import json
import math

import pytest
from pydantic import ValidationError

from trainer import RunSpec, RunStore, describe_errors
from trainer.loop import train_run

from .test_trainer import SMALL, cli

# Run ids computed before the objective fields existed: they must never change.
PINNED_IDS = [
    ({}, "38e217a4efdb"),
    ({"model": "categorical"}, "c7d8b3ed4ed6"),
    ({"model": "vqvae"}, "29050902a3d0"),
    ({"model": "dvae"}, "7f0a7df060fa"),
    ({**SMALL, "n_samples": 4, "estimator": "reinforce_loo"}, "5d14bcbcd139"),
]


@pytest.mark.parametrize("fields, run_id", PINNED_IDS)
def test_existing_run_ids_are_unchanged(fields, run_id):
    assert RunSpec(**fields).run_id == run_id
    # settings without effect under the default objective leave the id alone too
    assert RunSpec(**fields, k=7, alpha=0.9).run_id == run_id


def test_canonical_form_of_the_objectives():
    base = RunSpec(**SMALL, objective="iwae", k=5)
    assert "alpha" not in base.canonical() and "regularizer" not in base.canonical()
    assert RunSpec(**SMALL, objective="iwae", k=5, alpha=0.1).run_id == base.run_id
    assert RunSpec(**SMALL, objective="iwae", k=5, n_samples=3).run_id == base.run_id
    assert RunSpec(**SMALL, objective="iwae", k=6).run_id != base.run_id
    r = RunSpec(**SMALL, objective="renyi", k=5, alpha=0.2)
    assert r.run_id not in (base.run_id, RunSpec(**SMALL, objective="renyi", k=5).run_id)
    assert RunSpec(**SMALL, regularizer="l2").run_id != RunSpec(**SMALL).run_id


@pytest.mark.parametrize("bad, message", [
    (dict(model="vqvae", objective="iwae"), "objective"),
    (dict(model="categorical", regularizer="mmd"), "regularised"),
    (dict(objective="iwae", k=4, regularizer="l2"), "objective elbo"),
    (dict(regularizer="mmd", estimator="reinforce"), "reparam"),
    (dict(objective="iwae", k=1, estimator="reinforce_loo"), "k ≥ 2"),
    (dict(objective="nope"), "objective"),
    (dict(objective="renyi", alpha=1.5), "alpha"),
])
def test_invalid_objective_specs_get_a_clear_message(bad, message):
    with pytest.raises(ValidationError) as err:
        RunSpec(**{**SMALL, **bad})
    assert message in describe_errors(err.value)


@pytest.mark.parametrize("fields", [
    dict(objective="iwae", k=5),
    dict(objective="renyi", k=5, alpha=0.5),
    dict(objective="iwae", k=3, estimator="reinforce_loo"),
    dict(regularizer="l2", beta=2.0),
    dict(regularizer="mmd", beta=10.0),
])
def test_one_epoch_run_with_each_objective_finishes(tmp_path, fields):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**{**SMALL, "epochs": 1, "bounds_every": 1, **fields}))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    done = store.get(rec.run_id)
    assert done.status == "done" and math.isfinite(done.test_elbo) and done.test_elbo < 0


def test_cli_objective_flags(tmp_path):
    out = cli("train", "--dataset", "digits", "--hidden", "32", "--epochs", "1",
              "--objective", "iwae", "--k", "5", "--quiet", store=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == "done" and result["spec"]["objective"] == "iwae"
    assert result["spec"]["k"] == 5
    bad = cli("train", "--objective", "iwae", "--model", "vqvae", store=tmp_path)
    assert bad.returncode == 2 and "vqvae model trains with objective elbo, not iwae" in bad.stderr
