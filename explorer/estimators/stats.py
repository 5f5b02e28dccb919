"""Closed-form variances and summary statistics of gradient estimates (re-exported by
explorer.estimators)."""
from __future__ import annotations

import math

import torch

Tensor = torch.Tensor


def analytic_variance(method: str, cost: str, mu, sigma, k) -> dict[str, Tensor]:
    """Per-sample variance of the single-sample estimators of ∇ E[(z − k)²], z ~ N(μ, σ²).

    With a = μ − k, z = μ + σε and E ε^{2j} = 1, 3, 15, 105 (j = 1..4):
      reparam:   ∂μ: 2(a + σε)            → Var = 4σ²
                 ∂σ: 2(a + σε)ε           → Var = 4a² + 8σ²
      reinforce: ∂μ: (a + σε)² ε/σ        → Var = (a⁴ + 18a²σ² + 15σ⁴)/σ² − 4a²
                 ∂σ: (a + σε)² (ε² − 1)/σ → Var = (2a⁴ + 60a²σ² + 78σ⁴)/σ² − 4σ²
    (the means are 2a and 2σ for both; S samples per estimate divide these by S).
    """
    if cost != "square":
        raise ValueError(f"analytic variances are derived for cost 'square' only, not {cost!r}")
    mu, sigma, k = (torch.as_tensor(v, dtype=torch.float64) for v in (mu, sigma, k))
    a = mu - k
    if method == "reparam":
        return {"loc": 4 * sigma**2 + 0 * a, "scale": 4 * a**2 + 8 * sigma**2}
    if method == "reinforce":
        return {"loc": (a**4 + 18 * a**2 * sigma**2 + 15 * sigma**4) / sigma**2 - 4 * a**2,
                "scale": (2 * a**4 + 60 * a**2 * sigma**2 + 78 * sigma**4) / sigma**2 - 4 * sigma**2}
    raise ValueError(f"method must be 'reinforce' or 'reparam', got {method!r}")


def summary(samples: dict[str, Tensor], exact: dict[str, Tensor]) -> dict[str, dict[str, Tensor]]:
    """Per parameter coordinate: mean, bias, variance, standard error of the bias
    (std/√n), and SNR = |mean|/std (Rainforth et al. 2018)."""
    out = {}
    for name, s in samples.items():
        n = s.shape[0]
        mean, var = s.mean(0), s.var(0)
        std = var.sqrt()
        out[name] = {"mean": mean, "bias": mean - exact[name].to(s.dtype), "variance": var,
                     "se": std / math.sqrt(n), "snr": mean.abs() / std}
    return out
