"""Discrete latents (third lecture text, §2): the Gumbel-max trick and its Gumbel-softmax
relaxation (§2.2), smoothing transformations of binary z (§2.3), vector quantisation (§2.4),
and how many codes a model uses (code_usage).

`smoothing(name, beta, p, eps)` is the smoothing transformation ζ = f(β, p, ε) itself.
"""
from explorer.discrete.gumbel import (ESTIMATOR_TAU_GRID, SAMPLING_TAU_GRID, TAU_DEFAULT,
                                      gumbel_max, gumbel_softmax, temperature)
from explorer.discrete.transformations import (NAMES as SMOOTHINGS, density,
                                               overlapping_exponential,
                                               overlapping_exponential_density, smoothing,
                                               step_limit)
from explorer.discrete import code_usage
from explorer.discrete.code_usage import perplexity, unused as dead_codes
from explorer.discrete.vq import ema_update, nearest_code, quantize

__all__ = [
    "ESTIMATOR_TAU_GRID", "SAMPLING_TAU_GRID", "SMOOTHINGS", "TAU_DEFAULT", "code_usage",
    "dead_codes", "density", "ema_update", "gumbel_max", "gumbel_softmax", "nearest_code",
    "overlapping_exponential", "overlapping_exponential_density", "perplexity", "quantize",
    "smoothing", "step_limit", "temperature",
]
