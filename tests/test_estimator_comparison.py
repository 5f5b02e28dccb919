"""explorer.estimators.comparison against independent oracles: closed-form gradients and
variances of E[(z − k)²] under N(μ, σ²), numpy moments, and the simplex for relaxed samples."""
import numpy as np

from explorer.discrete import ESTIMATOR_TAU_GRID
from explorer.estimators import BASELINES
from explorer.estimators import comparison as cmp


def test_one_vocabulary_for_the_baseline():
    assert cmp.REFERENCE[1] in BASELINES
    assert [cmp.baseline_name(b) for b in BASELINES] == ["none", "loo", "mean_cv", "optimal"]
    assert cmp.label("reinforce", None) == "reinforce"
    assert cmp.label("reinforce", "loo") == "reinforce (b: loo)"
    assert cmp.label("reparam", "loo") == "reparam"
    assert "baseline" not in cmp.options("reinforce", None, 1, None, 0)
    assert "tau" not in cmp.options("reparam", None, 1, 0.5, 0)
    assert cmp.options("rebar", None, 2, 0.5, 3) == {"samples_per_estimate": 2, "seed": 3, "tau": 0.5}


def test_exact_and_estimates_of_the_square_cost():
    mu, sigma, k = 0.5, 1.0, 1.0
    ex, err = cmp.exact("normal", "square", (mu, sigma), k)
    assert err is None
    np.testing.assert_allclose(ex, [2 * (mu - k), 2 * sigma])  # ∇ of (μ − k)² + σ²
    r = cmp.estimates("normal", "square", (mu, sigma), k, "reparam", None, 1, None, 4000, 0)
    assert r["error"] is None and r["dropped"] == 0 and r["g"].shape == (4000, 2)
    s = cmp.estimate_stats(r["g"], ex)
    np.testing.assert_allclose(s["bias"], r["g"].mean(0) - ex)
    np.testing.assert_allclose(s["variance"], np.var(r["g"], axis=0, ddof=1))
    np.testing.assert_allclose(s["se"], np.std(r["g"], axis=0, ddof=1) / np.sqrt(4000))
    assert (np.abs(s["bias"]) < 4 * s["se"]).all()  # unbiased
    assert abs(s["variance"][0] / (4 * sigma**2) - 1) < 0.1  # Var ∂μ = 4σ²
    assert cmp.analytic_variance("reparam", None, "square", (mu, sigma), k) == 4 * sigma**2
    assert cmp.analytic_variance("reinforce", "loo", "square", (mu, sigma), k) is None


def test_failures_are_messages_and_snr_of_constant_estimates():
    r = cmp.estimates("normal", "square", (0.0, 1.0), 1.0, "reinforce", "loo", 1, None, 10, 0)
    assert "samples_per_estimate" in r["error"] and len(r["g"]) == 0
    s = cmp.estimate_stats(np.array([[0.0, 1.0], [0.0, 1.0]]), np.zeros(2))
    assert s["snr"].tolist() == [0.0, np.inf]


def test_variance_curve_falls_like_one_over_s_and_tau_sweep_covers_the_grid():
    ns, vs = cmp.variance_curve("normal", "square", (0.5, 1.0), 1.0, "reparam", None)
    assert ns.tolist() == list(cmp.SPE_CHOICES)
    np.testing.assert_allclose(vs * ns, 4.0, rtol=0.2)  # 4σ²/S
    ex, err = cmp.exact("bernoulli", "rebar", (0.0, 1.0), 0.45)
    assert err is None
    sweep = cmp.tau_sweep("bernoulli", "rebar", (0.0, 1.0), 0.45, "rebar", ex)
    assert all(len(v) == len(ESTIMATOR_TAU_GRID) for v in sweep.values())
    assert np.isfinite(sweep["bias"]).all()
    y = cmp.relaxed_samples("categorical", (0.0, 1.0), 0.5, 100)
    assert y.shape == (100, 3) and np.allclose(y.sum(1), 1) and (y >= 0).all()
