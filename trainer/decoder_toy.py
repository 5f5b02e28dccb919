"""Decoder power on a data set whose density is known: bars and stripes (explorer.data.
bars_stripes), trained with a factorised MLP decoder and with an autoregressive MADE, same
encoder, d = 2, β = 1.

A factorised p(x|z) must carry in z everything the pixels share — which of the 32 patterns,
log 32 nats. A MADE can model the mixture without z, so the ELBO's optimum needs no rate
(Chen et al. 2017, "Variational lossy autoencoder"); what z keeps in practice is what the
autoregressive order finds hardest (about a bit: bars or stripes is log 2 nats). The
sentence the page shows is computed from the runs.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from explorer import data
from explorer.data import bars_stripes
from explorer.views import latent
from trainer import families
from trainer.spec import RunSpec
from trainer.store import RunRecord

DATASET = "bars_stripes"
GRID = (("mlp", ()), ("made", (128, 128)))  # the MLP mirrors the encoder: 128-128


def base_spec(epochs: int = 150, seed: int = 0) -> RunSpec:
    """The MLP run of the pair: 16-128-128-2, Bernoulli pixels, 150 epochs of batch 128."""
    return RunSpec(dataset=DATASET, latent_dim=2, hidden=(128, 128), epochs=epochs, seed=seed)


def toy_specs() -> list[RunSpec]:
    """The MLP and MADE runs, weakest decoder first."""
    return families.decoder_specs(base_spec(), grid=GRID)


def toy_rows(records: Iterable[RunRecord], evals_of: Callable[[str], dict],
             kl_per_dim_of: Callable[[str], list]) -> list[dict]:
    """Rate, distortion, ELBO and active units of the finished runs of the pair."""
    return families.rate_distortion_table(base_spec(), records, evals_of, kl_per_dim_of,
                                          knobs=families.DECODER_KNOBS)


def data_log_likelihood() -> float:
    """The data's exact mean test log p(x): the ELBO no model can beat on average."""
    x, _ = data.load(DATASET, "test")
    return float(bars_stripes.log_prob(x.double()).mean())


def orientation(model) -> tuple[np.ndarray, np.ndarray, float]:
    """μ(x) of the test images (N, 2), each image's orientation name, and how well z tells
    bars from stripes: 5-nearest-neighbour accuracy on μ(x), fitted on the training images,
    scored on the test images (0.5 = z knows nothing of it)."""
    x, y = data.load(DATASET, "train")
    xt, yt = data.load(DATASET, "test")
    mu, _ = latent.posterior_stats(model, x)
    mut, _ = latent.posterior_stats(model, xt)
    accuracy = latent.knn_accuracy(mu, y.numpy(), mut, yt.numpy())
    return mut, np.where(yt.numpy() == 0, "stripes", "bars"), accuracy


# Reference code lengths: how many equally likely things a code of log n nats can name.
REFERENCES = {"which of the 32 patterns": 32, "bars or stripes": 2}


def toy_summary(rows: Sequence[dict], truth: float) -> str:
    """One sentence from the runs: each decoder's rate against log 32 and log 2, and its
    ELBO against the data's own log-likelihood −H."""
    parts = [f"{r['decoder']} spends R = {r['rate']:.2f} nats on z and reaches a test ELBO of "
             f"{r['elbo']:.2f}" for r in rows]
    made = [r for r in rows if r["autoregressive"]]
    mlp = [r for r in rows if not r["autoregressive"]]
    text = "; ".join(parts) + f" (the data's own test log-likelihood is {truth:.2f})."
    if made and mlp and made[0]["rate"] < mlp[0]["rate"]:
        text += (f" The autoregressive decoder cuts the rate by "
                 f"{mlp[0]['rate'] - made[0]['rate']:.2f} nats: log 32 = {math.log(32):.2f} "
                 f"would name the pattern, log 2 = {math.log(2):.2f} is one bit, e.g. bars or "
                 "stripes.")
    return text
