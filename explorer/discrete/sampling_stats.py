"""Monte Carlo and grid computations of the Discrete latents lab (third lecture text, §2.2–2.3).

Plain numbers in, numpy arrays out; no Streamlit.  Gumbel-max and Gumbel-softmax: Maddison,
Mnih & Teh 2017; Jang, Gu & Poole 2017.  Smoothing transformations f1–f3: Rolfe 2016;
Vahdat et al. 2018.  Sampling is in float64 with a fixed seed and common random numbers
(the same Gumbel noise at every τ), so curves against τ are smooth and reproducible.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.integrate import simpson  # scipy: a dependency of scikit-learn

from explorer.discrete import gumbel_max, gumbel_softmax
from explorer.discrete.gumbel import gumbel_noise
from explorer.discrete.transformations import (NAMES, density, overlapping_exponential,
                                               overlapping_exponential_density, smoothing)

BETA_GRID = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0,
             50.0, 70.0, 100.0)
FIG1_BETAS = (1.0, 3.0, 10.0)   # the text's Figure 1 gives no β values: dotted < solid < dashed
FIG1_PS = (0.2, 0.5, 0.8)
ONE_HOT_TOL = 1e-6              # a relaxed sample with max_c y_c > 1 − this counts as one-hot


def _logits(logits, n: int) -> torch.Tensor:
    return torch.as_tensor(np.asarray(logits, dtype=float), dtype=torch.float64).expand(n, -1)


def softmax(logits) -> np.ndarray:
    """softmax(ℓ): the category probabilities, computed stably."""
    return torch.softmax(torch.as_tensor(np.asarray(logits, dtype=float)), -1).numpy()


def gumbel_max_frequencies(logits, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies of z = argmax_c(ℓ_c + g_c) over n samples (Gumbel-max trick, Maddison et al.
    2017 eq. 1) and the standard error √(p(1−p)/n) of a frequency whose true value is
    p = softmax(ℓ)."""
    gen = torch.Generator().manual_seed(seed)
    z = gumbel_max(_logits(logits, n), generator=gen).numpy()
    k = len(logits)
    p = softmax(logits)
    return np.bincount(z, minlength=k) / n, np.sqrt(p * (1 - p) / n)


def relaxed_samples(logits, tau: float, n: int, seed: int) -> np.ndarray:
    """n Gumbel-softmax samples y = softmax((ℓ + g)/τ) (Jang et al. 2017 eq. 1), shape (n, K).
    The same seed gives the same g at every τ."""
    gen = torch.Generator().manual_seed(seed)
    return gumbel_softmax(_logits(logits, n), tau, generator=gen).numpy()


def relaxed_moments(logits, taus, n: int, seed: int) -> dict[str, np.ndarray]:
    """Monte Carlo mean, variance and SE of the mean of each y_c, and the fraction of one-hot
    samples, at each τ (rows), from one draw of g (`relaxed_sweep`). E[y] → softmax(ℓ) as
    τ → 0 and → uniform 1/K as τ → ∞."""
    sweep = relaxed_sweep(logits, taus, n, seed)
    return {k: sweep[k] for k in ("mean", "var", "se", "one_hot")}


def relaxed_sweep(logits, taus, n: int, seed: int, keep: int = 0) -> dict[str, np.ndarray]:
    """Everything the Gumbel-softmax views show at each τ (rows), from ONE draw of g (common random
    numbers, the g of `relaxed_samples` with this seed): as `relaxed_moments`, plus the median
    and largest ‖∂y/∂ℓ‖ (`jacobian_norms`), the counts of argmax_c y_c, whether every y is
    finite, and the first `keep` samples y (float32, for drawing)."""
    return relaxed_sweep_from_noise(logits, taus, sweep_noise(n, len(logits), seed), keep)


def sweep_noise(n: int, k: int, seed: int) -> np.ndarray:
    """The Gumbel noise g (n × K) of `relaxed_sweep` with this seed; the first m rows are the
    noise of m samples, so one draw serves every n."""
    return gumbel_noise((n, k), torch.Generator().manual_seed(seed)).numpy()


def relaxed_sweep_from_noise(logits, taus, g: np.ndarray, keep: int = 0) -> dict[str, np.ndarray]:
    """`relaxed_sweep` on given noise g (n × K): what the Gumbel page's browser-side view
    (ui/live/frontend/gumbel.js) computes, and its test oracle."""
    n = len(g)
    s = np.asarray(logits, dtype=float) + np.asarray(g, dtype=float)
    rows = []
    for tau in taus:
        t = s / tau
        t -= t.max(1, keepdims=True)
        y = np.exp(t - np.log(np.exp(t).sum(1, keepdims=True)))  # log_softmax, then exp
        var = y.var(0, ddof=1)
        jac = jacobian_norms(y, tau)
        rows.append({"mean": y.mean(0), "var": var, "se": np.sqrt(var / n),
                     "one_hot": np.mean(y.max(1) > 1 - ONE_HOT_TOL), "jac_median": np.median(jac),
                     "jac_max": jac.max(), "counts": np.bincount(y.argmax(1), minlength=s.shape[1]),
                     "finite": bool(np.isfinite(y).all()), "ys": y[:keep].astype(np.float32)})
    return {k: np.asarray([r[k] for r in rows]) for k in rows[0]}


def jacobian_norms(y: np.ndarray, tau: float) -> np.ndarray:
    """‖∂y/∂ℓ‖_F per sample: ∂y/∂ℓ = (diag y − y yᵀ)/τ for y = softmax((ℓ + g)/τ).
    0 at an exact one-hot y (vanishing), up to order 1/τ near a tie (exploding)."""
    # Σ_i (y_i (1 − y_i))² + Σ_{i≠j} y_i² y_j², with 1 − y_i summed from the other y_j (no
    # cancellation near a corner): no n × K × K array, which was half of the Gumbel page's
    # recomputation when a logit moves.
    k = y.shape[1]
    sq = ((y * (y @ (1.0 - np.eye(k)))) ** 2).sum(1)
    y2 = y * y
    for i in range(k - 1):
        sq += 2 * y2[:, i] * y2[:, i + 1:].sum(1)
    return np.sqrt(sq) / tau


def anneal_hit_step(tau0: float, tau_min: float, rate: float) -> float:
    """The first step t at which τ_t = max(τ_min, τ_0 e^{−r t}) reaches τ_min:
    ln(τ_0/τ_min)/r; 0 if τ_0 ≤ τ_min; ∞ for r = 0 (Jang et al. 2017, §4)."""
    if tau0 <= tau_min:
        return 0.0
    return math.inf if rate == 0 else math.log(tau0 / tau_min) / rate


def smoothing_curves(name: str, betas, p: float, eps, a: float = math.e) -> np.ndarray:
    """ζ = f(β, p, ε) for each β (rows) on the ε grid (columns) (text §2.3, f1–f3)."""
    beta = torch.as_tensor(np.asarray(betas, dtype=float))[:, None]
    return smoothing(name, beta, p, torch.as_tensor(np.asarray(eps, dtype=float))[None, :],
                     a).numpy()


def curve_grid(p: float, m: int = 401, m_near: int = 120) -> np.ndarray:
    """ε ∈ [0, 1], uniform plus points crowded just after 1 − p, where f rises steeply."""
    q = 1 - p
    near = q + p * np.geomspace(1e-6, 1, m_near)
    return np.unique(np.clip(np.concatenate([np.linspace(0, 1, m), [q], near]), 0, 1))


def figure1_curves(betas=FIG1_BETAS, ps=FIG1_PS, names=None, a: float = math.e):
    """{(name, p): (ε grid, ζ rows per β)}: the panels of the text's Figure 1. A coarser grid
    than the single-curve views: 36 curves travel to the browser on every page load."""
    return {(n, p): (e, smoothing_curves(n, betas, p, e, a))
            for n in (names or NAMES) for p in ps for e in [curve_grid(p, 101, 40)]}


def dzeta_dp(name: str, beta: float, p: float, eps, a: float = math.e) -> np.ndarray:
    """∂ζ/∂p at each ε by autograd: the pathwise gradient a relaxed bit passes to p."""
    e = torch.as_tensor(np.asarray(eps, dtype=float))
    pt = torch.full_like(e, float(p)).requires_grad_()
    (grad,) = torch.autograd.grad(smoothing(name, beta, pt, e, a).sum(), pt)
    return grad.numpy()


def smoothing_samples(name: str, beta: float, p: float, n: int, seed: int,
                      a: float = math.e) -> np.ndarray:
    """n samples ζ = f(β, p, ε), ε ~ U(0, 1)."""
    u = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return smoothing(name, beta, p, u, a).numpy()


def histogram_density(zeta: np.ndarray, bins: int = 50) -> tuple[np.ndarray, np.ndarray, float]:
    """(bin edges, density of the continuous part, fraction exactly at 0): the bars integrate
    to 1 − spike fraction, the scale of `smoothing.density`'s continuous part."""
    zeta = np.asarray(zeta, dtype=float)
    spike = zeta == 0
    edges = np.linspace(0, 1, bins + 1)
    counts, _ = np.histogram(zeta[~spike], edges)
    return edges, counts / (len(zeta) * np.diff(edges)), float(spike.mean())


def analytic_density(name: str, beta: float, p: float, a: float = math.e,
                     m: int = 1001) -> tuple[np.ndarray, np.ndarray, float]:
    """(ζ grid inside (0, 1), continuous density there, spike mass at 0), from
    `smoothing.density` (change of variables; Rolfe 2016 §2.1 for f1).  The grid crowds
    geometrically towards 0 and 1, where the power densities blow up for β > 1."""
    ends = np.geomspace(1e-9, 0.02, 60)
    grid = np.unique(np.concatenate([np.linspace(0, 1, m)[1:-1], ends, 1 - ends]))
    mass, dens = density(name, beta, p, torch.as_tensor(grid, dtype=torch.float64), a)
    return grid, dens.numpy(), float(mass.reshape(-1)[0])


def _pieces(m: int) -> np.ndarray:
    """s ∈ [0, 1], uniform plus geometric at both ends (f1 has a log singularity at u = 0)."""
    g = np.geomspace(1e-13, 1, m)
    return np.unique(np.concatenate([[0.0], np.linspace(0, 1, m), g, 1 - g]))


def l1_to_step(name: str, betas, p: float, a: float = math.e, m: int = 801) -> np.ndarray:
    """∫₀¹ |f(β, p, ε) − 1[ε ≥ 1−p]| dε for each β, by Simpson's rule on [0, 1−p] (where the
    integrand is f) and [1−p, 1] (where it is 1 − f).  → 0 as β → ∞ (text §2.3)."""
    s = _pieces(m)
    q = 1 - p
    lower, upper = q * s, q + p * s
    f_lo = smoothing_curves(name, betas, p, lower, a)
    f_up = smoothing_curves(name, betas, p, upper, a)
    return simpson(f_lo, x=lower, axis=1) + simpson(1 - f_up, x=upper, axis=1)


def overlapping_views(beta: float, p: float, n: int, seed: int, m: int = 401):
    """The DVAE++ overlapping-exponential smoothing (Vahdat et al. 2018, §3.2) for one (β, p):
    ε grid, ζ(ε), ∂ζ/∂p by autograd, histogram of n samples (edges, density) and the analytic
    density on a grid. No spike: both bit values are smoothed."""
    eps = torch.linspace(0, 1, m, dtype=torch.float64)
    q = torch.full((m,), p, dtype=torch.float64, requires_grad=True)  # one p per ε: ∂ζ_i/∂p_i
    zeta = overlapping_exponential(beta, q, eps)
    (grad,) = torch.autograd.grad(zeta.sum(), q)
    u = torch.as_tensor(overlapping_noise(n, seed))
    edges, hist, _ = histogram_density(overlapping_exponential(beta, p, u).numpy())
    grid = torch.linspace(0, 1, 1001, dtype=torch.float64)
    dens = overlapping_exponential_density(beta, p, grid)
    return (eps.numpy(), zeta.detach().numpy(), grad.numpy(), edges, hist, grid.numpy(),
            dens.numpy())


def overlapping_noise(n: int, seed: int) -> np.ndarray:
    """The uniform ρ of `overlapping_views`' samples (float64): the Smoothing page's browser-side
    DVAE++ view (ui/live/frontend/smoothing.js) redraws its histogram from these."""
    return torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()


def smoothing_views(name: str, beta: float, p: float, n: int, seed: int, a: float = math.e):
    """Everything the single-transformation views draw for one (f, β, p): ε grid, ζ(ε),
    ∂ζ/∂p, histogram of n samples (edges, continuous density, spike fraction) and the analytic
    density (ζ grid, density, spike mass)."""
    eps = curve_grid(p)
    zeta = smoothing_curves(name, [beta], p, eps, a)[0]
    edges, hist, spike = histogram_density(smoothing_samples(name, beta, p, n, seed, a))
    return (eps, zeta, dzeta_dp(name, beta, p, eps, a), edges, hist, spike,
            *analytic_density(name, beta, p, a))


def l1_family(p: float, a: float = math.e) -> dict[str, np.ndarray]:
    """l1_to_step over BETA_GRID for every smoothing transformation."""
    return {n: l1_to_step(n, BETA_GRID, p, a) for n in NAMES}


def smoothing_notes(beta: float, p: float, l1_now: float, grad_max: float, spiky: bool,
                    n: int) -> list[str]:
    """What is extreme about (β, p): ζ numerically the step, or a nearly deterministic bit."""
    notes = []
    if beta >= 50:
        notes.append(f"β = {beta:g}: ζ is numerically the step — its L1 distance to 1[ε ≥ 1−p] is "
                     f"{l1_now:.2g} — and ∂ζ/∂p is concentrated in a spike of height "
                     f"{grad_max:.3g} near ε = 1 − p: almost the discrete bit again, with "
                     "a gradient that is large where it is not ~0 (high variance).")
    if p <= 0.05 or p >= 0.95:
        rare = "ζ > 0" if spiky else "ζ > 1 − p"
        notes.append(f"p = {p:g} is extreme: the bit is almost always {int(p >= 0.5)}, so only about "
                     f"{n * p:.0f} of {n} samples fall in the region {rare}"
                     + (" and the histogram of the continuous part is noisy." if p <= 0.05 else "."))
    return notes


def relaxation_notes(probs: np.ndarray, tau: float, n: int, one_hot: float, jac_median: float,
                     jac_max: float, labels) -> list[str]:
    """What is extreme about the logits and τ of the Gumbel-softmax views: a nearly
    deterministic z, a tiny τ (vanishing or exploding Jacobians: the median and largest
    ‖∂y/∂ℓ‖ of the samples) or a large τ (bias)."""
    notes = []
    if probs.max() > 0.999:
        c = int(probs.argmax())
        notes.append(f"Extreme logits: category {c + 1} has probability {probs[c]:.6f}, so z is "
                     f"almost deterministic — among n = {n} samples the other categories appear "
                     f"about {n * (1 - probs[c]):.1f} times in all, and the relaxed samples pile "
                     f"up at the corner {labels[c]} at every small τ.")
    if tau <= 0.05:
        notes.append(f"τ = {tau:g} is tiny: {one_hot:.1%} of the relaxed samples are "
                     f"numerically one-hot (max_c y_c > 1 − 10⁻⁶). The Jacobian ∂y/∂ℓ = (diag y − y yᵀ)/τ "
                     f"then **vanishes** for most samples (median ‖∂y/∂ℓ‖ = {jac_median:.1e}) and "
                     f"**explodes** near a tie between the top two ℓ_c + g_c, where it is of order "
                     f"1/τ = {1 / tau:g} (largest here: {jac_max:.3g}; rare if one logit dominates): "
                     "the gradient is low-bias but high-variance. Everything is computed in log space, "
                     "so no NaN.")
    elif tau >= 5:
        notes.append(f"τ = {tau:g} is large: the relaxed samples crowd around the centre (1/3, 1/3, "
                     "1/3) and their mean drifts from softmax(ℓ) towards uniform — smooth gradients "
                     "of the wrong (biased) objective.")
    return notes
