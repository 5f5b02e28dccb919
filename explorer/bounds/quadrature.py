"""Exact log p(x) = log ∫ p(x|z) p(z) dz by adaptive quadrature for latent dimension d ≤ 2,
and the posterior on a grid: the oracle the sampled bounds are measured against.
"""
from __future__ import annotations

import math

import torch

from explorer.bounds.log_weights import auto_chunk_size, chunked, log_joint


COARSE_POINTS = {1: 801, 2: 81}  # shared grid over a wide box, decoded once for all points


MOMENT_POINTS = {1: (65,), 2: (9,)}  # per-point grids that refine the posterior's moments


FINAL_POINTS = {1: 129, 2: 21}  # first per-point grid of the adaptive final rule


MAX_POINTS = {1: 2049, 2: 129}  # per axis, for the hardest (curved, multimodal) posteriors


TOLERANCE = 1e-2  # nats between rules of spacing 2h and h (the h-rule is far closer)


HALF_WIDTH = 6.5  # posterior-aligned grids span ±6.5 standard deviations


# Widen a grid whose edge comes within this of the peak. A Gaussian's edge at ±6.5σ lies 21
# nats down, so 25 widened every near-Gaussian posterior; at 15 the mass a box can miss is
# ~e^-15 of the peak's, far below TOLERANCE, and the finer grid reuses the coarser one.
EDGE_NATS = 15.0


def _shared_log_joint(model, x, z):
    """log p(x_b, z_j) for grid points z (G, d) shared by every x_b; shape (G, B)."""
    return chunked(lambda i, n: log_joint(model, x, z[i:i + n, None, :]), len(z), auto_chunk_size(x))


def _per_point_log_joint(model, x, z):
    """log p(x_b, z_jb) for per-point grids z (G, B, d); shape (G, B)."""
    return chunked(lambda i, n: log_joint(model, x, z[i:i + n]), len(z), auto_chunk_size(x))


def _moments(log_f, z):
    """Mean (B, d) and covariance (B, d, d) of the grid-normalised weights exp(log_f) (G, B)."""
    p = torch.softmax(log_f, 0)  # (G, B)
    zz = z if z.dim() == 3 else z[:, None, :].expand(-1, log_f.shape[1], -1)
    mean = torch.einsum("gb,gbi->bi", p, zz)
    dev = zz - mean
    return mean, torch.einsum("gb,gbi,gbj->bij", p, dev, dev)


def _unit_grid(n, d, half, like):
    """n^d points of a uniform grid on [−half, half]^d, shape (n^d, d), and its spacing."""
    axis = torch.linspace(-half, half, n, dtype=like.dtype, device=like.device)
    return torch.cartesian_prod(*[axis] * d).reshape(-1, d), 2 * half / (n - 1)


def _aligned_rule(model, x, mean, chol, n, half, known=None):
    """Trapezoid rule on z = mean + chol·u, u on an n^d grid over [−half, half]^d.

    Returns log p(x) (B,), the log integrand (G, B), the grid z (G, B, d), the spacing of u
    and the largest log integrand on the grid's edge relative to its peak (B,). `known`, the
    log integrand (((n + 1)/2)^d, B) of the same box at twice the spacing, fills every other
    grid point, so halving the spacing decodes only the new points.
    """
    d = mean.shape[-1]
    u, h = _unit_grid(n, d, half, x)
    z = mean + torch.einsum("bij,gj->gbi", chol, u)
    if known is None:
        log_f = _per_point_log_joint(model, x, z)
    else:
        index = torch.cartesian_prod(*[torch.arange(n)] * d).reshape(-1, d)
        old = (index % 2 == 0).all(-1)  # the coarser grid, in the same (row-major) order
        log_f = torch.empty(len(u), len(x), dtype=known.dtype, device=known.device)
        log_f[old] = known
        log_f[~old] = _per_point_log_joint(model, x, z[~old])
    log_px = torch.logsumexp(log_f, 0) + d * math.log(h) + torch.linalg.slogdet(chol)[1]
    on_edge = u.abs().amax(-1) >= half
    edge = log_f[on_edge].amax(0) - log_f.amax(0)
    return log_px, log_f, z, h, edge


def _quadrature(model, x):
    """log p(x), posterior mean/covariance and an error estimate, by nested trapezoid rules.

    The trapezoid rule on a uniform grid converges geometrically for smooth integrands that
    vanish at the box edges (Trefethen & Weideman 2014), so log p(x) ≈ logsumexp_j
    log p(x, z_j) + log(cell volume). A coarse grid shared by all points finds the posterior;
    per-point grids laid along its moments (z = m + L u) refine them; the final rule halves
    its spacing (and widens when mass reaches the edge) until the rules at spacing 2h and h
    agree within TOLERANCE — only the few curved or multimodal posteriors need that.
    """
    d = model.latent_dim
    if d > 2:
        raise ValueError(f"exact log-likelihood needs latent dimension ≤ 2 (this model has {d}); "
                         "use iwae with large k")
    eye = torch.eye(d, dtype=x.dtype, device=x.device)
    with torch.no_grad():
        q = model.encode(x)
        half = max(6.0, float((q.mean.abs() + 5 * q.stddev).max()))
        for _ in range(4):  # widen the box until no posterior peaks on its edge
            z, h = _unit_grid(COARSE_POINTS[d], d, half, x)
            log_f = _shared_log_joint(model, x, z)
            if (z[log_f.argmax(0)].abs().amax(-1) < half - h / 2).all():
                break
            half *= 2
        mean, cov = _moments(log_f, z)
        chol = (h / 2) * eye.expand(len(x), d, d)  # the coarse grid's resolution limit
        for n in MOMENT_POINTS[d]:
            chol = torch.linalg.cholesky(cov + chol @ chol.transpose(-1, -2))
            _, log_f, z, h, _ = _aligned_rule(model, x, mean, chol, n, HALF_WIDTH)
            mean, cov, chol = *_moments(log_f, z), chol * (h / 2)
        chol = torch.linalg.cholesky(cov + chol @ chol.transpose(-1, -2))
        n, half = FINAL_POINTS[d], torch.full((len(x),), HALF_WIDTH, dtype=x.dtype)
        log_px, log_f, _, h, edge = _aligned_rule(model, x, mean, chol, n, HALF_WIDTH)
        # The same rule on every other point (spacing 2h) is free; geometric convergence
        # makes the h-rule far more accurate than its distance from the 2h-rule.
        sub = log_f.reshape(*[n] * d, -1)[(slice(None, None, 2),) * d].reshape(-1, len(x))
        log_cell = d * math.log(2 * h) + torch.linalg.slogdet(chol)[1]
        error = (torch.logsumexp(sub, 0) + log_cell - log_px).abs()
        todo = torch.arange(len(x))[(error > TOLERANCE) | (edge > -EDGE_NATS)]
        while len(todo) and n < MAX_POINTS[d]:
            widen = edge[todo] > -EDGE_NATS
            half[todo] = torch.where(widen, 1.5 * half[todo], half[todo])
            n = 2 * n - 1
            new = torch.empty_like(log_px[todo])
            finer = torch.empty(n ** d, len(x), dtype=log_f.dtype, device=log_f.device)
            for h_val in half[todo].unique():  # one batched call per box size
                same = half[todo] == h_val
                for keep in (True, False):  # a box kept reuses its coarser grid's values
                    part = same & (widen != keep)
                    if not part.any():
                        continue
                    sel = todo[part]
                    out = _aligned_rule(model, x[sel], mean[sel], chol[sel], n, float(h_val),
                                        known=log_f[:, sel] if keep else None)
                    new[part], edge[sel], finer[:, sel] = out[0], out[4], out[1]
            log_f = finer
            error[todo] = (new - log_px[todo]).abs()
            log_px[todo] = new
            todo = todo[error[todo] > TOLERANCE]
    return log_px, mean, cov, error


def exact_log_marginal(model, x: torch.Tensor, return_error: bool = False):
    """log p(x) = log ∫ p(x|z) p(z) dz by numerical integration, shape (B,), for d ≤ 2.

    Not differentiable. Accuracy target ~0.01 nats: ReLU decoders put kinks in log p(x, z),
    so convergence in the grid spacing is algebraic and return_error=True's per-point
    estimate (the change between the last two grid spacings) is a heuristic, not a bound.
    Raises ValueError for d > 2: use iwae with large k there.
    """
    log_px, _, _, error = _quadrature(model, x)
    return (log_px, error) if return_error else log_px


def posterior_grid(model, x_one: torch.Tensor, n: int = 101, span: float | None = None):
    """Exact normalised log p(z|x) on an n-point-per-axis grid, for contour plots.

    The grid spans ±span around 0 in every axis, or (span=None) ±5 posterior standard
    deviations around the posterior mean. Returns (axes, log_post): axes is a list of d
    tensors of shape (n,); log_post has shape (n,) for d = 1 and (n, n) for d = 2, indexed
    [i2, i1] — rows follow z2, columns z1 — the layout plt.contour(axes[0], axes[1], ·) expects.
    """
    x1 = x_one.reshape(1, -1)
    log_px, mean, cov, _ = _quadrature(model, x1)
    d = model.latent_dim
    if span is None:
        sd = cov[0].diagonal().sqrt()
        lo, hi = mean[0] - 5 * sd, mean[0] + 5 * sd
    else:
        lo = torch.full((d,), -float(span), dtype=x1.dtype)
        hi = -lo
    axes = [torch.linspace(float(lo[i]), float(hi[i]), n, dtype=x1.dtype) for i in range(d)]
    mesh = torch.meshgrid(*axes[::-1], indexing="ij")[::-1]  # mesh[i][i2, i1] = axes[i][i_i]
    z = torch.stack(mesh, -1).reshape(-1, 1, d)
    with torch.no_grad():
        log_post = _per_point_log_joint(model, x1, z)[:, 0] - log_px[0]
    return axes, log_post.reshape(*[n] * d)
