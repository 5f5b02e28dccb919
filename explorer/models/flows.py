"""A normalizing flow for q(z|x): affine coupling layers (RealNVP, Dinh, Sohl-Dickstein & Bengio
2017) on top of a diagonal Gaussian, as a `TransformedDistribution` (Rezende & Mohamed 2015).

One coupling keeps the coordinates with mask m = 1 and moves the others,

    y = m ⊙ x + (1 − m) ⊙ (x ⊙ exp(s(m ⊙ x)) + t(m ⊙ x)),   log|det ∂y/∂x| = Σ_j (1 − m_j) s_j,

so its inverse and its log-determinant are exact. K layers alternate the mask. The conditioner
(s, t) is an MLP of the kept coordinates and, in the VAE, of a context vector c(x) from the
encoder (an amortised flow); for per-point SVI every data point has its own weights instead.
For d = 1 nothing is kept: each layer is an x-dependent affine map and q stays Gaussian.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import (Independent, MultivariateNormal, Normal, TransformedDistribution,
                                 constraints)
from torch.distributions.transforms import Transform

LOG_SCALE_MAX = 3.0  # s = 3 tanh(raw / 3): one layer scales by at most e³, so training stays finite
FLOW_CONTEXT = 16  # size of the encoder's context vector c(x) for the amortised flow
FLOW_HIDDEN = 64  # hidden units of one coupling layer's conditioner MLP
MOMENT_SAMPLES = 128  # quasi-random base draws behind FlowPosterior.mean / .stddev


def coupling_masks(latent_dim: int, layers: int) -> torch.Tensor:
    """(K, d) masks, 1 = kept: layer k keeps the coordinates j with j + k even."""
    j = torch.arange(latent_dim)
    return torch.stack([((j + k) % 2 == 0).float() for k in range(layers)])


class AffineCoupling(Transform):
    """One RealNVP coupling y = m⊙x + (1−m)⊙(x e^s + t), (s, t) = conditioner(m⊙x).

    cache_size=0 on purpose: `sample()` runs under no_grad, and a cached inverse would then
    hand log_prob a z with no path to the flow's parameters (a wrong score function).
    """

    domain = constraints.independent(constraints.real, 1)
    codomain = constraints.independent(constraints.real, 1)
    bijective = True

    def __init__(self, mask: torch.Tensor, conditioner):
        super().__init__(cache_size=0)
        self.mask, self.conditioner = mask, conditioner

    def _shift_log_scale(self, kept: torch.Tensor):
        shift, raw = self.conditioner(kept)
        free = 1.0 - self.mask
        return shift * free, LOG_SCALE_MAX * torch.tanh(raw / LOG_SCALE_MAX) * free

    def _call(self, x):
        shift, log_scale = self._shift_log_scale(x * self.mask)
        return x * torch.exp(log_scale) + shift

    def _inverse(self, y):
        shift, log_scale = self._shift_log_scale(y * self.mask)  # m⊙y = m⊙x
        return (y - shift) * torch.exp(-log_scale)

    def log_abs_det_jacobian(self, x, y):
        return self._shift_log_scale(x * self.mask)[1].sum(-1)


class FlowPosterior(TransformedDistribution):
    """q(z|x) = a diagonal Gaussian pushed through coupling layers; log_prob is exact.

    A flow has no closed-form mean or standard deviation: `mean` and `stddev` are estimates
    from MOMENT_SAMPLES fixed quasi-random (Sobol) base draws — deterministic, no gradient —
    used where a location and a spread are enough (scatter plots, quadrature boxes,
    moment-matched KL per dimension).
    """

    arg_constraints: dict = {}

    def __init__(self, base: Independent | MultivariateNormal, transforms):
        super().__init__(base, list(transforms), validate_args=False)
        self._moments = None

    def _estimate_moments(self):
        if self._moments is None:
            base = self.base_dist  # Independent(Normal(μ, σ), 1) or MultivariateNormal
            loc = base.mean
            d = loc.shape[-1]
            u = torch.quasirandom.SobolEngine(d, scramble=True, seed=0).draw(MOMENT_SAMPLES)
            eps = Normal(0.0, 1.0).icdf(u.clamp(1e-6, 1 - 1e-6)).to(loc.dtype)
            eps = eps.reshape(MOMENT_SAMPLES, *[1] * (loc.dim() - 1), d)
            with torch.no_grad():
                if isinstance(base, MultivariateNormal):
                    z = loc + (base.scale_tril @ eps.unsqueeze(-1)).squeeze(-1)
                else:
                    z = loc + base.base_dist.scale * eps
                for t in self.transforms:
                    z = t(z)
            self._moments = (z.mean(0), z.std(0))
        return self._moments

    @property
    def mean(self):
        return self._estimate_moments()[0]

    @property
    def stddev(self):
        return self._estimate_moments()[1]

    @property
    def variance(self):
        return self.stddev.pow(2)


def _zero_last(net: nn.Sequential) -> nn.Sequential:
    """Start a conditioner at s = t = 0: the flow begins as the identity (q = its base)."""
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)
    return net


class ConditionalFlow(nn.Module):
    """K couplings whose conditioners read the kept coordinates and the context c(x)."""

    def __init__(self, latent_dim: int, layers: int, context: int = FLOW_CONTEXT,
                 hidden: int = FLOW_HIDDEN):
        super().__init__()
        d = int(latent_dim)
        self.register_buffer("masks", coupling_masks(d, int(layers)), persistent=False)
        self.nets = nn.ModuleList(
            _zero_last(nn.Sequential(nn.Linear(d + context, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * d)))
            for _ in range(int(layers)))

    def distribution(self, base: Independent, context: torch.Tensor) -> FlowPosterior:
        """The flow on `base` (batch (B,), event (d,)) for contexts c(x) of shape (B, C)."""
        def conditioner(net):
            def st(kept):
                c = context.expand(*kept.shape[:-1], context.shape[-1])
                return net(torch.cat([kept, c], -1)).chunk(2, -1)
            return st
        return FlowPosterior(base, [AffineCoupling(m, conditioner(net))
                                    for m, net in zip(self.masks, self.nets)])


class PointwiseFlow(nn.Module):
    """K couplings with separate conditioner weights for each of B data points (per-point SVI:
    the best flow for each x alone, Cremer et al. 2018). z has shape (..., B, d)."""

    def __init__(self, n_points: int, latent_dim: int, layers: int, hidden: int = 32,
                 dtype=torch.float32):
        super().__init__()
        b, d, k, h = int(n_points), int(latent_dim), int(layers), int(hidden)
        self.register_buffer("masks", coupling_masks(d, k).to(dtype), persistent=False)
        scale = 1.0 / math.sqrt(d)
        self.w1 = nn.Parameter(torch.randn(k, b, d, h, dtype=dtype) * scale)
        self.b1 = nn.Parameter(torch.zeros(k, b, h, dtype=dtype))
        self.w2 = nn.Parameter(torch.zeros(k, b, h, 2 * d, dtype=dtype))
        self.b2 = nn.Parameter(torch.zeros(k, b, 2 * d, dtype=dtype))

    def distribution(self, base, detach: bool = False) -> FlowPosterior:
        """The flow on `base`; detach=True: the same q with no gradient to the couplings (for
        the "sticking the landing" entropy gradient, Roeder et al. 2017)."""
        w1, b1, w2, b2 = (p.detach() if detach else p for p in (self.w1, self.b1, self.w2, self.b2))

        def conditioner(i):
            def st(kept):
                hid = torch.relu(torch.einsum("...bd,bdh->...bh", kept, w1[i]) + b1[i])
                return (torch.einsum("...bh,bhk->...bk", hid, w2[i]) + b2[i]).chunk(2, -1)
            return st
        return FlowPosterior(base, [AffineCoupling(m, conditioner(i))
                                    for i, m in enumerate(self.masks)])
