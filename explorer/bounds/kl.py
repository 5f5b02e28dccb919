"""KL(q(z|x) ‖ p(z)): closed forms per latent dimension or variable (second lecture, eq. 22),
for every family of q in explorer.models.posteriors, and the Monte Carlo KL where there is none.

With p(z) = N(0, I) the cross-entropy needs only q's second moment, so any q with a known
entropy has a closed-form KL:  KL(q ‖ N(0, I)) = −H[q] + (d/2) log 2π + ½ E_q‖z‖².
"""
from __future__ import annotations

import math

import torch
from torch.distributions import (Distribution, Independent, Laplace, MultivariateNormal, Normal,
                                 StudentT, kl_divergence)

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
FACTORISED = (Normal, Laplace, StudentT)  # Independent(base, 1) families with closed forms


def gaussian_kl_per_dimension(q: Distribution) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) per latent dimension, shape (..., d), from q's mean and stddev.

    −½ (1 + log σ² − σ² − μ²): eq. (22) of the second lecture text (Kingma & Welling, App. B).
    For a q that is not a diagonal Gaussian it is the KL of the Gaussians with q's marginal
    moments: exact for each marginal of a full-covariance q, a lower bound on a flow's
    marginal KL (a Gaussian has the largest entropy for its variance).
    """
    mu, std = q.mean, q.stddev
    return 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)


def _factorised(q: Distribution) -> bool:
    return (isinstance(q, Independent) and q.reinterpreted_batch_ndims == 1
            and isinstance(q.base_dist, FACTORISED))


def kl_per_dimension(q: Distribution) -> torch.Tensor:
    """KL per latent dimension (..., d) to N(0, 1): exact for factorised q (eq. 22 for the
    Gaussian, −H[q_j] + ½ log 2π + ½ (μ_j² + Var q_j) for Laplace and Student-t), so it sums to
    the KL; for a full-covariance or flow q the moment-matched marginals of
    `gaussian_kl_per_dimension`, which do not sum to the KL (it adds q's total correlation)."""
    if _factorised(q) and not isinstance(q.base_dist, Normal):
        base = q.base_dist
        return -base.entropy() + _HALF_LOG_2PI + 0.5 * (base.mean.pow(2) + base.variance)
    return gaussian_kl_per_dimension(q)


def closed_form_kl(q: Distribution) -> torch.Tensor | None:
    """KL(q ‖ N(0, I)) per example (...,), or None when q has no closed form (a flow)."""
    if _factorised(q):
        return kl_per_dimension(q).sum(-1)
    if isinstance(q, MultivariateNormal):  # ½ (tr Σ + ‖μ‖² − d) − log det L
        tril = q.scale_tril
        log_det = tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return 0.5 * (tril.pow(2).sum((-2, -1)) + q.mean.pow(2).sum(-1) - q.event_shape[-1]) - log_det
    return None


def monte_carlo_kl(log_q: torch.Tensor, log_prior: torch.Tensor) -> torch.Tensor:
    """KL ≈ mean_s [log q(z_s|x) − log p(z_s)] over samples z_s ~ q along dim 0: (S, B) → (B,)."""
    return (log_q - log_prior).mean(0)


def kl_to_prior(q: Distribution, prior: Distribution) -> torch.Tensor:
    """KL(q(z|x) ‖ p(z)) per example; analytic where torch.distributions knows it."""
    return kl_divergence(q, prior)


def kl_per_variable(q, prior) -> torch.Tensor:
    """KL per latent variable (B, N) for factorised q and p (analytic, torch.distributions)."""
    # torch's Bernoulli KL masks by shape, so the prior must be expanded to q's batch first.
    return kl_divergence(q.base_dist, prior.base_dist.expand(q.base_dist.batch_shape))
