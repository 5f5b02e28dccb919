"""Toy costs f(z) for comparing gradient estimators of ∇ E_q[f(z)].

Normal family: the three test functions of Mohamed, Rosca, Figurnov & Mnih 2019 (§3,
fig. 2), with closed forms of E[f] and its gradients under z ~ N(μ, σ²). Discrete
families: the REBAR toy (z − t)² of Tucker et al. 2017 (t = 0.45 or 0.499) and two
relatives. A cost takes z of shape (m, *shape) and returns (m,), summing over variables.

Categorical z has shape (m, *batch, K) (one-hot or relaxed on the simplex); category c
stands for the value v_c = c/(K − 1) ∈ [0, 1], so K = 2 is the Bernoulli case.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

Tensor = torch.Tensor


@dataclass(frozen=True)
class ToyCost:
    """A named cost f(z, k, family) with its formula and, for "normal", closed forms.

    mean(μ, σ, k), grad_mu(μ, σ, k), grad_sigma(μ, σ, k) are per coordinate (a cost on a
    vector z is the sum of the scalar cost over coordinates), None when not known.
    """

    name: str
    latex: str
    families: tuple[str, ...]
    fn: Callable[[Tensor, float, str], Tensor]
    mean: Callable | None = None
    grad_mu: Callable | None = None
    grad_sigma: Callable | None = None

    def f(self, z: Tensor, k: float, family: str = "normal") -> Tensor:
        """f(z) for a batch z of shape (m, *shape); returns (m,)."""
        if family not in self.families:
            raise ValueError(f"cost {self.name!r} is defined for {self.families}, not {family!r}")
        return self.fn(z, k, family)

    def bind(self, family: str, k: float) -> Callable[[Tensor], Tensor]:
        """f as a one-argument callable, the form sample_gradients expects."""
        return lambda z: self.f(z, k, family)

    def exact(self, mu, sigma, k) -> dict[str, Tensor]:
        """Closed-form {"loc": ∂E/∂μ, "scale": ∂E/∂σ} for the normal family."""
        if self.grad_mu is None:
            raise ValueError(f"cost {self.name!r} has no closed form for the normal family")
        return {"loc": self.grad_mu(mu, sigma, k), "scale": self.grad_sigma(mu, sigma, k)}


def _sum_rest(v: Tensor) -> Tensor:
    return v.reshape(v.shape[0], -1).sum(-1)


def _values(z: Tensor, family: str) -> Tensor:
    """Each variable's value in [0, 1]: z itself, or Σ_c v_c z_c for a categorical."""
    if family != "categorical":
        return z
    k = z.shape[-1]
    v = torch.linspace(0.0, 1.0, k, dtype=z.dtype, device=z.device)
    return z @ v


def _square(z, k, family):
    return _sum_rest((z - k) ** 2)


def _gauss(z, k, family):
    return _sum_rest(torch.exp(-k * z**2))


def _cos(z, k, family):
    return _sum_rest(torch.cos(k * z))


def _rebar(z, t, family):
    return _sum_rest((_values(z, family) - t) ** 2)


def _pick(z, t, family):
    if family == "bernoulli":  # one-hot of (1 − z, z)
        return _sum_rest((1 - z) * t**2 + z * (1 - t) ** 2)
    v = torch.linspace(0.0, 1.0, z.shape[-1], dtype=z.dtype, device=z.device)
    return _sum_rest(z @ ((v - t) ** 2))


def _sum_square(z, t, family):
    x = _values(z, family).reshape(z.shape[0], -1)
    return (x.mean(-1) - t) ** 2


def _gauss_mean(mu, s, k):
    a = 1 + 2 * k * s**2
    return torch.exp(-k * mu**2 / a) / torch.sqrt(a)


def _gauss_grad_sigma(mu, s, k):
    a = 1 + 2 * k * s**2
    return _gauss_mean(mu, s, k) * 4 * k * s * (k * mu**2 / a**2 - 0.5 / a)


TOY_COSTS: dict[str, ToyCost] = {
    c.name: c
    for c in (
        ToyCost(
            "square", r"f(z) = (z - k)^2", ("normal",), _square,
            mean=lambda m, s, k: (m - k) ** 2 + s**2,
            grad_mu=lambda m, s, k: 2 * (m - k),
            grad_sigma=lambda m, s, k: 2 * s,
        ),
        ToyCost(
            "gauss", r"f(z) = e^{-k z^2}", ("normal",), _gauss,
            mean=_gauss_mean,
            grad_mu=lambda m, s, k: _gauss_mean(m, s, k) * (-2 * k * m / (1 + 2 * k * s**2)),
            grad_sigma=_gauss_grad_sigma,
        ),
        ToyCost(
            "cos", r"f(z) = \cos(k z)", ("normal",), _cos,
            mean=lambda m, s, k: torch.cos(k * m) * torch.exp(-(k**2) * s**2 / 2),
            grad_mu=lambda m, s, k: -k * torch.sin(k * m) * torch.exp(-(k**2) * s**2 / 2),
            grad_sigma=lambda m, s, k: -(k**2) * s * torch.cos(k * m) * torch.exp(-(k**2) * s**2 / 2),
        ),
        # Tucker et al. 2017, §6.1: t = 0.45 (or 0.499) makes the two outcomes nearly tie,
        # so the gradient is small next to the estimators' noise.
        ToyCost("rebar", r"f(z) = \sum_j (v(z_j) - t)^2", ("bernoulli", "categorical"), _rebar),
        ToyCost("pick", r"f(z) = \sum_j \sum_c (v_c - t)^2 z_{jc}",
                ("bernoulli", "categorical"), _pick),
        ToyCost("sum_square", r"f(z) = \big(\tfrac1J \sum_j v(z_j) - t\big)^2",
                ("bernoulli", "categorical"), _sum_square),
    )
}

__all__ = ["TOY_COSTS", "ToyCost"]
