"""Training objectives: the β-ELBO as per-example terms (`ElboTerms`) and the surrogates
whose gradients are the chosen estimator's (reparameterisation or score function)."""
from explorer.objectives.beta_elbo import ESTIMATORS, ElboTerms, elbo_terms
from explorer.objectives.score_function import leave_one_out, score_function_surrogate

__all__ = ["ESTIMATORS", "ElboTerms", "elbo_terms", "leave_one_out",
           "score_function_surrogate"]
