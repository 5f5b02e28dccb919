"""Variational bounds on log p(x) written against the model protocol.

log p(x) = ELBO + KL(q(z|x) ‖ p(z|x))  — the identity all three lectures build on.
"""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class ElboTerms:
    """Per-example pieces of the (β-)ELBO; every tensor has shape (B,) except kl_per_dim."""

    reconstruction: torch.Tensor  # E_q[log p(x|z)], Monte Carlo
    kl: torch.Tensor  # KL(q(z|x) ‖ p(z)), analytic
    kl_per_dim: torch.Tensor  # (B, d)
    beta: float

    @property
    def elbo(self) -> torch.Tensor:
        """The ELBO itself (β = 1), a lower bound on log p(x)."""
        return self.reconstruction - self.kl

    @property
    def loss(self) -> torch.Tensor:
        """Mean over the batch of −(E_q[log p(x|z)] − β KL); the β-VAE objective."""
        return -(self.reconstruction - self.beta * self.kl).mean()


def elbo_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0) -> ElboTerms:
    """Reparameterised ELBO with `n_samples` z ~ q(z|x) per point and the analytic KL (eq. 22)."""
    q = model.encode(x)
    z = q.rsample((n_samples,))  # (S, B, d): z = μ + σ ε, the reparameterisation trick
    reconstruction = model.decode(z).log_prob(x).mean(0)
    kl_dim = gaussian_kl_per_dimension(q)
    return ElboTerms(reconstruction, kl_dim.sum(-1), kl_dim, float(beta))


def elbo(model, x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Monte Carlo ELBO per example: mean over k samples of log p(x,z) − log q(z|x)."""
    q = model.encode(x)
    z = q.sample((k,))
    log_w = model.decode(z).log_prob(x) + model.prior().log_prob(z) - q.log_prob(z)
    return log_w.mean(0)
