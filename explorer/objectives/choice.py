"""The training objective a run names: `objective` (elbo, iwae, renyi) × `regularizer`
(kl, l2, mmd), dispatched to explorer.objectives' term builders."""
from __future__ import annotations

import torch

from explorer.objectives.beta_elbo import ElboTerms
from explorer.objectives.importance_weighted import iwae_terms, renyi_terms
from explorer.objectives.regularizers import REGULARIZERS, regularized_terms

OBJECTIVES = ("elbo", "iwae", "renyi")


def objective_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
                    estimator: str = "reparam", objective: str = "elbo", k: int = 1,
                    alpha: float = 0.5, regularizer: str = "kl") -> ElboTerms:
    """"elbo": the β-weighted loss with `regularizer` and n_samples z's per point; "iwae" /
    "renyi": the K-sample bound L_K / L_α (k samples; n_samples is not used), whose
    regulariser is the KL inside its log weights."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {REGULARIZERS}, got {regularizer!r}")
    if objective == "elbo":
        return regularized_terms(model, x, n_samples, beta, estimator, regularizer)
    if regularizer != "kl":
        raise ValueError(f"the {objective} objective has the KL inside its log weights; "
                         "other regularisers go with the elbo objective")
    if objective == "iwae":
        return iwae_terms(model, x, k, estimator, beta)
    return renyi_terms(model, x, k, alpha, estimator, beta)
