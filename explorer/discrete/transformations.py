"""Smoothing transformations for binary latents: ζ = f(β, p, ε), ε ~ U(0, 1).

Third lecture text, section 2.3 (functions f1, f2, f3); Rolfe 2016 (DVAE, the
spike-and-exponential f1); Vahdat et al. 2018 (DVAE++, the power-function family that
inspires f3). Each f(β, p, ·) is increasing with f(0) = 0 and f(1) = 1 and tends to the
step 1[ε ≥ 1 − p] as β → ∞, so a Bernoulli(p) bit becomes a continuous ζ that is
differentiable in p. All arguments broadcast elementwise; β > 0 and the base a > 1.
"""
from __future__ import annotations

import math

import torch

NAMES = ("spike_exponential", "spike_power", "symmetric_power")


def _tensors(*xs):
    """Broadcast to one floating dtype: the widest tensor dtype given, else the default.
    Python numbers are converted straight to it (not via float32, which would round them)."""
    dtype = torch.get_default_dtype()
    for x in xs:
        if isinstance(x, torch.Tensor) and x.is_floating_point():
            dtype = torch.promote_types(dtype, x.dtype)
    return torch.broadcast_tensors(*[torch.as_tensor(x, dtype=dtype) for x in xs])


def _check(name: str, a: float) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown smoothing {name!r}; expected one of {NAMES}")
    if not a > 1:
        raise ValueError(f"the base a must exceed 1, got {a}")


def _log0(x: torch.Tensor) -> torch.Tensor:
    """log x with log 0 = −inf and a finite (zero) gradient at 0 instead of NaN."""
    pos = x > 0
    return torch.where(pos, torch.log(torch.where(pos, x, torch.ones_like(x))), -math.inf)


def _pow0(x: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """x**β for x ∈ [0, 1] via exp(β log x), with 0**β = 0 and no NaN gradient at 0."""
    pos = x > 0
    safe = torch.where(pos, x, torch.ones_like(x))
    return torch.where(pos, torch.exp(beta * torch.log(safe)), torch.zeros_like(x))


def step_limit(p, eps) -> torch.Tensor:
    """The β → ∞ limit 1[ε ≥ 1 − p]: the Bernoulli(p) bit the smoothing replaces."""
    p, eps = _tensors(p, eps)
    return ((1 - eps) <= p).to(p.dtype)


def smoothing(name: str, beta, p, eps, a: float = math.e) -> torch.Tensor:
    """ζ = f(β, p, ε) for the section 2.3 families, elementwise and differentiable in p.

    spike_exponential (f1, Rolfe 2016):
        1[ε ≥ 1−p] · (1/β) log_a(u (a^β − 1) + 1),  u = (ε + p − 1)/p
    spike_power (f2):
        1[ε ≥ 1−p] · (1 − (1 − u)^β)
    symmetric_power (f3, after Vahdat et al. 2018):
        1[ε < 1−p] · (1−p) (ε/(1−p))^β + 1[ε ≥ 1−p] · (1 − p ((1−ε)/p)^β)
    """
    _check(name, a)
    beta, p, eps = _tensors(beta, p, eps)
    tiny = torch.finfo(p.dtype).tiny
    # The region test is written as 1 − ε ≤ p so that it agrees exactly with v ≤ 1 below.
    upper = (1 - eps) <= p
    # Each branch divides by a p (or 1 − p) that is ≥ its own ε-distance, so 1/p² cannot
    # overflow there; outside a branch the divisor is 1, which keeps the discarded gradient
    # finite (a tiny p would otherwise give 0 · ∞ = NaN through the clamp and the where).
    p_up = torch.where(upper, p, torch.ones_like(p))
    v = ((1 - eps) / p_up.clamp_min(tiny)).clamp(0, 1)  # v = 1 − u, exact at ε = 1
    if name == "spike_exponential":
        b = beta * math.log(a)
        # log(u (e^b − 1) + 1) = logaddexp(log u + b, log v): e^b overflows float32 at b > 88.
        zeta = torch.logaddexp(_log0(1 - v) + b, _log0(v)) / b
        zeta = torch.where(upper, zeta, torch.zeros_like(zeta))
    elif name == "spike_power":
        zeta = torch.where(upper, 1 - _pow0(v, beta), torch.zeros_like(v))
    else:
        q = 1 - p
        q_low = torch.where(upper, torch.ones_like(q), q)
        w = (eps / q_low.clamp_min(tiny)).clamp(0, 1)
        zeta = torch.where(upper, 1 - p * _pow0(v, beta), q * _pow0(w, beta))
    return zeta.clamp(0, 1)


def density(name: str, beta, p, zeta, a: float = math.e):
    """(spike mass at ζ = 0, density of the continuous part at ζ), analytic.

    From the inverse of f by change of variables, ε uniform:
      f1: mass 1 − p;  p · b e^{b(ζ−1)} / (1 − e^{−b}),  b = β ln a (Rolfe 2016, §2.1)
      f2: mass 1 − p;  (p/β) (1 − ζ)^{1/β − 1}
      f3: mass 0;      (1/β) (ζ/(1−p))^{1/β − 1} on ζ < 1−p,  (1/β) ((1−ζ)/p)^{1/β − 1} above
    The continuous part integrates to 1 − mass over (0, 1) and is 0 outside. For β > 1 the
    power densities are integrable but infinite at ζ = 1 (f2, f3) and ζ = 0 (f3).
    """
    _check(name, a)
    beta, p, zeta = _tensors(beta, p, zeta)
    inside = (zeta > 0) & (zeta < 1)
    if name == "spike_exponential":
        b = beta * math.log(a)
        mass = 1 - p
        dens = p * b * torch.exp(b * (zeta - 1)) / -torch.expm1(-b)
    elif name == "spike_power":
        mass = 1 - p
        dens = p / beta * torch.pow((1 - zeta).clamp_min(0), 1 / beta - 1)
    else:
        mass = torch.zeros_like(p)
        q = 1 - p
        lower = zeta < q
        x = torch.where(lower, zeta / q, (1 - zeta) / p)
        dens = torch.pow(x.clamp_min(0), 1 / beta - 1) / beta
    return mass, torch.where(inside, dens, torch.zeros_like(dens))


def overlapping_exponential(beta, q, rho) -> torch.Tensor:
    """ζ ~ (1−q) r(ζ|z=0) + q r(ζ|z=1) by inverse CDF at ρ ~ U(0, 1), with the overlapping
    exponentials r(ζ|0) ∝ e^{−βζ}, r(ζ|1) ∝ e^{β(ζ−1)} on [0, 1] (DVAE++, Vahdat et al. 2018,
    §3.2). No spike: both bit values are smoothed, and ζ → the Bernoulli(q) bit as β → ∞.

    With m = e^{−βζ} and c = e^{−β}, F(ζ) = ρ is the quadratic (1−q) m² − b m − q c = 0,
    b = (1−q) − q c − ρ (1 − c), whose positive root is taken in whichever algebraic form
    avoids cancellation. Computed in float64 and returned in the input dtype.
    """
    beta, q, rho = _tensors(beta, q, rho)
    out_dtype = q.dtype
    beta, q, rho = beta.double(), q.double(), rho.double()
    c = torch.exp(-beta)
    b = (1 - rho - q) + c * (rho - q)  # = (1−q) − qc − ρ(1−c), without 1 − (1 − c) at ρ → 1
    root = torch.sqrt(b * b + 4 * (1 - q) * q * c)
    big = b >= 0
    # b ≥ 0: (b + root) / 2(1−q) has no cancellation; b < 0: the conjugate form 2qc / (root − b).
    m = torch.where(big, (b + root) / (2 * (1 - q)).clamp_min(1e-300),
                    2 * q * c / torch.where(big, torch.ones_like(b), root - b))
    zeta = -_log0(m) / beta
    return zeta.clamp(0, 1).to(out_dtype)


def overlapping_exponential_density(beta, q, zeta) -> torch.Tensor:
    """Density of ζ under the DVAE++ mixture: [(1−q) β e^{−βζ} + q β e^{β(ζ−1)}] / (1 − e^{−β})
    on (0, 1), 0 outside (Vahdat et al. 2018, §3.2)."""
    beta, q, zeta = _tensors(beta, q, zeta)
    inside = (zeta >= 0) & (zeta <= 1)
    dens = ((1 - q) * torch.exp(-beta * zeta) + q * torch.exp(beta * (zeta - 1))) * beta \
        / -torch.expm1(-beta)
    return torch.where(inside, dens, torch.zeros_like(dens))
