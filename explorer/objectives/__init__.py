"""Training objectives: the β-ELBO as per-example terms (`ElboTerms`), the multi-sample
bounds IWAE and Rényi (`iwae_terms`, `renyi_terms`), other regularisers than the KL (l2,
mmd), and the surrogates whose gradients are the chosen estimator's (reparameterisation or
score function, or doubly reparameterised for the bounds)."""
from explorer.objectives.beta_elbo import ESTIMATORS, ElboTerms, ObjectiveTerms, elbo_terms
from explorer.objectives.choice import OBJECTIVES, objective_terms
from explorer.objectives.importance_weighted import (BOUND_ESTIMATORS, dreg_surrogate, iwae_terms,
                                                     multi_sample_score_surrogate, renyi_terms)
from explorer.objectives.regularizers import REGULARIZERS, mmd2, regularized_terms
from explorer.objectives.score_function import leave_one_out, score_function_surrogate

__all__ = ["BOUND_ESTIMATORS", "ESTIMATORS", "ElboTerms", "OBJECTIVES", "ObjectiveTerms",
           "REGULARIZERS", "dreg_surrogate", "elbo_terms", "iwae_terms", "leave_one_out", "mmd2", "multi_sample_score_surrogate",
           "objective_terms", "regularized_terms", "renyi_terms", "score_function_surrogate"]
