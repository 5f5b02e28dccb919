"""Normal-family gradient estimators against closed forms (Mohamed et al. 2019 toy costs)."""
import math

import pytest
import torch

from explorer.estimators import (
    METHODS, TOY_COSTS, analytic_variance, exact_gradient, sample_gradients, summary,
)

D = torch.float64
# (cost, μ, σ, k): both signs of the gradient, small and large σ, a 2-vector.
CASES = [
    ("square", 0.5, 1.2, 2.0),
    ("square", [-1.0, 0.3], [0.5, 2.0], 1.0),
    ("gauss", 0.7, 0.8, 1.5),
    ("gauss", [0.0, -1.2], [1.0, 0.3], 0.5),
    ("cos", 0.4, 1.0, 2.0),
    ("cos", [1.0, -0.5], [0.4, 1.5], 1.0),
]
REINFORCE_BASELINES = [None, "loo", "mean_cv", "optimal"]


def normal_params(mu, sigma):
    return {"loc": torch.tensor(mu, dtype=D), "scale": torch.tensor(sigma, dtype=D)}


def closed_form(cost, mu, sigma, k):
    p = normal_params(mu, sigma)
    return TOY_COSTS[cost].exact(p["loc"], p["scale"], k)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
@pytest.mark.parametrize("method,baseline",
                         [("reinforce", b) for b in REINFORCE_BASELINES] + [("reparam", None)])
def test_unbiased_normal_estimators(case, method, baseline):
    cost, mu, sigma, k = case
    n = 20_000
    samples = sample_gradients(method, TOY_COSTS[cost].bind("normal", k), "normal",
                               normal_params(mu, sigma), n, baseline=baseline,
                               samples_per_estimate=2, seed=11)
    table = summary(samples, closed_form(cost, mu, sigma, k))
    for name, row in table.items():
        assert samples[name].shape == (n, *torch.tensor(mu).shape)
        assert (row["bias"].abs() < 4 * row["se"]).all(), (name, row["bias"], row["se"])


def test_baselines_reduce_variance_and_reparam_beats_reinforce():
    """The lecture's claims on one configuration: every control variate helps REINFORCE,
    and the pathwise estimator has far lower variance than any of them."""
    f, p = TOY_COSTS["square"].bind("normal", 2.0), normal_params(0.5, 1.2)
    var = {b: sum(v.var(0) for v in sample_gradients(
        "reinforce", f, "normal", p, 20_000, baseline=b, samples_per_estimate=4, seed=5).values())
        for b in REINFORCE_BASELINES}
    reparam = sum(v.var(0) for v in sample_gradients(
        "reparam", f, "normal", p, 20_000, samples_per_estimate=4, seed=5).values())
    # Margins of 20 % dwarf the ~3 % relative sampling error of a variance from 20k draws.
    for b in ("loo", "mean_cv", "optimal"):
        assert var[b] < 0.8 * var[None], b
    assert var["optimal"] < var["mean_cv"]
    assert reparam < 0.2 * min(var.values())


@pytest.mark.parametrize("method", ["reinforce", "reparam"])
@pytest.mark.parametrize("mu,sigma,k", [(0.5, 1.2, 2.0), (-1.0, 0.5, 1.0), (0.0, 2.0, 0.0)])
def test_sample_variance_matches_analytic_variance(method, mu, sigma, k):
    n = 200_000
    samples = sample_gradients(method, TOY_COSTS["square"].bind("normal", k), "normal",
                               normal_params(mu, sigma), n, seed=21)
    expected = analytic_variance(method, "square", mu, sigma, k)
    for name, s in samples.items():
        # Var of the sample variance ≈ (m4 − v²)/n with m4 the fourth central moment,
        # itself estimated from the samples (the score-function's tails make m4 large).
        dev = s - s.mean()
        v, m4 = dev.pow(2).mean(), dev.pow(4).mean()
        se = torch.sqrt((m4 - v**2) / n)
        assert (s.var() - expected[name]).abs() < 5 * se, (name, float(s.var()), float(expected[name]))


def test_analytic_variance_by_quadrature():
    """The closed forms against E[g²] − E[g]² integrated by Gauss–Hermite, independently."""
    import numpy as np

    x, w = np.polynomial.hermite.hermgauss(60)
    eps, w = torch.from_numpy(x * math.sqrt(2)), torch.from_numpy(w / math.sqrt(math.pi))
    mu, sigma, k = 0.3, 0.7, -0.4
    a = mu - k
    per_sample = {
        "reparam": {"loc": 2 * (a + sigma * eps), "scale": 2 * (a + sigma * eps) * eps},
        "reinforce": {"loc": (a + sigma * eps) ** 2 * eps / sigma,
                      "scale": (a + sigma * eps) ** 2 * (eps**2 - 1) / sigma},
    }
    for method, gs in per_sample.items():
        expected = analytic_variance(method, "square", mu, sigma, k)
        for name, g in gs.items():
            var = (w * g**2).sum() - (w * g).sum() ** 2
            torch.testing.assert_close(var, expected[name], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cost", ["square", "gauss", "cos"])
@pytest.mark.parametrize("mu,sigma,k", [(0.5, 1.2, 2.0), (-1.3, 0.4, 0.7), (1.0, 2.0, 2.0)])
def test_gauss_hermite_matches_closed_forms(cost, mu, sigma, k):
    ours = exact_gradient(TOY_COSTS[cost].bind("normal", k), "normal", normal_params(mu, sigma))
    for name, value in closed_form(cost, mu, sigma, k).items():
        torch.testing.assert_close(ours[name], value, rtol=0, atol=1e-6)


def test_gauss_hermite_on_a_vector_and_broadcast_scale():
    """A shared scalar σ for a 2-vector: ∂/∂σ sums the per-coordinate derivatives."""
    p = {"loc": torch.tensor([0.3, -0.8], dtype=D), "scale": torch.tensor(0.9, dtype=D)}
    ours = exact_gradient(TOY_COSTS["cos"].bind("normal", 1.5), "normal", p, order=60)
    ref = TOY_COSTS["cos"].exact(p["loc"], p["scale"].expand(2), 1.5)
    torch.testing.assert_close(ours["loc"], ref["loc"], rtol=0, atol=1e-6)
    torch.testing.assert_close(ours["scale"], ref["scale"].sum(), rtol=0, atol=1e-6)


@pytest.mark.parametrize("cost", ["square", "gauss", "cos"])
def test_closed_form_gradients_are_derivatives_of_closed_form_means(cost):
    c, h, k = TOY_COSTS[cost], 1e-6, 1.3
    mu, sigma = torch.tensor(0.4, dtype=D), torch.tensor(0.9, dtype=D)
    fd_mu = (c.mean(mu + h, sigma, k) - c.mean(mu - h, sigma, k)) / (2 * h)
    fd_sigma = (c.mean(mu, sigma + h, k) - c.mean(mu, sigma - h, k)) / (2 * h)
    torch.testing.assert_close(c.grad_mu(mu, sigma, k), fd_mu, rtol=0, atol=1e-8)
    torch.testing.assert_close(c.grad_sigma(mu, sigma, k), fd_sigma, rtol=0, atol=1e-8)


def test_summary_fields():
    s = {"loc": torch.tensor([[1.0], [3.0], [2.0], [6.0]])}
    row = summary(s, {"loc": torch.tensor([2.0])})["loc"]
    torch.testing.assert_close(row["mean"], torch.tensor([3.0]))
    torch.testing.assert_close(row["bias"], torch.tensor([1.0]))
    torch.testing.assert_close(row["variance"], torch.tensor([14.0 / 3]))
    torch.testing.assert_close(row["se"], torch.tensor([math.sqrt(14.0 / 3 / 4)]))
    torch.testing.assert_close(row["snr"], torch.tensor([3.0 / math.sqrt(14.0 / 3)]))


def test_seed_reproducible_and_errors():
    f, p = TOY_COSTS["square"].bind("normal", 1.0), normal_params(0.0, 1.0)
    a = sample_gradients("reinforce", f, "normal", p, 10, seed=3)
    b = sample_gradients("reinforce", f, "normal", p, 10, seed=3)
    torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="valid methods: reinforce, reparam"):
        sample_gradients("gumbel_softmax", f, "normal", p, 10)
    with pytest.raises(ValueError, match="straight_through"):
        sample_gradients("reparam", f, "bernoulli", {"logits": torch.zeros(2)}, 10)
    with pytest.raises(ValueError, match="valid families"):
        sample_gradients("reparam", f, "poisson", p, 10)
    with pytest.raises(ValueError, match="samples_per_estimate"):
        sample_gradients("reinforce", f, "normal", p, 10, baseline="loo")
    with pytest.raises(ValueError, match="unknown options"):
        sample_gradients("reinforce", f, "normal", p, 10, temperature=1.0)


def test_ten_thousand_estimates_in_one_call():
    """The page's default sizes run (speed is the bench's business, not an assert)."""
    cases = [
        ("normal", normal_params([0.0, 1.0], [1.0, 0.5]), TOY_COSTS["cos"].bind("normal", 2.0)),
        ("bernoulli", {"logits": torch.linspace(-2, 2, 10)}, TOY_COSTS["rebar"].bind("bernoulli", 0.45)),
        ("categorical", {"logits": torch.randn(3, 10, generator=torch.Generator().manual_seed(0))},
         TOY_COSTS["sum_square"].bind("categorical", 0.3)),
    ]
    for family, params, f in cases:
        for method in METHODS[family]:
            out = sample_gradients(method, f, family, params, 10_000, seed=0)
            for name, value in params.items():
                assert out[name].shape == (10_000, *value.shape)
                assert torch.isfinite(out[name]).all()
