"""Variational bounds on log p(x) written against the model protocol.

log p(x) = ELBO + KL(q(z|x) ‖ p(z|x))  — the identity all three lectures build on.
"""
from __future__ import annotations

import math
import torch
from torch.nn import functional as F
from torch.distributions import Bernoulli, Distribution, Independent, kl_divergence


def gaussian_kl_per_dimension(q: Distribution) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) per latent dimension, shape (..., d).

    −½ (1 + log σ² − σ² − μ²): eq. (22) of the second lecture text (Kingma & Welling, App. B).
    """
    mu, std = q.mean, q.stddev
    return 0.5 * (mu.pow(2) + std.pow(2) - 1.0) - torch.log(std)


def kl_to_prior(q: Distribution, prior: Distribution) -> torch.Tensor:
    """KL(q(z|x) ‖ p(z)) per example; analytic where torch.distributions knows it."""
    return kl_divergence(q, prior)


def elbo(model, x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Monte Carlo ELBO per example: mean over k samples of log p(x,z) − log q(z|x)."""
    q = model.encode(x)
    z = q.sample((k,))
    log_w = model.decode(z).log_prob(x) + model.prior().log_prob(z) - q.log_prob(z)
    return log_w.mean(0)


# ---------------------------------------------------------------------------------------
# Importance-weighted bounds (third lecture: Burda et al. 2015; Li & Turner 2016)
# ---------------------------------------------------------------------------------------

# Decoder output floats (chunk · B · D) held at once when chunk_size is chosen for the caller.
CHUNK_FLOATS = 2_500_000  # ≈10 MB of decoder output per chunk: stays in cache; bench/iwae_eval.py found 32 × 100 × 784 fastest


def log_likelihood(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x|z) with the batch shape of z[..., 0] broadcast against x's batch.

    Same value as model.decode(z).log_prob(x); an Independent(Bernoulli) decoder is scored
    with the fused  Σ x·l − softplus(l)  on its logits, which skips the broadcast copies of
    x that Bernoulli.log_prob makes (the bench measures the difference).
    """
    px = model.decode(z)
    if (isinstance(px, Independent) and px.reinterpreted_batch_ndims == 1
            and isinstance(px.base_dist, Bernoulli) and "logits" in px.base_dist.__dict__):
        logits = px.base_dist.logits
        if x.dim() == 2 and logits.dim() >= 2 and logits.shape[-2] == 1:
            # z shared by all B points (z of shape (G, 1, d)): Σ x·l is one matmul.
            return (logits @ x.T).squeeze(-2) - F.softplus(logits).sum(-1)
        return (logits * x).sum(-1) - F.softplus(logits).sum(-1)
    return px.log_prob(x)


def log_joint(model, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z)."""
    return log_likelihood(model, x, z) + model.prior().log_prob(z)


def log_weights(model, x: torch.Tensor, k: int, q: Distribution | None = None) -> torch.Tensor:
    """log w_i = log p(x, z_i) − log q(z_i|x), z_i ~ q(z|x) reparameterised; shape (k, B).

    q defaults to the encoder's q(z|x); pass any distribution over z with batch shape (B,)
    (e.g. the per-point q* of explorer.gaps.svi_posterior) to use it as the proposal.
    """
    q = model.encode(x) if q is None else q
    z = q.rsample((k,)) if q.has_rsample else q.sample((k,))  # discrete z: no gradient path
    return log_joint(model, x, z) - q.log_prob(z)


def auto_chunk_size(x: torch.Tensor) -> int:
    """Samples per chunk so that chunk · B · D ≲ CHUNK_FLOATS."""
    batch = x.reshape(-1, x.shape[-1]).shape[0]
    return max(1, int(CHUNK_FLOATS // max(1, batch * x.shape[-1])))


def _chunked_log_weights(model, x, k, chunk_size, q):
    """All k log weights (k, B), drawn chunk_size samples at a time; the encoder runs once."""
    if k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    q = model.encode(x) if q is None else q
    chunk = int(chunk_size) if chunk_size else auto_chunk_size(x)
    return torch.cat([log_weights(model, x, min(chunk, k - i), q) for i in range(0, k, chunk)])


def iwae(model, x: torch.Tensor, k: int, chunk_size: int | None = None,
         q: Distribution | None = None) -> torch.Tensor:
    """IWAE bound L_k = log (1/k Σ_i w_i) per example, shape (B,) (Burda et al. 2015, eq. 8).

    Samples are drawn chunk_size at a time (automatic when None) so the decoder's output
    never exceeds ~CHUNK_FLOATS floats; only the (k, B) log weights are kept. Gradients flow
    when the caller has grad enabled; wrap in torch.no_grad() for evaluation.
    """
    log_w = _chunked_log_weights(model, x, k, chunk_size, q)
    return torch.logsumexp(log_w, 0) - math.log(k)


def renyi_reduce(log_w: torch.Tensor, alpha: float, dim: int = 0) -> torch.Tensor:
    """L_α = 1/(1−α) log (1/k Σ w_i^{1−α}) from log weights (Li & Turner 2016, eq. 5).

    α = 1 is the k-sample ELBO, mean log w. Near α = 1 the direct formula divides a
    rounding error by 1 − α, so weights are centred on their mean and the sum is taken with
    expm1/log1p, which stays accurate down to 1 − α ≈ 1e-12.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ValueError(f"the Rényi bound needs α in [0, 1], got {alpha}")
    k = log_w.shape[dim]
    ref = log_w.mean(dim, keepdim=True)
    if alpha == 1.0:
        return ref.squeeze(dim)
    s = 1.0 - alpha
    a = s * (log_w - ref)
    small = a.abs().amax(dim) < 0.5
    series = torch.log1p(torch.expm1(a.clamp(max=0.5)).mean(dim))
    direct = torch.logsumexp(a, dim) - math.log(k)
    return ref.squeeze(dim) + torch.where(small, series, direct) / s


def renyi_bound(model, x: torch.Tensor, alpha: float, k: int, chunk_size: int | None = None,
                q: Distribution | None = None) -> torch.Tensor:
    """Variational Rényi bound L_α per example, shape (B,) (Li & Turner 2016), α ∈ [0, 1].

    α = 0 is the IWAE bound L_k on the same samples; α = 1 is the Monte Carlo ELBO.
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0 or math.isnan(alpha):
        raise ValueError(f"the Rényi bound needs α in [0, 1], got {alpha}")
    return renyi_reduce(_chunked_log_weights(model, x, k, chunk_size, q), alpha)


def effective_sample_size(log_w: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """ESS = (Σ w)² / Σ w² (Kong 1992), from log weights without leaving log space."""
    # Shift by the max first: the ratio is shift-invariant, and lse values of −700 + small
    # would otherwise lose the small part to rounding.
    log_w = log_w - log_w.amax(dim, keepdim=True)
    return torch.exp(2 * torch.logsumexp(log_w, dim) - torch.logsumexp(2 * log_w, dim))


# ---------------------------------------------------------------------------------------
# Exact log p(x) by quadrature for d ≤ 2
# ---------------------------------------------------------------------------------------

COARSE_POINTS = {1: 801, 2: 81}  # shared grid over a wide box, decoded once for all points
MOMENT_POINTS = {1: (65,), 2: (9,)}  # per-point grids that refine the posterior's moments
FINAL_POINTS = {1: 129, 2: 21}  # first per-point grid of the adaptive final rule
MAX_POINTS = {1: 2049, 2: 129}  # per axis, for the hardest (curved, multimodal) posteriors
TOLERANCE = 1e-2  # nats between rules of spacing 2h and h (the h-rule is far closer)
HALF_WIDTH = 6.5  # posterior-aligned grids span ±6.5 standard deviations
EDGE_NATS = 25.0  # widen a grid whose edge comes within this of the peak


def _shared_log_joint(model, x, z):
    """log p(x_b, z_j) for grid points z (G, d) shared by every x_b; shape (G, B)."""
    step = max(1, int(CHUNK_FLOATS // max(1, x.shape[0] * x.shape[-1])))
    return torch.cat([log_joint(model, x, z[i:i + step, None, :]) for i in range(0, len(z), step)])


def _per_point_log_joint(model, x, z):
    """log p(x_b, z_jb) for per-point grids z (G, B, d); shape (G, B)."""
    step = auto_chunk_size(x)
    return torch.cat([log_joint(model, x, z[i:i + step]) for i in range(0, len(z), step)])


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


def _aligned_rule(model, x, mean, chol, n, half):
    """Trapezoid rule on z = mean + chol·u, u on an n^d grid over [−half, half]^d.

    Returns log p(x) (B,), the log integrand (G, B), the grid z (G, B, d), the spacing of u
    and the largest log integrand on the grid's edge relative to its peak (B,).
    """
    d = mean.shape[-1]
    u, h = _unit_grid(n, d, half, x)
    z = mean + torch.einsum("bij,gj->gbi", chol, u)
    log_f = _per_point_log_joint(model, x, z)
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
            half[todo] = torch.where(edge[todo] > -EDGE_NATS, 1.5 * half[todo], half[todo])
            n = 2 * n - 1
            new = torch.empty_like(log_px[todo])
            for h_val in half[todo].unique():  # one batched call per box size
                sel = todo[half[todo] == h_val]
                out = _aligned_rule(model, x[sel], mean[sel], chol[sel], n, float(h_val))
                new[half[todo] == h_val], edge[sel] = out[0], out[4]
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
