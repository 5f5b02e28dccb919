"""Smoothing transformations f1, f2, f3: shape of f, spike mass, β → ∞ limit, analytic density
and moments against samples, and the p-gradient against finite differences."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from explorer.discrete.transformations import (NAMES, density, overlapping_exponential,
                                               overlapping_exponential_density, smoothing,
                                               step_limit)

SPIKES = ("spike_exponential", "spike_power")
PS = (0.0, 1e-6, 0.2, 0.5, 0.8, 1 - 1e-6, 1.0)
BETAS = (0.5, 1.0, 3.0, 20.0, 100.0)
ALPHA = 1e-3  # per test; the seeds are fixed, so a pass is reproducible


def uniforms(n, seed):
    return torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def analytic_mean(name, beta, p, a=math.e):
    """E[ζ] in closed form: f1 p(1/(1 − e^{−b}) − 1/b), f2 pβ/(β+1), f3 p + (1 − 2p)/(β+1)."""
    if name == "spike_exponential":
        b = beta * math.log(a)
        return p * (1 / -math.expm1(-b) - 1 / b)
    if name == "spike_power":
        return p * beta / (beta + 1)
    return p + (1 - 2 * p) / (beta + 1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_endpoints_monotone_range_and_finite(name, dtype):
    eps = torch.linspace(0, 1, 2001, dtype=dtype)
    for beta in BETAS:
        for p in PS:
            z = smoothing(name, beta, p, eps)
            assert z.dtype == dtype and torch.isfinite(z).all()
            assert z[0] == 0 and z[-1] == 1, (beta, p)
            assert ((z >= 0) & (z <= 1)).all()
            assert (z.diff() >= 0).all(), (beta, p)
    # Strictly increasing where the text says f grows: on [1 − p, 1] (all of [0, 1] for f3).
    z = smoothing(name, 2.0, 0.5, eps.double())
    grows = eps.double() > (0.5 if name in SPIKES else 0.0)
    assert (z.diff()[grows[1:]] > 0).all()


def test_base_a_and_broadcasting():
    eps = torch.linspace(0, 1, 7).unsqueeze(1)
    p = torch.tensor([0.3, 0.7])
    z = smoothing("spike_exponential", 2.0, p, eps, a=2.0)
    assert z.shape == (7, 2)
    # f1 with base a and inverse temperature β equals base e with β ln a.
    torch.testing.assert_close(z, smoothing("spike_exponential", 2.0 * math.log(2.0), p, eps))
    with pytest.raises(ValueError):
        smoothing("gaussian", 1.0, 0.5, eps)


@pytest.mark.parametrize("name", SPIKES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_spike_families_are_positive_with_probability_p(name, p):
    n = 200_000
    frac = float((smoothing(name, 3.0, p, uniforms(n, 0)) > 0).double().mean())
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("name", NAMES)
def test_converges_to_the_step_as_beta_grows(name):
    eps = torch.linspace(0, 1, 10_001, dtype=torch.float64)
    for p in (0.2, 0.5, 0.8):
        gaps = [float((smoothing(name, b, p, eps) - step_limit(p, eps)).abs().mean())
                for b in (0.5, 1, 3, 10, 30, 100)]
        assert all(g2 < g1 for g1, g2 in zip(gaps, gaps[1:])), gaps
        assert gaps[-1] < 0.02


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("beta,p", [(0.7, 0.3), (3.0, 0.6), (20.0, 0.5)])
def test_sample_mean_matches_analytic_moment(name, beta, p):
    """Catches a misplaced parenthesis in the inverse CDF that still gives plausible curves."""
    z = smoothing(name, beta, p, uniforms(100_000, 1))
    se = float(z.std()) / math.sqrt(len(z))
    assert abs(float(z.mean()) - analytic_mean(name, beta, p)) < 4 * se
    # The closed form agrees with the analytic density by quadrature.
    mass, _ = density(name, beta, p, 0.5)
    quad_mean = _quad(lambda t: t * _dens(name, beta, p, t), name, p)
    assert abs(quad_mean - analytic_mean(name, beta, p)) < 1e-6
    assert float(mass) == pytest.approx(1 - p if name in SPIKES else 0.0)


def _dens(name, beta, p, t, a=math.e):
    return float(density(name, beta, p, torch.tensor(t, dtype=torch.float64), a=a)[1])


def _quad(f, name, p, lo=0.0, hi=1.0):
    """∫ f over [lo, hi], split at the kink 1 − p of f3; endpoint singularities are integrable."""
    cuts = [lo, hi]
    if name == "symmetric_power" and lo < 1 - p < hi:
        cuts = [lo, 1 - p, hi]
    return sum(integrate.quad(f, u, v, limit=200, epsabs=1e-10)[0] for u, v in zip(cuts, cuts[1:]))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("beta,p", [(0.5, 0.3), (2.0, 0.5), (5.0, 0.8), (30.0, 0.2)])
def test_density_integrates_to_one_with_the_spike(name, beta, p):
    mass, _ = density(name, beta, p, 0.5)
    total = float(mass) + _quad(lambda t: _dens(name, beta, p, t), name, p)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name,a", [("spike_exponential", math.e), ("spike_exponential", 2.0),
                                    ("spike_power", math.e), ("symmetric_power", math.e)])
@pytest.mark.parametrize("beta,p", [(0.7, 0.4), (4.0, 0.6)])
def test_density_matches_sample_histogram(name, a, beta, p):
    """Pearson χ² of 20 equal-width bins of ζ (plus the spike at 0) against the density."""
    n = 100_000
    z = smoothing(name, beta, p, uniforms(n, 2), a=a).numpy()
    edges = np.linspace(0, 1, 21)
    mass, _ = density(name, beta, p, 0.5, a=a)
    spike = float(mass)
    probs = [_quad(lambda t: _dens(name, beta, p, t, a), name, p, u, v)
             for u, v in zip(edges[:-1], edges[1:])]
    counts = np.histogram(z[z > 0], bins=edges)[0]
    if spike > 0:
        probs, counts = [spike] + probs, np.concatenate([[(z == 0).sum()], counts])
    probs = np.asarray(probs)
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    stat = float(((counts - n * probs) ** 2 / (n * probs)).sum())
    assert stats.chi2.sf(stat, len(probs) - 1) > ALPHA
    # Power check: the density for a 15 % larger β is rejected by the same counts.
    wrong = [_quad(lambda t: _dens(name, 1.15 * beta, p, t, a), name, p, u, v)
             for u, v in zip(edges[:-1], edges[1:])]
    wrong = np.asarray(([spike] if spike > 0 else []) + wrong)
    stat = float(((counts - n * wrong) ** 2 / (n * wrong)).sum())
    assert stats.chi2.sf(stat, len(wrong) - 1) < ALPHA


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("beta", [0.7, 3.0, 100.0])
def test_gradient_in_p_matches_finite_difference(name, beta):
    # ε points away from the kink 1 − p (p ∈ {0.35, 0.6}) where f is not differentiable in p.
    eps = torch.tensor([0.05, 0.3, 0.5, 0.55, 0.7, 0.9, 0.97, 0.999], dtype=torch.float64)
    for p0 in (0.35, 0.6):
        p = torch.full_like(eps, p0, requires_grad=True)
        (grad,) = torch.autograd.grad(smoothing(name, beta, p, eps).sum(), p)
        h = 1e-6
        fd = (smoothing(name, beta, p0 + h, eps) - smoothing(name, beta, p0 - h, eps)) / (2 * h)
        assert torch.isfinite(grad).all()
        torch.testing.assert_close(grad, fd, rtol=1e-5, atol=1e-7)
    # The gradient is finite at the endpoints and at the edge values of p too.
    for p0 in (0.0, 1e-6, 0.5, 1 - 1e-6, 1.0):
        p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
        e = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64)
        (grad,) = torch.autograd.grad(smoothing(name, beta, p, e).sum(), p)
        assert torch.isfinite(grad), (p0, grad)


def test_step_limit():
    eps = torch.tensor([0.0, 0.49, 0.5, 0.51, 1.0])
    assert step_limit(0.5, eps).tolist() == [0, 0, 1, 1, 1]
    assert step_limit(0.0, eps).tolist() == [0, 0, 0, 0, 1]
    assert step_limit(1.0, eps).tolist() == [1, 1, 1, 1, 1]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype, logit", [(torch.float32, -50.0), (torch.float32, -60.0),
                                          (torch.float64, -60.0), (torch.float64, 60.0)])
def test_gradient_stays_finite_for_saturated_probabilities(name, dtype, logit):
    """p = σ(ℓ) of 1e-22 once gave 0·∞ = NaN: 1/p² overflows in the branch a sample is not
    in. A DVAE encoder reaches such logits within an epoch on MNIST."""
    torch.manual_seed(0)
    logits = torch.full((4000,), logit, dtype=dtype, requires_grad=True)
    eps = torch.rand(4000, dtype=dtype)
    zeta = smoothing(name, 5.0, torch.sigmoid(logits), eps)
    (grad,) = torch.autograd.grad(zeta.sum(), logits)
    assert torch.isfinite(zeta).all() and torch.isfinite(grad).all()


# -- DVAE++ overlapping exponentials (the stretch family) -------------------------------------


@pytest.mark.parametrize("beta", [0.5, 4.0, 30.0, 100.0])
@pytest.mark.parametrize("q", [0.0, 0.2, 0.5, 0.97, 1.0])
def test_overlapping_exponential_is_an_increasing_map_onto_the_unit_interval(beta, q):
    rho = torch.linspace(0, 1, 2001)
    zeta = overlapping_exponential(beta, q, rho)
    assert torch.isfinite(zeta).all()
    assert zeta[0] == pytest.approx(0, abs=1e-6) and zeta[-1] == pytest.approx(1, abs=1e-6)
    assert (zeta.diff() >= -1e-7).all()


@pytest.mark.parametrize("beta, q", [(2.0, 0.3), (8.0, 0.7), (0.3, 0.5)])
def test_overlapping_exponential_inverts_its_cdf(beta, q):
    """F(ζ(ρ)) = ρ with F the integral of the analytic density (scipy quadrature)."""
    for rho in (0.05, 0.3, 0.5, 0.77, 0.99):
        zeta = float(overlapping_exponential(beta, q, torch.tensor(rho, dtype=torch.float64)))
        cdf, _ = integrate.quad(
            lambda t: float(overlapping_exponential_density(beta, q, torch.tensor(t, dtype=torch.float64))),
            0, zeta)
        assert cdf == pytest.approx(rho, abs=1e-7)


@pytest.mark.parametrize("beta, q", [(3.0, 0.25), (12.0, 0.6)])
def test_overlapping_exponential_histogram_matches_density(beta, q):
    torch.manual_seed(0)
    n = 200_000
    zeta = overlapping_exponential(beta, q, torch.rand(n, dtype=torch.float64)).numpy()
    edges = np.linspace(0, 1, 41)
    counts, _ = np.histogram(zeta, edges)
    probs = [integrate.quad(lambda t: float(overlapping_exponential_density(
        beta, q, torch.tensor(t, dtype=torch.float64))), a, b)[0] for a, b in zip(edges[:-1], edges[1:])]
    expected = n * np.asarray(probs)
    assert expected.sum() == pytest.approx(n, rel=1e-6)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2.ppf(0.999, len(counts) - 1)


def test_overlapping_exponential_tends_to_the_bit_and_has_a_gradient_in_q():
    rho = torch.rand(50_000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    q = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    zeta = overlapping_exponential(100.0, q, rho)
    assert ((zeta > 0.5).double().mean() - 0.3).abs() < 4 * math.sqrt(0.3 * 0.7 / 50_000)
    assert ((zeta < 0.05) | (zeta > 0.95)).double().mean() > 0.99
    (grad,) = torch.autograd.grad(overlapping_exponential(2.0, q, rho).mean(), q)
    h = 1e-6
    fd = (overlapping_exponential(2.0, 0.3 + h, rho).mean() - overlapping_exponential(2.0, 0.3 - h, rho).mean()) / (2 * h)
    assert float(grad) == pytest.approx(float(fd), rel=1e-5)
