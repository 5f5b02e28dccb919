"""The importance-weighted bound L_k (Burda et al. 2015) and the effective sample size of its weights."""
from __future__ import annotations

import torch
from torch.distributions import Distribution

from explorer.bounds.log_weights import chunked_log_weights, log_mean_exp


def iwae(model, x: torch.Tensor, k: int, chunk_size: int | None = None,
         q: Distribution | None = None) -> torch.Tensor:
    """IWAE bound L_k = log (1/k Σ_i w_i) per example, shape (B,) (Burda et al. 2015, eq. 8).

    Samples are drawn chunk_size at a time (automatic when None) so the decoder's output
    never exceeds ~CHUNK_FLOATS floats; only the (k, B) log weights are kept. Gradients flow
    when the caller has grad enabled; wrap in torch.no_grad() for evaluation.
    """
    return log_mean_exp(chunked_log_weights(model, x, k, chunk_size, q))


def effective_sample_size(log_w: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """ESS = (Σ w)² / Σ w² (Kong 1992), from log weights without leaving log space."""
    # Shift by the max first: the ratio is shift-invariant, and lse values of −700 + small
    # would otherwise lose the small part to rounding.
    log_w = log_w - log_w.amax(dim, keepdim=True)
    return torch.exp(2 * torch.logsumexp(log_w, dim) - torch.logsumexp(2 * log_w, dim))
