"""Importance log weights log w = log p(x, z) − log q(z|x), the kernel of every sampled bound.

ELBO, IWAE, Rényi and the discrete bounds all reduce these (k, B) log weights; they are
drawn in cache-sized chunks so k can reach thousands.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F
from torch.distributions import Bernoulli, Distribution, Independent


# Decoder output floats (chunk · B · D) held at once when chunk_size is chosen for the caller.
CHUNK_FLOATS = 2_500_000  # ≈10 MB of decoder output per chunk: stays in cache; bench/iwae_eval.py found 32 × 100 × 784 fastest


def log_likelihood(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x|z) with the batch shape of z[..., 0] broadcast against x's batch.

    Same value as model.decode(z).log_prob(x); an Independent(Bernoulli) decoder is scored
    with the fused  Σ x·l − softplus(l)  on its logits, which skips the broadcast copies of
    x that Bernoulli.log_prob makes (the bench measures the difference).
    """
    px = model.decode(z)
    if (isinstance(px, Independent) and px.reinterpreted_batch_ndims == 1
            and isinstance(px.base_dist, Bernoulli) and "logits" in px.base_dist.__dict__):
        logits = px.base_dist.logits
        if x.dim() == 2 and logits.dim() >= 2 and logits.shape[-2] == 1:
            # z shared by all B points (z of shape (G, 1, d)): Σ x·l is one matmul.
            return (logits @ x.T).squeeze(-2) - F.softplus(logits).sum(-1)
        return (logits * x).sum(-1) - F.softplus(logits).sum(-1)
    return px.log_prob(x)


def log_joint(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z)."""
    return log_likelihood(model, x, z) + model.prior().log_prob(z)


def log_weights(model, x: torch.Tensor, k: int, q: Distribution | None = None) -> torch.Tensor:
    """log w_i = log p(x, z_i) − log q(z_i|x), z_i ~ q(z|x) reparameterised; shape (k, B).

    q defaults to the encoder's q(z|x); pass any distribution over z with batch shape (B,)
    (e.g. the per-point q* of explorer.gaps.svi_posterior) to use it as the proposal.
    """
    q = model.encode(x) if q is None else q
    z = q.rsample((k,)) if q.has_rsample else q.sample((k,))  # discrete z: no gradient path
    return log_joint(model, x, z) - q.log_prob(z)


def auto_chunk_size(x: torch.Tensor) -> int:
    """Samples per chunk so that chunk · B · D ≲ CHUNK_FLOATS."""
    batch = x.reshape(-1, x.shape[-1]).shape[0]
    return max(1, int(CHUNK_FLOATS // max(1, batch * x.shape[-1])))


def _chunked_log_weights(model, x, k, chunk_size, q):
    """All k log weights (k, B), drawn chunk_size samples at a time; the encoder runs once."""
    if k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    q = model.encode(x) if q is None else q
    chunk = int(chunk_size) if chunk_size else auto_chunk_size(x)
    return torch.cat([log_weights(model, x, min(chunk, k - i), q) for i in range(0, k, chunk)])
