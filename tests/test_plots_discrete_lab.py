"""Discrete latents lab: Monte Carlo statistics and grid computations against closed forms and
quadrature, and the figure builders of the Gumbel and Smoothing pages."""
import math

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from scipy import integrate

from explorer.discrete import sampling_stats as ds
from explorer.discrete import SAMPLING_TAU_GRID, temperature
from explorer.plots import gumbel as pg
from explorer.plots import smoothing as psm
from explorer.discrete.transformations import NAMES

N = 20000
Z = 4.5  # tolerance in standard errors; seeds are fixed, so a pass is reproducible


def softmax(l):
    e = np.exp(np.asarray(l, float) - np.max(l))
    return e / e.sum()


def l1_closed_form(name, beta, p, a=math.e):
    """∫|f − step| dε: f1 p(1/b − 1/(e^b − 1)), b = β ln a;  f2 p/(β+1);  f3 (p² + (1−p)²)/(β+1)."""
    beta = np.asarray(beta, float)
    if name == "spike_exponential":
        b = beta * math.log(a)
        return p * (1 / b - 1 / np.expm1(b))
    if name == "spike_power":
        return p / (beta + 1)
    return (p ** 2 + (1 - p) ** 2) / (beta + 1)


# ---------------------------------------------------------------- Gumbel-max and -softmax


@pytest.mark.parametrize("logits", [(1.0, 0.0, -1.0), (3.0, -2.0, 0.5), (0.0, 0.0, 0.0)])
def test_gumbel_max_frequencies_match_softmax(logits):
    freq, se = ds.gumbel_max_frequencies(logits, N, seed=3)
    p = softmax(logits)
    np.testing.assert_allclose(se, np.sqrt(p * (1 - p) / N))
    assert freq.sum() == pytest.approx(1.0)
    assert np.all(np.abs(freq - p) < Z * se)


def test_relaxed_mean_at_small_tau_is_softmax_and_variance_is_one_hot():
    logits = (1.0, 0.0, -1.0)
    p = softmax(logits)
    m = ds.relaxed_moments(logits, (0.01,), N, seed=1)
    se_bin = np.sqrt(p * (1 - p) / N)  # y is (numerically) a one-hot Categorical(p) sample
    assert np.all(np.abs(m["mean"][0] - p) < Z * se_bin)
    assert m["var"][0].sum() == pytest.approx(1 - (p ** 2).sum(), abs=0.01)
    assert m["one_hot"][0] > 0.9


def logistic_oracle(delta, tau):
    """E[y₁], Var[y₁] for K = 2: y₁ = σ((Δ + L)/τ), L = g₁ − g₂ ~ Logistic(0, 1), by quadrature."""
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    dens = lambda x: sig(x) * sig(-x)  # noqa: E731
    m1 = integrate.quad(lambda x: sig((delta + x) / tau) * dens(x), -60, 60, limit=400)[0]
    m2 = integrate.quad(lambda x: sig((delta + x) / tau) ** 2 * dens(x), -60, 60, limit=400)[0]
    return m1, m2 - m1 ** 2


@pytest.mark.parametrize("tau", [0.1, 1.0, 10.0])
def test_relaxed_moments_match_logistic_quadrature_for_two_categories(tau):
    logits = (1.5, 0.0)
    m = ds.relaxed_moments(logits, (tau,), N, seed=2)
    mean, var = logistic_oracle(1.5, tau)
    assert abs(m["mean"][0, 0] - mean) < Z * m["se"][0, 0]
    assert m["var"][0, 0] == pytest.approx(var, rel=0.05)
    assert m["mean"][0].sum() == pytest.approx(1.0)


def test_mean_moves_from_softmax_to_uniform_as_tau_grows():
    logits = (2.0, 0.0, -1.0)
    m = ds.relaxed_moments(logits, SAMPLING_TAU_GRID, 5000, seed=0)
    to_uniform = np.abs(m["mean"] - 1 / 3).sum(1)
    assert to_uniform[-1] < 0.2 * to_uniform[0]
    assert np.all(np.diff(to_uniform) < 1e-3)  # common random numbers: a smooth decrease
    assert np.all(np.diff(m["var"].sum(1)) < 1e-3)
    # first order in 1/τ: E[y_c] ≈ 1/K + (ℓ_c − mean ℓ)/(K τ)
    first = 1 / 3 + (np.array(logits) - np.mean(logits)) / (3 * 10.0)
    np.testing.assert_allclose(m["mean"][-1], first, atol=0.01)


@pytest.mark.parametrize("logits", [(10.0, -10.0, -10.0), (50.0, -50.0, 0.0), (0.0, 0.0, 0.0)])
def test_no_nan_at_the_smallest_tau_and_extreme_logits(logits):
    y = ds.relaxed_samples(logits, 0.01, N, seed=0)
    assert np.isfinite(y).all() and np.allclose(y.sum(1), 1)
    m = ds.relaxed_moments(logits, SAMPLING_TAU_GRID, 2000, seed=0)
    assert all(np.isfinite(v).all() for v in m.values())
    assert np.isfinite(ds.jacobian_norms(y, 0.01)).all()


@pytest.mark.parametrize("logits", [(1.0, 0.0, -1.0), (50.0, -50.0, 0.0)])
def test_one_noise_sweep_is_the_samples_drawn_at_each_tau(logits):
    """relaxed_sweep reuses one g for every τ: each row is what a fresh draw with the same seed
    gives at that τ (relaxed_samples: its samples and their moments), and argmax y is the
    Gumbel-max sample."""
    n, taus = 3000, (0.01, 0.3, 1.0, 10.0)
    sweep = ds.relaxed_sweep(logits, taus, n, seed=5, keep=40)
    freq, _ = ds.gumbel_max_frequencies(logits, n, seed=5)
    for i, tau in enumerate(taus):
        y = ds.relaxed_samples(logits, tau, n, seed=5)
        np.testing.assert_allclose(sweep["mean"][i], y.mean(0), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(sweep["var"][i], y.var(0, ddof=1), rtol=1e-5, atol=1e-12)
        assert sweep["one_hot"][i] == np.mean(y.max(1) > 1 - ds.ONE_HOT_TOL)
        np.testing.assert_allclose(sweep["ys"][i], y[:40], rtol=1e-6, atol=1e-7)  # float32
        jac = ds.jacobian_norms(y, tau)
        assert sweep["jac_median"][i] == pytest.approx(np.median(jac), rel=1e-6, abs=1e-300)
        assert sweep["jac_max"][i] == pytest.approx(jac.max(), rel=1e-6)
        np.testing.assert_array_equal(sweep["counts"][i], np.rint(freq * n))
    assert sweep["finite"].all()


def test_jacobian_norms_match_autograd():
    y = ds.relaxed_samples((1.0, 0.0, -1.0), 0.3, 5, seed=4)
    logy = np.log(y)  # y = softmax(s/τ) for s = τ log y (up to a constant)
    for tau in (0.3, 2.0):
        s = torch.tensor(logy * 0.3)
        for i in range(5):
            jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v / tau, -1), s[i])
            y_i = torch.softmax(s[i] / tau, -1).numpy()[None]
            assert ds.jacobian_norms(y_i, tau)[0] == pytest.approx(float(jac.norm()), rel=1e-9)
    one_hot = np.array([[1.0, 0.0, 0.0]])
    assert ds.jacobian_norms(one_hot, 0.01)[0] == 0.0
    tie = np.array([[0.5, 0.5, 0.0]])
    assert ds.jacobian_norms(tie, 0.01)[0] == pytest.approx(50.0)  # ‖[[¼,−¼],[−¼,¼]]‖/τ


def test_anneal_hit_step_is_where_temperature_reaches_tau_min():
    for tau0, tau_min, r in [(1.0, 0.5, 1e-4), (5.0, 0.1, 3e-5), (10.0, 0.01, 1e-3)]:
        t = ds.anneal_hit_step(tau0, tau_min, r)
        assert t == pytest.approx(math.log(tau0 / tau_min) / r)
        assert temperature(t + 1e-6, tau0, tau_min, r) == pytest.approx(tau_min)
        assert temperature(0.999 * t, tau0, tau_min, r) > tau_min
    assert ds.anneal_hit_step(0.5, 0.5, 1e-4) == 0.0
    assert ds.anneal_hit_step(1.0, 0.5, 0.0) == math.inf


def test_gumbel_figures():
    logits = (1.0, 0.0, -1.0)
    p = softmax(logits)
    freq, se = ds.gumbel_max_frequencies(logits, 1000, seed=0)
    fig = pg.gumbel_max_figure(freq, p, se, ["a", "b", "c"], title="Gumbel-max")
    np.testing.assert_allclose(fig.data[0].y, freq)
    np.testing.assert_allclose(fig.data[0].error_y.array, 2 * se)
    np.testing.assert_allclose(fig.data[1].y, p)

    y = ds.relaxed_samples(logits, 0.5, 300, seed=0)
    fig = pg.simplex_figure(y, p, y.mean(0), ["a", "b", "c"], title="simplex")
    assert all(isinstance(t, go.Scatterternary) for t in fig.data)
    (sm,) = [t for t in fig.data if t.name.startswith("softmax")]
    assert (sm.a[0], sm.b[0], sm.c[0]) == pytest.approx(tuple(p))
    corners = [t for t in fig.data if t.name.startswith("one-hot")][0]
    assert list(corners.a) == [1, 0, 0]

    fig = pg.sample_bars_figure(y[:4], ["a", "b", "c"], title="bars")
    assert len(fig.data) == 4 and np.allclose(fig.data[2].y, y[2])

    m = ds.relaxed_moments(logits, SAMPLING_TAU_GRID, 2000, seed=0)
    fig = pg.moments_figure(np.array(SAMPLING_TAU_GRID), m["mean"], m["var"], m["se"], p,
                            ["a", "b", "c"], 0.01, title="moments")
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis2.type == "log"
    assert [s.x0 for s in fig.layout.shapes] == [0.01, 0.01]
    total = [t for t in fig.data if t.name.startswith("total variance")][0]
    np.testing.assert_allclose(total.y, m["var"].sum(1))
    assert all(np.isfinite(np.asarray(t.y, float)).all() for t in fig.data)

    steps = np.linspace(0, 10000, 101)
    rates = (1e-4, 1e-3, 0.0)
    hits = {r: ds.anneal_hit_step(1.0, 0.5, r) for r in rates}
    fig = pg.schedule_figure(steps, {r: temperature(steps, 1.0, 0.5, r) for r in rates}, 0.5, hits,
                             title="schedule")
    diamonds = [t for t in fig.data if t.name.startswith("τ_min reached")]
    assert [t.x[0] for t in diamonds] == [pytest.approx(math.log(2) / 1e-4),
                                          pytest.approx(math.log(2) / 1e-3)]
    flat = [t for t in fig.data if t.name == "r = 0"][0]
    assert np.all(np.asarray(flat.y) == 1.0)


# ---------------------------------------------------------------- smoothing transformations


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("p", [0.01, 0.2, 0.5, 0.8, 0.99])
def test_l1_to_step_matches_closed_form_and_decreases(name, p):
    betas = np.array(ds.BETA_GRID)
    got = ds.l1_to_step(name, betas, p)
    np.testing.assert_allclose(got, l1_closed_form(name, betas, p), rtol=1e-5)
    assert np.all(np.diff(got) < 0)
    assert got[-1] < 0.011  # β = 100: the step up to 1%


def test_l1_base_a_rescales_beta():
    got = ds.l1_to_step("spike_exponential", [1.0, 5.0], 0.3, a=2.0)
    np.testing.assert_allclose(got, l1_closed_form("spike_exponential", [1.0, 5.0], 0.3, a=2.0),
                               rtol=1e-4)
    np.testing.assert_allclose(got, ds.l1_to_step("spike_exponential",
                                                   [math.log(2), 5 * math.log(2)], 0.3), rtol=1e-9)


def test_dzeta_dp_autograd_matches_closed_form_and_finite_differences():
    eps = np.linspace(0, 1, 201)
    beta, p = 3.0, 0.4
    v = np.clip((1 - eps) / p, 0, 1)
    f2 = np.where(1 - eps <= p, beta / p * v ** beta, 0.0)  # ∂/∂p of 1 − ((1−ε)/p)^β
    np.testing.assert_allclose(ds.dzeta_dp("spike_power", beta, p, eps), f2, atol=1e-9)
    h = 1e-6
    inner = np.abs(eps - (1 - p)) > 1e-3  # the kink at ε = 1 − p moves with p
    for name in ("spike_exponential", "symmetric_power"):
        fd = (ds.smoothing_curves(name, [beta], p + h, eps)[0]
              - ds.smoothing_curves(name, [beta], p - h, eps)[0]) / (2 * h)
        np.testing.assert_allclose(ds.dzeta_dp(name, beta, p, eps)[inner], fd[inner], atol=1e-5)
    assert np.isfinite(ds.dzeta_dp("spike_power", 100.0, 0.01, eps)).all()


@pytest.mark.parametrize("name,beta,p", [("spike_exponential", 3.0, 0.3), ("spike_power", 0.5, 0.6),
                                         ("spike_power", 4.0, 0.5), ("symmetric_power", 2.0, 0.3)])
def test_histogram_matches_the_analytic_density(name, beta, p):
    edges, hist, spike = ds.histogram_density(ds.smoothing_samples(name, beta, p, N, seed=5), 20)
    mass = 1 - p if name != "symmetric_power" else 0.0
    assert abs(spike - mass) < Z * math.sqrt(p * (1 - p) / N) + 1e-12
    assert (hist * np.diff(edges)).sum() == pytest.approx(1 - spike)
    masses = np.diff(continuous_cdf(name, beta, p, edges))
    for w, h, want in zip(np.diff(edges), hist, masses):
        assert abs(h * w - want) < Z * math.sqrt(want * (1 - want) / N) + 1e-4
    # the analytic density the page draws integrates to the same bin masses
    grid, dens, _ = ds.analytic_density(name, beta, p, m=200001)
    cdf = np.concatenate([[0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))])
    got = np.interp(0.95, grid, cdf) - np.interp(0.05, grid, cdf)
    want = np.diff(continuous_cdf(name, beta, p, np.array([0.05, 0.95])))[0]
    assert got == pytest.approx(want, rel=1e-4)


def continuous_cdf(name, beta, p, z):
    """P(0 < ζ ≤ z), by inverting f (ε uniform): f1 p(e^{βz} − 1)/(e^β − 1), f2 p(1 − (1−z)^{1/β}),
    f3 (1−p)(z/(1−p))^{1/β} below 1 − p and 1 − p((1−z)/p)^{1/β} above."""
    z = np.asarray(z, float)
    if name == "spike_exponential":
        return p * np.expm1(beta * z) / np.expm1(beta)
    if name == "spike_power":
        return p * (1 - (1 - z) ** (1 / beta))
    q = 1 - p
    return np.where(z < q, q * (np.clip(z, 0, q) / q) ** (1 / beta),
                    1 - p * (np.clip(1 - z, 0, p) / p) ** (1 / beta))


def test_figure1_has_nine_panels_with_three_beta_curves_and_a_step():
    curves = ds.figure1_curves()
    fig = psm.figure1(curves, ds.FIG1_BETAS, title="Figure 1")
    axes = {t.xaxis for t in fig.data}
    assert len(axes) == 9
    for ax in axes:
        traces = [t for t in fig.data if t.xaxis == ax]
        assert sorted(t.name for t in traces) == ["step 1[ε ≥ 1−p]", "β = 1", "β = 10", "β = 3"]
    # panel f2, p = 0.5 (row 2, column 2 → axis x5): β = 1 is the ramp max(0, (ε − ½)/½)
    ramp = [t for t in fig.data if t.xaxis == "x5" and t.name == "β = 1"][0]
    np.testing.assert_allclose(ramp.y, np.clip((np.asarray(ramp.x) - 0.5) / 0.5, 0, 1), atol=1e-12)
    # f3 at β = 1 is the identity for every p
    for ax in ("x7", "x8", "x9"):
        t = [t for t in fig.data if t.xaxis == ax and t.name == "β = 1"][0]
        np.testing.assert_allclose(t.y, t.x, atol=1e-12)
    assert [a.text for a in fig.layout.annotations][:3] == ["f1, p = 0.2", "f1, p = 0.5",
                                                            "f1, p = 0.8"]


def test_density_figure_has_the_analytic_trace_and_the_spike_and_no_nan_at_beta_100():
    for name in NAMES:
        edges, hist, spike = ds.histogram_density(ds.smoothing_samples(name, 100.0, 0.5, N, 0))
        grid, dens, mass = ds.analytic_density(name, 100.0, 0.5)
        assert np.isfinite(dens).all() and np.isfinite(hist).all()
        fig = psm.density_figure(edges, hist, grid, dens, mass, spike, 50.0, title="density")
        names = [t.name for t in fig.data]
        assert "analytic density" in names and "histogram of samples" in names
        an = fig.data[names.index("analytic density")]
        np.testing.assert_allclose(an.y, np.minimum(dens, 500.0))
        assert any(n.startswith("spike at ζ = 0") for n in names) == (name != "symmetric_power")
        assert list(fig.layout.yaxis.range) == [0, 50.0]


def test_zeta_derivative_and_l1_figures():
    eps = ds.curve_grid(0.3)
    z = ds.smoothing_curves("spike_power", [5.0], 0.3, eps)[0]
    fig = psm.zeta_figure(eps, z, 5.0, 0.3, title="zeta")
    assert [t.name for t in fig.data] == ["β = 5", "step 1[ε ≥ 1−p]"]
    assert list(fig.data[1].x) == pytest.approx([0, 0.7, 0.7, 1])
    fig = psm.derivative_figure(eps, ds.dzeta_dp("spike_power", 5.0, 0.3, eps), 0.3, title="d")
    assert fig.layout.shapes[0].x0 == pytest.approx(0.7)
    betas = np.array(ds.BETA_GRID)
    l1 = {n: ds.l1_to_step(n, betas, 0.3) for n in NAMES}
    fig = psm.l1_figure(betas, l1, "symmetric_power", 10.0, title="L1")
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    star = fig.data[-1]
    assert star.x[0] == 10.0
    assert star.y[0] == pytest.approx(l1_closed_form("symmetric_power", 10.0, 0.3), rel=1e-4)
