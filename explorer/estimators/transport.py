"""Reparameterizable 1-D families as transport maps z = g(φ, ε) (third lecture text §1.6) and
the change of variables log q(z) = log p(ε) − log |∂z/∂ε| (§1.7). Numpy out, no Streamlit.

Base noise: ε ~ N(0, 1) for the location-scale normal and the lognormal transformation
(z = exp(μ + σε)); u ~ U(0, 1), log p(u) = 0, for the inverse-CDF families z = F⁻¹(u)
(laplace, logistic, exponential, kumaraswamy). Gamma and Beta have no closed-form F⁻¹ (torch
samples them by implicit reparameterisation); here they are drawn as z = F⁻¹(u) with scipy's
ppf, so the picture is still a monotone map u → z, and ∂z/∂u = 1 / F′(z) by the inverse
function theorem, F′ from torch.autograd through torch.special.gammainc (gamma) or a central
difference of scipy's cdf (beta: torch has no incomplete beta function).
Student's t (df has no gradient) and Dirichlet (K-dimensional) are left out of the page.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats
from torch import distributions as D

from explorer.estimators import continuous_families as cf
from explorer.estimators.gradients import PARAMS, exact_gradient, sample_gradients

SUPPORTED = ("normal", "laplace", "logistic", "exponential", "lognormal", "kumaraswamy",
             "gamma", "beta")
_F64 = torch.float64


def _p(params):
    return {k: torch.tensor(float(v), dtype=_F64) for k, v in params.items()}


# family → (base, g(θ, ε) in torch, g⁻¹(θ, z) in numpy); None: z = F⁻¹(u) through scipy
_MAPS = {
    "normal": ("normal", lambda t, e: t["loc"] + t["scale"] * e,
               lambda t, z: (z - t["loc"]) / t["scale"]),
    "lognormal": ("normal", lambda t, e: torch.exp(t["loc"] + t["scale"] * e),
                  lambda t, z: (np.log(z) - t["loc"]) / t["scale"]),
    "laplace": ("uniform", lambda t, u: t["loc"] - t["scale"] * torch.sign(u - 0.5)
                * torch.log1p(-2 * torch.abs(u - 0.5)),
                lambda t, z: stats.laplace(t["loc"], t["scale"]).cdf(z)),
    "logistic": ("uniform", lambda t, u: t["loc"] + t["scale"] * (torch.log(u) - torch.log1p(-u)),
                 lambda t, z: stats.logistic(t["loc"], t["scale"]).cdf(z)),
    "exponential": ("uniform", lambda t, u: -torch.log1p(-u) / t["rate"],
                    lambda t, z: -np.expm1(-t["rate"] * z)),
    "kumaraswamy": ("uniform", lambda t, u: (-torch.expm1(torch.log1p(-u) / t["concentration0"]))
                    ** (1 / t["concentration1"]),
                    lambda t, z: -np.expm1(t["concentration0"] * np.log1p(-z ** t["concentration1"]))),
    "gamma": ("uniform", None, None),
    "beta": ("uniform", None, None),
}


def _check(family, params):
    if family not in SUPPORTED:
        raise ValueError(f"family {family!r} is not supported; valid: {', '.join(SUPPORTED)}")
    if set(params) != set(PARAMS[family]):
        raise ValueError(f"family {family!r} takes parameters {PARAMS[family]}, got {tuple(params)}")
    if family != "normal":
        cf.validate(family, _p(params))
    elif not params["scale"] > 0:
        raise ValueError("normal scale must be > 0")


def base(family: str) -> str:
    """The family's base noise: "normal" (ε ~ N(0, 1)) or "uniform" (u ~ U(0, 1))."""
    return _MAPS[family][0]


def law(family, params):
    """The same distribution in scipy (cdf / ppf / pdf); kumaraswamy's is cf._Kumaraswamy."""
    if family == "normal":
        return stats.norm(params["loc"], params["scale"])
    return cf.FAMILIES[family].law(**params)


def torch_distribution(family, params):
    t = _p(params)
    return D.Normal(t["loc"], t["scale"]) if family == "normal" else cf.distribution(family, t)


def transport(family: str, params: dict, n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs (ε, z = g(φ, ε)), sorted by ε (so also by z: every g here is increasing)."""
    _check(family, params)
    rng = np.random.default_rng(seed)
    base, g, _ = _MAPS[family]
    eps = np.sort(rng.standard_normal(n) if base == "normal" else rng.uniform(1e-12, 1 - 1e-12, n))
    if g is None:
        return eps, law(family, params).ppf(eps)
    return eps, g(_p(params), torch.from_numpy(eps)).numpy()


def map_curve(family: str, params: dict, m: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """The map ε → z on a grid covering the central 99.8% of the base noise."""
    base = _MAPS[family][0]
    eps = np.linspace(-3.1, 3.1, m) if base == "normal" else np.linspace(1e-3, 1 - 1e-3, m)
    _, g, _ = _MAPS[family]
    return eps, (law(family, params).ppf(eps) if g is None else
                 g(_p(params), torch.from_numpy(eps)).numpy())


def _dz_deps(family, params, z):
    """(ε, ∂z/∂ε) at the points z (numpy)."""
    base, g, ginv = _MAPS[family]
    if g is not None:
        eps = torch.tensor(ginv(params, z), dtype=_F64, requires_grad=True)
        (grad,) = torch.autograd.grad(g(_p(params), eps).sum(), eps)
        return eps.detach().numpy(), grad.numpy()
    u = law(family, params).cdf(z)
    if family == "gamma":
        zt = torch.tensor(z, dtype=_F64, requires_grad=True)
        t = _p(params)
        (pdf,) = torch.autograd.grad(torch.special.gammainc(t["concentration"], t["rate"] * zt).sum(), zt)
        pdf = pdf.numpy()
    else:  # beta: central difference of the cdf, step relative to the distance to an endpoint
        h = 1e-5 * np.minimum(z, 1 - z)
        pdf = (law(family, params).cdf(z + h) - law(family, params).cdf(z - h)) / (2 * h)
    return u, 1 / pdf


def change_of_variables_density(family: str, params: dict, z_grid) -> dict[str, np.ndarray]:
    """log q(z) = log p(ε) − log |∂z/∂ε| at ε = g⁻¹(z), next to torch's log_prob(z)."""
    _check(family, params)
    z = np.asarray(z_grid, dtype=float)
    eps, dz = _dz_deps(family, params, z)
    log_p = -0.5 * eps**2 - 0.5 * math.log(2 * math.pi) if _MAPS[family][0] == "normal" else 0 * eps
    with torch.no_grad():
        ref = torch_distribution(family, params).log_prob(torch.from_numpy(z)).numpy()
    return {"z": z, "eps": eps, "change_of_variables": log_p - np.log(np.abs(dz)), "log_prob": ref}


def density_grid(family: str, params: dict, m: int = 300) -> np.ndarray:
    """z between the 0.1% and 99.9% quantiles (away from Beta's / Gamma's endpoints)."""
    lo, hi = law(family, params).ppf(np.array([1e-3, 1 - 1e-3]))
    return np.linspace(lo, hi, m)


def variance_table(family: str, params: dict, target: float = 1.0, n: int = 2000,
                   samples_per_estimate: int = 2, seed: int = 0) -> dict:
    """Per parameter: the variance of n estimates of ∂/∂θ E_q[(z − t)²] — pathwise, score
    function (no baseline) and score function with the leave-one-out baseline, all with S
    samples per estimate — and the exact gradient (quadrature)."""
    _check(family, params)

    def f(z):
        return (z - target) ** 2

    t = _p(params)
    runs = {"pathwise": ("reparam", None), "score function": ("reinforce", None),
            "score function (b: loo)": ("reinforce", "loo")}
    out = {"params": list(PARAMS[family]), "exact": {}, "variance": {}}
    exact = exact_gradient(f, family, t)
    for name, (method, baseline) in runs.items():
        opts = {"baseline": baseline} if baseline else {}
        g = sample_gradients(method, f, family, t, n, samples_per_estimate=samples_per_estimate,
                             seed=seed, **opts)
        out["variance"][name] = [float(g[k].var()) for k in out["params"]]
    out["exact"] = [float(exact[k]) for k in out["params"]]
    return out


# page sliders: parameter → (label, min, max, default, step)
_LOC, _SCALE = ("location μ", -2.0, 2.0, 0.5, 0.1), ("scale σ", 0.2, 3.0, 1.0, 0.1)
SLIDERS = {
    "normal": {"loc": _LOC, "scale": _SCALE}, "laplace": {"loc": _LOC, "scale": _SCALE},
    "logistic": {"loc": _LOC, "scale": _SCALE}, "exponential": {"rate": ("rate λ", 0.2, 5.0, 1.5, 0.1)},
    "lognormal": {"loc": ("log-location μ", -1.0, 1.0, 0.0, 0.1), "scale": ("log-scale σ", 0.1, 1.5, 0.5, 0.05)},
    "kumaraswamy": {"concentration1": ("a", 0.5, 5.0, 2.0, 0.1), "concentration0": ("b", 0.5, 5.0, 3.0, 0.1)},
    "gamma": {"concentration": ("shape α", 0.5, 10.0, 2.0, 0.1), "rate": ("rate β", 0.2, 5.0, 1.5, 0.1)},
    "beta": {"concentration1": ("α", 0.5, 10.0, 2.0, 0.1), "concentration0": ("β", 0.5, 10.0, 3.0, 0.1)},
}
