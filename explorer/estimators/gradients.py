"""Monte Carlo estimators of ∇_θ E_{z~q_θ}[f(z)] and their exact values, for teaching.

Score function / REINFORCE (Williams 1992), pathwise / reparameterisation, and the biased
estimators for discrete z: straight-through (Bengio et al. 2013), Gumbel-softmax and its
straight-through variant (Jang, Gu & Poole 2017; Maddison et al. 2017), and the "naive
reparameterisation" z = 1[u < p] whose pathwise gradient is zero (third lecture text,
§2). Notation follows Mohamed, Rosca, Figurnov & Mnih 2019 ("MC gradient estimation").

All n estimates come from one autograd call: estimate i gets its own copy θ_i of the
parameters (an (n, *θ.shape) leaf), its samples depend only on θ_i, so the gradient of
the summed surrogate with respect to row i of the leaf is estimate i.
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from explorer.bounds.log_weights import bernoulli_log_likelihood
from explorer.discrete import gumbel_max, gumbel_softmax
from explorer.estimators import continuous_families as cf
from explorer.estimators.encoder_gradients import (encoder_gradient_samples,
                                                   encoder_gradient_samples_loop)
from explorer.estimators.stats import analytic_variance, summary
from explorer.estimators.rebar import rebar_surrogate
from explorer.objectives.score_function import leave_one_out
from explorer.toys.costs import TOY_COSTS, ToyCost

Tensor = torch.Tensor

_DISCRETE_METHODS = ("reinforce", "straight_through", "gumbel_softmax", "st_gumbel_softmax",
                     "naive_reparam", "rebar")
METHODS: dict[str, tuple[str, ...]] = {
    "normal": ("reinforce", "reparam"),
    "bernoulli": _DISCRETE_METHODS,
    "categorical": _DISCRETE_METHODS,
    **{name: ("reinforce", "reparam") for name in cf.FAMILIES},
}
PARAMS = {"normal": ("loc", "scale"), "bernoulli": ("logits",), "categorical": ("logits",),
          **{name: spec.params for name, spec in cf.FAMILIES.items()}}
BASELINES = (None, "loo", "mean_cv", "optimal")
UNBIASED = ("reinforce", "reparam", "rebar")  # the others are biased by construction
OPTIONS = ("samples_per_estimate", "seed", "baseline", "tau", "pilot_samples", "eta")
MAX_CONFIGURATIONS = 2**16
MAX_QUADRATURE_POINTS = cf.MAX_QUADRATURE_POINTS


def _check_family(family, params):
    if family not in METHODS:
        raise ValueError(f"unknown family {family!r}; valid families: {', '.join(METHODS)}")
    if set(params) != set(PARAMS[family]):
        raise ValueError(f"family {family!r} takes parameters {PARAMS[family]}, got {tuple(params)}")
    if family in cf.FAMILIES:
        cf.validate(family, params)


def _check(method: str, family: str, params: dict, options: dict):
    _check_family(family, params)
    if method not in METHODS[family]:
        raise ValueError(f"method {method!r} is not available for family {family!r}; "
                         f"valid methods: {', '.join(METHODS[family])}")
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}; valid options: {', '.join(OPTIONS)}")
    if options.get("baseline") not in BASELINES:
        raise ValueError(f"baseline must be one of {BASELINES}, got {options['baseline']!r}")
    if options.get("baseline") is not None and method != "reinforce":
        raise ValueError("a baseline only applies to method 'reinforce'")


def _event_shape(family, params):
    return torch.broadcast_shapes(*(v.shape for v in params.values()))


def _log_prob(family: str, theta: dict, z: Tensor) -> Tensor:
    """log q_θ(z) for z of shape (n, S, *shape) and θ of shape (n, 1, *θ.shape); → (n, S)."""
    if family in cf.FAMILIES:
        lp = cf.distribution(family, theta).log_prob(z)
    elif family == "normal":
        loc, scale = theta["loc"], theta["scale"]
        lp = -0.5 * ((z - loc) / scale) ** 2 - torch.log(scale) - 0.5 * math.log(2 * math.pi)
    elif family == "bernoulli":  # independent bits: one Bernoulli over the flattened shape
        logits = theta["logits"]
        return bernoulli_log_likelihood(z.reshape(*z.shape[:2], -1),
                                        logits.reshape(*logits.shape[:2], -1))
    else:
        lp = z * F.log_softmax(theta["logits"], -1)
    return lp.reshape(*z.shape[:2], -1).sum(-1)


def _noise(family, shape, like, generator):
    """ε ~ N(0, 1) (normal), logistic L = log U − log(1 − U) (bernoulli) or None."""
    if family == "normal":
        return torch.randn(shape, generator=generator, dtype=like.dtype, device=like.device)
    if family == "bernoulli":
        info = torch.finfo(like.dtype)
        u = torch.rand(shape, generator=generator, dtype=like.dtype, device=like.device)
        u = u.clamp(info.tiny, 1 - info.eps)
        return torch.log(u) - torch.log1p(-u)
    return None


def _step(x: Tensor) -> Tensor:
    """1[x > 0] as a deterministic, piecewise-constant function of x: its derivative is 0
    almost everywhere, which autograd reports (d sign / dx = 0)."""
    return torch.sign(x).clamp(min=0)


def _sample(method, family, theta, n, s, shape, generator, tau):
    """z of shape (n, S, *shape), differentiable in θ as the method prescribes."""
    like = next(iter(theta.values()))
    full = (n, s, *shape)
    if family in cf.FAMILIES:
        return cf.sample(family, theta, n, s, generator, reparam=method == "reparam")
    if family == "normal":
        z = theta["loc"] + theta["scale"] * _noise(family, full, like, generator)
        return z if method == "reparam" else z.detach()
    logits = theta["logits"].expand(full)
    if family == "bernoulli":
        if method == "naive_reparam":
            u = torch.rand(full, generator=generator, dtype=like.dtype, device=like.device)
            return _step(torch.sigmoid(logits) - u)  # z = 1[u < p], the lecture's g(φ, ε)
        y = (logits + _noise(family, full, like, generator)) / tau  # binary Concrete logit
        hard = (y > 0).to(y.dtype).detach()
        if method == "reinforce":
            return hard
        if method == "straight_through":
            p = torch.sigmoid(logits)
            return hard + (p - p.detach())
        soft = torch.sigmoid(y)  # relaxed Bernoulli (Maddison et al. 2017, eq. 21)
        return soft if method == "gumbel_softmax" else hard + (soft - soft.detach())
    k = shape[-1]
    if method == "naive_reparam":
        # Inverse CDF: z_c = 1[F_{c−1} ≤ u < F_c], F the cumulative probabilities.
        u = torch.rand(full[:-1], generator=generator, dtype=like.dtype, device=like.device)
        cdf = torch.cumsum(torch.softmax(logits, -1), -1)
        above = _step(cdf - u[..., None])
        above = torch.cat([above[..., :-1], torch.ones_like(above[..., -1:])], -1)  # F_K = 1
        return above - F.pad(above[..., :-1], (1, 0))
    if method in ("gumbel_softmax", "st_gumbel_softmax"):
        return gumbel_softmax(logits, tau, hard=method == "st_gumbel_softmax", generator=generator)
    hard = F.one_hot(gumbel_max(logits.detach(), generator), k).to(logits.dtype)
    if method == "reinforce":
        return hard
    p = torch.softmax(logits, -1)
    return hard + (p - p.detach())


def _leaves(params, n, family=None):
    """Per-estimate copies; a family's fixed parameters (student_t's df) get no gradient."""
    fixed = cf.FAMILIES[family].fixed if family in cf.FAMILIES else ()
    return {k: v.detach().expand(n, *v.shape).clone().requires_grad_(k not in fixed)
            for k, v in params.items()}


def _per_sample(leaves):
    return {k: v.unsqueeze(1) for k, v in leaves.items()}  # (n, 1, *θ.shape)


def _evaluate(f, z):
    n, s = z.shape[:2]
    out = f(z.reshape(n * s, *z.shape[2:]))
    if out.shape != (n * s,):
        raise ValueError(f"f must map a batch of {n * s} samples to shape ({n * s},), got {tuple(out.shape)}")
    return out.reshape(n, s)


def _grad(total, leaves, retain_graph=False):
    names = [k for k, v in leaves.items() if v.requires_grad]
    grads = torch.autograd.grad(total, [leaves[k] for k in names], allow_unused=True,
                                materialize_grads=True, retain_graph=retain_graph)
    return {k: g.detach() for k, g in zip(names, grads)}


def _pilot_baseline(f, family, params, kind, size, shape, generator):
    """Constant baselines from `size` pilot draws independent of the estimates.

    mean_cv:  b = mean of f over the pilot (one number).
    optimal:  b_j = Σ f·s_j² / Σ s_j² per parameter coordinate j, with s_j = ∂ log q/∂θ_j:
              the constant minimising Var[(f − b_j) s_j] (Mohamed et al. 2019, §7.4.1).
    """
    leaves = _leaves(params, size, family)
    z = _sample("reinforce", family, _per_sample(leaves), size, 1, shape, generator, 1.0)
    fz = _evaluate(f, z).detach()[:, 0]
    if kind == "mean_cv":
        return {k: fz.mean() for k in params}
    scores = _grad(_log_prob(family, _per_sample(leaves), z).sum(), leaves)
    out = {}
    for k, s in scores.items():
        w = fz.reshape(-1, *[1] * (s.dim() - 1))
        den = (s**2).sum(0)
        out[k] = torch.where(den > 0, (w * s**2).sum(0) / den.clamp_min(1e-300), fz.mean())
    return out


def sample_gradients(method: str, f, family: str, params: dict[str, Tensor], n: int,
                     **options) -> dict[str, Tensor]:
    """n independent estimates of ∇_θ E_{z~q_θ}[f(z)]; each value has shape (n, *θ.shape).

    family / params: "normal" {loc, scale} (gradient w.r.t. σ itself), "bernoulli" {logits},
    "categorical" {logits} (last axis = categories). f maps z of shape (m, *shape) to (m,).

    methods: "reinforce" (f(z) ∇ log q(z), Williams 1992), "reparam" (normal: ∇_θ f(μ + σε)),
    "straight_through" (forward hard z, backward ∂z/∂θ := ∂p/∂θ; Bengio et al. 2013),
    "gumbel_softmax" / "st_gumbel_softmax" (option tau, default 1; binary Concrete for
    bernoulli), "naive_reparam" (z = 1[u < p]: pathwise gradient identically 0), "rebar"
    (unbiased for any tau and option eta, default 1; Tucker et al. 2017, explorer.rebar).

    options: samples_per_estimate S (default 1) samples averaged inside each estimate; seed;
    tau; baseline for reinforce, each keeping the estimator unbiased:
      None       (f(z_s)) ∇ log q(z_s), averaged over s.
      "loo"      (f(z_s) − mean_{r≠s} f(z_r)) ∇ log q(z_s); needs S ≥ 2 (Kool et al. 2019).
      "mean_cv"  (f(z_s) − b) ∇ log q(z_s), b = mean f over a pilot batch.
      "optimal"  coordinate j uses b_j = E[f s_j²]/E[s_j²] estimated on the pilot batch.
    The pilot (pilot_samples draws, default 1000) is drawn once, independently of the n
    estimates and shared by them: each estimate is unbiased given the pilot.
    """
    _check(method, family, params, options)
    s = int(options.get("samples_per_estimate", 1))
    tau = float(options.get("tau", 1.0))
    baseline = options.get("baseline")
    if s < 1 or n < 1:
        raise ValueError(f"n and samples_per_estimate must be ≥ 1, got {n} and {s}")
    if baseline == "loo" and s < 2:
        raise ValueError("baseline 'loo' needs samples_per_estimate ≥ 2")
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    seed = options.get("seed")
    generator = None if seed is None else torch.Generator().manual_seed(int(seed))
    shape = _event_shape(family, params)
    const = None
    if baseline in ("mean_cv", "optimal"):
        size = int(options.get("pilot_samples", 1000))
        const = _pilot_baseline(f, family, params, baseline, size, shape, generator)
    leaves = _leaves(params, n, family)
    theta = _per_sample(leaves)
    if method == "rebar":
        total = rebar_surrogate(lambda z: _evaluate(f, z), lambda b: _log_prob(family, theta, b),
                                family, theta["logits"].expand(n, s, *shape), (n, s, *shape),
                                generator, tau, float(options.get("eta", 1.0)))
        return _grad(total / s, leaves)
    z = _sample(method, family, theta, n, s, shape, generator, tau)
    if method != "reinforce":
        return _grad(_evaluate(f, z).sum() / s, leaves)
    fz = _evaluate(f, z).detach()
    if baseline == "loo":
        fz = fz - leave_one_out(fz, dim=1)
    elif baseline == "mean_cv":
        fz = fz - next(iter(const.values()))
    log_q = _log_prob(family, theta, z)
    grads = _grad((fz * log_q).sum() / s, leaves, retain_graph=baseline == "optimal")
    if baseline == "optimal":  # Σ_s (f_s − b_j) s_j = Σ_s f_s s_j − b_j Σ_s s_j
        mean_score = _grad(log_q.sum() / s, leaves)
        grads = {k: g - const[k] * mean_score[k] for k, g in grads.items()}
    return grads


def exact_gradient(f, family: str, params: dict[str, Tensor], **options) -> dict[str, Tensor]:
    """∇_θ E_q[f(z)] without sampling error, as Σ_z f(z) ∇_θ q_θ(z).

    bernoulli / categorical: exhaustive enumeration of every joint configuration (at most
    MAX_CONFIGURATIONS). normal: the score form E[f(z) ∇ log q(z)] (f need not be
    differentiable) on Gauss–Hermite nodes of order `order` per coordinate (tensor product);
    the other continuous families: the same score form on tanh-sinh nodes placed through the
    quantile function (Dirichlet by stick-breaking). Rules, defaults and accuracy:
    explorer.estimators.continuous_families (normal_nodes, nodes). Fixed parameters
    (student_t's df) get no entry. Computed in float64; returned in the parameters' dtype.
    """
    _check_family(family, params)
    dtype = next(iter(params.values())).dtype
    leaves = _leaves({k: v.to(torch.float64) for k, v in params.items()}, 1, family)
    leaves = {k: v[0].detach().requires_grad_(v.requires_grad) for k, v in leaves.items()}
    weight = None
    if family == "normal":
        z, weight = cf.normal_nodes(leaves, options.get("order"))
    elif family in cf.FAMILIES:
        z, weight = cf.nodes(family, leaves, options.get("order"))
    else:
        z = cf.enumerate_configurations(family, leaves["logits"].detach(), MAX_CONFIGURATIONS)
    z = z.unsqueeze(1)  # (G, 1, *shape): one "estimate" per quadrature point / configuration
    theta = {k: v.unsqueeze(0).unsqueeze(0) for k, v in leaves.items()}
    if weight is not None:  # drop nodes where float64 cannot resolve q (z rounded onto an endpoint)
        with torch.no_grad():
            keep = torch.isfinite(_log_prob(family, theta, z)[:, 0]) & (weight > 0)
        z, weight = z[keep], weight[keep]
    fz = _evaluate(f, z).detach()[:, 0].to(torch.float64)
    log_q = _log_prob(family, theta, z)[:, 0]
    if weight is None:  # Σ_z q(z) f(z) ∇ log q(z) = ∇ Σ_z q(z) f(z)
        total = (log_q.exp() * fz).sum()
    else:  # Σ_g w_g f(z_g) ∇ log q(z_g), the score form evaluated by quadrature
        total = (weight * fz * log_q).sum()
    return {k: g.to(dtype) for k, g in _grad(total, leaves).items()}


__all__ = [
    "BASELINES", "METHODS", "PARAMS", "TOY_COSTS", "ToyCost", "UNBIASED", "analytic_variance",
    "encoder_gradient_samples", "encoder_gradient_samples_loop", "exact_gradient",
    "sample_gradients", "summary",
]
