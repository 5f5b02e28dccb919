"""The infinite mixture (explorer.toys.mixtures) against independent oracles: the ML Gaussian in
closed form, sklearn's own scores, 2-D quadrature over x, Monte Carlo over p(z), the adaptive
quadrature of explorer.bounds and brute-force logsumexp."""
import math

import numpy as np
import pytest
import torch

from explorer.bounds import exact_log_marginal
from explorer.models import GaussianVAE
from explorer.plots import mixtures as plots
from explorer.toys import mixtures as mx


@pytest.fixture(scope="module")
def three():
    return mx.dataset_points("three_gaussians"), mx.dataset_points("three_gaussians", "test")


def tiny_vae(d: int, likelihood: str, obs_std: float = 0.3, seed: int = 0, gain: float = 2.0):
    """An untrained 2-D-data VAE whose decoder is scaled up so μ_θ(z) bends."""
    torch.manual_seed(seed)
    model = GaussianVAE(2, d, hidden=(16,), likelihood=likelihood, obs_std=obs_std)
    with torch.no_grad():
        for layer in model.decoder:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.mul_(gain)
        if likelihood == "gaussian_learned":  # σ_θ(z) = 0.01 + softplus(raw) ≈ 0.3–0.7
            model.decoder[-1].weight[2:].mul_(0.5 / gain)
            model.decoder[-1].bias[2:] = -0.5
    return model.eval()


def wide_axes(model, nodes):
    """An x box holding every component with prior weight > 1e-12 to ±9 of its σ, at a spacing
    of at most half the smallest σ."""
    keep = nodes.log_weight > math.log(1e-12)
    mean, std = mx.decoder_gaussian(model, nodes.z[keep])
    lo, hi = (mean - 9 * std).min(0), (mean + 9 * std).max(0)
    n = int(np.ceil((hi - lo).max() / (std.min() / 2))) + 1
    return tuple(np.linspace(lo[i], hi[i], n) for i in range(2)), std.min()


# ---------------------------------------------------------------- the discrete picture


def test_one_component_is_the_maximum_likelihood_gaussian(three):
    x, _ = three
    gmm = mx.fit_mixture(x, 1)
    np.testing.assert_allclose(gmm.means_[0], x.mean(0), atol=1e-10)
    np.testing.assert_allclose(gmm.covariances_[0], np.cov(x.T, bias=True), atol=1e-5)  # + reg 1e-6


def test_mixture_density_matches_sklearn_and_integrates_to_one(three):
    x, x_test = three
    gmm = mx.fit_mixture(x, 3)
    axes, points = mx.data_grid(x, 10)
    np.testing.assert_allclose(mx.mixture_log_density(gmm, points), gmm.score_samples(points), atol=1e-9)
    assert mx.mean_log_likelihood(gmm, x_test) == pytest.approx(gmm.score(x_test), abs=1e-9)
    # Smallest component σ ≈ 0.15 against spacing 0.05: the trapezoid error of a Gaussian is
    # ~exp(−2π²σ²/h²) < 1e-70; the box ±6 leaves out < 1e-30 of the mass.
    a = np.linspace(-6, 6, 241)
    g1, g2 = np.meshgrid(a, a)
    log_p = mx.mixture_log_density(gmm, np.stack([g1.ravel(), g2.ravel()], 1)).reshape(241, 241)
    assert np.sqrt(np.linalg.eigvalsh(gmm.covariances_).min()) > 0.1
    assert mx.box_mass((a, a), log_p) == pytest.approx(1.0, abs=1e-6)


def test_three_components_beat_the_single_gaussian_of_figure_1(three):
    x, x_test = three
    one, mix = (mx.mean_log_likelihood(mx.fit_mixture(x, k), x_test) for k in (1, 3))
    assert mix > one + 1.0  # ≈ −1.31 against −2.62 nats per point


def test_weighted_components_add_up_to_the_mixture(three):
    x, _ = three
    gmm = mx.fit_mixture(x, 4)
    _, points = mx.data_grid(x, 15)
    parts = mx.mixture_components(gmm, points)
    assert parts.shape == (4, len(points))
    np.testing.assert_allclose(np.logaddexp.reduce(parts, 0), mx.mixture_log_density(gmm, points), atol=1e-12)


def test_bad_mixture_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="between 1 and 50"):
        mx.fit_mixture(np.zeros((10, 2)), 0)
    with pytest.raises(ValueError, match="2-D data"):
        mx.dataset_points("digits")


# ---------------------------------------------------------------- the continuous picture


@pytest.mark.parametrize("d, likelihood", [(1, "gaussian_learned"), (2, "gaussian_fixed"),
                                           (2, "gaussian_learned")])
def test_vae_marginal_integrates_to_one_over_x(d, likelihood):
    model = tiny_vae(d, likelihood)
    nodes = mx.latent_nodes(model)
    axes, sigma_min = wide_axes(model, nodes)
    h = max(a[1] - a[0] for a in axes)
    # Σ_j w_j is the trapezoid rule for ∫ p(z) dz over the z box (error < 1e-7); each component
    # integrates over the x box to 1 − O(e^−40) at spacing h ≤ σ/2 (error ~exp(−2π²σ²/h²)).
    assert h <= sigma_min / 2
    assert mx.prior_mass(nodes, np.ones(len(nodes.z), bool)) == pytest.approx(1.0, abs=1e-6)
    log_p = mx.grid_log_density(mx.mixture_grid(model, axes, nodes))
    assert mx.box_mass(axes, log_p) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("d, likelihood", [(1, "gaussian_fixed"), (2, "gaussian_learned")])
def test_quadrature_matches_monte_carlo_over_the_prior(d, likelihood):
    model = tiny_vae(d, likelihood, seed=1)
    nodes = mx.latent_nodes(model)
    mean, _ = mx.decoder_gaussian(model, [[0.3] * d, [-1.0] * d, [1.5] * d])
    points = np.vstack([mean, mean[:1] + 0.4])  # on the decoded manifold, and off it
    quad = mx.marginal_log_density(model, points, nodes)
    mc, se = mx.monte_carlo_log_density(model, points, 20000, seed=0)
    assert np.all(se < 0.05)  # the comparison is sharp
    assert np.all(np.abs(quad - mc) < 4 * se), (quad, mc, se)


def test_grid_marginal_agrees_with_the_direct_sum_a_finer_rule_and_the_adaptive_quadrature():
    model = tiny_vae(2, "gaussian_learned", seed=2)
    nodes = mx.latent_nodes(model)
    axes = (np.linspace(-3, 3, 31), np.linspace(-2.5, 2.5, 21))
    grid = mx.grid_log_density(mx.mixture_grid(model, axes, nodes)).ravel()  # the factorised product
    g1, g2 = np.meshgrid(*axes)
    points = np.stack([g1.ravel(), g2.ravel()], 1)
    np.testing.assert_allclose(grid, mx.marginal_log_density(model, points, nodes), atol=1e-5)
    some = points[::37]
    # ReLU kinks make the trapezoid rule second order: 4× finer spacing is ≈16× closer, and the
    # change from the 2h-rule bounds the error (Richardson: error ≈ change / 3).
    fine = mx.marginal_log_density(model, some, mx.latent_nodes(model, n=641))
    coarse = mx.marginal_log_density(model, some, mx.latent_nodes(model, n=81))
    assert np.abs(grid[::37] - fine).max() <= np.abs(coarse - grid[::37]).max() / 2
    assert np.abs(grid[::37] - fine).max() < 5e-3
    adaptive = exact_log_marginal(model, torch.as_tensor(some, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(fine, adaptive, atol=0.03)  # its documented ~0.01-nat target


def test_log_matmul_survives_underflow_far_from_every_component():
    gen = torch.Generator().manual_seed(0)
    a = -3000 * torch.rand(50, 7, generator=gen, dtype=torch.float64)
    b = -3000 * torch.rand(50, 9, generator=gen, dtype=torch.float64)
    brute = torch.logsumexp(a[:, None, :] + b[:, :, None], 0)  # (n2, n1)
    out = mx._log_matmul(a, b)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, brute, atol=1e-9, rtol=0)


def test_partial_sums_add_up_to_the_marginal_exactly():
    model = tiny_vae(2, "gaussian_fixed", obs_std=0.2, seed=3)
    grid = mx.mixture_grid(model, (np.linspace(-3, 3, 25), np.linspace(-3, 3, 23)))
    full = mx.grid_log_density(grid)
    inner = mx.nodes_in_box(grid.nodes, (-0.5, -1.0), (1.0, 0.25))
    ring = ~inner & (np.abs(grid.nodes.z).max(1) < 2.0)
    rest = ~inner & ~ring
    parts = [mx.grid_log_density(grid, keep) for keep in (inner, ring, rest)]
    np.testing.assert_allclose(np.logaddexp.reduce(parts, 0), full, atol=1e-10)
    assert sum(mx.prior_mass(grid.nodes, k) for k in (inner, ring, rest)) == \
        pytest.approx(mx.prior_mass(grid.nodes, np.ones(len(inner), bool)), abs=1e-12)
    assert np.all(parts[0] <= full + 1e-12)
    bins = mx.prior_bins(grid.nodes, 6)
    masses = [mx.prior_mass(grid.nodes, bins == b) for b in range(6)]
    assert max(masses) - min(masses) < 0.02  # equal prior mass, up to one column of nodes
    for row in (0, 11):
        np.testing.assert_allclose(np.logaddexp.reduce(mx.slice_log_densities(grid, row, bins), 0),
                                   full[row], atol=1e-10)


def test_an_empty_partial_sum_is_zero_density():
    model = tiny_vae(1, "gaussian_fixed")
    grid = mx.mixture_grid(model, (np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)))
    none = mx.nodes_in_box(grid.nodes, 10.0, 11.0)
    assert not none.any() and mx.prior_mass(grid.nodes, none) == 0.0
    assert np.all(mx.grid_log_density(grid, none) == -np.inf)


def test_halving_the_nodes_changes_the_marginal_more_than_its_error():
    model = tiny_vae(1, "gaussian_learned")
    grid = mx.mixture_grid(model, (np.linspace(-2, 2, 21), np.linspace(-2, 2, 21)))
    change = np.abs(mx.grid_log_density(grid) - mx.grid_log_density(grid, coarse=True))
    fine = mx.grid_log_density(mx.mixture_grid(model, grid.axes, mx.latent_nodes(model, n=8001)))
    error = np.abs(mx.grid_log_density(grid) - fine)
    assert change.max() < 1e-3 and error.max() <= change.max() / 2  # the page's check
    coarse = mx.latent_nodes(model, n=41)  # every other node, weights × 2, still sums p(z) to 1
    assert mx.prior_mass(coarse, mx.coarse_nodes(coarse)) * 2 == pytest.approx(1.0, abs=1e-4)


def test_only_gaussian_decoders_and_small_latents_are_accepted():
    with pytest.raises(ValueError, match="latent dimension ≤ 2"):
        mx.latent_nodes(tiny_vae(3, "gaussian_fixed"))
    bern = GaussianVAE(2, 1, hidden=(8,), likelihood="bernoulli")
    with pytest.raises(ValueError, match="Gaussian p\\(x\\|z\\)"):
        mx.decoder_gaussian(bern, [[0.0]])


def test_decoded_curves_follow_the_decoder():
    model = tiny_vae(2, "gaussian_fixed")
    curves = mx.decoded_curve(model, n=7)
    assert curves.shape == (14, 7, 2)
    mean, _ = mx.decoder_gaussian(model, [[-2.5, -2.5], [2.5, -2.5]])
    np.testing.assert_allclose(curves[0, [0, -1]], mean, atol=1e-6)  # first row: z2 = −2.5


# ---------------------------------------------------------------- figures


def test_covariance_ellipse_lies_on_the_k_sigma_contour():
    mean, cov = np.array([0.5, -1.0]), np.array([[0.8, 0.3], [0.3, 0.2]])
    x, y = plots.covariance_ellipse(mean, cov, k=2.0)
    dev = np.stack([x, y], 1) - mean
    np.testing.assert_allclose(np.einsum("ni,ij,nj->n", dev, np.linalg.inv(cov), dev), 4.0, rtol=1e-10)


def test_mixture_figure_shows_the_clipped_map_and_every_component(three):
    x, _ = three
    gmm = mx.fit_mixture(x, 3)
    axes, points = mx.data_grid(x, 20)
    log_p = mx.mixture_log_density(gmm, points).reshape(20, 20)
    fig = plots.mixture_figure(axes, log_p, x, gmm.weights_, gmm.means_, gmm.covariances_, "t")
    heat = fig.data[0]
    assert heat.type == "heatmap" and np.min(heat.z) == pytest.approx(log_p.max() - plots.FLOOR_NATS)
    assert sum(t.type == "scatter" and t.mode == "lines" for t in fig.data) == 6  # 3 × (1σ, 2σ)
    assert [f"p(z={k})" in " ".join(fig.data[-1].text) for k in (1, 2, 3)] == [True] * 3
