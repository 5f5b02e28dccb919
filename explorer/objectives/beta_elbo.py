"""The training objective: the β-ELBO and the gradient estimator that optimises it.

With estimator "reparam" the encoder's gradient flows through z = μ + σ ε (the
reparameterisation trick, Kingma & Welling 2013). With "reinforce" the reconstruction
term's encoder gradient is the score-function estimate (Williams 1992), see
explorer.objectives.score_function. The KL term is analytic (eq. 22, and the closed forms of
explorer.bounds.kl for full-covariance, Laplace and Student-t q) for every estimator, so the
comparison isolates the estimator of the one expectation that needs sampling. A flow q has
no closed-form KL: it is the Monte Carlo mean of log q(z|x) − log p(z) over the same z as the
reconstruction, with the same estimator's gradient.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from explorer.bounds.kl import closed_form_kl, kl_per_dimension, monte_carlo_kl
from explorer.objectives.score_function import score_function_surrogate


ESTIMATORS = ("reparam", "reinforce", "reinforce_loo")  # the Gaussian family's, its default first


@dataclass
class ElboTerms:
    """Per-example pieces of the (β-)ELBO; every tensor has shape (B,) except kl_per_dim."""

    reconstruction: torch.Tensor  # E_q[log p(x|z)], Monte Carlo
    kl: torch.Tensor  # KL(q(z|x) ‖ p(z)), analytic (Monte Carlo for a flow q)
    kl_per_dim: torch.Tensor  # (B, d), explorer.bounds.kl.kl_per_dimension
    beta: float
    # A stand-in for `reconstruction` whose gradient is the chosen estimator's (equal in
    # value only for "reparam"); None means `reconstruction` itself is differentiated.
    surrogate: torch.Tensor | None = None
    # Scalar added to the loss beyond the β-ELBO (VQ-VAE codebook and commitment terms).
    penalty: torch.Tensor | float = 0.0
    # Model-specific diagnostics for the trainer (τ, code indices, VQ losses).
    extras: dict = field(default_factory=dict)

    @property
    def elbo(self) -> torch.Tensor:
        """The ELBO itself (β = 1), a lower bound on log p(x)."""
        return self.reconstruction - self.kl

    @property
    def objective(self) -> torch.Tensor:
        """Mean over the batch of −(E_q[log p(x|z)] − β KL): the β-VAE loss value."""
        return -(self.reconstruction - self.beta * self.kl).mean() + self.penalty

    @property
    def loss(self) -> torch.Tensor:
        """What to call backward() on: the objective with the estimator's gradient."""
        recon = self.reconstruction if self.surrogate is None else self.surrogate
        return -(recon - self.beta * self.kl).mean() + self.penalty


@dataclass
class ObjectiveTerms(ElboTerms):
    """ElboTerms of a run trained on another objective than the β-ELBO (IWAE L_K, Rényi
    L_α, or the ELBO with another regulariser than the KL): `reconstruction`, `kl` and
    `kl_per_dim` keep their meaning (E_q log p(x|z) over the step's samples, the analytic
    KL(q‖p)), so `elbo` is still the ELBO estimate the curves show; `objective` and `loss`
    are −mean of `train_bound`, the objective actually optimised."""

    train_bound: torch.Tensor | None = None  # (B,) value of the training objective per point
    # Same value as train_bound, with the estimator's gradient; None: train_bound itself.
    train_surrogate: torch.Tensor | None = None

    @property
    def objective(self) -> torch.Tensor:
        return -self.train_bound.mean() + self.penalty

    @property
    def loss(self) -> torch.Tensor:
        bound = self.train_bound if self.train_surrogate is None else self.train_surrogate
        return -bound.mean() + self.penalty


def kl_terms(q, prior, z: torch.Tensor, estimator: str = "reparam",
             log_q: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(KL (B,), KL per dimension (B, d)) of q(z|x) to the prior: the closed form where there
    is one, else the Monte Carlo mean over the samples z (S, B, d). For a score-function
    estimator (z drawn without a path to φ) the Monte Carlo KL carries its own score term,
    −surrogate(−(log q − log p)): ∇ E_q[f_φ] = E_q[∇ f_φ] + E_q[f_φ ∇ log q]."""
    kl_dim = kl_per_dimension(q)
    kl = closed_form_kl(q)
    if kl is None:
        log_q = q.log_prob(z) if log_q is None else log_q
        log_prior = prior.log_prob(z)
        if estimator == "reparam":
            kl = monte_carlo_kl(log_q, log_prior)
        else:
            kl = -score_function_surrogate(log_prior - log_q, log_q, estimator)
    return kl, kl_dim


def elbo_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
               estimator: str = "reparam") -> ElboTerms:
    """β-ELBO with `n_samples` z ~ q(z|x) per point and the analytic KL (eq. 22) — or, for a
    flow q, the Monte Carlo KL on the same z (`kl_terms`)."""
    q = model.encode(x)
    if estimator == "reparam":
        z = q.rsample((n_samples,))  # (S, B, d): z = μ + σ ε (or its flow / L ε analogue)
        reconstruction = model.decode(z).log_prob(x).mean(0)
        kl, kl_dim = kl_terms(q, model.prior(), z)
        return ElboTerms(reconstruction, kl, kl_dim, float(beta))
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    z = q.sample((n_samples,))  # no path from z back to φ: the score function carries it
    log_px_z = model.decode(z).log_prob(x)  # (S, B); its θ-gradient is the usual one
    log_q = q.log_prob(z)
    surrogate = score_function_surrogate(log_px_z, log_q, estimator)
    kl, kl_dim = kl_terms(q, model.prior(), z, estimator, log_q)
    return ElboTerms(log_px_z.mean(0), kl, kl_dim, float(beta), surrogate)
