"""Comparing finished runs of different latent kinds on one data set.

Every model here reports the ELBO of its own generative model (its family's
evaluation_terms), so Gaussian, categorical and DVAE numbers are all lower bounds on their
model's log p(x) and compare directly. A VQ-VAE's "ELBO" is log p(x|z_q) − N log K with a
uniform prior it never learns (van den Oord et al. 2017 fit a PixelCNN prior afterwards), so
for it the reconstruction term is the meaningful column.
"""
from __future__ import annotations

from explorer.models import registry as families

from trainer.spec import RunSpec
from trainer.store import RunRecord

COLUMNS = ("run", "model", "estimator", "latent", "epochs", "seed", "test ELBO",
           "E log p(x|z)", "KL", "L_k", "seconds")


def latent_description(spec: RunSpec) -> str:
    """The latent space in words: '20 × Cat(10)', '32 bits', '8 codes of 64 (D=16)', 'R^2'."""
    return spec.family.describe(spec)


def _last(evals: dict, name: str) -> float | None:
    series = evals.get(name)
    return series["value"][-1] if series and series["value"] else None


def comparison_rows(records: list[RunRecord], evals: dict[str, dict], dataset: str) -> list[dict]:
    """One row per finished run on `dataset`, best test ELBO first (VQ-VAEs last: their
    ELBO counts the constant N log K and is not comparable: `comparable_elbo`)."""
    rows = []
    for rec in records:
        if rec.status != "done" or rec.spec.dataset != dataset:
            continue
        ev = evals.get(rec.run_id, {})
        rows.append({
            "run": rec.run_id, "model": rec.spec.model, "estimator": rec.spec.estimator,
            "latent": latent_description(rec.spec), "epochs": rec.spec.epochs,
            "seed": rec.spec.seed, "test ELBO": rec.test_elbo,
            "E log p(x|z)": _last(ev, "test_reconstruction"), "KL": _last(ev, "test_kl"),
            "L_k": _last(ev, "bound_iwae"), "seconds": round(rec.seconds, 1),
        })
    rows.sort(key=lambda r: (not families.get(r["model"]).comparable_elbo,
                             -(r["test ELBO"] or float("-inf"))))
    return rows


def comparison_specs(base: RunSpec) -> list[RunSpec]:
    """The standard line-up for one data set (each family's `lineup`), everything but the
    latent from `base`:
    Gaussian d = 20, categorical 20 × 10 (Gumbel-softmax and straight-through), DVAE with
    32 bits (spike-and-exponential and DVAE++ overlapping exponentials), VQ-VAE with 8 codes of 64 (codebook loss and EMA). Sizes follow Jang et al.
    2017 (20 × 10) scaled down for the 5,000-digit set."""
    keep = dict(dataset=base.dataset, hidden=base.hidden, likelihood=base.likelihood,
                obs_std=base.obs_std, binarize=base.binarize, epochs=base.epochs,
                batch_size=base.batch_size, lr=base.lr, seed=base.seed)
    return [RunSpec(**keep, model=family.name, **variant)
            for family in families.families() for variant in family.lineup]
