"""Probabilistic PCA (Tipping & Bishop 1999): a latent variable model with everything exact.

p(z) = N(0, I), p(x|z) = N(Wz + b, σ² I), so p(x) = N(b, WWᵀ + σ²I) and
p(z|x) = N(M⁻¹Wᵀ(x − b), σ² M⁻¹) with M = WᵀW + σ²I — the oracle the bounds are tested on.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import torch
from torch.distributions import Distribution, Independent, MultivariateNormal, Normal


class LinearGaussianModel:
    """pPCA implementing the model protocol (prior, encode, decode, latent_dim).

    encode(x) is the exact posterior, a full-covariance MultivariateNormal, unless
    `q_override` (x ↦ Distribution over z with batch shape (B,)) is set — see `with_encoder`.
    The dtype of W is used throughout (float64 for tight tests).
    """

    def __init__(self, W: torch.Tensor, b: torch.Tensor, noise_std: float):
        self.W, self.b = W, b
        self.noise_std = float(noise_std)
        self.data_dim, self.latent_dim = W.shape
        self.q_override: Callable[[torch.Tensor], Distribution] | None = None

    def with_encoder(self, q_fn: Callable[[torch.Tensor], Distribution]) -> "LinearGaussianModel":
        """A copy of the same generative model whose encode(x) is q_fn(x) (e.g. a wrong q)."""
        other = copy.copy(self)
        other.q_override = q_fn
        return other

    def prior(self) -> Distribution:
        """p(z) = N(0, I)."""
        zero = torch.zeros(self.latent_dim, dtype=self.W.dtype)
        return Independent(Normal(zero, torch.ones_like(zero)), 1)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) = N(Wz + b, σ² I)."""
        return Independent(Normal(z @ self.W.T + self.b, self.noise_std), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): the exact posterior unless q_override is set."""
        return self.posterior(x) if self.q_override is None else self.q_override(x)

    def posterior(self, x: torch.Tensor) -> MultivariateNormal:
        """p(z|x) = N(M⁻¹Wᵀ(x − b), σ² M⁻¹), M = WᵀW + σ²I (Tipping & Bishop 1999, eq. 6)."""
        s2 = self.noise_std**2
        M = self.W.T @ self.W + s2 * torch.eye(self.latent_dim, dtype=self.W.dtype)
        M_inv = torch.linalg.inv(M)
        mean = (x - self.b) @ self.W @ M_inv.T
        return MultivariateNormal(mean, covariance_matrix=s2 * M_inv)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) = log N(x; b, WWᵀ + σ²I), shape (B,)."""
        C = self.W @ self.W.T + self.noise_std**2 * torch.eye(self.data_dim, dtype=self.W.dtype)
        return MultivariateNormal(self.b, covariance_matrix=C).log_prob(x)

    def analytic_elbo(self, q: Distribution, x: torch.Tensor) -> torch.Tensor:
        """Closed-form E_q[log p(x|z)] + E_q[log p(z)] + H(q) for a Gaussian q, shape (B,).

        q is a MultivariateNormal or a diagonal Independent(Normal) with batch shape (B,).
        """
        m = q.mean
        C = q.covariance_matrix if isinstance(q, MultivariateNormal) else torch.diag_embed(q.variance)
        s2, D, d = self.noise_std**2, self.data_dim, self.latent_dim
        resid = x - m @ self.W.T - self.b
        trace_wc = torch.einsum("ij,bjk,ik->b", self.W, C, self.W)  # tr(W C Wᵀ)
        expected_lik = -0.5 * D * math.log(2 * math.pi * s2) - 0.5 * (resid.pow(2).sum(-1) + trace_wc) / s2
        expected_prior = -0.5 * d * math.log(2 * math.pi) - 0.5 * (m.pow(2).sum(-1) + C.diagonal(0, -2, -1).sum(-1))
        return expected_lik + expected_prior + q.entropy()

    def best_diagonal_posterior(self, x: torch.Tensor) -> Independent:
        """argmin over diagonal Gaussians q of KL(q ‖ p(z|x)): the posterior mean and
        variances 1/Λ_ii, Λ the posterior precision (Bishop 2006, §10.1.2)."""
        post = self.posterior(x)
        std = post.precision_matrix.diagonal(0, -2, -1).rsqrt().expand_as(post.mean)
        return Independent(Normal(post.mean, std), 1)

    def best_diagonal_kl(self, x: torch.Tensor) -> torch.Tensor:
        """min over diagonal q of KL(q ‖ p(z|x)) = ½ (Σ log Λ_ii − log det Λ), shape (B,)."""
        L = self.posterior(x).precision_matrix
        kl = 0.5 * (L.diagonal(0, -2, -1).log().sum(-1) - torch.logdet(L))
        return kl.expand(x.shape[0])
