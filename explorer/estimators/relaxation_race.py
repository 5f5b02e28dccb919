"""The Relaxation bias page's estimator race computed in numpy from given uniform noise: what its
browser-side views (ui/live/frontend/relaxation.js) compute, and their test oracle.

The estimators are those of explorer.estimators.sample_gradients for the two discrete families
with S = 1, written out with their gradients in closed form: Gumbel-softmax and its
straight-through variant (Jang, Gu & Poole 2017; Maddison et al. 2017), straight-through
(Bengio et al. 2013), the naive reparameterisation (identically 0), REINFORCE with the
"optimal" per-coordinate baseline of a pilot batch (Mohamed et al. 2019, §7.4.1) and REBAR
with η = 1 (Tucker et al. 2017, eq. 3 and appendix C). Noise per estimate: u (n × D) is the
noise of the first draw every estimator makes (logistic logit(u) for bernoulli, Gumbel
−log(−log u) for categorical), v (n × D) REBAR's second draw and `pilot` (P × D) the
baseline's pilot; D = 2 variables (bernoulli) or 3 categories (categorical, logits (ℓ₁, ℓ₂, 0)).
Given the uniforms torch draws, the estimates are torch's (tests/test_relaxation_race.py).
"""
from __future__ import annotations

import numpy as np

from explorer.discrete import ESTIMATOR_TAU_GRID

TAU_METHODS = ("gumbel_softmax", "st_gumbel_softmax", "rebar")
FLAT_METHODS = ("straight_through", "naive_reparam", "reinforce")
VALUES = np.array([0.0, 0.5, 1.0])  # v_c of the three categories
PILOT = 1000  # sample_gradients' default pilot_samples
_TINY, _ONE = np.finfo(float).tiny, 1 - np.finfo(float).eps


def noise(family: str, n: int, seed: int, pilot: int = PILOT) -> dict[str, np.ndarray]:
    """Uniforms u, v (n × D) and the pilot's (pilot × D) in float32, inside [2⁻²⁴, 1 − 2⁻²⁴]
    (the page ships them; float32 keeps −log u and log(1 − u) finite)."""
    d = 2 if family == "bernoulli" else 3
    rng = np.random.default_rng(seed)
    lo = np.float32(2.0**-24)
    draw = lambda m: np.clip(rng.random((m, d)), lo, 1 - lo).astype(np.float32)  # noqa: E731
    return {"u": draw(n), "v": draw(n), "pilot": draw(pilot)}


def _uniform(u) -> np.ndarray:
    return np.clip(np.asarray(u, dtype=float), _TINY, _ONE)  # torch's clamp (no-op on shipped u)


def logits_of(family: str, values) -> np.ndarray:
    """bernoulli: (ℓ₁, ℓ₂); categorical: (ℓ₁, ℓ₂, 0)."""
    l1, l2 = float(values[0]), float(values[1])
    return np.array([l1, l2] if family == "bernoulli" else [l1, l2, 0.0])


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _sigmoid(x):
    return np.exp(_log_sigmoid(x))


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def cost(family: str, name: str, t: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(y) and ∂f/∂y of explorer.toys.costs (rebar, pick, sum_square) for rows y: each
    variable's value (bernoulli, n × 2) or one variable's point on the simplex (n × 3)."""
    if family == "bernoulli":
        if name == "rebar":
            return ((y - t) ** 2).sum(1), 2 * (y - t)
        if name == "pick":
            return ((1 - y) * t**2 + y * (1 - t) ** 2).sum(1), np.full_like(y, (1 - t) ** 2 - t**2)
        if name == "sum_square":
            x = y.mean(1)
            return (x - t) ** 2, np.repeat((2 * (x - t) / y.shape[1])[:, None], y.shape[1], 1)
    elif name in ("rebar", "sum_square"):  # one variable: (v(y) − t)² for both
        x = y @ VALUES
        return (x - t) ** 2, 2 * (x - t)[:, None] * VALUES
    elif name == "pick":
        w = (VALUES - t) ** 2
        return y @ w, np.broadcast_to(w, y.shape).copy()
    raise ValueError(f"no cost {name!r} for family {family!r}")


def _hard(family: str, s: np.ndarray) -> np.ndarray:
    if family == "bernoulli":
        return (s > 0).astype(float)
    return np.eye(s.shape[1])[s.argmax(1)]


def _relaxed(family: str, s: np.ndarray, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """y = σ(s/τ) (binary Concrete) or softmax(s/τ) (Gumbel-softmax), and the map a ↦ the
    gradient of a·y in s (row-wise Jacobianᵀ)."""
    if family == "bernoulli":
        y = _sigmoid(s / tau)
        slope = y * _sigmoid(-s / tau) / tau
        return y, lambda a: a * slope
    y = np.exp(_log_softmax(s / tau))
    return y, lambda a: y * (a - (a * y).sum(1, keepdims=True)) / tau


def _score(family: str, b: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """∇_ℓ log q(b): b − σ(ℓ) (bernoulli), b − softmax(ℓ) (categorical)."""
    p = _sigmoid(logits) if family == "bernoulli" else np.exp(_log_softmax(logits))
    return b - p


def _perturbed(family: str, logits, u) -> np.ndarray:
    """ℓ + logit(u) (bernoulli) or ℓ + Gumbel(u) (categorical): the first draw of every estimator."""
    u = _uniform(u)
    if family == "bernoulli":
        return logits + (np.log(u) - np.log1p(-u))
    return logits - np.log(-np.log(u))


def optimal_baseline(family: str, cost_name: str, logits, t: float, pilot) -> np.ndarray:
    """b_j = Σ f s_j² / Σ s_j² over the pilot (mean f where Σ s_j² = 0), s = ∇ log q(z)."""
    b = _hard(family, _perturbed(family, logits, pilot))
    f, _ = cost(family, cost_name, t, b)
    s2 = _score(family, b, logits) ** 2
    den = s2.sum(0)
    return np.where(den > 0, (f[:, None] * s2).sum(0) / np.where(den > 0, den, 1.0), f.mean())


def _rebar(family: str, cost_name: str, logits, t: float, tau: float, u, v) -> np.ndarray:
    """ĝ = [f(b) − f(σ_τ(z̃))] ∇ log q(b) + ∇ f(σ_τ(z)) − ∇ f(σ_τ(z̃)) (η = 1), z̃ ~ p(z | b)
    reparameterised in ℓ with b fixed (explorer.estimators.rebar; Tucker et al. 2017)."""
    u, v = _uniform(u), _uniform(v)
    if family == "bernoulli":
        lt, l1t = _log_sigmoid(logits), _log_sigmoid(-logits)  # log θ, log(1 − θ)
        z = logits + np.log(u) - np.log1p(-u)
        b = (z > 0).astype(float)
        log_u1, log_1m_u1 = np.logaddexp(l1t, np.log(v) + lt), np.log1p(-v) + lt
        log_u0, log_1m_u0 = np.log(v) + l1t, np.log1p(-v * np.exp(l1t))
        zt = logits + np.where(b > 0, log_u1 - log_1m_u1, log_u0 - log_1m_u0)
        # ∂z̃/∂ℓ = θv / (1 − θ(1 − v)) if b = 1, (1 − θ)(1 − v) / (1 − v(1 − θ)) if b = 0
        dzt = np.where(b > 0, np.exp(lt + np.log(v) - log_u1), np.exp(l1t + np.log1p(-v) - log_1m_u0))
        y, back = _relaxed(family, z, tau)
        yt, back_t = _relaxed(family, zt, tau)
        cond = back_t(cost(family, cost_name, t, yt)[1]) * dzt
    else:
        lt = _log_softmax(logits)
        z = lt - np.log(-np.log(u))
        b = _hard(family, z)
        log_vb = (np.log(v) * b).sum(1, keepdims=True)
        e = -np.log(v) * np.exp(-lt)  # E_k = −log v_k / θ_k
        zt = np.where(b > 0, -np.log(-log_vb), -np.log(e - log_vb))
        r = np.where(b > 0, 0.0, e / (e - log_vb))  # ∂z̃_k/∂ log θ_k (0 for k = b)
        y, back = _relaxed(family, z, tau)
        yt, back_t = _relaxed(family, zt, tau)
        w = back_t(cost(family, cost_name, t, yt)[1]) * r  # Σ_k w_k ∂ log θ_k/∂ℓ_m
        cond = w - np.exp(lt) * w.sum(1, keepdims=True)
    f_b = cost(family, cost_name, t, b)[0]
    f_t = cost(family, cost_name, t, yt)[0]
    return (f_b - f_t)[:, None] * _score(family, b, logits) + back(
        cost(family, cost_name, t, y)[1]) - cond


def estimates(method: str, family: str, cost_name: str, values, t: float, tau: float, u, v=None,
              pilot=None) -> np.ndarray:
    """n single-sample estimates (n × D) of ∇_ℓ E_q[f(z)] from the uniforms u (v for REBAR, the
    pilot for REINFORCE's optimal baseline), as sample_gradients computes them."""
    logits = logits_of(family, values)
    if method == "rebar":
        return _rebar(family, cost_name, logits, t, tau, u, v)
    if method == "naive_reparam":  # z = 1[u < p] is a step function of the noise: ∇ z = 0
        return np.zeros((len(u), len(logits)))
    s = _perturbed(family, logits, u)
    b = _hard(family, s)
    if method == "reinforce":
        base = optimal_baseline(family, cost_name, logits, t, pilot)
        return (cost(family, cost_name, t, b)[0][:, None] - base) * _score(family, b, logits)
    a = cost(family, cost_name, t, b)[1]  # ∂f at the hard sample
    if method == "straight_through":  # backward through p = σ(ℓ) or softmax(ℓ)
        _, back = _relaxed(family, logits[None, :].repeat(len(u), 0), 1.0)
        return back(a)
    y, back = _relaxed(family, s, tau)
    if method == "gumbel_softmax":
        return back(cost(family, cost_name, t, y)[1])
    if method == "st_gumbel_softmax":  # forward: the argmax of y (that of s); backward: y's
        return back(a)
    raise ValueError(f"unknown method {method!r}")


def exact(family: str, cost_name: str, values, t: float) -> np.ndarray:
    """∇_ℓ E_q[f(z)] = Σ_z q(z) f(z) ∇ log q(z) by enumerating every z."""
    logits = logits_of(family, values)
    if family == "bernoulli":
        zs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        log_q = (zs * _log_sigmoid(logits) + (1 - zs) * _log_sigmoid(-logits)).sum(1)
    else:
        zs = np.eye(3)
        log_q = _log_softmax(logits)
    f, _ = cost(family, cost_name, t, zs)
    return (np.exp(log_q) * f) @ _score(family, zs, logits)


def finite_rows(g: np.ndarray) -> dict:
    """{"g": the finite rows, "dropped": count, "error": None or why none are shown}, as
    explorer.estimators.comparison.estimates reports them."""
    ok = np.isfinite(g).all(axis=1)
    return {"g": g[ok], "dropped": int((~ok).sum()),
            "error": None if ok.sum() >= 2 else "every estimate was NaN or infinite"}


def stats(g: np.ndarray, exact_g: np.ndarray) -> tuple[float, float, float]:
    """‖bias‖, trace variance and ‖SE‖ of the mean (comparison.estimate_stats)."""
    var = g.var(0, ddof=1)
    return (float(np.linalg.norm(g.mean(0) - exact_g)), float(var.sum()),
            float(np.linalg.norm(np.sqrt(var / len(g)))))


def race(family: str, cost_name: str, values, t: float, tau: float, noise: dict,
         taus=ESTIMATOR_TAU_GRID) -> dict:
    """Everything the page shows: the exact gradient, each estimator's finite estimates at τ
    (finite_rows), the τ-free ones' (‖bias‖, variance) and the τ sweeps {method: {"bias",
    "variance", "se"} over taus} of the relaxed ones (NaN where an estimator failed)."""
    u, v, pilot = (np.asarray(noise[k], dtype=float) for k in ("u", "v", "pilot"))
    ex = exact(family, cost_name, values, t)
    runs = {m: finite_rows(estimates(m, family, cost_name, values, t, tau, u, v, pilot))
            for m in TAU_METHODS + FLAT_METHODS}
    flat = {m: stats(runs[m]["g"], ex)[:2] for m in FLAT_METHODS if runs[m]["error"] is None}
    sweeps = {}
    for m in TAU_METHODS:
        rows = []
        for tt in taus:
            r = runs[m] if tt == tau else finite_rows(
                estimates(m, family, cost_name, values, t, tt, u, v, pilot))
            rows.append(stats(r["g"], ex) if r["error"] is None else (np.nan,) * 3)
        sweeps[m] = dict(zip(("bias", "variance", "se"), np.array(rows).T))
    return {"exact": ex, "runs": runs, "flat": flat, "sweeps": sweeps}


def relaxed_samples(family: str, values, tau: float, u, m: int = 400) -> np.ndarray:
    """The relaxed samples of the first variable at τ from the first m rows of u: (m, 2) as
    (1 − y₁, y₁) for bernoulli, (m, 3) on the simplex for categorical."""
    logits = logits_of(family, values)
    s = _perturbed(family, logits, np.asarray(u, dtype=float)[:m])
    if family == "bernoulli":
        y1 = _sigmoid(s[:, 0] / tau)
        return np.stack([_sigmoid(-s[:, 0] / tau), y1], 1)
    return np.exp(_log_softmax(s / tau))
