"""Per-point SVI and the inference-gap decomposition (Cremer, Li & Duvenaud 2018).

log p(x) − ELBO[q_φ(z|x)] = (log p(x) − ELBO[q*]) + (ELBO[q*] − ELBO[q_φ(z|x)])
  inference gap            = approximation gap       + amortization gap
where q* is the best Gaussian of the encoder's family for this x alone: the first
lecture's per-point variational parameters φ^i, found by stochastic variational inference.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import Distribution, Independent, Normal

from explorer.bounds import (chunked_log_weights, effective_sample_size, exact_log_marginal,
                             log_joint, log_mean_exp)

LOG_PX_SAMPLES = 5000  # k of the IWAE estimate of log p(x) when d > 2


def svi_posterior(model, x: torch.Tensor, steps: int = 500, lr: float = 0.05, n_samples: int = 32,
                  init: str = "encoder", return_trace: bool = False):
    """q*(z|x) = N(μ_i, diag σ_i²) per point by gradient ascent on its own ELBO (SVI, first lecture).

    φ^i = (μ_i, log σ_i) for every row of x, optimised together but independently: the loss is
    the sum of per-point ELBOs, and Adam scales each coordinate separately. The ELBO uses
    n_samples reparameterised z per step and the analytic entropy of q; the learning rate
    decays (cosine) to 1% so the last iterates settle instead of jittering at lr's noise level.
    init="encoder" starts at the encoder's mean and marginal standard deviations,
    init="prior" at N(0, I). The model's parameters are read but never get gradients.
    Returns Independent(Normal(μ, σ), 1) with batch shape (B,), and with return_trace=True
    also the per-step ELBO estimates, shape (steps, B).
    """
    if init not in ("encoder", "prior"):
        raise ValueError(f"init must be 'encoder' or 'prior', got {init!r}")
    x = x.detach()
    with torch.no_grad():
        if init == "encoder":
            q0 = model.encode(x)
            mu, log_std = q0.mean.clone(), q0.stddev.log().clone()
        else:
            shape = (x.shape[0], model.latent_dim)
            mu = torch.zeros(shape, dtype=x.dtype, device=x.device)
            log_std = torch.zeros_like(mu)
    mu.requires_grad_(True)
    log_std.requires_grad_(True)
    opt = torch.optim.Adam([mu, log_std], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=0.01 * lr)
    d = model.latent_dim
    trace = []
    with torch.enable_grad():
        for _ in range(steps):
            eps = torch.randn((n_samples, *mu.shape), dtype=mu.dtype, device=mu.device)
            z = mu + log_std.exp() * eps
            entropy = log_std.sum(-1) + 0.5 * d * (1 + math.log(2 * math.pi))
            elbo = log_joint(model, x, z).mean(0) + entropy  # (B,)
            # autograd.grad w.r.t. φ only: model parameters never accumulate .grad.
            g_mu, g_ls = torch.autograd.grad(-elbo.sum(), [mu, log_std])
            mu.grad, log_std.grad = g_mu, g_ls
            opt.step()
            sched.step()
            trace.append(elbo.detach())
    q = Independent(Normal(mu.detach(), log_std.detach().exp()), 1)
    if return_trace:
        empty = torch.empty(0, x.shape[0], dtype=x.dtype)
        return q, torch.stack(trace) if trace else empty
    return q


def _elbo_and_se(model, x, q, k):
    """Monte Carlo ELBO (mean log w) with its standard error, each (B,)."""
    log_w = chunked_log_weights(model, x, k, q=q)
    return log_w.mean(0), log_w.std(0) / math.sqrt(k)


def gap_decomposition(model, x: torch.Tensor, k: int = LOG_PX_SAMPLES, svi_steps: int = 500,
                      elbo_samples: int = 2000, **svi_kwargs) -> dict:
    """Per-example gaps of Cremer, Li & Duvenaud (2018), each a tensor of shape (B,).

    Keys: log_px (exact quadrature for d ≤ 2, else IWAE L_k; which one is in
    log_px_method, a str), elbo_amortized (encoder's q), elbo_optimal (per-point SVI q*),
    approximation_gap = log_px − elbo_optimal, amortization_gap = elbo_optimal −
    elbo_amortized, inference_gap = log_px − elbo_amortized; the standard errors
    log_px_se (0 when exact), elbo_amortized_se, elbo_optimal_se; and q*'s parameters
    q_optimal_mean, q_optimal_std (B, d). ELBOs use elbo_samples draws each.
    """
    q_opt = svi_posterior(model, x, steps=svi_steps, **svi_kwargs)
    with torch.no_grad():
        if model.latent_dim <= 2:
            log_px, method = exact_log_marginal(model, x), "exact"
            log_px_se = torch.zeros_like(log_px)
        else:
            log_w = chunked_log_weights(model, x, k)
            log_px, method = log_mean_exp(log_w), f"iwae_k{k}"
            # Delta method: relative variance of the mean weight is (k/ESS − 1)/k.
            ess = effective_sample_size(log_w)
            log_px_se = torch.sqrt((k / ess - 1).clamp(min=0) / k)
        elbo_amortized, se_amortized = _elbo_and_se(model, x, model.encode(x), elbo_samples)
        elbo_optimal, se_optimal = _elbo_and_se(model, x, q_opt, elbo_samples)
    return {
        "log_px": log_px,
        "log_px_method": method,
        "log_px_se": log_px_se,
        "elbo_amortized": elbo_amortized,
        "elbo_amortized_se": se_amortized,
        "elbo_optimal": elbo_optimal,
        "elbo_optimal_se": se_optimal,
        "approximation_gap": log_px - elbo_optimal,
        "amortization_gap": elbo_optimal - elbo_amortized,
        "inference_gap": log_px - elbo_amortized,
        "q_optimal_mean": q_opt.mean,
        "q_optimal_std": q_opt.stddev,
    }
