"""Training and evaluation terms of every latent family (to become the family registry)."""
from __future__ import annotations

import torch

from explorer.models.categorical import categorical_terms
from explorer.models.dvae import dvae_terms
from explorer.models.vqvae import vq_terms
from explorer.objectives import ElboTerms, elbo_terms


ESTIMATORS_BY_KIND = {
    "gaussian": ("reparam", "reinforce", "reinforce_loo"),
    "categorical": ("gumbel_softmax", "st_gumbel_softmax", "reinforce", "reinforce_loo"),
    "dvae": ("smoothing",),
    "vqvae": ("straight_through",),
}


def training_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
                   estimator: str | None = None, tau: float = 1.0, commitment: float = 0.25,
                   codebook_loss: bool = True) -> ElboTerms:
    """The loss a model of any kind trains on, with the estimator's gradient."""
    kind = model.kind
    allowed = ESTIMATORS_BY_KIND[kind]
    estimator = estimator or allowed[0]
    if estimator not in allowed:
        raise ValueError(f"a {kind} model trains with one of {allowed}, not {estimator!r}")
    if kind == "gaussian":
        return elbo_terms(model, x, n_samples=n_samples, beta=beta, estimator=estimator)
    if kind == "categorical":
        return categorical_terms(model, x, n_samples, beta, estimator, tau)
    if kind == "dvae":
        return dvae_terms(model, x, n_samples, beta)
    return vq_terms(model, x, commitment, codebook_loss)


def evaluation_terms(model, x: torch.Tensor, n_samples: int = 1) -> ElboTerms:
    """The model's own ELBO (β = 1), independent of how it was trained."""
    kind = model.kind
    if kind == "gaussian":
        return elbo_terms(model, x, n_samples=n_samples)
    if kind == "categorical":
        return categorical_terms(model, x, n_samples, 1.0, "reinforce")
    if kind == "dvae":
        return dvae_terms(model, x, n_samples, 1.0)
    return vq_terms(model, x)
