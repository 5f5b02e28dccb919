"""explorer.views.prior_match and its figure: the moment-matched KL against
torch.distributions, the MMD² against a known match and mismatch, and probabilistic PCA —
whose exact posterior makes the aggregate posterior of its own data equal to p(z)."""
import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from explorer.models import LinearGaussianModel
from explorer.plots.prior_match import marginal_histograms, standard_normal_pdf
from explorer.views import prior_match


def ppca(d=3, D=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(D, d, generator=g, dtype=torch.float64)
    return LinearGaussianModel(W, torch.zeros(D, dtype=torch.float64), noise_std=0.5)


def test_moment_matched_kl_is_the_gaussian_kl_of_the_sample_moments():
    z = np.random.default_rng(0).normal([0.5, -1.0, 0.0], [2.0, 0.5, 1.0], size=(500, 3))
    m, S = torch.tensor(z.mean(0)), torch.tensor(np.cov(z, rowvar=False))
    oracle = kl_divergence(MultivariateNormal(m, S),
                           MultivariateNormal(torch.zeros(3, dtype=torch.float64),
                                              torch.eye(3, dtype=torch.float64)))
    assert prior_match.moment_matched_kl(z) == pytest.approx(oracle.item(), rel=1e-9)
    assert prior_match.moment_matched_kl(np.zeros((10, 2))) == float("inf")


def test_the_aggregate_posterior_of_ppca_data_is_the_prior():
    model = ppca()
    torch.manual_seed(1)
    z_true = model.prior().sample((3000,))
    x = model.decode(z_true).sample()  # data from the model itself, q = the exact posterior
    out = prior_match.prior_match(model, x, seed=0)
    assert out["z"].shape == (3000, 3)
    se = 1 / np.sqrt(3000)
    assert np.all(np.abs(out["mean"]) < 4 * se)
    assert np.all(np.abs(out["var"] - 1) < 4 * np.sqrt(2) * se)
    # a perfect match scores the sampling floor, within a few times that floor
    assert out["kl_moment"] < 5 * out["kl_moment_floor"] + 1e-3
    assert abs(out["mmd2"]) < 2e-3
    wrong = model.with_encoder(lambda xb: MultivariateNormal(
        model.posterior(xb).mean * 0.2, covariance_matrix=0.1 * torch.eye(3, dtype=torch.float64)))
    bad = prior_match.prior_match(wrong, x, seed=0)
    assert bad["kl_moment"] > 1.0 and bad["mmd2"] > 20 * abs(out["mmd2"]) + 0.01


def test_histogram_figure_has_a_panel_and_the_prior_density_per_coordinate():
    z = np.random.default_rng(0).normal(size=(400, 5))
    fig = marginal_histograms(z, [1, 3])
    hists = [t for t in fig.data if t.type == "histogram"]
    lines = [t for t in fig.data if t.type == "scatter"]
    assert len(hists) == 2 and len(lines) == 2
    assert np.allclose(hists[1].x, z[:, 3])
    assert np.allclose(lines[0].y, np.exp(-0.5 * np.asarray(lines[0].x) ** 2) / np.sqrt(2 * np.pi))
    assert standard_normal_pdf(np.array([0.0]))[0] == pytest.approx(0.3989422804)
    assert "N(0, 1)" in fig.layout.title.text
