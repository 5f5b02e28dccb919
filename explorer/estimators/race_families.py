"""Every family of explorer.estimators in the Estimator race: its sliders, gradient
coordinates, costs and degenerate corners (third lecture text §1.6: location-scale,
transformations and inverse CDFs; Mohamed et al. 2019, §3 and §4).

A family's costs are the toy costs of the discrete or normal family whose support it shares:
real and positive z take the normal family's (z − k)², e^{−kz²}, cos kz; z ∈ (0, 1) (beta,
kumaraswamy) the Bernoulli costs with v(z) = z; the simplex (dirichlet, K = 3) the
categorical costs with v(z) = Σ_c v_c z_c, v = (0, ½, 1). Plain values in, no Streamlit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explorer.estimators.continuous_families import FAMILIES as CONTINUOUS
from explorer.estimators.gradients import METHODS, PARAMS

SIGMA_CHOICES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
QUADRATURE_EPS = 1e-16  # float64 nodes drop the mass this close to a finite endpoint


@dataclass(frozen=True)
class Knob:
    """One slider: a parameter of q (param, index into a vector parameter) or the cost's k / t."""

    key: str
    label: str
    default: float
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple | None = None      # a select_slider over these values instead
    param: str | None = None
    index: int | None = None


def _k(family: str, name: str, label: str, lo, hi, default, step, index=None) -> Knob:
    param = name.rstrip("0123456789") if index is not None else name
    return Knob(f"race_{family}_{name}", label, default, lo, hi, step, param=param, index=index)


def _loc_scale(family, scale_symbol):
    return (_k(family, "loc", "location μ", -3.0, 3.0, 0.5, 0.1),
            _k(family, "scale", f"scale {scale_symbol}", 0.05, 3.0, 1.0, 0.05))


def _pair(family, a, b, lo, hi, da, db):
    return (_k(family, "concentration1", a, lo, hi, da, 0.1),
            _k(family, "concentration0", b, lo, hi, db, 0.1))


K_KNOB = Knob("race_k", "cost parameter k", 1.0, 0.0, 5.0, 0.1)
T_KNOB = Knob("race_t", "target t", 0.45, 0.0, 1.0, 0.01)
_LOGITS = (Knob("race_l1", "logit ℓ₁", 0.0, -12.0, 12.0, 0.5, param="logits", index=0),
           Knob("race_l2", "logit ℓ₂", 1.0, -12.0, 12.0, 0.5, param="logits", index=1))
# family → (parameter knobs in PARAMS order, gradient-coordinate names, support)
TABLE: dict[str, tuple[tuple[Knob, ...], tuple[str, ...], str]] = {
    "normal": ((Knob("race_mu", "q mean μ", 0.5, -3.0, 3.0, 0.1, param="loc"),
                Knob("race_sigma", "q std σ", 1.0, choices=SIGMA_CHOICES, param="scale")),
               ("∂/∂μ", "∂/∂σ"), "real"),
    "bernoulli": (_LOGITS, ("∂/∂ℓ₁", "∂/∂ℓ₂"), "discrete"),
    "categorical": (_LOGITS, ("∂/∂ℓ₁", "∂/∂ℓ₂", "∂/∂ℓ₃"), "discrete"),
    "laplace": (_loc_scale("laplace", "b"), ("∂/∂μ", "∂/∂b"), "real"),
    "logistic": (_loc_scale("logistic", "s"), ("∂/∂μ", "∂/∂s"), "real"),
    "student_t": ((_k("student_t", "df", "degrees of freedom ν (no gradient)", 0.5, 30.0, 5.0, 0.5),
                   *_loc_scale("student_t", "σ")), ("∂/∂μ", "∂/∂σ"), "real"),
    "lognormal": ((_k("lognormal", "loc", "log-location μ", -1.5, 1.5, 0.0, 0.1),
                   _k("lognormal", "scale", "log-scale σ", 0.05, 2.0, 0.5, 0.05)),
                  ("∂/∂μ", "∂/∂σ"), "positive"),
    "gamma": ((_k("gamma", "concentration", "shape α", 0.05, 10.0, 2.0, 0.05),
               _k("gamma", "rate", "rate β", 0.2, 5.0, 1.5, 0.1)), ("∂/∂α", "∂/∂β"), "positive"),
    "exponential": ((_k("exponential", "rate1", "rate λ₁", 0.2, 5.0, 1.5, 0.1, 0),
                     _k("exponential", "rate2", "rate λ₂", 0.2, 5.0, 1.0, 0.1, 1)),
                    ("∂/∂λ₁", "∂/∂λ₂"), "positive"),
    "beta": (_pair("beta", "α", "β", 0.3, 10.0, 2.0, 3.0), ("∂/∂α", "∂/∂β"), "unit"),
    "kumaraswamy": (_pair("kumaraswamy", "a", "b", 0.3, 5.0, 2.0, 3.0), ("∂/∂a", "∂/∂b"), "unit"),
    "dirichlet": (tuple(_k("dirichlet", f"concentration{j + 1}", f"α{s}", 0.3, 10.0, j + 1.0, 0.1, j)
                        for j, s in enumerate("₁₂₃")), ("∂/∂α₁", "∂/∂α₂", "∂/∂α₃"), "simplex"),
}
RACE_FAMILIES = tuple(METHODS)  # every family the estimators know: the race offers them all
# support → (the toy costs' family, the cost's slider)
SUPPORTS = {"real": ("normal", K_KNOB), "positive": ("normal", K_KNOB),
            "discrete": (None, T_KNOB), "unit": ("bernoulli", T_KNOB),
            "simplex": ("categorical", T_KNOB)}
CAPTIONS = {
    "bernoulli": "bernoulli: two independent variables z_j ~ Bernoulli(σ(ℓ_j)); categorical: "
                 "one variable with 3 categories, logits (ℓ₁, ℓ₂, 0), values v_c = 0, ½, 1.",
    "laplace": "Location-scale: z = μ + b·ε, ε ~ Laplace(0, 1).",
    "logistic": "Location-scale: z = μ + s·log(u / (1 − u)), u ~ U(0, 1).",
    "student_t": "Location-scale: z = μ + σ·ε, ε ~ t_ν; ν is held fixed (ε itself is a normal "
                 "over the square root of a χ²_ν / ν, reparameterised implicitly).",
    "lognormal": "Transformation: z = exp(μ + σε), ε ~ N(0, 1); z > 0.",
    "gamma": "Transformation without a closed-form map: torch's implicit reparameterisation, "
             "∂z/∂θ = −(∂F_θ(z)/∂θ) / q_θ(z) (Figurnov et al. 2018); z > 0.",
    "exponential": "Inverse CDF: z_j = −log(1 − u_j) / λ_j, u_j ~ U(0, 1), two independent "
                   "variables; the cost sums over them; z > 0.",
    "beta": "Implicit reparameterisation (as gamma: Beta = G₁ / (G₁ + G₀)); z ∈ (0, 1) is a "
            "relaxed bit, so the costs are the Bernoulli ones with v(z) = z.",
    "kumaraswamy": "Inverse CDF: z = (1 − (1 − u)^{1/b})^{1/a}, u ~ U(0, 1); z ∈ (0, 1), the "
                   "Bernoulli costs with v(z) = z.",
    "dirichlet": "Implicit reparameterisation of normalised gammas; z on the simplex of K = 3 "
                 "categories is a relaxed one-hot, so the costs are the categorical ones with "
                 "v(z) = Σ_c v_c z_c, v = (0, ½, 1).",
}
CAPTIONS["categorical"] = CAPTIONS["bernoulli"]


def knobs(family: str) -> tuple[Knob, ...]:
    """The parameter sliders of `family` and, last, its cost's k or t."""
    params, _, support = TABLE[family]
    return (*params, SUPPORTS[support][1])


def gradient_names(family: str) -> tuple[str, ...]:
    return TABLE[family][1]


def cost_family(family: str) -> str:
    """The family whose toy costs `family` uses (itself for normal, bernoulli, categorical)."""
    return SUPPORTS[TABLE[family][2]][0] if family in CONTINUOUS else family


def make_params(family: str, values) -> dict[str, torch.Tensor]:
    """Slider values (in knobs order) → the family's parameters, float64."""
    out: dict[str, list[float]] = {}
    for knob, v in zip(TABLE[family][0], values):
        out.setdefault(knob.param, []).append(float(v))
    return {p: torch.tensor(v if len(v) > 1 else v[0], dtype=torch.float64)
            for p, v in ((p, out[p]) for p in PARAMS[family])}


def undefined(family: str, cost: str, values) -> str | None:
    """Why E_q[f(z)] (so its gradient) does not exist, or None."""
    p = {k.param: float(v) for k, v in zip(TABLE[family][0], values)}
    if family == "student_t" and cost == "square" and p["df"] <= 2:
        return (f"E_q[(z − k)²] is infinite for Student's t with ν = {p['df']:g} ≤ 2 (its variance "
                "σ²ν/(ν − 2) diverges), so there is no gradient to estimate: raise ν above 2 or "
                "pick a bounded cost (gauss, cos)")
    return None


def notes(family: str, cost: str | None, values) -> list[str]:
    """Messages for the degenerate corners of a continuous family's sliders."""
    p: dict[str, list[float]] = {}
    for knob, v in zip(TABLE[family][0], values):
        p.setdefault(knob.param, []).append(float(v))
    out = []
    if TABLE[family][2] == "real" and p["scale"][0] <= 0.1:
        out.append(f"The scale {p['scale'][0]:g} is small: REINFORCE's score ∂ log q/∂μ is of "
                   "order 1/scale, so its variance grows like 1/scale², while the pathwise "
                   "estimate f′(μ + scale·ε) barely notices.")
    if family == "student_t":
        df = p["df"][0]
        if cost == "square" and 2 < df <= 4:
            out.append(f"ν = {df:g} ≤ 4: both estimators' ∂/∂σ grow like z², and E z⁴ = ∞ for "
                       "ν ≤ 4 — their variance is infinite, so the sample variances shown do not "
                       "settle as more draws come in; rare huge values dominate.")
        if cost == "cos" and df <= 2:
            out.append(f"ν = {df:g} ≤ 2: the pathwise ∂/∂σ = −k sin(kz)·ε has infinite variance "
                       "(E ε² = ∞), while REINFORCE's stays finite (bounded f, bounded score) — "
                       "here the score function is the safer estimator.")
    if family == "gamma" and p["concentration"][0] <= 0.3:
        a = p["concentration"][0]
        out.append(f"α = {a:g} is small: most mass sits just above 0 (q ∝ z^(α−1) is unbounded "
                   "there) and REINFORCE's score ∂ log q/∂α = log(βz) − ψ(α) has variance "
                   f"ψ′(α) ≈ 1/α² = {1 / a**2:.3g}; the implicit pathwise gradient stays tame. "
                   "Rare large z dominate the score function's estimates, so their sample SE is "
                   "itself unreliable: |bias| > 2 SE shows up more often than 1 run in 20.")
    if family == "lognormal" and cost == "square" and p["scale"][0] >= 1:
        m, s = p["loc"][0], p["scale"][0]
        out.append(f"σ = {s:g}: a heavy right tail, E z⁴ = e^(4μ + 8σ²) = {np.exp(4 * m + 8 * s**2):.3g}; "
                   "the square cost's estimators have variance of that order.")
    if TABLE[family][2] in ("unit", "simplex"):
        c = min(min(v) for v in p.values())
        if c < 0.5:
            lost = QUADRATURE_EPS**c
            out.append(f"A concentration of {c:g} < ½ puts much mass near an endpoint (the density "
                       "is unbounded there). The exact gradient (quadrature in float64) drops the "
                       f"mass within 10⁻¹⁶ of it, about {lost:.1g}, where |∂ log q/∂θ| ≈ 37: an "
                       f"error of order {37 * lost:.1g} in the reference (compare the SE column).")
    return out
