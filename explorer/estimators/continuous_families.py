"""Reparameterizable continuous families for the gradient estimators (third lecture text
§1.6): location-scale (z = loc + scale·ε), transformations of reparameterizable variables,
and inverse-CDF sampling (z = F⁻¹(u), u ~ U(0, 1)). Gamma, Beta, Dirichlet (and the χ²
inside Student's t) are sampled by torch's implicit reparameterisation (Figurnov, Mohamed
& Mnih 2018): ∂z/∂θ = −(∂F_θ(z)/∂θ) / q_θ(z), no explicit g(θ, ε) needed.

One table, FAMILIES: parameter names (torch.distributions' names), which must be > 0, which
are held fixed (no gradient), how to build the torch distribution, and the same law in
scipy, whose quantile functions place the nodes of exact_gradient's quadrature.

Exact gradients (`nodes`): ∇_θ ∫ f q_θ = ∫ f(z) ∇_θ log q_θ(z) q_θ(z) dz. Substituting
z = F⁻¹_θ₀(u) at the current θ₀ turns this into ∫₀¹ f(z(u)) ∇ log q_θ(z(u)) du, evaluated by
tanh-sinh (double-exponential) quadrature on each half (0, ½) and (½, 1) — the halves keep
the kink of the Laplace density at u = ½ on an endpoint, and the upper half uses the survival
quantile F⁻¹(1 − v) = isf(v), so both tails are resolved down to v ≈ 1e-37. Tanh-sinh
converges exponentially in the number of nodes even for the endpoint singularities of heavy
tails (Student t, f = z²). A batch of d independent coordinates gets the tensor-product rule
(as the normal family does), `order` nodes per coordinate (default 402 for d = 1, fewer above,
at most MAX_QUADRATURE_POINTS in all); the relative error is ~1e-10 at the default order for
d ≤ 2 and smooth f. Dirichlet (K categories) is written by stick-breaking as K − 1
independent Betas, x_j ~ Beta(α_j, Σ_{i>j} α_i), z_j = x_j Π_{i<j}(1 − x_i), so it is the
same product rule over batch × (K − 1) coordinates (K ≤ 3 at full accuracy). Limitation:
nodes are float64, so the mass closer than 1e-16 to a finite endpoint (Beta/Kumaraswamy/
Dirichlet near 1) is dropped — an error ~ (1e-16)^c for a concentration c < 1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy import stats
from torch import distributions as D

Tensor = torch.Tensor
MAX_QUADRATURE_POINTS = 2**20
_T = 4.0  # tanh-sinh range: the dropped tail mass is ~exp(−π sinh T) ≈ 1e-37


class Logistic(D.Distribution):
    """Logistic(loc, scale): z = loc + scale·log(u / (1 − u)), u ~ U(0, 1) (torch has none)."""

    arg_constraints = {"loc": D.constraints.real, "scale": D.constraints.positive}
    support = D.constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=False):
        self.loc, self.scale = torch.broadcast_tensors(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return Logistic(self.loc.expand(batch_shape), self.scale.expand(batch_shape))

    def rsample(self, sample_shape=torch.Size()):
        shape = self._extended_shape(sample_shape)
        info = torch.finfo(self.loc.dtype)
        u = torch.rand(shape, dtype=self.loc.dtype, device=self.loc.device).clamp(info.tiny, 1 - info.eps)
        return self.loc + self.scale * (torch.log(u) - torch.log1p(-u))

    def log_prob(self, value):
        x = (value - self.loc) / self.scale
        return -x - 2 * torch.nn.functional.softplus(-x) - torch.log(self.scale)


class _Kumaraswamy:
    """Quantiles of Kumaraswamy(a, b), F(z) = 1 − (1 − z^a)^b, accurate in both tails."""

    def __init__(self, concentration1, concentration0):
        self.a, self.b = concentration1, concentration0

    def ppf(self, u):
        return (-np.expm1(np.log1p(-u) / self.b)) ** (1 / self.a)

    def isf(self, v):
        return (-np.expm1(np.log(v) / self.b)) ** (1 / self.a)


@dataclass(frozen=True)
class Family:
    kind: str                      # "location-scale", "transformation" or "inverse CDF"
    params: tuple[str, ...]        # torch.distributions' names, in order
    build: Callable                # (**θ) → torch distribution
    law: Callable                  # (**θ as floats) → scipy-like object with ppf / isf
    positive: tuple[str, ...]      # parameters that must be > 0
    fixed: tuple[str, ...] = ()    # parameters without a gradient entry
    event_dims: int = 0


def _t(df, loc, scale):
    return D.StudentT(df.detach(), loc, scale, validate_args=False)


FAMILIES: dict[str, Family] = {
    "laplace": Family("location-scale", ("loc", "scale"),
                      lambda loc, scale: D.Laplace(loc, scale, validate_args=False),
                      lambda loc, scale: stats.laplace(loc=loc, scale=scale), ("scale",)),
    "logistic": Family("location-scale", ("loc", "scale"), Logistic,
                       lambda loc, scale: stats.logistic(loc=loc, scale=scale), ("scale",)),
    "student_t": Family("location-scale", ("df", "loc", "scale"), _t,
                        lambda df, loc, scale: stats.t(df, loc=loc, scale=scale),
                        ("df", "scale"), fixed=("df",)),
    "lognormal": Family("transformation", ("loc", "scale"),
                        lambda loc, scale: D.LogNormal(loc, scale, validate_args=False),
                        lambda loc, scale: stats.lognorm(s=scale, scale=math.exp(loc)), ("scale",)),
    "gamma": Family("transformation", ("concentration", "rate"),
                    lambda concentration, rate: D.Gamma(concentration, rate, validate_args=False),
                    lambda concentration, rate: stats.gamma(concentration, scale=1 / rate),
                    ("concentration", "rate")),
    "beta": Family("transformation", ("concentration1", "concentration0"),
                   lambda concentration1, concentration0: D.Beta(concentration1, concentration0,
                                                                 validate_args=False),
                   lambda concentration1, concentration0: stats.beta(concentration1, concentration0),
                   ("concentration1", "concentration0")),
    "dirichlet": Family("transformation", ("concentration",),
                        lambda concentration: D.Dirichlet(concentration, validate_args=False),
                        None, ("concentration",), event_dims=1),
    "kumaraswamy": Family("inverse CDF", ("concentration1", "concentration0"),
                          lambda concentration1, concentration0: D.Kumaraswamy(
                              concentration1, concentration0, validate_args=False),
                          _Kumaraswamy, ("concentration1", "concentration0")),
    "exponential": Family("inverse CDF", ("rate",),
                          lambda rate: D.Exponential(rate, validate_args=False),
                          lambda rate: stats.expon(scale=1 / rate), ("rate",)),
}


def validate(family: str, params: dict[str, Tensor]):
    """Clear ValueErrors for non-finite or non-positive parameters and bad shapes."""
    spec = FAMILIES[family]
    for k, v in params.items():
        v = torch.as_tensor(v)
        if not torch.isfinite(v).all():
            raise ValueError(f"{family} parameter {k!r} must be finite, got {v.tolist()}")
        if k in spec.positive and not (v > 0).all():
            raise ValueError(f"{family} parameter {k!r} must be > 0, got {v.tolist()}")
    if spec.event_dims and (params["concentration"].dim() < 1 or params["concentration"].shape[-1] < 2):
        raise ValueError("dirichlet concentration needs a last axis of K ≥ 2 categories, got "
                         f"shape {tuple(params['concentration'].shape)}")


def distribution(family: str, theta: dict[str, Tensor]) -> D.Distribution:
    return FAMILIES[family].build(**{k: theta[k] for k in FAMILIES[family].params})


def sample(family, theta, n, s, generator, reparam: bool) -> Tensor:
    """z of shape (n, S, *shape) from θ of shape (n, 1, *θ.shape): rsample (pathwise) or a
    detached sample. torch.distributions draw from the global RNG, so a seeded draw runs in a
    forked RNG seeded from `generator` (the caller's global RNG state is left untouched)."""
    dist = distribution(family, theta)
    dist = dist.expand(torch.Size((n, s, *dist.batch_shape[2:])))
    if generator is None:
        return dist.rsample() if reparam else dist.sample()
    seed = int(torch.randint(2**62, (), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return dist.rsample() if reparam else dist.sample()


def _half_rule(count):
    """Tanh-sinh nodes a ∈ (0, ½) and weights for ∫₀^½ (count nodes, h = 2T/(count − 1))."""
    t = np.linspace(-_T, _T, count)
    h = t[1] - t[0]
    x = math.pi * np.sinh(t)
    a = 0.5 * (1 / (1 + np.exp(-x)))
    w = 0.5 * h * math.pi * np.cosh(t) * np.exp(-np.logaddexp(0, x) - np.logaddexp(0, -x))
    return a, w


def _quantiles(law, a):
    """x = F⁻¹(u) and 1 − x-free nodes over both halves: lower u = a (ppf), upper 1 − u = a (isf)."""
    return np.concatenate([law.ppf(a), law.isf(a)[::-1]])


def nodes(family: str, params: dict[str, Tensor], order=None) -> tuple[Tensor, Tensor]:
    """Quadrature nodes z (G, *shape) and weights (G,) with Σ_g w_g h(z_g) ≈ E_{q_θ}[h(z)]."""
    spec = FAMILIES[family]
    p = {k: v.detach().to(torch.float64) for k, v in params.items()}
    shape = torch.broadcast_shapes(*(v.shape for v in p.values()))
    if spec.event_dims:
        batch, k = shape[:-1], shape[-1]
        d = math.prod(batch) * (k - 1)
    else:
        d = math.prod(shape)
    order = int(order if order is not None else min(402, int(MAX_QUADRATURE_POINTS ** (1 / d))))
    order -= order % 2
    if order < 4 or order**d > MAX_QUADRATURE_POINTS:
        raise ValueError(f"{order}^{d} quadrature points: need order ≥ 4 and at most "
                         f"{MAX_QUADRATURE_POINTS} points (d = {d} coordinates)")
    a, w_half = _half_rule(order // 2)
    w = np.concatenate([w_half, w_half[::-1]])
    if spec.event_dims:  # stick-breaking: x_j ~ Beta(α_j, Σ_{i>j} α_i), complement Beta(rest, α_j)
        conc = p["concentration"].reshape(-1, k).numpy()
        rest = np.cumsum(conc[:, ::-1], 1)[:, ::-1][:, 1:]
        laws = [(stats.beta(conc[b, j], rest[b, j]), stats.beta(rest[b, j], conc[b, j]))
                for b in range(conc.shape[0]) for j in range(k - 1)]
        x = np.stack([_quantiles(lx, a) for lx, _ in laws])
        xbar = np.stack([_quantiles(lc, a)[::-1] for _, lc in laws])  # 1 − x, accurately
    else:
        flat = {n_: np.broadcast_to(v.numpy(), shape).reshape(-1) for n_, v in p.items()}
        x = np.stack([_quantiles(spec.law(**{n_: float(v[j]) for n_, v in flat.items()}), a)
                      for j in range(d)])
    grid = torch.cartesian_prod(*[torch.arange(order)] * d).reshape(-1, d)
    cols = torch.arange(d)
    weight = torch.from_numpy(w)[grid].prod(-1)
    z = torch.from_numpy(x)[cols, grid]
    if spec.event_dims:
        g = z.shape[0]
        z = z.reshape(g, *batch, k - 1)
        rem = torch.cumprod(torch.from_numpy(xbar)[cols, grid].reshape(g, *batch, k - 1), -1)
        head = torch.cat([torch.ones_like(rem[..., :1]), rem[..., :-1]], -1)
        z = torch.cat([z * head, rem[..., -1:]], -1)
    return z.reshape(-1, *shape), weight


# exact_gradient's nodes for the families kept in gradients.py: normal, and enumeration of
# the discrete ones (here so that gradients.py stays about sampling and estimating).
def normal_nodes(params: dict[str, Tensor], order=None) -> tuple[Tensor, Tensor]:
    """Gauss–Hermite nodes and weights for the normal family (tensor product over d
    coordinates, default order 200 per coordinate, fewer above d = 2)."""
    shape = torch.broadcast_shapes(params["loc"].shape, params["scale"].shape)
    d = math.prod(shape)
    order = int(order if order is not None else min(200, int(MAX_QUADRATURE_POINTS ** (1 / d))))
    if order**d > MAX_QUADRATURE_POINTS:
        raise ValueError(f"{order}^{d} quadrature points exceed {MAX_QUADRATURE_POINTS}")
    x, w = (torch.from_numpy(a) for a in np.polynomial.hermite.hermgauss(order))
    grid = torch.cartesian_prod(*[torch.arange(order)] * d).reshape(-1, d)
    weight = w[grid].prod(-1) / math.pi ** (d / 2)
    loc, scale = params["loc"].detach(), params["scale"].detach()
    return loc + scale * math.sqrt(2) * x[grid].reshape(-1, *shape), weight


def enumerate_configurations(family, logits, limit):
    """All joint configurations z (N_conf, *shape) of independent bernoulli/categorical variables."""
    if family == "bernoulli":
        m, base = logits.numel(), 2
    else:
        m, base = logits[..., 0].numel(), logits.shape[-1]
    count = base**m
    if count > limit:
        raise ValueError(f"exact enumeration would visit {base}^{m} = {count} configurations; "
                         f"the limit is {limit}")
    digits = torch.arange(count)[:, None] // base ** torch.arange(m) % base  # (count, m)
    if family == "bernoulli":
        return digits.to(logits.dtype).reshape(count, *logits.shape)
    return torch.nn.functional.one_hot(digits, base).to(logits.dtype).reshape(count, *logits.shape)
