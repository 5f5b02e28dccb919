"""Alternatives to KL(q(z|x) ‖ p(z)) as the regulariser of the β-weighted ELBO-style loss

    loss = −E_q[log p(x|z)] + β R,

  "kl"   R = KL(q(z|x) ‖ N(0, I)), analytic (eq. 22): the β-ELBO itself.
  "l2"   R = Σ_j μ_j² + (σ_j − 1)²: the squared L2 distance between q's parameters (μ, σ)
         and the prior's (0, 1) — the third lecture's §1.4 alternative; zero exactly when
         q = p, like the KL, but not a divergence between the distributions.
  "mmd"  R = MMD²(q(z), p(z)) between the aggregate posterior — the batch's z samples — and
         as many samples of p(z) = N(0, I) (InfoVAE, Zhao et al. 2017), with the Gaussian RBF
         kernel k(a, b) = exp(−‖a − b‖² / (2d)) (bandwidth 2σ² = 2d, d = dim z, InfoVAE's
         convention of scaling the kernel with the latent dimension), estimated by the
         unbiased U-statistic (it can dip below 0; its expectation is MMD² ≥ 0). It is one
         number per batch, not per point; it needs pathwise z (estimator "reparam").

The reported `kl` stays the true KL and evaluation uses the family's own ELBO, so runs with
different regularisers compare on the same bound.
"""
from __future__ import annotations

import torch
from torch.distributions import Independent, Normal

from explorer.objectives.beta_elbo import ObjectiveTerms, elbo_terms

REGULARIZERS = ("kl", "l2", "mmd")


def l2_to_prior_per_dimension(q) -> torch.Tensor:
    """μ_j² + (σ_j − 1)² per latent dimension, shape (..., d), for q = N(μ, diag σ²).

    Defined for the diagonal Gaussian only (its parameters are (μ, σ)); a ValueError for the
    other posterior families of explorer.models.posteriors, whose parameters are not.
    """
    if not (isinstance(q, Independent) and type(q.base_dist) is Normal):
        raise ValueError("the L2 regulariser Σ μ² + (σ − 1)² is defined for a diagonal Gaussian "
                         f"q(z|x), not for {type(q).__name__}: use posterior diagonal, or "
                         "regularizer kl or mmd")
    return q.mean.pow(2) + (q.stddev - 1.0).pow(2)


def rbf_kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """k(a_i, b_j) = exp(−‖a_i − b_j‖² / (2d)) for a (n, d), b (m, d): shape (n, m)."""
    d = a.shape[-1]
    sq = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)
    return torch.exp(-sq / (2.0 * d))


def mmd2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD² estimate (Gretton et al. 2012, eq. 3) between samples a (n, d) and
    b (m, d), n, m ≥ 2, with `rbf_kernel`."""
    n, m = a.shape[0], b.shape[0]
    if n < 2 or m < 2:
        raise ValueError("the unbiased MMD² needs at least 2 samples on each side")
    kaa, kbb, kab = rbf_kernel(a, a), rbf_kernel(b, b), rbf_kernel(a, b)
    off_a = (kaa.sum() - kaa.diagonal().sum()) / (n * (n - 1))
    off_b = (kbb.sum() - kbb.diagonal().sum()) / (m * (m - 1))
    return off_a + off_b - 2.0 * kab.mean()


def regularized_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
                      estimator: str = "reparam", regularizer: str = "kl"):
    """The loss −E_q[log p(x|z)] + β R with R named by `regularizer` (module docstring);
    "kl" returns elbo_terms unchanged."""
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {REGULARIZERS}, got {regularizer!r}")
    terms = elbo_terms(model, x, n_samples=n_samples, beta=beta, estimator=estimator)
    if regularizer == "kl":
        return terms
    q = model.encode(x)
    if regularizer == "l2":
        reg = l2_to_prior_per_dimension(q).sum(-1)  # (B,)
    else:
        if estimator != "reparam":
            raise ValueError("the MMD regulariser needs pathwise z: use estimator reparam")
        z = q.rsample((int(n_samples),)).reshape(-1, q.event_shape[-1])
        reg = mmd2(z, torch.randn_like(z)).expand(x.shape[0])
    recon = terms.reconstruction if terms.surrogate is None else terms.surrogate
    return ObjectiveTerms(terms.reconstruction, terms.kl, terms.kl_per_dim, float(beta),
                          train_bound=terms.reconstruction - float(beta) * reg,
                          train_surrogate=recon - float(beta) * reg)
