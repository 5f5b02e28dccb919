"""Per-point SVI and the gap decomposition (Cremer et al. 2018) against pPCA closed forms:
the best diagonal Gaussian to a Gaussian posterior and its KL are known exactly."""
import math

import pytest
import torch
from torch.distributions import Independent, Normal

from explorer.bounds import log_weights
from explorer.bounds.gaps import gap_decomposition, svi_posterior
from explorer.models import GaussianVAE
from tests.test_bounds import ppca, sample_x, shifted_narrow


def test_gap_decomposition_on_ppca_matches_closed_forms():
    model = ppca(2)
    wrong = shifted_narrow(model)
    x = sample_x(model, 4)
    torch.manual_seed(8)
    g = gap_decomposition(wrong, x, svi_steps=400, elbo_samples=4000)
    assert g["log_px_method"] == "exact"
    torch.testing.assert_close(g["log_px"], model.log_marginal(x), atol=1e-3, rtol=0)
    # Oracle for q*: the mean and precision-diagonal variances of the exact posterior.
    best = model.best_diagonal_posterior(x)
    kl_best = model.best_diagonal_kl(x)
    assert (kl_best > 0.05).all()  # the posterior is correlated enough for a visible gap
    q_star = Independent(Normal(g["q_optimal_mean"], g["q_optimal_std"]), 1)
    # SVI convergence, exactly: q*'s true ELBO is at most, and within 0.01 nats of, the optimum.
    shortfall = model.analytic_elbo(best, x) - model.analytic_elbo(q_star, x)
    assert (shortfall > -1e-9).all() and (shortfall < 0.01).all()
    # Monte Carlo ELBOs against their closed forms, within 4 standard errors.
    se_opt, se_am = g["elbo_optimal_se"], g["elbo_amortized_se"]
    assert ((g["elbo_optimal"] - model.analytic_elbo(q_star, x)).abs() < 4 * se_opt).all()
    analytic_am = model.analytic_elbo(wrong.encode(x), x)
    assert ((g["elbo_amortized"] - analytic_am).abs() < 4 * se_am).all()
    # The gaps: approximation ≈ KL of the best diagonal Gaussian, amortization ≈ analytic difference.
    assert ((g["approximation_gap"] - kl_best).abs() < 4 * se_opt + shortfall).all()
    amortization = model.analytic_elbo(q_star, x) - analytic_am
    assert ((g["amortization_gap"] - amortization).abs() < 4 * torch.sqrt(se_opt**2 + se_am**2)).all()
    torch.testing.assert_close(g["inference_gap"], g["approximation_gap"] + g["amortization_gap"])


def test_gap_decomposition_uses_iwae_above_two_latent_dimensions():
    model = ppca(3)
    x = sample_x(model, 2)
    torch.manual_seed(9)
    g = gap_decomposition(model, x, k=2000, svi_steps=50, elbo_samples=200)
    assert g["log_px_method"] == "iwae_k2000"
    # encode() is the exact posterior here: every weight equals p(x), so L_k is exact.
    torch.testing.assert_close(g["log_px"], model.log_marginal(x), atol=1e-9, rtol=0)
    assert (g["log_px_se"] < 1e-6).all()


@pytest.mark.parametrize("init", ["encoder", "prior"])
def test_svi_improves_the_elbo_and_leaves_the_model_alone(init):
    torch.manual_seed(10)
    model = GaussianVAE(6, 2, (16,), likelihood="bernoulli")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.rand(5, 6)
    with torch.no_grad():  # svi_posterior must enable grad for φ itself
        q_star, trace = svi_posterior(model, x, steps=200, n_samples=16, init=init, return_trace=True)
    assert trace.shape == (200, 5) and q_star.batch_shape == (5,) and q_star.event_shape == (2,)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert all(p.grad is None for p in model.parameters())
    k = 4000
    start = model.encode(x) if init == "encoder" else model.prior().expand((5,))
    with torch.no_grad():
        lw0, lw1 = log_weights(model, x, k, q=start), log_weights(model, x, k, q=q_star)
    diff = lw1.mean(0) - lw0.mean(0)
    se = torch.sqrt(lw0.var(0) / k + lw1.var(0) / k)
    assert (diff > -3 * se).all()
    assert diff.sum() > 3 * torch.sqrt((se**2).sum())  # and it improves overall, significantly


def test_svi_reaches_the_best_diagonal_gaussian_from_a_bad_start():
    model = ppca(2)
    wrong = shifted_narrow(model, shift=1.5, scale=0.2)
    x = sample_x(model, 3)
    torch.manual_seed(11)
    q_star = svi_posterior(wrong, x, steps=400)
    best = model.best_diagonal_posterior(x)
    gain = model.analytic_elbo(q_star, x) - model.analytic_elbo(wrong.encode(x), x)
    assert (gain > 1.0).all()
    assert (model.analytic_elbo(best, x) - model.analytic_elbo(q_star, x) < 0.01).all()
    torch.testing.assert_close(q_star.mean, best.mean, atol=0.05, rtol=0)
    with pytest.raises(ValueError, match="init"):
        svi_posterior(model, x, steps=1, init="random")
    assert not math.isnan(float(q_star.stddev.sum()))
