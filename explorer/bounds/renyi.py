"""The variational Rényi bound L_α (Li & Turner 2016), α ∈ [0, 1]: the IWAE bound at α = 0, the ELBO at α = 1."""
from __future__ import annotations

import math

import torch
from torch.distributions import Distribution

from explorer.bounds.log_weights import chunked_log_weights, log_mean_exp


def renyi_reduce(log_w: torch.Tensor, alpha: float, dim: int = 0) -> torch.Tensor:
    """L_α = 1/(1−α) log (1/k Σ w_i^{1−α}) from log weights (Li & Turner 2016, eq. 5).

    α = 1 is the k-sample ELBO, mean log w. Near α = 1 the direct formula divides a
    rounding error by 1 − α, so weights are centred on their mean and the sum is taken with
    expm1/log1p, which stays accurate down to 1 − α ≈ 1e-12.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ValueError(f"the Rényi bound needs α in [0, 1], got {alpha}")
    ref = log_w.mean(dim, keepdim=True)
    if alpha == 1.0:
        return ref.squeeze(dim)
    s = 1.0 - alpha
    a = s * (log_w - ref)
    small = a.abs().amax(dim) < 0.5
    series = torch.log1p(torch.expm1(a.clamp(max=0.5)).mean(dim))
    direct = log_mean_exp(a, dim)
    return ref.squeeze(dim) + torch.where(small, series, direct) / s


def renyi_bound(model, x: torch.Tensor, alpha: float, k: int, chunk_size: int | None = None,
                q: Distribution | None = None) -> torch.Tensor:
    """Variational Rényi bound L_α per example, shape (B,) (Li & Turner 2016), α ∈ [0, 1].

    α = 0 is the IWAE bound L_k on the same samples; α = 1 is the Monte Carlo ELBO.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ValueError(f"the Rényi bound needs α in [0, 1], got {alpha}")
    return renyi_reduce(chunked_log_weights(model, x, k, chunk_size, q), alpha)
