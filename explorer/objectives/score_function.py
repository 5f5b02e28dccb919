"""The score-function (REINFORCE) surrogate of E_q[log p(x|z)] (Williams 1992):
  ∇_φ E_q[log p(x|z)] ≈ (log p(x|z) − b) ∇_φ log q(z|x),
with b = 0 or ("reinforce_loo") the mean of the other samples' log p(x|z), which keeps it
unbiased (Kool et al. 2019).
"""
from __future__ import annotations

import torch

# The training estimators' names in the gradient-estimator lab's vocabulary
# (explorer.estimators: method "reinforce" with baseline None or "loo").
BASELINE_OF = {"reinforce": None, "reinforce_loo": "loo"}


def leave_one_out(signal: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """b_s = mean_{r≠s} f_r = (Σ_r f_r − f_s)/(S − 1) along `dim`: the leave-one-out baseline
    of REINFORCE, independent of sample s so the estimator stays unbiased (Kool et al. 2019)."""
    n = signal.shape[dim]
    if n < 2:
        raise ValueError("the leave-one-out baseline needs at least 2 samples")
    return (signal.sum(dim, keepdim=True) - signal) / (n - 1)


def score_function_surrogate(log_px_z: torch.Tensor, log_q: torch.Tensor,
                             estimator: str) -> torch.Tensor:
    """Per-example surrogate (B,) whose value is mean_s log p(x|z_s) and whose encoder
    gradient is the REINFORCE estimate, with no baseline or ("reinforce_loo") the
    leave-one-out one (Kool et al. 2019). log_px_z and log_q are (S, B) for z_s ~ q."""
    if estimator not in BASELINE_OF:
        raise ValueError(f"not a score-function estimator: {estimator!r}")
    n_samples = log_px_z.shape[0]
    signal = log_px_z.detach()
    if BASELINE_OF[estimator] == "loo":
        if n_samples < 2:
            raise ValueError("the leave-one-out baseline needs n_samples ≥ 2")
        baseline = leave_one_out(signal)
    else:
        baseline = torch.zeros_like(signal)
    score_term = (signal - baseline) * log_q
    # Adding score_term − score_term.detach() changes the gradient, not the value.
    return (log_px_z + score_term - score_term.detach()).mean(0)
