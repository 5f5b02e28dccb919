"""How well the aggregate posterior q(z) = (1/N) Σ_n q(z|x_n) matches the prior p(z).

The ELBO's KL term pulls each q(z|x) towards p(z); the L2 and MMD alternatives (third
lecture text §1.4; InfoVAE, Zhao et al. 2017) pull differently, and what reaches p(z) is
what the decoder sees when the model generates. Samples z ~ q(z) are one z ~ q(z|x) per
data point; two numbers summarise the match: the MMD² between them and samples of p(z)
(explorer.objectives.regularizers.mmd2), and KL(N(m, S) ‖ N(0, I)) of the Gaussian with
q(z)'s mean and covariance (0 when the first two moments match p's).
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.objectives.regularizers import mmd2
from explorer.views.latent import seeded

MMD_POINTS = 2000  # samples on each side of the MMD² (its cost is quadratic)


@torch.no_grad()
def aggregate_posterior_samples(model, x, seed: int = 0, batch_size: int = 1000) -> np.ndarray:
    """One z ~ q(z|x_n) per data point: N samples of the aggregate posterior q(z), (N, d)."""
    x = torch.as_tensor(np.asarray(x), dtype=model.prior().mean.dtype)
    out = []
    with seeded(seed):
        for start in range(0, len(x), batch_size):
            chunk = x[start : start + batch_size]
            out.append(model.encode(chunk).sample().reshape(len(chunk), -1))
    return torch.cat(out).double().numpy()


def moment_matched_kl(z: np.ndarray) -> float:
    """KL(N(m, S) ‖ N(0, I)) = ½ (tr S + mᵀm − d − log det S), m and S the sample mean and
    covariance of z (N, d)."""
    z = np.asarray(z, dtype=np.float64)
    m, S = z.mean(0), np.atleast_2d(np.cov(z, rowvar=False))
    sign, logdet = np.linalg.slogdet(S)
    if sign <= 0:
        return float("inf")  # a degenerate q(z): no density to compare
    return float(0.5 * (np.trace(S) + m @ m - len(m) - logdet))


def mmd_to_prior(model, z: np.ndarray, seed: int = 0, n: int = MMD_POINTS) -> float:
    """Unbiased MMD² between (at most n of) the q(z) samples and as many z ~ p(z)."""
    z = torch.as_tensor(np.asarray(z)[:n], dtype=torch.float64)
    with seeded(seed + 1):
        prior = model.prior().sample((len(z),)).reshape(len(z), -1).double()
    return float(mmd2(z, prior))


def moment_kl_floor(model, n: int, seed: int = 0) -> float:
    """`moment_matched_kl` of n samples of p(z) itself: what a perfect match scores with n
    samples (> 0: the sample covariance's bias, ≈ d(d + 1) / 4n)."""
    with seeded(seed + 2):
        z = model.prior().sample((n,)).reshape(n, -1)
    return moment_matched_kl(z.double().numpy())


def prior_match(model, x, seed: int = 0) -> dict:
    """q(z) samples over x and their summary: per-coordinate mean and variance (p(z): 0 and
    1), the moment-matched KL (and its value for as many samples of p(z)) and the MMD² to p(z)."""
    z = aggregate_posterior_samples(model, x, seed)
    return {"z": z, "mean": z.mean(0), "var": z.var(0), "kl_moment": moment_matched_kl(z),
            "kl_moment_floor": moment_kl_floor(model, len(z), seed),
            "mmd2": mmd_to_prior(model, z, seed)}
