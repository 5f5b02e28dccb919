"""A two-dimensional latent variant: z ∈ R², scalar x, posterior on a 2-D grid, Gaussian q.

    p(z) = N(0, I),  p(x|z) = N(x; f(z), s²),  f(z) = z₁ + z₂ ("sum") or z₁·z₂ ("product")

"sum": the posterior is an exactly Gaussian ridge along z₁ + z₂ = x with correlation −1/2…−1 —
a full-covariance q can match it, a diagonal (mean-field) q cannot and underestimates the spread.
"product": the posterior follows the hyperbola z₁z₂ = x and is bimodal for x ≠ 0 — no Gaussian fits.

q = N(m, Σ), Σ = [[v₁, ρ√(v₁v₂)], [ρ√(v₁v₂), v₂]] (v's are variances; ρ = 0 is diagonal).
ELBO and KL by 2-D Gauss–Hermite quadrature under q; log p(x) by quadrature on the grid.
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.toys.posterior import LOG_2PI, logsumexp

DECODERS = ("sum", "product")
NOISE_STD = 0.5  # s of p(x|z)
_U, _W = np.polynomial.hermite_e.hermegauss(40)
_W = _W / _W.sum()
_U1, _U2 = (a.ravel() for a in np.meshgrid(_U, _U, indexing="ij"))
_W2 = np.outer(_W, _W).ravel()


def gauss_hermite() -> tuple[np.ndarray, np.ndarray]:
    """The 1-D Gauss–Hermite nodes and weights (normalised: a N(0, 1) expectation) whose product
    grid the ELBO and KL quadrature uses."""
    return _U.copy(), _W.copy()


def decoder2d(z1, z2, kind: str = "product"):
    """f(z) for numpy arrays or torch tensors."""
    return z1 + z2 if kind == "sum" else z1 * z2


def log_joint2d(z1, z2, x: float, kind: str = "product", noise_std: float = NOISE_STD):
    """log p(x, z) = log N(z; 0, I) + log N(x; f(z), s²), for numpy arrays or torch tensors."""
    r = (x - decoder2d(z1, z2, kind)) / noise_std
    return -0.5 * (z1 * z1 + z2 * z2 + r * r) - 1.5 * LOG_2PI - float(np.log(noise_std))


def posterior_grid2d(x: float, kind: str = "product", noise_std: float = NOISE_STD, n: int = 201,
                     half_width: float = 5.0) -> tuple[np.ndarray, np.ndarray, float]:
    """(axis, log p(z|x) of shape (n, n) indexed [i1, i2], log p(x)) on [−L, L]²."""
    g = np.linspace(-half_width, half_width, n)
    z1, z2 = np.meshgrid(g, g, indexing="ij")
    lj = log_joint2d(z1, z2, x, kind, noise_std)
    log_px = float(logsumexp(lj) + 2 * np.log(g[1] - g[0]))
    return g, lj - log_px, log_px


def covariance(v1: float, v2: float, rho: float = 0.0) -> np.ndarray:
    c = rho * np.sqrt(v1 * v2)
    return np.array([[v1, c], [c, v2]])


def _nodes(m, cov) -> tuple[np.ndarray, np.ndarray]:
    chol = np.linalg.cholesky(cov)
    u = np.stack([_U1, _U2])
    z = np.asarray(m, float)[:, None] + chol @ u
    return z[0], z[1]


def gaussian_entropy2d(cov) -> float:
    """H(N(m, Σ)) = ½ log det(2πe Σ)."""
    return float(0.5 * (2 * (LOG_2PI + 1.0) + np.linalg.slogdet(cov)[1]))


def elbo2d(x: float, m, cov, kind: str = "product", noise_std: float = NOISE_STD) -> float:
    """L = E_q[log p(x, z)] + H(q) by 2-D Gauss–Hermite quadrature."""
    z1, z2 = _nodes(m, cov)
    return float(_W2 @ log_joint2d(z1, z2, x, kind, noise_std) + gaussian_entropy2d(cov))


def kl2d(x: float, m, cov, kind: str = "product", noise_std: float = NOISE_STD,
         log_px: float | None = None) -> float:
    """KL(q ‖ p(z|x)) = E_q[log q − log p(x, z)] + log p(x) (log p(x) by grid quadrature)."""
    if log_px is None:
        log_px = posterior_grid2d(x, kind, noise_std)[2]
    z1, z2 = _nodes(m, cov)
    d = np.stack([z1, z2]) - np.asarray(m, float)[:, None]
    inv = np.linalg.inv(cov)
    log_q = -0.5 * np.einsum("in,ij,jn->n", d, inv, d) - LOG_2PI - 0.5 * np.linalg.slogdet(cov)[1]
    return float(_W2 @ (log_q - log_joint2d(z1, z2, x, kind, noise_std)) + log_px)


def best_gaussian2d(x: float, kind: str = "product", noise_std: float = NOISE_STD, full: bool = True,
                    start=(0.5, 0.5)) -> tuple[np.ndarray, np.ndarray]:
    """argmax_q ELBO over diagonal or full-covariance Gaussians (L-BFGS on the quadrature ELBO).

    Returns (mean (2,), covariance (2, 2)).  `start` breaks the symmetry of the bimodal case.
    """
    u = torch.tensor(np.stack([_U1, _U2]), dtype=torch.float64)
    w = torch.tensor(_W2, dtype=torch.float64)
    m = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    log_d = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    off = torch.zeros(1, dtype=torch.float64, requires_grad=bool(full))
    params = [m, log_d] + ([off] if full else [])
    opt = torch.optim.LBFGS(params, max_iter=200, line_search_fn="strong_wolfe")

    def chol():
        lower = torch.zeros(2, 2, dtype=torch.float64)
        lower = lower + torch.diag(torch.exp(log_d))
        return lower + torch.stack([torch.zeros(2, dtype=torch.float64),
                                    torch.cat([off, torch.zeros(1, dtype=torch.float64)])])

    def closure():
        opt.zero_grad()
        z = m[:, None] + chol() @ u
        loss = -(w @ log_joint2d(z[0], z[1], x, kind, noise_std) + log_d.sum())
        loss.backward()
        return loss

    opt.step(closure)
    c = chol().detach().numpy()
    return m.detach().numpy().copy(), c @ c.T


def ellipse(m, cov, k: float = 2.0, n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """Points of the k-σ ellipse of N(m, Σ) (closed path)."""
    t = np.linspace(0, 2 * np.pi, n + 1)
    pts = np.asarray(m, float)[:, None] + k * np.linalg.cholesky(cov) @ np.stack([np.cos(t), np.sin(t)])
    return pts[0], pts[1]
