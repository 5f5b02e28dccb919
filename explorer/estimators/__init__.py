"""Monte Carlo gradient estimators of ∇_θ E_{q_θ}[f(z)] and their exact values (third
lecture text §1.6 and §2; Mohamed, Rosca, Figurnov & Mnih 2019): score function
(REINFORCE) with baselines, pathwise, straight-through, Gumbel-softmax, REBAR, and the
per-sample encoder gradients of a real VAE.
"""
from explorer.estimators.encoder_gradients import (ENCODER_METHODS, encoder_gradient_samples,
                                                   encoder_gradient_samples_loop)
from explorer.estimators.gradients import (BASELINES, MAX_CONFIGURATIONS, MAX_QUADRATURE_POINTS,
                                           METHODS, OPTIONS, PARAMS, UNBIASED, exact_gradient,
                                           sample_gradients)
from explorer.estimators.stats import analytic_variance, summary
from explorer.toys.costs import TOY_COSTS, ToyCost

__all__ = [
    "BASELINES", "ENCODER_METHODS", "MAX_CONFIGURATIONS", "MAX_QUADRATURE_POINTS", "METHODS",
    "OPTIONS", "PARAMS", "TOY_COSTS", "ToyCost", "UNBIASED", "analytic_variance",
    "encoder_gradient_samples", "encoder_gradient_samples_loop", "exact_gradient",
    "sample_gradients", "summary",
]
