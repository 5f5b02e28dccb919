"""A one-dimensional latent-variable model whose posterior p(z|x) is known exactly on a grid.

Model (θ = (a, w, σ_p, s), all plain floats):

    p(z)   = N(z; 0, σ_p²)
    p(x|z) = N(x; f_θ(z), s²),   f_θ(z) = a·tanh(z) + w·z

f_θ is a "decoder network" with one tanh unit and a linear skip connection.  Why this choice:
tanh saturates, so once tanh(z) ≈ 1 the likelihood stops pinning z down.  For x ≈ 1.9 (a = 2,
w = 0) the posterior has a sharp left edge (z must be ≳ 1 to reach x) and a long right tail that
only the broad prior σ_p = 2 cuts off: skewed, mode ≈ 1.2, mean ≈ 2, variance ≈ 1.3 — the blue
curve of the first lecture, where N(2, 2) (orange) is a decent fit and N(−4, 0.75) (green) a
poor one.  With a = 0 the model is linear-Gaussian (closed forms; used by the tests), and w > 0
gives x a long-tailed prior predictive (used for the Monte Carlo page).

Everything is in log space.  q(z; φ) = N(m, v): the second argument is the VARIANCE, as in the
lecture's N(φ1, φ2).  Expectations under q use Gauss–Hermite quadrature (exact for polynomials
of degree < 2·GH_NODES, and very accurate for the smooth log-joint here); log p(x) and p(z|x)
use a dense grid normalised with logsumexp · Δz.  No Monte Carlo anywhere in this module.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

LOG_2PI = float(np.log(2.0 * np.pi))
GH_NODES = 96
_GH_U, _GH_W = np.polynomial.hermite_e.hermegauss(GH_NODES)  # ∫ e^{-u²/2} g(u) du
_GH_W = _GH_W / _GH_W.sum()  # weights of E_{u~N(0,1)}[g(u)]


@dataclass(frozen=True)
class Theta:
    """Parameters of the generative model; hashable so Streamlit can cache on it."""

    a: float = 2.0  # amplitude of the tanh unit
    w: float = 0.0  # slope of the linear skip connection
    prior_std: float = 2.0  # σ_p
    noise_std: float = 0.7  # s

    def with_(self, **changes) -> "Theta":
        return replace(self, **changes)


THETA0 = Theta()
X0 = 1.9  # default observation: posterior mass around z ≈ 2, skewed
Q_ORANGE = (2.0, 2.0)  # the lecture's N(2, 2)   (mean, variance)
Q_GREEN = (-4.0, 0.75)  # the lecture's N(−4, 0.75)


def logsumexp(a: np.ndarray, axis=None) -> np.ndarray:
    """log Σ exp(a) without overflow; −inf rows stay −inf (no NaN)."""
    a = np.asarray(a, dtype=float)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


# --- the model -------------------------------------------------------------------------------
def decoder(z, th: Theta = THETA0) -> np.ndarray:
    """f_θ(z) = a·tanh(z) + w·z."""
    z = np.asarray(z, dtype=float)
    return th.a * np.tanh(z) + th.w * z


def decoder_slope(z, th: Theta = THETA0) -> np.ndarray:
    """f_θ'(z) = a·(1 − tanh² z) + w."""
    t = np.tanh(np.asarray(z, dtype=float))
    return th.a * (1.0 - t * t) + th.w


def log_gauss(y, mean, var) -> np.ndarray:
    """log N(y; mean, var), elementwise."""
    y, mean, var = (np.asarray(v, dtype=float) for v in (y, mean, var))
    return -0.5 * (LOG_2PI + np.log(var) + (y - mean) ** 2 / var)


def log_prior(z, th: Theta = THETA0) -> np.ndarray:
    """log p(z) = log N(z; 0, σ_p²)."""
    return log_gauss(z, 0.0, th.prior_std**2)


def log_likelihood(z, x: float, th: Theta = THETA0) -> np.ndarray:
    """log p(x|z; θ) = log N(x; f_θ(z), s²)."""
    return log_gauss(x, decoder(z, th), th.noise_std**2)


def log_joint(z, x: float, th: Theta = THETA0) -> np.ndarray:
    """log p(x, z; θ) = log p(z) + log p(x|z; θ)."""
    return log_prior(z, th) + log_likelihood(z, x, th)


def dlog_joint_dz(z, x: float, th: Theta = THETA0) -> np.ndarray:
    """∂/∂z log p(x, z; θ) (used by SVI)."""
    z = np.asarray(z, dtype=float)
    return -z / th.prior_std**2 + (x - decoder(z, th)) * decoder_slope(z, th) / th.noise_std**2


# --- the exact posterior on a grid ----------------------------------------------------------
def z_grid(x: float, th: Theta = THETA0, n: int = 2001, coarse: int = 4001) -> np.ndarray:
    """A dense grid covering where p(z|x) has mass (log-joint within 60 nats of its maximum).

    A coarse scan over ±(12 σ_p + |x|/|w|) finds the region; the dense grid zooms into it, so
    narrow posteriors (tiny s) and far-out ones (x in the tail) are both resolved.
    """
    reach = 12.0 * th.prior_std + (abs(x) / abs(th.w) if abs(th.w) > 1e-3 else 0.0) + 10.0
    zc = np.linspace(-reach, reach, coarse)
    lj = log_joint(zc, x, th)
    keep = np.flatnonzero(lj > lj.max() - 60.0)
    step = zc[1] - zc[0]
    lo, hi = zc[keep[0]] - 2 * step, zc[keep[-1]] + 2 * step
    return np.linspace(lo, hi, n)


def posterior_on_grid(x: float, th: Theta = THETA0, n: int = 2001) -> tuple[np.ndarray, np.ndarray]:
    """(z, log p(z|x; θ)) on a dense grid; exp(log_post)·Δz sums to 1."""
    z = z_grid(x, th, n)
    lj = log_joint(z, x, th)
    return z, lj - (logsumexp(lj) + np.log(z[1] - z[0]))


def log_evidence(x: float, th: Theta = THETA0, n: int = 2001) -> float:
    """log p(x; θ) = log ∫ p(x, z; θ) dz by quadrature on the grid (logsumexp · Δz)."""
    z = z_grid(x, th, n)
    return float(logsumexp(log_joint(z, x, th)) + np.log(z[1] - z[0]))


def plot_range(z: np.ndarray, log_post: np.ndarray, m: float, v: float) -> tuple[float, float]:
    """The z range that shows p(z|x) (its central 1 − 2·10⁻⁴, plus 1) and q = N(m, v) (±4σ),
    never narrower than [−7, 7]."""
    cdf = np.cumsum(np.exp(log_post)) * (z[1] - z[0])
    left = z[np.searchsorted(cdf, 1e-4)] - 1
    right = z[min(np.searchsorted(cdf, 1 - 1e-4), len(z) - 1)] + 1
    sd = float(np.sqrt(v))
    return float(min(-7.0, left, m - 4 * sd)), float(max(7.0, right, m + 4 * sd))


# --- a Gaussian q and the bound ---------------------------------------------------------------
def q_nodes(m: float, v: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes z_k and weights ω_k with Σ ω_k g(z_k) ≈ E_{N(m, v)}[g(z)]."""
    return m + np.sqrt(v) * _GH_U, _GH_W


def gaussian_entropy(v) -> np.ndarray:
    """H(N(m, v)) = ½ log(2πe v)."""
    return 0.5 * (LOG_2PI + 1.0 + np.log(np.asarray(v, dtype=float)))


@dataclass(frozen=True)
class Bound:
    """The pieces of the first lecture's identity for one x, θ and q = N(m, v)."""

    log_px: float  # log p(x; θ)
    expected_log_joint: float  # E_q[log p(x, z; θ)]
    entropy: float  # H(q)
    kl: float  # KL(q ‖ p(z|x; θ))

    @property
    def elbo(self) -> float:
        """L(x; θ, φ) = E_q[log p(x, z)] + H(q)."""
        return self.expected_log_joint + self.entropy


def elbo(x: float, th: Theta, m: float, v: float) -> float:
    """L(x; θ, q) = E_q[log p(x, z; θ)] + H(q) for q = N(m, v) (quadrature)."""
    zk, wk = q_nodes(m, v)
    return float(wk @ log_joint(zk, x, th) + gaussian_entropy(v))


def kl_to_posterior(x: float, th: Theta, m: float, v: float, log_px: float | None = None) -> float:
    """KL(q ‖ p(z|x; θ)) = E_q[log q(z) − log p(z|x; θ)], log p(z|x) = log p(x,z) − log p(x)."""
    lp = log_evidence(x, th) if log_px is None else log_px
    zk, wk = q_nodes(m, v)
    log_post = log_joint(zk, x, th) - lp
    return float(wk @ (log_gauss(zk, m, v) - log_post))


def bound(x: float, th: Theta, m: float, v: float) -> Bound:
    """All terms at once: log p(x) = ELBO + KL, ELBO = E_q[log p(x,z)] + H(q)."""
    lp = log_evidence(x, th)
    zk, wk = q_nodes(m, v)
    return Bound(lp, float(wk @ log_joint(zk, x, th)), float(gaussian_entropy(v)),
                 kl_to_posterior(x, th, m, v, lp))


def q_log_density(z, m: float, v: float) -> np.ndarray:
    """log N(z; m, v) on any array of z (for plotting q against the posterior)."""
    return log_gauss(z, m, v)


# --- SVI: per-point optimisation of φ = (m, log v) --------------------------------------------
def elbo_grad(x: float, th: Theta, m: float, log_v: float) -> tuple[float, float]:
    """(∂L/∂m, ∂L/∂log v) of the exact ELBO by reparameterised quadrature z = m + √v·u."""
    sd = np.exp(0.5 * log_v)
    zk = m + sd * _GH_U
    g = dlog_joint_dz(zk, x, th)
    return float(_GH_W @ g), float(0.5 * sd * (_GH_W @ (g * _GH_U)) + 0.5)


def svi_path(x: float, th: Theta, m0: float, v0: float, steps: int = 60, lr: float = 0.1,
             max_step: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Gradient ascent φ ← φ + η ∇_φ L on the exact ELBO in φ = (m, log v).

    Returns path (steps+1, 2) of (m, v) and the ELBO along it (steps+1,).  Each move is clipped
    to length `max_step` so that a huge gradient (q far out in the tail, tiny s) cannot throw φ
    to infinity; with small gradients this is plain gradient ascent.
    """
    phi = np.array([float(m0), float(np.log(max(v0, 1e-300)))])
    path, values = [], []
    for t in range(steps + 1):
        path.append((phi[0], np.exp(phi[1])))
        values.append(elbo(x, th, phi[0], np.exp(phi[1])))
        if t == steps:
            break
        d = lr * np.array(elbo_grad(x, th, phi[0], phi[1]))
        norm = float(np.hypot(*d))
        if not np.isfinite(norm):
            d, norm = np.zeros(2), 0.0
        phi = phi + (d * (max_step / norm) if norm > max_step else d)
        phi[1] = np.clip(phi[1], -30.0, 12.0)
    return np.array(path), np.array(values)


def best_gaussian(x: float, th: Theta = THETA0, steps: int = 400) -> tuple[float, float]:
    """argmax over N(m, v) of the ELBO (= argmin KL(q ‖ p(z|x))), started at the posterior's
    mean and variance and refined by gradient ascent."""
    z, lp = posterior_on_grid(x, th)
    p = np.exp(lp) * (z[1] - z[0])
    mean = float(p @ z)
    var = float(max(p @ (z - mean) ** 2, 1e-12))
    path, vals = svi_path(x, th, mean, var, steps=steps, lr=0.05 * min(1.0, var), max_step=0.2)
    i = int(np.argmax(vals))
    return float(path[i, 0]), float(path[i, 1])


def posterior_moments(x: float, th: Theta = THETA0) -> tuple[float, float]:
    """Mean and variance of the exact posterior p(z|x; θ)."""
    z, lp = posterior_on_grid(x, th)
    p = np.exp(lp) * (z[1] - z[0])
    mean = float(p @ z)
    return mean, float(p @ (z - mean) ** 2)


# Variances offered by the pages' q sliders (plain floats, so the URL holds e.g. "0.75").
VARIANCE_CHOICES = (1e-06, 0.0001, 0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5,
                    2.0, 3.0, 5.0, 10.0, 100.0, 1000.0)


def degeneracy_notes(x: float, th: Theta, m: float, v: float, b: Bound) -> list[str]:
    """Plain-language warnings for extreme settings (the numbers stay finite; this says why
    they look odd)."""
    notes = []
    if v < 1e-3:
        notes.append(f"q is almost a point mass (v = {v:g}): its entropy H(q) = ½ log(2πe v) = "
                     f"{b.entropy:.2f} → −∞ as v → 0, so the ELBO ≈ log p(x, z=m) + H(q) sinks.")
    if v > 50:
        notes.append(f"q is far wider than the posterior (v = {v:g}): most of its mass sits where "
                     "log p(x, z) is very negative, so E_q[log p(x,z)] is hugely negative.")
    if b.kl > 20:
        notes.append(f"KL(q ‖ p(z|x)) = {b.kl:.1f} nats: q sits where the posterior has almost "
                     "no mass — the ELBO is a very loose bound on log p(x).")
    reach = abs(th.a) + 3 * abs(th.w) * th.prior_std + 3 * th.noise_std
    if abs(x) > reach:
        notes.append(f"x = {x:g} is far in the tail of p(x) (|f(z)| rarely exceeds ≈ {reach:.1f}): "
                     f"log p(x) = {b.log_px:.1f} — every term is large and negative, yet the "
                     "identity log p(x) = ELBO + KL still holds.")
    return notes
