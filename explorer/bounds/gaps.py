"""Per-point SVI and the inference-gap decomposition (Cremer, Li & Duvenaud 2018).

log p(x) − ELBO[q_φ(z|x)] = (log p(x) − ELBO[q*]) + (ELBO[q*] − ELBO[q_φ(z|x)])
  inference gap            = approximation gap       + amortization gap
where q* is the best q of a family (diagonal Gaussian by default; full covariance or a flow
with `svi_posterior(family=…)`, compared by `approximation_gaps`) for this x alone: the
first lecture's per-point variational parameters φ^i, found by stochastic variational inference.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import Independent, MultivariateNormal, Normal

from explorer.bounds import (chunked_log_weights, effective_sample_size, exact_log_marginal,
                             log_joint, log_mean_exp)
from explorer.models.flows import PointwiseFlow
from explorer.models.posteriors import n_offdiagonal, scale_tril

LOG_PX_SAMPLES = 5000  # k of the IWAE estimate of log p(x) when d > 2


SVI_FAMILIES = ("diagonal", "full_cov", "flow")  # nested: each contains the one before it
SVI_FLOW_LAYERS = 4  # couplings of the per-point flow q*
# Adam's step: the flow's coupling weights need a smaller one (at 0.05 its noisy steps undo
# the start; 0.01 reached within 0.02 nats of a bimodal toy posterior in 500 steps).
SVI_LR = {"diagonal": 0.05, "full_cov": 0.05, "flow": 0.01}


def _start(model, x, init, start, family):
    """(μ, log diag L, L's lower entries) to start from: `start` (its scale_tril when it is a
    full-covariance q and the family has one, else its marginal stddev), the encoder's mean
    and marginal stddev, or N(0, I)."""
    if init not in ("encoder", "prior"):
        raise ValueError(f"init must be 'encoder' or 'prior', got {init!r}")
    d = model.latent_dim
    with torch.no_grad():
        if start is None and init == "encoder":
            start = model.encode(x)
        if start is None:
            mu = torch.zeros((x.shape[0], d), dtype=x.dtype, device=x.device)
            log_std = torch.zeros_like(mu)
        else:
            mu, log_std = start.mean.detach().clone(), start.stddev.detach().log().clone()
        off = torch.zeros(*mu.shape[:-1], n_offdiagonal(d), dtype=mu.dtype, device=mu.device)
        if isinstance(start, MultivariateNormal) and family != "diagonal":
            tril = start.scale_tril.expand(*mu.shape, d)
            log_std = tril.diagonal(dim1=-2, dim2=-1).log().clone()
            rows, cols = torch.tril_indices(d, d, offset=-1)
            off = tril[..., rows, cols].clone()
    return mu, log_std, off


def _family(family, mu, log_std, off, flow_layers):
    """The free parameters of one q per point and the map from them to q (batch (B,)).
    The per-point flow's base is a full-covariance Gaussian, so flow ⊇ full_cov ⊇ diagonal."""
    # validate_args=False: the parameters are valid by construction, and the checks cost ≈30%
    # of an SVI step.
    if family == "diagonal":
        return [mu, log_std], lambda detach=False: Independent(
            Normal(mu, log_std.exp(), validate_args=False), 1, validate_args=False)

    def gaussian(detach=False):
        m, s, o = (p.detach() if detach else p for p in (mu, log_std, off))
        return MultivariateNormal(m, scale_tril=scale_tril(s.exp(), o), validate_args=False)
    if family == "full_cov":
        return [mu, log_std, off], gaussian
    if family == "flow":
        flow = PointwiseFlow(mu.shape[0], mu.shape[-1], flow_layers, dtype=mu.dtype)
        return ([mu, log_std, off, *flow.parameters()],
                lambda detach=False: flow.distribution(gaussian(detach), detach))
    raise ValueError(f"family must be one of {', '.join(SVI_FAMILIES)}, got {family!r}")


def svi_posterior(model, x: torch.Tensor, steps: int = 500, lr: float | None = None,
                  n_samples: int = 32, init: str = "encoder", return_trace: bool = False,
                  family: str = "diagonal", start=None, flow_layers: int = SVI_FLOW_LAYERS):
    """q*(z|x) per point by gradient ascent on its own ELBO (SVI, first lecture), in `family`:
    "diagonal" N(μ_i, diag σ_i²), "full_cov" N(μ_i, L_i L_iᵀ), or "flow" (N(μ_i, L_i L_iᵀ)
    through flow_layers couplings with weights of its own per point, explorer.models.flows).

    φ^i for every row of x, optimised together but independently: the loss is the sum of
    per-point ELBOs, and Adam scales each coordinate separately. The ELBO uses n_samples
    reparameterised z per step and q's analytic entropy (the flow's by Monte Carlo); the
    learning rate (default SVI_LR[family]) decays (cosine) to 1% so the last iterates settle
    instead of jittering at lr's noise level. The start is `start` (a q whose mean and stddev,
    or scale_tril, seed μ and L — e.g. the previous family's q*; couplings start as the
    identity, so q begins there), else init="encoder" (the encoder's mean and marginal
    standard deviations) or "prior" (N(0, I)). The model's parameters are read but never get
    gradients. Returns q with batch shape (B,), and with return_trace=True also the per-step
    ELBO estimates, shape (steps, B).
    """
    x = x.detach()
    mu, log_std, off = _start(model, x, init, start, family)
    for p in (mu, log_std, off):
        p.requires_grad_(True)
    params, build = _family(family, mu, log_std, off, flow_layers)
    lr = SVI_LR[family] if lr is None else lr
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps), eta_min=0.01 * lr)
    trace = []
    with torch.enable_grad():
        for _ in range(steps):
            q = build()
            z = q.rsample((n_samples,))
            # The flow's entropy by Monte Carlo with the score term dropped ("sticking the
            # landing", Roeder et al. 2017): unbiased, and noise-free where q = p(z|x).
            entropy = -build(detach=True).log_prob(z).mean(0) if family == "flow" else q.entropy()
            elbo = log_joint(model, x, z).mean(0) + entropy  # (B,)
            # autograd.grad w.r.t. φ only: model parameters never accumulate .grad.
            grads = torch.autograd.grad(-elbo.sum(), params)
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()
            sched.step()
            trace.append(elbo.detach())
    for p in params:
        p.requires_grad_(False)
    with torch.no_grad():
        q = build()
    if return_trace:
        empty = torch.empty(0, x.shape[0], dtype=x.dtype)
        return q, torch.stack(trace) if trace else empty
    return q


def _elbo_and_se(model, x, q, k):
    """Monte Carlo ELBO (mean log w) with its standard error, each (B,)."""
    log_w = chunked_log_weights(model, x, k, q=q)
    return log_w.mean(0), log_w.std(0) / math.sqrt(k)


def _log_px(model, x, k):
    """log p(x) (B,): quadrature for d ≤ 2, else IWAE L_k with its delta-method SE."""
    if model.latent_dim <= 2:
        log_px = exact_log_marginal(model, x)
        return log_px, "exact", torch.zeros_like(log_px)
    log_w = chunked_log_weights(model, x, k)
    # Delta method: relative variance of the mean weight is (k/ESS − 1)/k.
    ess = effective_sample_size(log_w)
    return log_mean_exp(log_w), f"iwae_k{k}", torch.sqrt((k / ess - 1).clamp(min=0) / k)


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
        log_px, method, log_px_se = _log_px(model, x, k)
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


def _better_gaussian(model, x, q_a, q_b, k):
    """Per point, whichever of two full-covariance q has the larger ELBO estimate."""
    pick = _elbo_and_se(model, x, q_b, k)[0] > _elbo_and_se(model, x, q_a, k)[0]
    loc = torch.where(pick[:, None], q_b.loc, q_a.loc)
    return MultivariateNormal(loc, scale_tril=torch.where(pick[:, None, None], q_b.scale_tril,
                                                          q_a.scale_tril))


def approximation_gaps(model, x: torch.Tensor, families=SVI_FAMILIES, k: int = LOG_PX_SAMPLES,
                       svi_steps: int = 500, elbo_samples: int = 2000, **svi_kwargs) -> dict:
    """The approximation gap log p(x) − ELBO[q*_F] of each family F of per-point q*, on the
    same model (Cremer et al. 2018, Table 2: factorised Gaussian vs flow).

    The families nest (diagonal ⊂ full_cov ⊂ flow, whose base is a full-covariance Gaussian)
    and each starts at the previous one's q*, so the gaps shrink up to SVI and Monte Carlo
    error. Full covariance also restarts from the encoder (its ELBO can have a local optimum
    at one mode of a bimodal posterior and another between the modes) and keeps the better
    per point. Returns log_px, log_px_method, log_px_se, elbo_amortized(_se) as in
    gap_decomposition, and "families": {F: {"q": q*_F, "elbo", "elbo_se",
    "approximation_gap"}}, tensors of shape (B,); ELBOs use elbo_samples fresh draws.
    """
    out = {"families": {}}
    previous = None
    for family in families:
        q = svi_posterior(model, x, steps=svi_steps, family=family, start=previous, **svi_kwargs)
        with torch.no_grad():
            if family == "full_cov" and previous is not None:
                again = svi_posterior(model, x, steps=svi_steps, family=family, **svi_kwargs)
                q = _better_gaussian(model, x, q, again, elbo_samples)
            elbo, se = _elbo_and_se(model, x, q, elbo_samples)
        out["families"][family] = {"q": q, "elbo": elbo, "elbo_se": se}
        previous = q
    with torch.no_grad():
        out["log_px"], out["log_px_method"], out["log_px_se"] = _log_px(model, x, k)
        out["elbo_amortized"], out["elbo_amortized_se"] = _elbo_and_se(model, x, model.encode(x),
                                                                       elbo_samples)
    for entry in out["families"].values():
        entry["approximation_gap"] = out["log_px"] - entry["elbo"]
    return out
