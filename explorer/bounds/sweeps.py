"""Per-point and per-data-set bound comparisons for the bound-ladder page.

Repeated estimates of the same data point come from one batched call: the point is
repeated along the batch axis, so each row draws its own independent samples.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from explorer.bounds import elbo, exact_log_marginal, iwae, log_weights, renyi_reduce

LADDER_KS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def _repeat(x_one: torch.Tensor, n: int) -> torch.Tensor:
    return x_one.reshape(1, -1).expand(n, -1)


@torch.no_grad()
def bound_ladder(model, x_one: torch.Tensor, ks=LADDER_KS, max_reps: int = 20,
                 sample_budget: int = 20_000, seed: int = 0,
                 on_progress=None) -> dict[str, np.ndarray]:
    """Mean and standard error of L_k for each k over independent repeats (ELBO = L_1 in
    expectation, Burda et al. 2015, Thm 1); repeats shrink as k grows to bound the cost.
    on_progress(samples drawn, samples in all) after each k."""
    means, ses, drawn = [], [], 0
    repeats = [max(3, min(max_reps, sample_budget // k)) for k in ks]
    total = sum(n * k for n, k in zip(repeats, ks))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for k, n in zip(ks, repeats):
            est = iwae(model, _repeat(x_one, n), k).double()
            means.append(est.mean().item())
            ses.append(est.std().item() / math.sqrt(n))
            drawn += n * k
            if on_progress is not None:
                on_progress(drawn, total)
    return {"k": np.asarray(ks), "mean": np.asarray(means), "se": np.asarray(ses),
            "reps": np.asarray(repeats)}


@torch.no_grad()
def renyi_family(model, x_one: torch.Tensor, alphas, k: int = 100, reps: int = 20,
                 seed: int = 0) -> np.ndarray:
    """Mean L_α over `reps` repeats for each α, all from the same importance samples."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        log_w = log_weights(model, _repeat(x_one, reps), k).double()  # (k, reps)
    return np.array([renyi_reduce(log_w, a).mean().item() for a in alphas])


@torch.no_grad()
def test_set_bounds(model, x: torch.Tensor, k: int = 100, elbo_samples: int = 100,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Per-example ELBO, L_k and (d ≤ 2) exact log p(x) over a set of points."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = {"elbo": elbo(model, x, k=elbo_samples).numpy(), "iwae": iwae(model, x, k).numpy()}
        if model.latent_dim <= 2:
            out["exact"] = exact_log_marginal(model, x).numpy()
    return out
