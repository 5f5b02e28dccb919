"""The families of q(z|x) a Gaussian-prior VAE can use, built from the encoder's outputs
(issue 10 §2). Every one is a `torch.distributions.Distribution` with rsample and an exact
log_prob, batch shape (B,) and event shape (d,):

  diagonal   N(μ, diag σ²)                       — Kingma & Welling 2013 (the default)
  full_cov   N(μ, L Lᵀ), z = μ + L ε, L lower triangular with positive diagonal
  flow       a diagonal Gaussian pushed through K affine couplings (explorer.models.flows)
  laplace    Π_j Laplace(μ_j, b_j),   b_j = σ_j / √2    (variance σ_j²)
  student_t  Π_j StudentT(ν = 5, μ_j, s_j), s_j = σ_j √((ν−2)/ν)  (variance σ_j²)

The encoder's first 2d outputs are μ and log σ² in every family, so σ is q's marginal standard
deviation for the location-scale ones; full_cov adds the d(d−1)/2 entries below L's diagonal,
flow a context vector c(x) for its couplings.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import (Distribution, Independent, Laplace, MultivariateNormal, Normal,
                                 StudentT)

from explorer.models.flows import FLOW_CONTEXT
from explorer.models.protocol import LOGVAR_MAX, LOGVAR_MIN

POSTERIORS = ("diagonal", "full_cov", "flow", "laplace", "student_t")
STUDENT_T_DF = 5.0  # ν: heavier tails than a Gaussian, finite variance ν/(ν − 2)
LABELS = {"diagonal": "diagonal Gaussian", "full_cov": "full-covariance Gaussian",
          "flow": "flow (RealNVP couplings)", "laplace": "Laplace", "student_t": "Student-t (ν = 5)"}


def check_posterior(posterior: str) -> str:
    if posterior not in POSTERIORS:
        raise ValueError(f"posterior must be one of {', '.join(POSTERIORS)}, got {posterior!r}")
    return posterior


def n_offdiagonal(latent_dim: int) -> int:
    return latent_dim * (latent_dim - 1) // 2


def encoder_outputs(posterior: str, latent_dim: int) -> int:
    """How many numbers the encoder outputs per x for this family."""
    extra = {"full_cov": n_offdiagonal(latent_dim), "flow": FLOW_CONTEXT}
    return 2 * latent_dim + extra.get(check_posterior(posterior), 0)


def marginal_std(logvar: torch.Tensor) -> torch.Tensor:
    """σ = exp(½ log σ²), log σ² clamped so σ and the KL stay finite (explorer.models.protocol)."""
    return torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))


def scale_tril(std: torch.Tensor, offdiagonal: torch.Tensor) -> torch.Tensor:
    """L with diagonal σ (positive) and the given entries below it, row by row: (..., d, d)."""
    d = std.shape[-1]
    rows, cols = torch.tril_indices(d, d, offset=-1, device=std.device)
    tril = torch.zeros(*std.shape, d, dtype=std.dtype, device=std.device)
    tril[..., rows, cols] = offdiagonal
    return tril + torch.diag_embed(std)


def location_scale(posterior: str, mu: torch.Tensor, std: torch.Tensor) -> Distribution:
    """The factorised families with mean μ and marginal standard deviation σ."""
    if posterior in ("diagonal", "flow"):
        return Independent(Normal(mu, std), 1)
    if posterior == "laplace":
        return Independent(Laplace(mu, std / math.sqrt(2.0)), 1)
    if posterior == "student_t":
        nu = STUDENT_T_DF
        return Independent(StudentT(nu, mu, std * math.sqrt((nu - 2.0) / nu)), 1)
    raise ValueError(f"{posterior!r} is not a factorised location-scale family")


def posterior_from(posterior: str, out: torch.Tensor, latent_dim: int, flow=None) -> Distribution:
    """q(z|x) from the encoder output `out` (..., encoder_outputs(posterior, d)); `flow` is
    the model's explorer.models.flows.ConditionalFlow when posterior == "flow"."""
    d = int(latent_dim)
    mu, logvar, rest = out[..., :d], out[..., d:2 * d], out[..., 2 * d:]
    std = marginal_std(logvar)
    if posterior == "full_cov":
        return MultivariateNormal(mu, scale_tril=scale_tril(std, rest))
    if posterior == "flow":
        return flow.distribution(Independent(Normal(mu, std), 1), rest)
    return location_scale(check_posterior(posterior), mu, std)
