"""What a trained model's bounds look like at one test point (or a few): the IWAE ladder
ELBO ≤ L_k ≤ log p(x), its exact log p(x) where it can be computed, the effective sample size
of the weights, the Rényi family, the exact posterior on a grid and the amortization vs
approximation gaps (Burda et al. 2016; Li & Turner 2016; Cremer, Li & Duvenaud 2018), and
what a richer q* (full covariance, a flow) buys over the diagonal Gaussian.

Tensors in, floats and numpy out, seeded so the same point gives the same numbers; no
Streamlit. The computations themselves are explorer.bounds.
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.bounds import (effective_sample_size, exact_log_marginal, log_weights,
                             posterior_grid, sweeps)
from explorer.bounds.enumeration import can_enumerate, exact_log_marginal_categorical
from explorer.bounds.gaps import SVI_FAMILIES, approximation_gaps, gap_decomposition

RENYI_ALPHAS = np.linspace(0.0, 1.0, 21)
MAX_QUADRATURE_DIM = 2  # exact log p(x) by quadrature for d ≤ 2 (explorer.bounds.quadrature)


def exact_log_px(model, x_one: torch.Tensor) -> float | None:
    """log p(x) by quadrature when the latent space has at most two dimensions, else None."""
    if model.latent_dim > MAX_QUADRATURE_DIM:
        return None
    return float(exact_log_marginal(model, x_one[None])[0])


def ess(model, x_one: torch.Tensor, k: int, seed: int = 0) -> float:
    """Effective sample size of k importance weights (one draw, fixed seed)."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        log_w = log_weights(model, x_one[None], k)
    return float(effective_sample_size(log_w)[0])


def renyi(model, x_one: torch.Tensor, k: int,
          alphas: np.ndarray = RENYI_ALPHAS) -> tuple[np.ndarray, np.ndarray]:
    """The Rényi bounds L_α for α from 0 (log p(x) as k → ∞) to 1 (the ELBO)."""
    return alphas, sweeps.renyi_family(model, x_one, alphas, k=k)


def point_bounds(model, x_one: torch.Tensor, renyi_k: int = 100, ks=sweeps.LADDER_KS,
                 on_progress=None) -> dict:
    """Everything the Bound ladder page draws for one point, each number from the function
    above that computes it alone: "ladder" (sweeps.bound_ladder), "exact" (or None), "ess"
    {k: ESS}, "renyi" (alphas, L_α) with renyi_k samples and, for d = 2, the exact posterior's
    "axes" and "log_post" with the encoder's "log_q" on that grid.
    on_progress(fraction, text) between the steps (fractions: rough shares of the time)."""
    tell = on_progress or (lambda fraction, text: None)
    tell(0.0, "L_k for k = 1 … 5000")
    out = {"ladder": sweeps.bound_ladder(
        model, x_one, ks, on_progress=lambda n, total: tell(0.6 * n / total, f"L_k: {n:,} of "
                                                            f"{total:,} importance samples"))}
    tell(0.6, "exact log p(x) by quadrature" if model.latent_dim <= MAX_QUADRATURE_DIM else "")
    out["exact"] = exact_log_px(model, x_one)
    tell(0.75, "effective sample sizes and the Rényi bounds")
    out["ess"] = {int(k): ess(model, x_one, int(k)) for k in ks}
    out["renyi"] = renyi(model, x_one, renyi_k)
    if model.latent_dim == 2:
        tell(0.8, "the exact posterior p(z|x) on a grid")
        out["axes"], out["log_post"] = posterior(model, x_one)
        out["log_q"] = encoder_density(model, x_one, out["axes"])
    return out


def posterior(model, x_one: torch.Tensor) -> tuple[list[np.ndarray], np.ndarray]:
    """Grid axes and the exact normalised log p(z|x) on them (d ≤ 2)."""
    axes, log_post = posterior_grid(model, x_one)
    return [a.numpy() for a in axes], log_post.numpy()


def gaps(model, x: torch.Tensor, seed: int = 0) -> dict:
    """gap_decomposition of a few points (SVI per point), seeded, as numpy."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        out = gap_decomposition(model, x)
    return {k: (v.detach().numpy() if isinstance(v, torch.Tensor) else v) for k, v in out.items()}


def categorical_ladder(model, x_one) -> tuple[dict, float | None]:
    """IWAE ladder of one point for a categorical model, and its exact log p(x) by enumerating
    every code when there are at most explorer.bounds.enumeration.MAX_CODES."""
    x = torch.as_tensor(x_one)
    lad = sweeps.bound_ladder(model, x)
    exact = (float(exact_log_marginal_categorical(model, x[None])[0]) if can_enumerate(model)
             else None)
    return lad, exact


def log_density_grid(q, axes: list[np.ndarray]) -> np.ndarray:
    """log q(z) of a one-point q (batch (1,), d = 2) on the grid of `posterior`, [i2, i1]."""
    t = [torch.as_tensor(a, dtype=torch.float32) for a in axes]
    mesh = torch.meshgrid(*t[::-1], indexing="ij")[::-1]
    z = torch.stack(mesh, -1).reshape(-1, 1, len(t))
    with torch.no_grad():
        return q.log_prob(z.to(q.mean.dtype))[:, 0].reshape(len(t[1]), len(t[0])).numpy()


def encoder_density(model, x_one: torch.Tensor, axes: list[np.ndarray]) -> np.ndarray:
    """The run's own amortized q_φ(z|x) as log density on the posterior grid (d = 2)."""
    with torch.no_grad():
        return log_density_grid(model.encode(x_one[None]), axes)


def family_gaps(model, x_one: torch.Tensor, seed: int = 0, families=SVI_FAMILIES,
                svi_steps: int = 300, svi_samples: int = 16, elbo_samples: int = 1000) -> dict:
    """approximation_gaps of one point (per-point SVI in each family of q*), seeded, as floats:
    log_px, log_px_method, log_px_se, elbo_amortized, elbo_amortized_se and "families":
    {F: {"elbo", "elbo_se", "approximation_gap"}}; for d = 2 also "log_q": {F: log q*_F on the
    grid of `posterior`}, with that grid's "axes" and "log_post". Fewer SVI steps and samples
    than gap_decomposition's defaults: four fits of a 784-pixel model take ≈ 20 s, not 70."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        g = approximation_gaps(model, x_one[None], families, svi_steps=svi_steps,
                               elbo_samples=elbo_samples, n_samples=svi_samples)
    out = {k: (float(v[0]) if isinstance(v, torch.Tensor) else v) for k, v in g.items()
           if k != "families"}
    out["families"] = {f: {k: float(e[k][0]) for k in ("elbo", "elbo_se", "approximation_gap")}
                       for f, e in g["families"].items()}
    if model.latent_dim == 2:
        out["axes"], out["log_post"] = posterior(model, x_one)
        out["log_q"] = {f: log_density_grid(e["q"], out["axes"]) for f, e in g["families"].items()}
    return out
