"""REBAR (Tucker et al. 2017) against oracles: unbiased for every τ and η (exact gradient by
enumeration), and conditional relaxations with the right distributions (KS tests)."""
import math

import pytest
import torch
from scipy import stats

from explorer import estimators as est
from explorer.estimators.rebar import bernoulli_relaxations, categorical_relaxations

Z = 4.5  # standard errors


def bern_cost(z):
    return ((z - 0.45) ** 2).reshape(len(z), -1).sum(-1)


def cat_cost(z):
    return ((z * torch.tensor([0.0, 0.5, 1.0], dtype=z.dtype)).sum(-1) - 0.45).pow(2).reshape(len(z), -1).sum(-1)


CASES = {"bernoulli": (bern_cost, torch.tensor([0.3, -1.2], dtype=torch.float64)),
         "categorical": (cat_cost, torch.tensor([0.5, -0.3, 0.1], dtype=torch.float64))}


@pytest.mark.parametrize("family", list(CASES))
@pytest.mark.parametrize("tau, eta", [(0.1, 1.0), (1.0, 1.0), (3.0, 0.5), (0.5, 2.0)])
def test_rebar_is_unbiased_for_any_temperature_and_weight(family, tau, eta):
    f, logits = CASES[family]
    exact = est.exact_gradient(f, family, {"logits": logits})["logits"]
    g = est.sample_gradients("rebar", f, family, {"logits": logits}, 40_000, seed=3, tau=tau,
                             eta=eta)["logits"]
    se = g.std(0) / math.sqrt(len(g))
    assert ((g.mean(0) - exact).abs() < Z * se).all(), (g.mean(0), exact, se)


def test_eta_zero_is_reinforce_in_distribution():
    """With η = 0 only f(b)∇log q(b) is left: the variance of plain REINFORCE."""
    f, logits = CASES["bernoulli"]
    a = est.sample_gradients("rebar", f, "bernoulli", {"logits": logits}, 40_000, seed=4, eta=0.0)
    b = est.sample_gradients("reinforce", f, "bernoulli", {"logits": logits}, 40_000, seed=5)
    va, vb = a["logits"].var(0), b["logits"].var(0)
    # F-test bound on a variance ratio with 40,000 estimates on each side
    assert ((va / vb - 1).abs() < 0.05).all()


def test_bernoulli_conditional_relaxation_keeps_b_and_the_logistic_marginal():
    torch.manual_seed(0)
    logits = torch.full((100_000,), 0.7, dtype=torch.float64)
    u, v = torch.rand(2, 100_000, dtype=torch.float64)
    b, z, zt = bernoulli_relaxations(logits, u, v)
    assert torch.equal(b, (zt > 0).double())  # z̃ lies on b's side of 0
    # z̃ ~ p(z|b) with b ~ q, so z̃ is marginally Logistic(ℓ, 1), like z itself
    assert stats.kstest(zt.numpy(), stats.logistic(loc=0.7).cdf).pvalue > 1e-3


def test_categorical_conditional_relaxation_keeps_argmax_and_gumbel_marginals():
    torch.manual_seed(1)
    logits = torch.tensor([1.0, -0.5, 0.2], dtype=torch.float64).expand(100_000, 3)
    u, v = torch.rand(2, 100_000, 3, dtype=torch.float64)
    b, z, zt = categorical_relaxations(logits, u, v)
    assert torch.equal(b.argmax(-1), zt.argmax(-1))
    log_theta = torch.log_softmax(logits[0], -1)
    for k in range(3):  # marginally Gumbel(log θ_k): the same law as z_k
        assert stats.kstest(zt[:, k].numpy(), stats.gumbel_r(loc=float(log_theta[k])).cdf).pvalue > 1e-3


@pytest.mark.parametrize("family", list(CASES))
def test_rebar_stays_finite_at_small_tau_and_saturated_logits(family):
    f, _ = CASES[family]
    logits = torch.tensor([30.0, -30.0] if family == "bernoulli" else [30.0, -30.0, 0.0])
    g = est.sample_gradients("rebar", f, family, {"logits": logits}, 2000, seed=0, tau=0.01)
    assert torch.isfinite(g["logits"]).all()
