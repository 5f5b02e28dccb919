"""Sampling discrete latents: the Gumbel-max trick and its Gumbel-softmax relaxation.

Third lecture text, section 2.2; Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017.
The last axis of `logits` holds the categories; every other axis is a batch axis.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F


# Two temperature grids, both log-spaced and readable in a shared URL (they are the options of
# query-param-bound sliders, so changing either breaks saved links). They differ on purpose:
# samples of y are cheap, so the Gumbel-max & softmax page spans 0.01 … 10 to show both limits
# (one-hot and uniform); each τ of the estimator pages costs thousands of gradient estimates per
# estimator, and below 0.05 the relaxed gradient's variance (∝ 1/τ) swamps the bias curve.
SAMPLING_TAU_GRID = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0,
                     3.0, 5.0, 7.0, 10.0)
ESTIMATOR_TAU_GRID = (0.05, 0.07, 0.1, 0.14, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0, 5.0)
TAU_DEFAULT = 0.5  # on both grids; Jang et al. (2017) anneal down to τ = 0.5


def _gumbel(shape, like: torch.Tensor, generator=None) -> torch.Tensor:
    return gumbel_noise(shape, generator, like.dtype, like.device)


def gumbel_noise(shape, generator=None, dtype=torch.float64, device=None) -> torch.Tensor:
    """g ~ Gumbel(0, 1) as −log(−log U); U is kept inside (0, 1) so g stays finite. The noise
    gumbel_max and gumbel_softmax add: the same generator state gives the same g."""
    u = torch.rand(shape, generator=generator, dtype=dtype, device=device)
    info = torch.finfo(dtype)
    # 1 − eps is the largest float below 1 that rand's output can round to safely; tiny
    # keeps log U finite for an exact 0.
    u = u.clamp(info.tiny, 1.0 - info.eps)
    return -torch.log(-torch.log(u))


def gumbel_max(logits: torch.Tensor, generator=None) -> torch.Tensor:
    """argmax_c (logits_c + g_c) with g ~ Gumbel(0, 1): an exact Categorical(softmax(logits))
    sample (the Gumbel-max trick; Maddison et al. 2017, eq. 1). Returns int64 indices."""
    return (logits + _gumbel(logits.shape, logits, generator)).argmax(-1)


def gumbel_softmax(logits: torch.Tensor, tau: float, hard: bool = False,
                   generator=None) -> torch.Tensor:
    """One relaxed one-hot sample per row: softmax((logits + g)/τ), g ~ Gumbel(0, 1).

    The Concrete / Gumbel-softmax distribution (Jang et al. 2017, eq. 1; Maddison et al.
    2017), computed in log space (log_softmax, then exp) so τ down to 0.01 with logits of
    ±50 stays finite. hard=True returns the one-hot argmax in the forward pass and the
    relaxed sample's gradient in the backward pass: straight-through Gumbel-softmax
    (Jang et al. 2017, §2.2; Bengio et al. 2013).
    """
    if not tau > 0:
        raise ValueError(f"the temperature τ must be positive, got {tau}")
    g = _gumbel(logits.shape, logits, generator)
    log_y = F.log_softmax((logits + g) / tau, dim=-1)
    y = log_y.exp()
    if not hard:
        return y
    y_hard = F.one_hot(log_y.argmax(-1), logits.shape[-1]).to(y.dtype)
    # y_hard + (y − y.detach()) is exactly one-hot in value (the bracket is 0.0) and has
    # the relaxed sample's gradient; y_hard − y.detach() + y would round to 1 ± ulp.
    return y_hard + (y - y.detach())


def temperature(step, tau0: float = 1.0, tau_min: float = 0.5, rate: float = 1e-3):
    """Annealed temperature τ_t = max(τ_min, τ_0 · exp(−r t)) (Jang et al. 2017, §4).

    `step` may be an int, a float or an array (NumPy or torch); returns the same kind.
    """
    if not (tau0 > 0 and tau_min > 0 and rate >= 0):
        raise ValueError(f"need τ_0 > 0, τ_min > 0 and r ≥ 0; got {tau0}, {tau_min}, {rate}")
    if isinstance(step, torch.Tensor):
        return torch.clamp(tau0 * torch.exp(-rate * step.to(torch.get_default_dtype())), min=tau_min)
    out = np.maximum(tau_min, tau0 * np.exp(-rate * np.asarray(step, dtype=float)))
    return float(out) if np.ndim(out) == 0 else out
