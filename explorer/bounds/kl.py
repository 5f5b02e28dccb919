"""KL(q(z|x) ‖ p(z)): closed forms per latent dimension or variable (second lecture, eq. 22)."""
from __future__ import annotations

import torch
from torch.distributions import Distribution, kl_divergence


def gaussian_kl_per_dimension(q: Distribution) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) per latent dimension, shape (..., d).

    −½ (1 + log σ² − σ² − μ²): eq. (22) of the second lecture text (Kingma & Welling, App. B).
    """
    mu, std = q.mean, q.stddev
    return 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)


def kl_to_prior(q: Distribution, prior: Distribution) -> torch.Tensor:
    """KL(q(z|x) ‖ p(z)) per example; analytic where torch.distributions knows it."""
    return kl_divergence(q, prior)


def kl_per_variable(q, prior) -> torch.Tensor:
    """KL per latent variable (B, N) for factorised q and p (analytic, torch.distributions)."""
    # torch's Bernoulli KL masks by shape, so the prior must be expanded to q's batch first.
    return kl_divergence(q.base_dist, prior.base_dist.expand(q.base_dist.batch_shape))
