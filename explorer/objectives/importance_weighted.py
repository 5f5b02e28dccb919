"""Multi-sample training objectives: the IWAE bound L_K (Burda et al. 2015) and the
variational Rényi bound L_α (Li & Turner 2016), with the estimator's gradient.

Both reduce the K importance log weights log w_k = log p(x|z_k) + β (log p(z_k) − log q(z_k|x))
of each point (β = 1: the usual weights of explorer.bounds.log_weights; β ≠ 1 weighs the
prior-to-posterior ratio as the β-ELBO weighs the KL, and K = 1 is then the β-ELBO with a
Monte Carlo KL). The reduction is explorer.bounds' own: `log_mean_exp` (L_K) and
`renyi_reduce` (L_α).

Gradients:
  "reparam"        z_k = μ + σ ε_k: the pathwise gradient of the bound (Burda et al. 2015).
  "reinforce"      score function of the K-sample bound with no baseline:
                   L ∇ Σ_k log q(z_k|x) + ∇ L with z fixed (the Σ_k w̃_k ∇ log w_k term).
  "reinforce_loo"  VIMCO (Mnih & Rezende 2016): sample k's learning signal is L − L_{−k},
                   L_{−k} the bound with log w_k replaced by the mean of the other K − 1 log
                   weights (the geometric mean of their weights); needs K ≥ 2. The same
                   leave-one-out construction serves L_α (its reduction replaces log_mean_exp).
  "dreg"           doubly reparameterised (Tucker et al. 2018): the pathwise gradient with the
                   score term ∂_φ log q(z_k) at fixed z replaced by its reparameterised
                   expectation, so the encoder's gradient is Σ_k c_k ∂log w_k/∂z_k ∂z_k/∂φ with
                   c_k = w̃_k² for L_K (K = 1: "sticking the landing", Roeder et al. 2017). For
                   L_α and β ≠ 1 the same identity gives c_k = w̃_k (1 − β(1−α)(1 − w̃_k)), w̃
                   the normalised w^{1−α}. Zero variance when q is the exact posterior.
Both score-function forms are unbiased for ∇ E[L]: the baseline L_{−k} does not depend on z_k.
Why "dreg" matters: the full pathwise gradient of a sampled log p(z) − log q(z) keeps the
noise of ∇ log p(z) = −z even where q = p, about one unit per latent dimension, which at
d = 50 drowns the decoder's early signal and lets k = 1 collapse (the objectives page).

What the returned ObjectiveTerms report: `reconstruction` = mean_k log p(x|z_k) over the
K samples, `kl`/`kl_per_dim` = the analytic KL(q‖p) (eq. 22; for a flow q the Monte Carlo KL
on the same K samples), so `elbo` is the K-sample ELBO estimate on the same samples; `train_bound` = L_K or L_α per point and `loss` = −its mean.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from explorer.bounds.log_weights import log_likelihood, log_mean_exp
from explorer.bounds.renyi import renyi_reduce
from explorer.objectives.beta_elbo import ESTIMATORS, ObjectiveTerms, kl_terms
from explorer.objectives.score_function import BASELINE_OF, leave_one_out

# The gradient estimators of the K-sample bounds: the ELBO's, and the doubly reparameterised one.
BOUND_ESTIMATORS = (*ESTIMATORS, "dreg")

Reduce = Callable[[torch.Tensor, int], torch.Tensor]  # (log_w, dim) → bound along dim


def multi_sample_score_surrogate(log_w: torch.Tensor, log_q: torch.Tensor, reduce: Reduce,
                                 estimator: str) -> torch.Tensor:
    """Per-point surrogate (B,) whose value is reduce(log_w) and whose gradient is the
    score-function estimate of ∇ E[reduce(log w)] for z_k ~ q drawn without a path to φ:
    no baseline ("reinforce") or VIMCO's leave-one-out one ("reinforce_loo").
    log_w and log_q are (K, B); log_w must carry its direct φ- and θ-dependence."""
    if estimator not in BASELINE_OF:
        raise ValueError(f"not a score-function estimator: {estimator!r}")
    bound = reduce(log_w, 0)  # its gradient with z fixed: Σ_k w̃_k ∇ log w_k
    lw = log_w.detach()
    value = reduce(lw, 0)  # (B,)
    if BASELINE_OF[estimator] == "loo":
        k = lw.shape[0]
        if k < 2:
            raise ValueError("the leave-one-out (VIMCO) baseline needs k ≥ 2 samples")
        eye = torch.eye(k, dtype=torch.bool, device=lw.device)[:, :, None]  # (j, i, 1)
        # swapped[j] = the log weights with row j replaced by the mean of the others.
        swapped = torch.where(eye, leave_one_out(lw)[:, None, :], lw[None, :, :])
        signal = value - reduce(swapped, 1)  # (K, B): L − L_{−k}
    else:
        signal = value.expand_as(lw)
    score = (signal * log_q).sum(0)
    return bound + score - score.detach()


def dreg_surrogate(model, x: torch.Tensor, q, z: torch.Tensor, reduce: Reduce,
                   alpha: float = 0.0, beta: float = 1.0):
    """(surrogate (B,), log p(x|z) (K, B), log q(z|x) (K, B)): the surrogate's value is
    reduce(log w) and its gradient the doubly reparameterised one (Tucker et al. 2018; the
    coefficients c_k of the module docstring), for z = q.rsample((K,))."""
    z_leaf = z.detach().requires_grad_(True)
    log_q = q.log_prob(z_leaf)
    log_lik = log_likelihood(model, x, z_leaf)
    log_prior = model.prior().log_prob(z_leaf)
    beta = float(beta)
    # θ's gradient: log w's direct dependence only (z fixed; q's parameters are φ's).
    bound = reduce(log_lik + beta * (log_prior - log_q.detach()), 0)
    if not torch.is_grad_enabled():
        return bound, log_lik, log_q
    log_w = log_lik + beta * (log_prior - log_q)
    (g,) = torch.autograd.grad(log_w.sum(), z_leaf, retain_graph=True)  # ∂log w_k/∂z_k, φ, θ fixed
    with torch.no_grad():
        w = torch.softmax((1.0 - float(alpha)) * log_w, 0)
        c = w * (1.0 - beta * (1.0 - float(alpha)) * (1.0 - w))
    path = ((c[..., None] * g) * z).sum((0, -1))  # φ reaches log w only through z_k here
    return bound + path - path.detach(), log_lik, log_q


def bound_terms(model, x: torch.Tensor, k: int, reduce: Reduce, beta: float = 1.0,
                estimator: str = "reparam", alpha: float = 0.0) -> ObjectiveTerms:
    """ObjectiveTerms of the K-sample bound reduce(log w) (see the module docstring); alpha is
    the reduction's α (0 for L_K), which only the "dreg" gradient needs."""
    if estimator not in BOUND_ESTIMATORS:
        raise ValueError(f"estimator must be one of {BOUND_ESTIMATORS}, got {estimator!r}")
    if int(k) < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    q = model.encode(x)
    if estimator == "dreg":
        z = q.rsample((int(k),))
        surrogate, log_lik, log_q = dreg_surrogate(model, x, q, z, reduce, alpha, beta)
        with torch.no_grad():
            kl, kl_dim = kl_terms(q, model.prior(), z.detach(), log_q=log_q.detach())
        return ObjectiveTerms(log_lik.detach().mean(0), kl, kl_dim, float(beta),
                              train_bound=surrogate.detach(), train_surrogate=surrogate)
    z = q.rsample((int(k),)) if estimator == "reparam" else q.sample((int(k),))  # (K, B, d)
    log_q = q.log_prob(z)
    log_lik = log_likelihood(model, x, z)  # (K, B)
    log_w = log_lik + float(beta) * (model.prior().log_prob(z) - log_q)
    if estimator == "reparam":
        bound, surrogate = reduce(log_w, 0), None
    else:
        surrogate = multi_sample_score_surrogate(log_w, log_q, reduce, estimator)
        bound = surrogate.detach()
    with torch.no_grad():  # reported only: the loss is −train_bound
        kl, kl_dim = kl_terms(q, model.prior(), z, log_q=log_q)
    return ObjectiveTerms(log_lik.mean(0), kl, kl_dim, float(beta),
                          train_bound=bound, train_surrogate=surrogate)


def iwae_terms(model, x: torch.Tensor, k: int, estimator: str = "reparam",
               beta: float = 1.0) -> ObjectiveTerms:
    """Train on the IWAE bound L_K = log (1/K Σ_k w_k) (Burda et al. 2015, eq. 8)."""
    return bound_terms(model, x, k, log_mean_exp, beta, estimator)


def renyi_terms(model, x: torch.Tensor, k: int, alpha: float, estimator: str = "reparam",
                beta: float = 1.0) -> ObjectiveTerms:
    """Train on the VR bound L_α = 1/(1−α) log (1/K Σ_k w_k^{1−α}) (Li & Turner 2016),
    α ∈ [0, 1]: α = 0 is L_K, α = 1 the K-sample ELBO mean_k log w_k."""
    alpha = float(alpha)
    renyi_reduce(torch.zeros(1), alpha)  # refuses α outside [0, 1] before any sampling
    return bound_terms(model, x, k, lambda lw, dim: renyi_reduce(lw, alpha, dim), beta,
                       estimator, alpha)
