"""The model protocol and the analytic KL (eq. 22) against torch.distributions."""
import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from explorer.bounds import elbo, gaussian_kl_per_dimension
from explorer.objectives import elbo_terms
from explorer.models import LIKELIHOODS, GaussianVAE, LatentVariableModel


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_protocol_shapes(likelihood):
    torch.manual_seed(0)
    model = GaussianVAE(data_dim=6, latent_dim=3, hidden=(8, 5), likelihood=likelihood)
    assert isinstance(model, LatentVariableModel) and model.latent_dim == 3
    x = torch.rand(4, 6)
    q = model.encode(x)
    assert q.batch_shape == (4,) and q.event_shape == (3,)
    p = model.prior()
    assert p.batch_shape == () and p.event_shape == (3,)
    z = q.rsample((7,))
    assert z.shape == (7, 4, 3)
    px = model.decode(z)
    assert px.batch_shape == (7, 4) and px.event_shape == (6,)
    assert px.log_prob(x).shape == (7, 4)
    assert torch.isfinite(px.log_prob(x)).all()


def test_bernoulli_scores_grey_levels_as_continuous_bce():
    torch.manual_seed(1)
    model = GaussianVAE(5, 2, (4,), likelihood="bernoulli")
    x, z = torch.rand(3, 5), torch.randn(3, 2)
    logits = model.decoder(z)
    expected = -torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    torch.testing.assert_close(model.decode(z).log_prob(x), expected)


def test_gaussian_fixed_is_scaled_squared_error():
    torch.manual_seed(2)
    s = 0.3
    model = GaussianVAE(5, 2, (4,), likelihood="gaussian_fixed", obs_std=s)
    x, z = torch.rand(3, 5), torch.randn(3, 2)
    f = model.decoder(z)
    expected = -((x - f) ** 2).sum(-1) / (2 * s**2) - 5 * math.log(s * math.sqrt(2 * math.pi))
    torch.testing.assert_close(model.decode(z).log_prob(x), expected)


def test_gaussian_learned_std_has_floor():
    model = GaussianVAE(5, 2, (4,), likelihood="gaussian_learned", min_std=0.05)
    with torch.no_grad():
        model.decoder[-1].bias[5:] = -1e4  # softplus → 0
    assert torch.allclose(model.decode(torch.zeros(1, 2)).stddev, torch.full((1, 5), 0.05))


def test_analytic_kl_matches_torch_distributions():
    torch.manual_seed(3)
    mu, std = torch.randn(10, 4) * 2, torch.rand(10, 4) * 3 + 0.01
    q = torch.distributions.Independent(Normal(mu, std), 1)
    ours = gaussian_kl_per_dimension(q)
    theirs = kl_divergence(Normal(mu, std), Normal(torch.zeros(4), torch.ones(4)))
    torch.testing.assert_close(ours, theirs)


def test_elbo_terms_add_up_and_beta_only_changes_loss():
    torch.manual_seed(4)
    model = GaussianVAE(6, 2, (8,))
    x = torch.rand(5, 6)
    torch.manual_seed(5)
    t1 = elbo_terms(model, x, n_samples=3, beta=1.0)
    torch.manual_seed(5)
    t2 = elbo_terms(model, x, n_samples=3, beta=2.5)
    torch.testing.assert_close(t1.elbo, t2.elbo)
    torch.testing.assert_close(t1.kl, t1.kl_per_dim.sum(-1))
    torch.testing.assert_close(t2.loss, -(t2.reconstruction - 2.5 * t2.kl).mean())


def test_analytic_elbo_agrees_with_monte_carlo_elbo():
    """E_q[log p(x,z) − log q] (all Monte Carlo) equals E_q[log p(x|z)] − KL (analytic KL)."""
    torch.manual_seed(6)
    model = GaussianVAE(6, 2, (8,))
    x = torch.rand(3, 6)
    k = 20000
    mc = elbo(model, x, k=k)
    analytic = elbo_terms(model, x, n_samples=k).elbo
    # Independent draws: the standard error of the difference combines both estimators'.
    q = model.encode(x)
    z = q.sample((k,))
    log_px_z = model.decode(z).log_prob(x)
    log_w = log_px_z + model.prior().log_prob(z) - q.log_prob(z)
    se = torch.sqrt(log_w.var(0) / k + log_px_z.var(0) / k)
    assert ((mc - analytic).abs() < 4 * se).all()


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_output_bias_init_starts_decoder_at_data_mean(likelihood):
    model = GaussianVAE(4, 2, (3,), likelihood=likelihood)
    mean = torch.tensor([0.1, 0.5, 0.9, 0.0])
    model.init_output_bias(mean)
    with torch.no_grad():
        model.decoder[-1].weight.zero_()
    decoded = model.decode(torch.randn(5, 2)).mean
    expected = mean.clamp(1e-3, 1 - 1e-3) if likelihood == "bernoulli" else mean
    torch.testing.assert_close(decoded, expected.expand(5, 4))
