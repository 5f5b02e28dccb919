"""A mixture of infinitely many Gaussians (second text, Figure 1; first lecture's opening slide).

Discrete z:   p(x) = Σ_k p(z=k) N(x; μ_k, Σ_k), a K-component mixture fitted by EM
              (scikit-learn's GaussianMixture); K = 1 is Figure 1's "bad approximation".
Continuous z: p(x) = ∫ N(x; μ_θ(z), Σ_θ(z)) p(z) dz for a trained VAE with d ≤ 2, by the
              trapezoid rule on a grid of z: Σ_j w_j p(x|z_j) with w_j = p(z_j) h^d, itself
              a mixture of finitely many Gaussians whose partial sums add up to the marginal.
Everything is in log space; arrays in numpy, grids of x indexed [i2, i1] (rows follow x2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from scipy.stats import multivariate_normal
from torch.distributions import Independent, Normal

from explorer import data
from explorer.bounds.log_weights import chunked, log_likelihood
from explorer.imports import import_module

if TYPE_CHECKING:  # imported where it fits: scikit-learn costs ≈1.2 s before a page's title
    from sklearn.mixture import GaussianMixture

NODES = {1: 2001, 2: 161}  # z nodes per axis: spacing 0.006 (d=1) and 0.069 (d=2)
HALF_WIDTH = {1: 6.0, 2: 5.5}  # the z box ±half holds all but < 1e-7 of N(0, I)
PAIRS_PER_CHUNK = 1_000_000  # (node, x) pairs scored at once: ≈ 50 MB of temporaries


def dataset_points(name: str, split: str = "train") -> np.ndarray:
    """The (N, 2) points of a 2-D data set as float64 numpy."""
    x, _ = data.load(name, split)
    if x.shape[1] != 2:
        raise ValueError(f"{name!r} has {x.shape[1]}-dimensional points; this view needs 2-D data")
    return x.double().numpy()


def data_grid(points: np.ndarray, n: int = 101, pad: float = 0.3):
    """Axes (a1, a2) of an n×n grid over the points' bounding box widened by `pad` of its size,
    and the grid points (n², 2), x1 varying fastest (reshape a value to (n, n) = [i2, i1])."""
    lo, hi = points.min(0), points.max(0)
    lo, hi = lo - pad * (hi - lo), hi + pad * (hi - lo)
    a1, a2 = (np.linspace(lo[i], hi[i], n) for i in range(2))
    g1, g2 = np.meshgrid(a1, a2)
    return (a1, a2), np.stack([g1.ravel(), g2.ravel()], 1)


# ---- the discrete picture ---------------------------------------------------------------

def fit_mixture(points: np.ndarray, k: int, seed: int = 0) -> GaussianMixture:
    """Maximum-likelihood K-component full-covariance Gaussian mixture by EM (k = 1: one Gaussian)."""
    if not 1 <= int(k) <= 50:
        raise ValueError(f"the number of components K must be between 1 and 50, got {k}")
    GaussianMixture = import_module("sklearn.mixture").GaussianMixture

    return GaussianMixture(int(k), covariance_type="full", n_init=1, random_state=seed).fit(points)


def mixture_components(gmm: GaussianMixture, points: np.ndarray) -> np.ndarray:
    """log p(z=k) + log N(x; μ_k, Σ_k), shape (K, N), by scipy.stats (not sklearn's own code)."""
    return np.stack([math.log(w) + multivariate_normal(m, c).logpdf(points)
                     for w, m, c in zip(gmm.weights_, gmm.means_, gmm.covariances_)]).reshape(
                         len(gmm.weights_), len(points))


def mixture_log_density(gmm: GaussianMixture, points: np.ndarray) -> np.ndarray:
    """log p(x) = log Σ_k p(z=k) N(x; μ_k, Σ_k), shape (N,)."""
    return torch.logsumexp(torch.from_numpy(mixture_components(gmm, points)), 0).numpy()


def mean_log_likelihood(gmm: GaussianMixture, points: np.ndarray) -> float:
    """(1/N) Σ_n log p(x_n) in nats per point."""
    return float(mixture_log_density(gmm, points).mean())


# ---- the continuous picture -------------------------------------------------------------

@dataclass(frozen=True)
class LatentNodes:
    """Trapezoid nodes of ∫ f(z) p(z) dz ≈ Σ_j w_j f(z_j): z (G, d), log w_j = log p(z_j) + d log h."""

    z: np.ndarray
    log_weight: np.ndarray
    n_axis: int  # nodes along every axis (z1 varies fastest)
    spacing: float


def latent_nodes(model, n: int | None = None, half: float | None = None) -> LatentNodes:
    """A uniform n^d grid of z over [−half, half]^d weighted by the model's prior p(z), d ≤ 2.

    The trapezoid rule, as in explorer.bounds.quadrature: geometric convergence for smooth
    integrands (Trefethen & Weideman 2014), second order at a ReLU decoder's kinks.
    """
    d = model.latent_dim
    if d > 2:
        raise ValueError(f"the marginal p(x) by quadrature needs latent dimension ≤ 2 (this run "
                         f"has {d}); train a run with d = 1 or 2")
    n, half = n or NODES[d], half or HALF_WIDTH[d]
    axis = np.linspace(-half, half, n)
    z = np.stack([g.ravel() for g in np.meshgrid(*[axis] * d)], 1)  # z1 fastest
    h = 2 * half / (n - 1)
    with torch.no_grad():
        log_prior = model.prior().log_prob(torch.as_tensor(z, dtype=torch.float32)).double()
    return LatentNodes(z, log_prior.numpy() + d * math.log(h), n, h)


def coarse_nodes(nodes: LatentNodes) -> np.ndarray:
    """Mask of every other node along each axis: the rule of spacing 2h (weights × 2^d)."""
    d = nodes.z.shape[1]
    sub = np.zeros([nodes.n_axis] * d, dtype=bool)
    sub[(slice(None, None, 2),) * d] = True
    return sub.ravel()


def _decode(model, z: np.ndarray) -> Normal:
    """p(x|z) as a batch of independent Normals (G, 2); refuses other likelihoods."""
    with torch.no_grad():
        px = model.decode(torch.as_tensor(z, dtype=torch.float32))
    if not (isinstance(px, Independent) and isinstance(px.base_dist, Normal)
            and px.event_shape == (2,)):
        raise ValueError("the mixture picture needs a Gaussian p(x|z) on 2-D points (likelihood "
                         "gaussian_learned or gaussian_fixed)")
    return Normal(px.mean.double(), px.stddev.double())


def decoder_gaussian(model, z) -> tuple[np.ndarray, np.ndarray]:
    """Mean μ_θ(z) (M, 2) and standard deviations diag Σ_θ(z)^½ (M, 2) of p(x|z) for z (M, d)."""
    px = _decode(model, np.asarray(z, dtype=np.float64).reshape(-1, model.latent_dim))
    return px.mean.numpy(), px.stddev.numpy()


def component_log_likelihoods(model, points: np.ndarray, z: np.ndarray) -> torch.Tensor:
    """log p(x_b | z_j) for nodes z (G, d) and points x (B, 2); shape (G, B), float64."""
    _decode(model, z[:1])  # a clear error for a non-Gaussian decoder
    x = torch.as_tensor(points, dtype=torch.float32)
    with torch.no_grad():
        return log_likelihood(model, x, torch.as_tensor(z, dtype=torch.float32)[:, None]).double()


def marginal_log_density(model, points: np.ndarray, nodes: LatentNodes | None = None) -> np.ndarray:
    """log p(x) = log ∫ p(x|z) p(z) dz ≈ logsumexp_j [log w_j + log p(x|z_j)] at any points (B,)."""
    nodes = nodes or latent_nodes(model)
    log_w = torch.from_numpy(nodes.log_weight)
    chunk = max(1, PAIRS_PER_CHUNK // max(1, len(points)))
    part = lambda i, m: torch.logsumexp(  # noqa: E731  one reduced row per chunk of nodes
        log_w[i:i + m, None] + component_log_likelihoods(model, points, nodes.z[i:i + m]), 0)[None]
    return torch.logsumexp(chunked(part, len(nodes.z), chunk), 0).numpy()


@dataclass(frozen=True)
class MixtureGrid:
    """A VAE's components on a product grid of x = (a1[i1], a2[i2]), in numpy.

    p(x|z) = N(x1; μ1, σ1²) N(x2; μ2, σ2²) factorises over the axes, so the marginal on the grid
    is a matrix product Σ_j w_j A1[j, i1] A2[j, i2] (taken between log-space shifts).
    """

    axes: tuple[np.ndarray, np.ndarray]
    nodes: LatentNodes
    log_lik: tuple[np.ndarray, np.ndarray]  # log N(a_i; μ_i(z_j), σ_i(z_j)²), (G, n_i) per axis


def mixture_grid(model, axes, nodes: LatentNodes | None = None) -> MixtureGrid:
    """Decode every node once and score it on both grid axes."""
    nodes = nodes or latent_nodes(model)
    px = _decode(model, nodes.z)
    lls = tuple(Normal(px.loc[:, i:i + 1], px.scale[:, i:i + 1])
                .log_prob(torch.as_tensor(a, dtype=torch.float64)[None]).numpy()
                for i, a in enumerate(axes))
    return MixtureGrid(tuple(np.asarray(a, dtype=np.float64) for a in axes), nodes, lls)


def _log_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """log Σ_j exp(a[j, i1] + b[j, i2]), shape (n2, n1): a product of exp(a − max), exp(b − max);
    a cell whose shifted sum underflows (far from every component) is summed in log space."""
    sa, sb = a.max(0).values, b.max(0).values
    s = torch.exp(b - sb).T @ torch.exp(a - sa)
    out = sb[:, None] + sa[None, :] + s.log()
    i2, i1 = torch.nonzero(s < 1e-250, as_tuple=True)
    if len(i2):  # in chunks of cells: a (G, cells) block per chunk stays ≈ PAIRS_PER_CHUNK
        out[i2, i1] = chunked(lambda s, m: torch.logsumexp(a[:, i1[s:s + m]] + b[:, i2[s:s + m]], 0),
                              len(i2), max(1, PAIRS_PER_CHUNK // len(a)))
    return out


def grid_log_density(grid: MixtureGrid, keep: np.ndarray | None = None, coarse: bool = False) -> np.ndarray:
    """log Σ_{j ∈ keep} w_j p(x|z_j) on the grid, (n2, n1): log p(x) when every node is kept.

    Disjoint `keep` masks covering every node add up (logsumexp) to the full marginal;
    coarse=True uses the rule of spacing 2h (every other node, weights × 2^d).
    """
    n1, n2 = (len(a) for a in grid.axes)
    mask = np.ones(len(grid.nodes.z), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    log_w = grid.nodes.log_weight
    if coarse:
        mask, log_w = mask & coarse_nodes(grid.nodes), log_w + grid.nodes.z.shape[1] * math.log(2)
    if not mask.any():
        return np.full((n2, n1), -np.inf)
    a = torch.from_numpy(grid.log_lik[0][mask] + log_w[mask, None])
    return _log_matmul(a, torch.from_numpy(grid.log_lik[1][mask])).numpy()


def box_mass(axes, log_p: np.ndarray) -> float:
    """∫ p(x) dx over the grid's box by the trapezoid rule (log p on the (n2, n1) grid)."""
    return float(np.trapezoid(np.trapezoid(np.exp(log_p), axes[0], axis=1), axes[1]))


def nodes_in_box(nodes: LatentNodes, lo, hi) -> np.ndarray:
    """Mask of the nodes with lo ≤ z ≤ hi in every coordinate (a z-interval for d = 1)."""
    lo, hi = (np.asarray(v, dtype=np.float64).reshape(1, -1) for v in (lo, hi))
    return ((nodes.z >= lo) & (nodes.z <= hi)).all(1)


def prior_mass(nodes: LatentNodes, keep: np.ndarray) -> float:
    """Σ_{j ∈ keep} w_j: the share of p(z), and of p(x)'s total mass, the kept components carry."""
    w = nodes.log_weight[np.asarray(keep, dtype=bool)]
    return float(np.exp(torch.logsumexp(torch.from_numpy(w), 0))) if len(w) else 0.0


def prior_bins(nodes: LatentNodes, n_bins: int) -> np.ndarray:
    """Bin index (G,) of every node: n_bins slabs along z1 holding ≈ equal prior mass each."""
    order = np.argsort(nodes.z[:, 0], kind="stable")
    w = np.exp(nodes.log_weight[order] - nodes.log_weight.max())
    bins = np.empty(len(order), dtype=np.int64)
    bins[order] = np.minimum((np.cumsum(w) - w / 2) / w.sum() * n_bins, n_bins - 1).astype(np.int64)
    return bins


def slice_log_densities(grid: MixtureGrid, row: int, bins: np.ndarray) -> np.ndarray:
    """log Σ_{j in bin b} w_j p(x|z_j) along the grid row x2 = a2[row], shape (n_bins, n1);
    their logsumexp over b is log p(x) on that row."""
    log_f = torch.from_numpy(grid.nodes.log_weight[:, None] + grid.log_lik[0] + grid.log_lik[1][:, row:row + 1])
    return np.stack([torch.logsumexp(log_f[torch.from_numpy(bins == b)], 0).numpy()
                     for b in range(int(bins.max()) + 1)])


def decoded_curve(model, n: int | None = None, half: float = 2.5) -> np.ndarray:
    """μ_θ(z) along z lines in [−half, half]^d: (1, n, 2) for d = 1 (n = 201), (2n, n, 2) for
    d = 2 (n = 25) — the manifold the components' means lie on (rows of a z-grid, then columns)."""
    t = np.linspace(-half, half, n or (201 if model.latent_dim == 1 else 25))
    if model.latent_dim == 1:
        return decoder_gaussian(model, t[:, None])[0][None]
    grid = np.stack(np.meshgrid(t, t), -1)  # [i2, i1, (z1, z2)]
    lines = np.concatenate([grid, grid.transpose(1, 0, 2)])
    return decoder_gaussian(model, lines.reshape(-1, 2))[0].reshape(2 * len(t), len(t), 2)


def monte_carlo_log_density(model, points: np.ndarray, s: int, seed: int = 0):
    """log (1/S) Σ_s p(x|z_s), z_s ~ p(z) (the text's eq. 1), and the delta-method standard
    error of that log, shape (B,) each: an independent check of the quadrature."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        z = model.prior().sample((s,))
    ll = component_log_likelihoods(model, points, z.numpy())  # (S, B)
    top = ll.max(0).values
    w = (ll - top).exp()  # p(x|z_s) / max: finite, and std/mean is scale-free
    se = w.std(0) / (w.mean(0) * math.sqrt(s))
    return (top + w.mean(0).log()).numpy(), se.numpy()
