"""How noisy each encoder-gradient estimator is on a trained VAE: the variance and the
signal-to-noise ratio |E ĝ| / sd(ĝ) of every encoder weight's gradient (Rainforth et al. 2018;
Mohamed et al. 2019 §4), from each coordinate's mean and variance over the estimates
(explorer.estimators.encoder_gradients.encoder_gradient_moments: no per-sample gradients
are stored)."""
from __future__ import annotations

import time

import numpy as np
import torch

from explorer.estimators.encoder_gradients import encoder_gradient_moments

# the estimators compared, by display name: sample_gradients options of encoder_gradient_samples
ENCODER_VARIANTS = {
    "reparam": dict(method="reparam"),
    "reinforce": dict(method="reinforce"),
    "reparam (S=2)": dict(method="reparam", samples_per_estimate=2),
    "reinforce + loo baseline (S=2)": dict(method="reinforce", baseline="loo", samples_per_estimate=2),
}


def moment_noise(moments: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict:
    """Mean variance over all encoder weights and the SNR of every weight whose gradient has
    noise, from each weight's (mean, unbiased variance) over the estimates."""
    mean = torch.cat([m.reshape(-1) for m, _ in moments.values()]).double()
    var = torch.cat([v.reshape(-1) for _, v in moments.values()]).double().clamp_min(0.0)
    std = var.sqrt()
    # Weights fed by always-zero pixels get exactly zero gradient under every estimator;
    # their 0/0 "SNR" would swamp the median, so only coordinates with noise count.
    live = std > 0
    snr = (mean[live].abs() / std[live]).numpy()
    return {"mean variance": float(var.mean()), "median SNR": float(np.median(snr)), "snr": snr}


def gradient_noise(grads: dict[str, torch.Tensor]) -> dict:
    """`moment_noise` from n materialised estimates {name: (n, *shape)} (the oracle)."""
    n = len(next(iter(grads.values())))
    flat = {k: g.reshape(n, -1).double() for k, g in grads.items()}
    return moment_noise({k: (g.mean(0), g.var(0)) for k, g in flat.items()})


def encoder_noise(model, x, n: int, variants: dict[str, dict] = ENCODER_VARIANTS) -> dict:
    """Per estimator: mean gradient variance over encoder weights, median SNR, wall time and
    the SNRs, from n estimates at the point(s) x (the same seed for each estimator)."""
    out = {}
    for name, options in variants.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            t0 = time.perf_counter()
            moments = encoder_gradient_moments(model, x, n=n, **options)
            seconds = time.perf_counter() - t0
        noise = moment_noise(moments)
        out[name] = {"mean variance": noise["mean variance"], "median SNR": noise["median SNR"],
                     "seconds": seconds, "snr": noise["snr"]}
    return out
