"""Racing gradient estimators on the toy costs: flattened estimates, their bias, variance and
SNR against the exact gradient, variance against S and bias/variance against τ (third lecture
text §1.6 and §2.2; Mohamed et al. 2019; Tucker et al. 2017 for REBAR). Every family of
explorer.estimators races; the continuous ones' sliders and costs: race_families.

Plain values in (family, cost name, parameter values, k), numpy out; no Streamlit. Non-finite
estimates are removed and counted, and failures (invalid combinations, numerical trouble) are
returned as messages, never raised, so a page can say what went wrong.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from explorer.discrete import ESTIMATOR_TAU_GRID, gumbel_softmax
from explorer.estimators import race_families as rf
from explorer.estimators.continuous_families import FAMILIES as CONTINUOUS
from explorer.estimators.gradients import METHODS, PARAMS, exact_gradient, sample_gradients
from explorer.estimators.stats import analytic_variance as _analytic_variance
from explorer.toys.costs import TOY_COSTS

FAMILIES = tuple(f for f in METHODS if f not in CONTINUOUS)  # normal and the two discrete ones
RACE_FAMILIES = rf.RACE_FAMILIES  # the Estimator race offers every family
SPE_CHOICES = (1, 2, 4, 8, 16, 32)
SIGMA_CHOICES = rf.SIGMA_CHOICES
N_EST = 3000          # gradient estimates per estimator for histograms, clouds and the table
N_SCALING = 1000      # estimates per point of the variance-vs-S curves
N_TAU = 4000          # estimates per (estimator, τ) of the relaxation-bias curves
RELAXED = ("gumbel_softmax", "st_gumbel_softmax")
USES_TAU = RELAXED + ("rebar",)       # REBAR's control variate is relaxed at τ; it stays unbiased
TAU_METHODS = USES_TAU                # the estimators swept over τ on the Relaxation bias page
REFERENCE = ("reinforce", "optimal", 1)   # the unbiased reference: REINFORCE, baseline, S
SEED = 7


def baseline_name(baseline: str | None) -> str:
    """How a REINFORCE baseline is written on a page (and in its URL): None is "none"."""
    return "none" if baseline is None else baseline


def label(method: str, baseline: str | None) -> str:
    """The estimator's display name, with REINFORCE's baseline."""
    return f"reinforce (b: {baseline})" if method == "reinforce" and baseline is not None else method


def reference_label() -> str:
    m, b, s = REFERENCE
    return label(m, b) + (f", S = {s}" if s > 1 else "")


def tau_notes(tau: float) -> list[str]:
    if tau <= 0.1:
        return [f"τ = {tau:g} is small: relaxed samples are almost one-hot, so the bias is small, "
                "but softmax(·/τ) is nearly a step function of the noise and its gradient, of "
                "order 1/τ near the step, makes the variance large."]
    if tau >= 3:
        return [f"τ = {tau:g} is large: relaxed samples sit near the centre of the simplex, far "
                "from any possible z, so f is evaluated where q puts no mass — low variance, "
                "large bias."]
    return []


def uses_tau(family: str) -> bool:
    """Whether any estimator of `family` takes the temperature τ."""
    return any(m in USES_TAU for m in METHODS[family])


def degeneracy_notes(family: str, values: tuple, cost: str | None = None) -> list[str]:
    """Messages for the extreme corners of the parameter sliders."""
    if family in CONTINUOUS:
        return rf.notes(family, cost, values)
    notes = []
    if family == "normal" and values[1] <= 0.01:
        notes.append(f"σ = {values[1]:g} is tiny: the REINFORCE score (z − μ)/σ² is of order 1/σ, "
                     "so its variance grows like 1/σ², while the pathwise estimate f′(μ + σε) "
                     "barely notices.")
    if family != "normal" and max(abs(v) for v in values) >= 8:
        big = max(values, key=abs)
        notes.append(f"A logit of {big:g} makes q almost deterministic (probability "
                     f"{1 / (1 + np.exp(-abs(big))):.5f}): REINFORCE almost never sees the "
                     "rare outcome, so most estimates sit near 0 and a few are huge.")
    return notes


def cost_names(family: str) -> list[str]:
    """The TOY_COSTS usable with `family` (a continuous family: those of its support)."""
    return [name for name, c in TOY_COSTS.items() if rf.cost_family(family) in c.families]


def cost_fn(cost: str, k: float, family: str):
    """f(z) = cost(z, k) as the one-argument callable sample_gradients expects."""
    return TOY_COSTS[cost].bind(rf.cost_family(family), k)


def make_params(family: str, values: tuple[float, ...]) -> dict[str, torch.Tensor]:
    """normal: (μ, σ);  bernoulli: logits of 2 variables;  categorical: logits (ℓ₁, ℓ₂, 0) of
    one variable with 3 categories; a continuous family: its sliders, in float64."""
    if family in CONTINUOUS:
        return rf.make_params(family, values)
    v = [float(x) for x in values]
    if family == "normal":
        return {"loc": torch.tensor(v[0]), "scale": torch.tensor(v[1])}
    if family == "bernoulli":
        return {"logits": torch.tensor(v[:2])}
    return {"logits": torch.tensor(v[:2] + [0.0])}


def flat(family: str, grads: dict) -> np.ndarray:
    """All gradient coordinates as (n, d) float64, parameters in PARAMS order (a fixed one, as
    student_t's df, has none): normal → (∂μ, ∂σ); discrete → the logits."""
    parts = [np.asarray(grads[k].detach().double()).reshape(len(grads[k]), -1)
             for k in PARAMS[family] if k in grads]
    return np.concatenate(parts, axis=1)


def options(method: str, baseline: str | None, spe: int, tau: float | None, seed: int) -> dict:
    """sample_gradients' options, leaving out the baseline and τ where they do not apply."""
    opts = dict(samples_per_estimate=spe, seed=seed)
    if method == "reinforce" and baseline is not None:
        opts["baseline"] = baseline
    if method in USES_TAU and tau is not None:
        opts["tau"] = tau
    return opts


def exact(family: str, cost: str, values: tuple, k: float) -> tuple[np.ndarray | None, str | None]:
    """The exact gradient (closed form, enumeration or quadrature), flattened like `flat`, or
    (None, why not)."""
    why = rf.undefined(family, cost, values) if family in CONTINUOUS else None
    if why:
        return None, why
    try:
        params = make_params(family, values)
        c = TOY_COSTS[cost]
        if family == "normal" and c.grad_mu is not None:  # closed form
            g = c.exact(params["loc"].double(), params["scale"].double(), float(k))
        else:  # enumeration / quadrature
            g = exact_gradient(cost_fn(cost, k, family), family, params)
        out = flat(family, {key: v[None] for key, v in g.items()})[0]
    except (ValueError, RuntimeError) as e:
        return None, str(e)
    if not np.isfinite(out).all():
        return None, "the exact gradient is not finite for these parameters"
    return out, None


def estimates(family: str, cost: str, values: tuple, k: float, method: str,
              baseline: str | None, spe: int, tau: float | None, n: int, seed: int) -> dict:
    """n gradient estimates of one estimator: {"g": (n, d) finite rows, "dropped": count,
    "seconds": wall time per estimate, "error": message or None}."""
    t0 = time.perf_counter()
    try:
        g = sample_gradients(method, cost_fn(cost, k, family), family, make_params(family, values),
                             n, **options(method, baseline, spe, tau, seed))
        g = flat(family, g)
    except (ValueError, RuntimeError) as e:
        return {"g": np.zeros((0, 2)), "dropped": 0, "seconds": 0.0, "error": str(e)}
    seconds = (time.perf_counter() - t0) / n
    ok = np.isfinite(g).all(axis=1)
    return {"g": g[ok], "dropped": int((~ok).sum()), "seconds": seconds,
            "error": None if ok.sum() >= 2 else "every estimate was NaN or infinite"}


def estimate_stats(g: np.ndarray, exact_g: np.ndarray) -> dict:
    """Per-coordinate bias, variance, SE of the mean and SNR = |E ĝ| / sd(ĝ)."""
    mean, var = g.mean(0), g.var(0, ddof=1)
    sd = np.sqrt(var)
    # a deterministic estimate (sd = 0) has SNR ∞, or 0 when it is identically 0
    snr = np.where(sd > 0, np.abs(mean) / np.where(sd > 0, sd, 1.0),
                   np.where(mean == 0, 0.0, np.inf))
    return {"bias": mean - exact_g, "variance": var, "se": sd / np.sqrt(len(g)), "snr": snr}


Estimates = Callable[..., dict]  # `estimates`, or a cached wrapper of it with the same signature


def variance_curve(family: str, cost: str, values: tuple, k: float, method: str,
                   baseline: str | None, tau: float | None = None,
                   estimate: Estimates = estimates) -> tuple[np.ndarray, np.ndarray]:
    """Variance of the first coordinate of one estimate against samples per estimate S."""
    ns, vs = [], []
    for s in SPE_CHOICES:
        r = estimate(family, cost, values, k, method, baseline, s, tau, N_SCALING, 100 + s)
        if r["error"] is None:
            ns.append(s)
            vs.append(float(r["g"][:, 0].var(ddof=1)))
    return np.array(ns, dtype=float), np.array(vs)


def analytic_variance(method: str, baseline: str | None, cost: str, values: tuple,
                      k: float, family: str = "normal") -> float | None:
    """Closed-form single-sample variance of ∂/∂μ for (z − k)² under a normal q (no
    baseline), else None."""
    if family != "normal" or cost != "square" or method not in ("reinforce", "reparam") or (
            method == "reinforce" and baseline is not None):
        return None
    v = float(_analytic_variance(method, cost, values[0], values[1], k)["loc"])
    return v if np.isfinite(v) else None


def tau_sweep(family: str, cost: str, values: tuple, k: float, method: str,
              exact_g: np.ndarray | None, estimate: Estimates = estimates) -> dict:
    """‖bias‖, trace-variance and ‖SE‖ of the bias estimate of a relaxed estimator at every τ of
    ESTIMATOR_TAU_GRID (NaN on failure)."""
    bias, var, se = [], [], []
    for tau in ESTIMATOR_TAU_GRID:
        r = estimate(family, cost, values, k, method, None, 1, tau, N_TAU, SEED)
        if r["error"] is None and exact_g is not None:
            s = estimate_stats(r["g"], exact_g)
            bias.append(float(np.linalg.norm(s["bias"])))
            var.append(float(s["variance"].sum()))
            se.append(float(np.linalg.norm(s["se"])))
        else:
            bias.append(np.nan)
            var.append(np.nan)
            se.append(np.nan)
    return {"bias": np.array(bias), "variance": np.array(var), "se": np.array(se)}


def relaxed_samples(family: str, values: tuple, tau: float, m: int = 400) -> np.ndarray:
    """m relaxed samples y of the first variable at temperature τ: (m, 2) or (m, 3)."""
    logits = make_params(family, values)["logits"]
    if family == "bernoulli":
        logits = torch.stack([torch.zeros(()), logits[0]])  # relaxed Bernoulli(σ(ℓ₁)) as K = 2
    gen = torch.Generator().manual_seed(3)
    y = gumbel_softmax(logits.expand(m, -1), tau, hard=False, generator=gen)
    y = np.asarray(y.detach().double())
    return y[np.isfinite(y).all(axis=1)]
