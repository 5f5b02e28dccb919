"""Importance log weights log w = log p(x, z) − log q(z|x), the kernel of every sampled bound.

ELBO, IWAE, Rényi and the discrete bounds all reduce these (k, B) log weights; they are
drawn in cache-sized chunks (`chunked`) so k can reach thousands, and averaged in log
space (`log_mean_exp`).
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch.nn import functional as F
from torch.distributions import Bernoulli, Distribution, Independent


# Decoder output floats (chunk · B · D) held at once when chunk_size is chosen for the caller.
CHUNK_FLOATS = 2_500_000  # ≈10 MB of decoder output per chunk: stays in cache; bench/iwae_eval.py found 32 × 100 × 784 fastest


def log_mean_exp(log_w: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """log (1/k Σ_i exp a_i) over `dim` (k = its size): L_k from log weights (Burda et al. 2015, eq. 8).

    logsumexp subtracts the maximum first, so weights far below exp's range (a_i ≈ −10⁴) keep
    their value instead of underflowing to log 0.
    """
    return torch.logsumexp(log_w, dim) - math.log(log_w.shape[dim])


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log Π_d Bern(x_d; σ(l_d)) = Σ_d x_d l_d − softplus(l_d), summed over the last axis.

    The logits form of Bernoulli.log_prob, with x in [0, 1] allowed (grey levels). When one
    row of logits is shared by all B rows of a 2-D x (logits (…, 1, D)), Σ x·l is one matmul
    with no broadcast copy of x: shape (…, B).
    """
    if x.dim() == 2 and logits.dim() >= 2 and logits.shape[-2] == 1:
        return (logits @ x.T).squeeze(-2) - F.softplus(logits).sum(-1)
    return (logits * x).sum(-1) - F.softplus(logits).sum(-1)


def log_likelihood(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x|z) with the batch shape of z[..., 0] broadcast against x's batch.

    Same value as model.decode(z).log_prob(x); an Independent(Bernoulli) decoder is scored
    by `bernoulli_log_likelihood` on its logits, which skips the broadcast copies of x that
    Bernoulli.log_prob makes (the bench measures the difference).
    """
    px = model.decode(z)
    if (isinstance(px, Independent) and px.reinterpreted_batch_ndims == 1
            and isinstance(px.base_dist, Bernoulli) and "logits" in px.base_dist.__dict__):
        return bernoulli_log_likelihood(x, px.base_dist.logits)
    return px.log_prob(x)


def log_joint(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z)."""
    return log_likelihood(model, x, z) + model.prior().log_prob(z)


def log_weights(model, x: torch.Tensor, k: int, q: Distribution | None = None) -> torch.Tensor:
    """log w_i = log p(x, z_i) − log q(z_i|x), z_i ~ q(z|x) reparameterised; shape (k, B).

    q defaults to the encoder's q(z|x); pass any distribution over z with batch shape (B,)
    (e.g. the per-point q* of explorer.bounds.gaps.svi_posterior) to use it as the proposal.
    """
    q = model.encode(x) if q is None else q
    z = q.rsample((k,)) if q.has_rsample else q.sample((k,))  # discrete z: no gradient path
    return log_joint(model, x, z) - q.log_prob(z)


def auto_chunk_size(x: torch.Tensor) -> int:
    """Samples per chunk so that chunk · B · D ≲ CHUNK_FLOATS."""
    batch = x.reshape(-1, x.shape[-1]).shape[0]
    return max(1, int(CHUNK_FLOATS // max(1, batch * x.shape[-1])))


def chunked(part: Callable[[int, int], torch.Tensor], k: int, chunk: int) -> torch.Tensor:
    """part(start, n) for consecutive blocks of n ≤ chunk of k rows, concatenated on dim 0.

    The one chunk loop of the bounds: `part` draws n samples (IWAE, Rényi, the DVAE's joint
    (z, ζ)) or scores rows start … start + n of a fixed set (enumerated codes, grid points).
    """
    if k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    chunk = max(1, int(chunk))
    return torch.cat([part(i, min(chunk, k - i)) for i in range(0, k, chunk)])


def chunked_log_weights(model, x: torch.Tensor, k: int, chunk_size: int | None = None,
                        q: Distribution | None = None) -> torch.Tensor:
    """All k log weights (k, B) of `log_weights`, chunk_size samples at a time (automatic
    when None); the encoder runs once."""
    q = model.encode(x) if q is None else q
    chunk = int(chunk_size) if chunk_size else auto_chunk_size(x)
    return chunked(lambda _, n: log_weights(model, x, n, q), k, chunk)
