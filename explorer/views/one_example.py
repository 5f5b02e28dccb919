"""One example through a Gaussian VAE, the "doubly stochastic" computation of the second
lecture text (eq. 26, Figure 1): x → encoder → (μ, σ) → z = μ + σ ⊙ ε → decoder → p(x|z), the
single-sample ELBO  log p(x|z) − Σ_j KL_j  (eq. 22 per dimension) and its gradient w.r.t. μ
and σ, which reaches them through z (∂z/∂μ = 1, ∂z/∂σ = ε) and directly through the KL.

ε is a sampled input, a constant of the graph: no gradient flows into it. Usage:

    eps = draw_eps(model, seed=0)
    out = forward_pass(model, x, eps, mu_override={0: 1.5})   # dict of numpy arrays / floats
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from explorer.bounds.kl import kl_per_dimension
from explorer.bounds.log_weights import log_likelihood
from explorer.models.posteriors import LABELS, location_scale
from explorer.views.latent import _as_tensor, posterior_stats, seeded

# Families whose own reparameterisation is z = μ + σ ⊙ ε with ε from the family at unit
# variance (Laplace and Student-t scale with σ); the graph is then exactly q's sampling path.
OWN_PATH = ("diagonal", "laplace", "student_t")


def path_family(model) -> str:
    """The family of q(z|x) the graph follows: q's own when in OWN_PATH, else the diagonal
    Gaussian with q's marginal mean and standard deviation."""
    posterior = getattr(model, "posterior", "diagonal")
    return posterior if posterior in OWN_PATH else "diagonal"


def path_note(model) -> str | None:
    """None for the diagonal Gaussian of the lecture; otherwise a sentence on what the graph shows."""
    posterior = getattr(model, "posterior", "diagonal")
    if posterior == "diagonal":
        return None
    if posterior in OWN_PATH:
        return (f"This run's q(z|x) is {LABELS[posterior]}: z = μ + σ ⊙ ε is its own path with ε "
                "drawn from that family at unit variance (not N(0, I)), and the KL per dimension "
                "is that family's closed form (explorer.bounds.kl), not eq. 22.")
    how = {"full_cov": "z = μ + Lε with correlated coordinates",
           "flow": "a diagonal Gaussian pushed through coupling layers (its μ and σ are "
                   "estimated from 128 fixed base draws)"}.get(posterior, "not drawn here")
    return (f"This run's q(z|x) is a {LABELS.get(posterior, posterior)}: {how}. The graph "
            "follows the diagonal Gaussian N(μ, diag σ²) with q's marginal means and standard "
            "deviations, and eq. 22 is the KL of those marginals — not this q's own z or KL.")


def draw_eps(model, seed: int) -> np.ndarray:
    """ε (d,) drawn with `seed` from the path family at μ = 0, σ = 1 (N(0, I) for a Gaussian)."""
    zero = model.prior().mean.detach()
    with seeded(int(seed)):
        eps = location_scale(path_family(model), zero, torch.ones_like(zero)).sample()
    return eps.cpu().numpy()


def single_sample_elbo(model, x: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor,
                       eps: torch.Tensor) -> dict:
    """The graph as tensors for one x (1, D): z = μ + σ ⊙ ε, log p(x|z), KL_j and
    ELBO = log p(x|z) − Σ_j KL_j (eq. 26 with V = 1). Differentiable in μ and σ; ε is used
    as given (a constant)."""
    z = mu + sigma * eps  # the reparameterisation: ∂z/∂μ = 1, ∂z/∂σ = ε
    reconstruction = log_likelihood(model, x, z.unsqueeze(0))[0]
    kl_dim = kl_per_dimension(location_scale(path_family(model), mu, sigma))  # eq. 22
    return {"z": z, "reconstruction": reconstruction, "kl_dim": kl_dim,
            "elbo": reconstruction - kl_dim.sum()}


def _overridden(values: np.ndarray, override: Mapping[int, float] | None, name: str) -> np.ndarray:
    out = values.copy()
    for j, v in (override or {}).items():
        if not 0 <= int(j) < len(out):
            raise ValueError(f"{name} override for dimension {j}: the latent has {len(out)} "
                             "dimensions (0-based)")
        out[int(j)] = float(v)
    return out


def forward_pass(model, x, eps, mu_override: Mapping[int, float] | None = None,
                 sigma_override: Mapping[int, float] | None = None) -> dict:
    """Everything the one-example graph shows, as numpy arrays (d,) or floats.

    μ, σ are q(z|x)'s marginal mean and standard deviation (`path_family` says which q the
    path follows), with `mu_override` / `sigma_override` ({j: value}) replacing single
    coordinates. Gradients are of the single-sample ELBO with ε fixed: grad_z = ∂log p(x|z)/∂z,
    grad_mu_kl = −∂KL/∂μ and grad_sigma_kl = −∂KL/∂σ (the direct paths), grad_mu and
    grad_sigma the totals (grad_mu = grad_z + grad_mu_kl, grad_sigma = ε ⊙ grad_z + grad_sigma_kl).
    """
    x_row = _as_tensor(model, x).reshape(1, -1)
    mu_enc, sigma_enc = (a[0] for a in posterior_stats(model, x_row))
    mu_val = _overridden(mu_enc, mu_override, "μ")
    sigma_val = _overridden(sigma_enc, sigma_override, "σ")
    if not np.all(sigma_val > 0):
        raise ValueError(f"σ must be positive, got {sigma_val.min():g}")
    mu = _as_tensor(model, mu_val).requires_grad_(True)
    sigma = _as_tensor(model, sigma_val).requires_grad_(True)
    eps_t = _as_tensor(model, eps).reshape(mu.shape)  # requires_grad stays False: a sample
    terms = single_sample_elbo(model, x_row, mu, sigma, eps_t)
    grad_z, grad_mu_rec, grad_sigma_rec = torch.autograd.grad(
        terms["reconstruction"], (terms["z"], mu, sigma))
    kl_mu, kl_sigma = torch.autograd.grad(terms["kl_dim"].sum(), (mu, sigma))
    with torch.no_grad():
        decoded = model.decode(terms["z"].unsqueeze(0)).mean[0]

    def np_(t):
        return t.detach().cpu().numpy().astype(np.float64)

    return {
        "family": path_family(model), "note": path_note(model),
        "mu": mu_val, "sigma": sigma_val, "mu_encoder": mu_enc, "sigma_encoder": sigma_enc,
        "eps": np_(eps_t), "z": np_(terms["z"]), "decoded": np_(decoded),
        "reconstruction": float(np_(terms["reconstruction"])), "kl_dim": np_(terms["kl_dim"]),
        "kl": float(np_(terms["kl_dim"].sum())), "elbo": float(np_(terms["elbo"])),
        "grad_z": np_(grad_z), "grad_mu": np_(grad_mu_rec - kl_mu),
        "grad_sigma": np_(grad_sigma_rec - kl_sigma),
        "grad_mu_kl": np_(-kl_mu), "grad_sigma_kl": np_(-kl_sigma),
    }
