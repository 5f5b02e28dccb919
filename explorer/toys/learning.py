"""Variational learning in the toy model: log p(x; θ) and ELBO curves L(x; θ, φ) over θ, and
EM-style coordinate ascent (E-step: fit q at θ_t; M-step: θ ← argmax_θ L(x; θ, q)).

The learned scalar is the decoder amplitude a of f_θ(z) = a·tanh(z) + w·z (explorer.toy_posterior);
the other parts of θ stay fixed.  All curves are exact quadratures evaluated on a θ grid.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.toys.posterior import (THETA0, Theta, best_gaussian, gaussian_entropy, log_evidence,
                                     log_gauss, posterior_on_grid, q_nodes)

A_GRID = np.round(np.linspace(0.2, 6.0, 117), 6)  # default grid of the learned parameter a


def _log_joint_over_a(z: np.ndarray, x: float, th: Theta, a_grid: np.ndarray) -> np.ndarray:
    """log p(x, z; θ with a = a_j) for every a_j (rows) and z_i (columns)."""
    f = a_grid[:, None] * np.tanh(z)[None, :] + th.w * z[None, :]
    return log_gauss(z, 0.0, th.prior_std**2)[None, :] + log_gauss(x, f, th.noise_std**2)


def log_evidence_curve(x: float, th: Theta = THETA0, a_grid: np.ndarray = A_GRID) -> np.ndarray:
    """log p(x; θ) for every a on the grid (one quadrature each)."""
    return np.array([log_evidence(x, th.with_(a=float(a))) for a in a_grid])


def elbo_curve(x: float, m: float, v: float, th: Theta = THETA0,
               a_grid: np.ndarray = A_GRID) -> np.ndarray:
    """L(x; θ, φ) over the a grid for one fixed q(z; φ) = N(m, v) (a lower bound on each θ)."""
    zk, wk = q_nodes(m, v)
    return _log_joint_over_a(zk, x, th, np.asarray(a_grid, float)) @ wk + float(gaussian_entropy(v))


def elbo_curve_exact_q(x: float, th_q: Theta, th: Theta = THETA0,
                       a_grid: np.ndarray = A_GRID) -> np.ndarray:
    """L(x; θ, q) over the a grid where q = p(z|x; θ_q), the exact posterior at θ_q (on its grid).

    Touches log p(x; θ) at θ = θ_q (there KL = 0) and lies below it everywhere else.
    """
    z, log_q = posterior_on_grid(x, th_q)
    wq = np.exp(log_q) * (z[1] - z[0])
    return (_log_joint_over_a(z, x, th, np.asarray(a_grid, float)) - log_q[None, :]) @ wq


@dataclass(frozen=True)
class EMTrace:
    """Coordinate ascent, step t = 0 … T−1: E-step at θ_t, then M-step to θ_{t+1}."""

    thetas: np.ndarray  # (T+1,) a_0 … a_T
    log_px: np.ndarray  # (T+1,) log p(x; θ_t)
    elbo_e: np.ndarray  # (T,) L(x; θ_t, q_t) right after the E-step
    elbo_m: np.ndarray  # (T,) L(x; θ_{t+1}, q_t) right after the M-step
    q: np.ndarray  # (T, 2) q_t as (mean, variance) (for the exact E-step: the posterior's moments)
    curves: np.ndarray  # (T, G) L(x; θ, q_t) over the a grid
    a_grid: np.ndarray  # (G,)


def em_trace(x: float, a0: float, steps: int = 8, exact: bool = True, th: Theta = THETA0,
             a_grid: np.ndarray = A_GRID) -> EMTrace:
    """EM-style coordinate ascent on L(x; θ, q).

    E-step: q_t = p(z|x; θ_t) (exact) or the best Gaussian N(m, v) at θ_t (variational EM).
    M-step: θ_{t+1} = argmax over the a grid of L(x; θ, q_t).  a0 is snapped to the grid, so the
    M-step can always stay put and L never decreases; with the exact E-step L(x; θ_t, q_t) =
    log p(x; θ_t), hence log p(x; θ_t) never decreases either.
    """
    a_grid = np.asarray(a_grid, float)
    a = float(a_grid[np.argmin(np.abs(a_grid - a0))])
    thetas, lps, e_vals, m_vals, qs, curves = [a], [log_evidence(x, th.with_(a=a))], [], [], [], []
    for _ in range(steps):
        th_t = th.with_(a=a)
        if exact:
            curve = elbo_curve_exact_q(x, th_t, th, a_grid)
            z, lq = posterior_on_grid(x, th_t)
            p = np.exp(lq) * (z[1] - z[0])
            mean = float(p @ z)
            qs.append((mean, float(p @ (z - mean) ** 2)))
        else:
            m, v = best_gaussian(x, th_t)
            curve = elbo_curve(x, m, v, th, a_grid)
            qs.append((m, v))
        j_now = int(np.argmin(np.abs(a_grid - a)))
        j = int(np.argmax(curve))
        if curve[j] <= curve[j_now]:
            j = j_now
        e_vals.append(float(curve[j_now]))
        m_vals.append(float(curve[j]))
        curves.append(curve)
        a = float(a_grid[j])
        thetas.append(a)
        lps.append(log_evidence(x, th.with_(a=a)))
    return EMTrace(np.array(thetas), np.array(lps), np.array(e_vals), np.array(m_vals),
                   np.array(qs).reshape(-1, 2), np.array(curves).reshape(-1, len(a_grid)), a_grid)
