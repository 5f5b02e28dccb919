"""Oracles for the toy latent-variable model: the ELBO identity, closed forms in the linear case,
SVI, EM, Monte Carlo marginals and extreme settings."""
import numpy as np
import pytest

from explorer.toys import learning as tl
from explorer.toys import marginals as mc
from explorer.toys import posterior as tp
from explorer.toys import posterior2d as t2

TH = tp.THETA0
LIN = tp.Theta(a=0.0, w=1.5, prior_std=2.0, noise_std=0.7)  # f(z) = 1.5 z: linear-Gaussian


def linear_closed_form(x, th):
    """p(x) = N(0, w²σ_p² + s²); p(z|x) = N(μ, τ²) with τ² = (1/σ_p² + w²/s²)⁻¹, μ = τ² w x / s²."""
    var_x = th.w**2 * th.prior_std**2 + th.noise_std**2
    tau2 = 1.0 / (1.0 / th.prior_std**2 + th.w**2 / th.noise_std**2)
    return float(tp.log_gauss(x, 0.0, var_x)), tau2 * th.w * x / th.noise_std**2, tau2


@pytest.mark.parametrize("x,m,v", [(tp.X0, 2.0, 2.0), (tp.X0, -4.0, 0.75), (0.3, 1.0, 0.1),
                                   (3.5, 0.0, 5.0), (-1.0, -2.0, 0.5)])
def test_log_evidence_equals_elbo_plus_kl(x, m, v):
    b = tp.bound(x, TH, m, v)
    assert b.log_px == pytest.approx(b.elbo + b.kl, abs=1e-6)
    assert b.kl >= -1e-9
    assert b.elbo == pytest.approx(tp.elbo(x, TH, m, v), abs=1e-9)


def test_kl_matches_an_independent_grid_quadrature():
    """KL via Gauss–Hermite under q agrees with Σ q log(q/p(z|x)) Δz on the posterior grid."""
    z, log_post = tp.posterior_on_grid(tp.X0, TH, n=8001)
    for m, v in [(2.0, 2.0), (1.0, 0.3), (-4.0, 0.75)]:
        zz = np.linspace(m - 12 * np.sqrt(v), m + 12 * np.sqrt(v), 20001)
        lq = tp.q_log_density(zz, m, v)
        lpost = tp.log_joint(zz, tp.X0, TH) - tp.log_evidence(tp.X0, TH)
        grid_kl = float(np.sum(np.exp(lq) * (lq - lpost)) * (zz[1] - zz[0]))
        assert tp.kl_to_posterior(tp.X0, TH, m, v) == pytest.approx(grid_kl, abs=1e-6)
    assert np.sum(np.exp(log_post)) * (z[1] - z[0]) == pytest.approx(1.0, abs=1e-12)


def test_lecture_picture_orange_beats_green():
    b_orange = tp.bound(tp.X0, TH, *tp.Q_ORANGE)
    b_green = tp.bound(tp.X0, TH, *tp.Q_GREEN)
    assert b_orange.kl < 1.0 < 10.0 < b_green.kl
    mean, var = tp.posterior_moments(tp.X0, TH)
    assert 1.5 < mean < 2.5 and 0.8 < var < 2.5
    z, lp = tp.posterior_on_grid(tp.X0, TH)
    p = np.exp(lp) * (z[1] - z[0])
    skew = float(p @ ((z - mean) / np.sqrt(var)) ** 3)
    assert skew > 0.3  # visibly non-Gaussian: long right tail


@pytest.mark.parametrize("x", [0.0, 2.0, -5.0])
def test_linear_gaussian_case_matches_closed_form(x):
    log_px, mu, tau2 = linear_closed_form(x, LIN)
    assert tp.log_evidence(x, LIN) == pytest.approx(log_px, abs=1e-8)
    assert tp.posterior_moments(x, LIN) == pytest.approx((mu, tau2), abs=1e-6)
    b = tp.bound(x, LIN, mu, tau2)
    assert b.kl == pytest.approx(0.0, abs=1e-8)
    assert b.elbo == pytest.approx(log_px, abs=1e-8)
    assert tp.best_gaussian(x, LIN) == pytest.approx((mu, tau2), abs=1e-4)


def test_elbo_split_into_expected_log_joint_and_entropy():
    b = tp.bound(tp.X0, TH, 2.0, 2.0)
    assert b.entropy == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 2.0))
    assert b.elbo == pytest.approx(b.expected_log_joint + b.entropy)


def test_svi_climbs_to_the_best_gaussian():
    path, vals = tp.svi_path(tp.X0, TH, -4.0, 0.75, steps=150, lr=0.1)
    assert path.shape == (151, 2) and vals.shape == (151,)
    assert vals[-1] > vals[0] + 10
    ms, vs = np.linspace(0.5, 3.5, 121), np.exp(np.linspace(np.log(0.2), np.log(3.0), 121))
    grid = np.array([[tp.elbo(tp.X0, TH, m, v) for v in vs] for m in ms])
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    assert vals[-1] >= grid[i, j] - 1e-3
    assert abs(path[-1, 0] - ms[i]) < 0.1 and abs(np.log(path[-1, 1] / vs[j])) < 0.1


def test_exact_em_touches_and_never_decreases_log_px():
    tr = tl.em_trace(tp.X0, 0.5, steps=6, exact=True)
    np.testing.assert_allclose(tr.elbo_e, tr.log_px[:-1], atol=1e-6)  # bound touches at θ_t
    assert np.all(np.diff(tr.log_px) >= -1e-9)
    assert np.all(tr.elbo_m <= tr.log_px[1:] + 1e-9)
    assert tr.log_px[-1] > tr.log_px[0] + 1.0
    lp = tl.log_evidence_curve(tp.X0)
    assert tr.log_px[-1] == pytest.approx(lp.max(), abs=0.01)


def test_gaussian_em_and_elbo_curves_are_lower_bounds():
    tr = tl.em_trace(tp.X0, 5.0, steps=4, exact=False)
    assert np.all(np.diff(tr.elbo_e) >= -1e-6) and np.all(tr.elbo_e <= tr.log_px[:-1] + 1e-9)
    lp = tl.log_evidence_curve(tp.X0)
    for m, v in [(2.0, 1.0), (0.7, 0.1), (-4.0, 0.75)]:
        assert np.all(tl.elbo_curve(tp.X0, m, v) <= lp + 1e-9)


def test_importance_sampling_with_the_exact_posterior_has_zero_variance():
    x = 1.2
    log_px, mu, tau2 = linear_closed_form(x, LIN)
    est = mc.importance_estimates(x, LIN, (mu, tau2), n=100, reps=20, seed=0)
    np.testing.assert_allclose(est.log_mean_w, log_px, atol=1e-9)
    np.testing.assert_allclose(est.jensen_gap, 0.0, atol=1e-9)


def test_naive_estimator_is_unbiased_for_p_not_log_p():
    x, th = 1.2, LIN
    log_px = linear_closed_form(x, th)[0]
    est = mc.naive_estimates(x, th, n=[20], reps=4000, seed=3)
    p_hat = np.exp(est.log_mean_w[:, 0])
    se = p_hat.std(ddof=1) / np.sqrt(len(p_hat))
    assert abs(p_hat.mean() - np.exp(log_px)) < 4 * se
    assert np.mean(est.log_mean_w[:, 0]) < log_px  # log p̂ is biased low (Jensen)


def test_jensen_gap_is_nonnegative_everywhere_and_tail_x_breaks_naive():
    naive = mc.naive_estimates(mc.X_TAIL, mc.THETA_TAIL, 1000, 50, seed=0)
    imp = mc.importance_estimates(mc.X_TAIL, mc.THETA_TAIL, mc.Q_TAIL, 1000, 50, seed=0)
    assert np.all(naive.jensen_gap >= -1e-12) and np.all(imp.jensen_gap >= -1e-12)
    exact = tp.log_evidence(mc.X_TAIL, mc.THETA_TAIL)
    i = int(np.searchsorted(naive.ns, 100))
    assert np.median(naive.log_mean_w[:, i]) < exact - 3  # visibly bad at n = 100
    assert abs(np.median(imp.log_mean_w[:, i]) - exact) < 0.1


@pytest.mark.parametrize("x,th,m,v", [
    (tp.X0, TH, 2.0, 1e-6), (tp.X0, TH, 2.0, 1e3), (60.0, TH, -8.0, 1e-6),
    (-60.0, TH.with_(noise_std=0.01), 8.0, 1e3), (12.0, mc.THETA_TAIL, -10.0, 1e-6)])
def test_extreme_settings_stay_finite(x, th, m, v):
    b = tp.bound(x, th, m, v)
    values = [b.log_px, b.elbo, b.kl, b.entropy]
    assert np.all(np.isfinite(values)) and b.kl >= -1e-6
    assert b.log_px == pytest.approx(b.elbo + b.kl, rel=1e-9, abs=1e-6)
    z, lp = tp.posterior_on_grid(x, th)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(z))
    path, vals = tp.svi_path(x, th, m, v, steps=20)
    assert np.all(np.isfinite(path)) and np.all(np.isfinite(vals))
    for est in (mc.naive_estimates(x, th, 100, 5), mc.importance_estimates(x, th, (m, v), 100, 5)):
        assert np.all(np.isfinite(est.log_mean_w)) and np.all(est.jensen_gap >= -1e-9)
    assert np.all(np.isfinite(tl.elbo_curve(x, m, v, th)))
    assert tp.degeneracy_notes(x, th, m, v, b)


def test_two_dimensional_identity_and_full_beats_diagonal():
    for kind in t2.DECODERS:
        g, lp, log_px = t2.posterior_grid2d(1.5, kind)
        assert np.exp(lp).sum() * (g[1] - g[0]) ** 2 == pytest.approx(1.0)
        cov = t2.covariance(0.5, 0.8, 0.3)
        e, k = t2.elbo2d(1.5, (1.0, 0.5), cov, kind), t2.kl2d(1.5, (1.0, 0.5), cov, kind)
        assert e + k == pytest.approx(log_px, abs=1e-6) and k > 0
    # Linear ("sum") decoder: p(x) = N(0, 2 + s²) in closed form, and the posterior is Gaussian,
    # so the best full-covariance q is exact (KL ≈ 0) while the best diagonal q is not.
    assert t2.posterior_grid2d(1.5, "sum")[2] == pytest.approx(
        float(tp.log_gauss(1.5, 0.0, 2.0 + 0.25)), abs=1e-6)
    (md, cd), (mf, cf) = (t2.best_gaussian2d(1.5, "sum", full=f) for f in (False, True))
    assert t2.kl2d(1.5, mf, cf, "sum") < 1e-6 < 0.1 < t2.kl2d(1.5, md, cd, "sum")
    assert np.isfinite(t2.elbo2d(1.5, (0, 0), t2.covariance(1e-6, 1e3, 0.99), "product"))
