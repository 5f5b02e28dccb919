"""Monte Carlo estimates of the marginal p(x) in the toy model (second lecture, eq. 1).

Naive:      p̂(x) = (1/n) Σ p(x|z_i),             z_i ~ p(z)
Importance: p̂(x) = (1/n) Σ p(x, z_i) / q(z_i),   z_i ~ q(z) = N(m, v)

Both are returned as log p̂ = logsumexp(log w) − log n (never averaging probabilities), for many
independent repetitions and for every n on a grid of sample sizes: each repetition draws n_max
samples and the estimate for n uses its first n (prefix sums), so one draw serves all n. The
standard normal draws ε come from explorer.toys.counter_noise (seed, index), so the browser's
live view (ui/live/frontend/marginals.js) estimates on the very same draws.
Jensen: log (1/n Σ w) ≥ (1/n) Σ log w on every repetition; the right side estimates the ELBO.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.toys.counter_noise import standard_normal
from explorer.toys.posterior import THETA0, Theta, log_gauss, log_joint, log_likelihood

X_TAIL = 8.0  # default observation of the MC page: far in the tail of the prior predictive
THETA_TAIL = Theta(a=1.0, w=1.0, prior_std=2.0, noise_std=0.5)  # f(z) = tanh z + z
Q_TAIL = (6.0, 0.5)  # a reasonable (not optimal) proposal for X_TAIL under THETA_TAIL


def sample_sizes(n_max: int, per_decade: int = 8) -> np.ndarray:
    """1 … n_max, log-spaced integers (unique)."""
    k = int(np.ceil(np.log10(max(n_max, 1)) * per_decade)) + 1
    return np.unique(np.round(np.logspace(0, np.log10(max(n_max, 1)), k)).astype(int))


@dataclass(frozen=True)
class Estimates:
    """log p̂ and the Jensen lower side, shape (reps, len(ns)) each."""

    ns: np.ndarray  # (N,) sample sizes
    log_mean_w: np.ndarray  # log (1/n Σ w_i)       — the estimate of log p(x)
    mean_log_w: np.ndarray  # (1/n) Σ log w_i       — an unbiased estimate of the ELBO

    @property
    def jensen_gap(self) -> np.ndarray:
        """log (1/n Σ w) − (1/n) Σ log w ≥ 0, elementwise."""
        return self.log_mean_w - self.mean_log_w


def _prefix_estimates(log_w: np.ndarray, ns: np.ndarray) -> Estimates:
    """log_w (reps, n_max) → estimates with the first n samples of each repetition."""
    run_lse = np.logaddexp.accumulate(log_w, axis=1)
    run_sum = np.cumsum(log_w, axis=1)
    idx = ns - 1
    return Estimates(ns, run_lse[:, idx] - np.log(ns), run_sum[:, idx] / ns)


def _ns(n) -> np.ndarray:
    return sample_sizes(int(n)) if np.ndim(n) == 0 else np.asarray(n, dtype=int)


def naive_estimates(x: float, th: Theta = THETA0, n=10_000, reps: int = 100,
                    seed: int = 0) -> Estimates:
    """Naive MC with prior samples: w_i = p(x|z_i), z_i ~ p(z).  n: n_max (int) or sizes."""
    ns = _ns(n)
    z = th.prior_std * standard_normal(seed, (reps, int(ns.max())))
    return _prefix_estimates(log_likelihood(z, x, th), ns)


def importance_estimates(x: float, th: Theta, q: tuple[float, float], n=10_000, reps: int = 100,
                         seed: int = 0) -> Estimates:
    """Importance sampling: w_i = p(x, z_i)/q(z_i), z_i ~ q = N(m, v) (v is the variance)."""
    m, v = q
    ns = _ns(n)
    z = m + np.sqrt(v) * standard_normal(seed, (reps, int(ns.max())))
    return _prefix_estimates(log_joint(z, x, th) - log_gauss(z, m, v), ns)


def spread(values: np.ndarray, lo: float = 10, hi: float = 90) -> tuple[np.ndarray, ...]:
    """(median, lo-percentile, hi-percentile) over repetitions (axis 0)."""
    return (np.median(values, 0), np.percentile(values, lo, 0), np.percentile(values, hi, 0))


def relative_ess(x: float, th: Theta, q: tuple[float, float], n: int = 10_000, seed: int = 0) -> float:
    """Effective sample size (Σw)²/Σw² of n importance samples, divided by n (1 = perfect q)."""
    m, v = q
    z = m + np.sqrt(v) * standard_normal(seed, n)
    lw = log_joint(z, x, th) - log_gauss(z, m, v)
    lw = lw - lw.max()
    return float(np.exp(2 * np.log(np.exp(lw).sum()) - np.log(np.exp(2 * lw).sum())) / n)


def notes(naive: Estimates, imp: Estimates, exact: float, elbo: float, ess: float, x: float,
          q: tuple[float, float]) -> dict:
    """The page's texts for these estimates (the browser writes them word for word): the metrics
    at n = 100, the caption (naive estimates more than 1 nat off), the warnings (a q with
    relative ESS < 0.01; |x| > 10) and the caption of Jensen's gap (smallest gap, mean gap vs KL)."""
    m, v = q
    ns, reps = naive.ns, naive.log_mean_w.shape[0]
    i = int(np.searchsorted(ns, 100))
    off = np.mean(np.abs(naive.log_mean_w[:, i] - exact) > 1.0)
    floor = exact - 30.0
    warnings = []
    if ess < 0.01:
        warnings.append(
            f"The proposal q = N({m:g}, {v:g}) misses the posterior: the effective sample size "
            f"is {ess:.1e} of n, so a handful of weights dominate and importance sampling is "
            "no better than the naive estimator. Move q toward the posterior (or widen it).")
    if abs(x) > 10:
        warnings.append(
            f"x = {x:g} is very far in the tail: log p(x) = {exact:.1f}. The naive estimator "
            "needs astronomically many prior samples; only a good proposal can estimate it.")
    gap = imp.jensen_gap
    return {
        "metrics": [("exact log p(x)", f"{exact:.3f}"),
                    (f"naive, n = {ns[i]}: median", f"{np.median(naive.log_mean_w[:, i]):.2f}"),
                    (f"importance, n = {ns[i]}: median", f"{np.median(imp.log_mean_w[:, i]):.3f}")],
        "caption": f"At n = {ns[i]}, {off:.0%} of the naive estimates are more than 1 nat off. "
                   "Note p̂ itself is unbiased (its mean is p(x)), but log p̂ is biased low "
                   "(Jensen) and, in the tail, p̂ is usually far too small with rare huge values. "
                   f"Below the plot's floor ({floor:.0f}) estimates are clipped from view.",
        "warnings": warnings,
        "jensen": f"Smallest gap over all {reps} repetitions and all n ≥ 2: "
                  f"**{gap[:, 1:].min():.2e}** (≥ 0); at n = {ns[-1]} the mean gap is "
                  f"{gap[:, -1].mean():.3f} vs KL = {exact - elbo:.3f}.",
    }
