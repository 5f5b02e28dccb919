"""Oracle tests for explorer.latent: models whose encoder or decoder we set by hand."""

import numpy as np
import pytest
import torch
from scipy.stats import norm
from torch.distributions import Normal, kl_divergence

from explorer.views.latent import (active_units, dimension_label, interpolate, kl_per_dimension,
                                   knn_accuracy, manifold_grid, nearest_point, posterior_samples,
                                   posterior_stats, prior_samples, project, reconstruct,
                                   traversal_grid, traverse, unit_activity)
from explorer.models import GaussianVAE


def small_vae(data_dim=6, latent_dim=3, seed=0, **kwargs):
    torch.manual_seed(seed)
    return GaussianVAE(data_dim=data_dim, latent_dim=latent_dim, hidden=(16,), **kwargs)


def constant_encoder_vae(mu, sigma, data_dim=6):
    """A VAE whose q(z|x) = N(mu, diag sigma²) for every x: last encoder layer weights zeroed."""
    model = small_vae(data_dim=data_dim, latent_dim=len(mu))
    last = model.encoder[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([*mu, *np.log(np.square(sigma))]))
    return model


def identity_decoder_vae(d=4):
    """A VAE with decode(z).mean = z exactly: decoded outputs show the codes that were decoded."""
    torch.manual_seed(1)
    model = GaussianVAE(data_dim=d, latent_dim=d, hidden=(), likelihood="gaussian_fixed")
    with torch.no_grad():
        model.decoder[0].weight.copy_(torch.eye(d))
        model.decoder[0].bias.zero_()
    return model


def data(n, data_dim=6, seed=0):
    return np.random.default_rng(seed).random((n, data_dim)).astype(np.float32)


def test_posterior_stats_returns_the_encoder_output_mu_and_sigma():
    mu, sigma = [0.5, -1.0, 2.0], [0.1, 1.0, 3.0]
    got_mu, got_sigma = posterior_stats(constant_encoder_vae(mu, sigma), data(25), batch_size=7)
    assert got_mu.shape == got_sigma.shape == (25, 3)
    np.testing.assert_allclose(got_mu, np.tile(mu, (25, 1)), rtol=1e-6)
    np.testing.assert_allclose(got_sigma, np.tile(sigma, (25, 1)), rtol=1e-5)


def test_posterior_stats_batched_equals_one_pass_through_the_encoder():
    model, x = small_vae(), data(23)
    mu, sigma = posterior_stats(model, x, batch_size=5)
    with torch.no_grad():
        q = model.encode(torch.as_tensor(x))
    np.testing.assert_allclose(mu, q.mean.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(sigma, q.stddev.numpy(), rtol=1e-6)


def test_posterior_stats_accepts_torch_tensors_and_lists():
    model, x = small_vae(), data(4)
    expected, _ = posterior_stats(model, x)
    np.testing.assert_array_equal(posterior_stats(model, torch.as_tensor(x))[0], expected)
    np.testing.assert_array_equal(posterior_stats(model, x.tolist())[0], expected)


def test_reconstruct_decodes_the_posterior_mean():
    model, x = small_vae(), data(9)
    with torch.no_grad():
        expected = model.decode(model.encode(torch.as_tensor(x)).mean).mean.numpy()
    got = reconstruct(model, x, batch_size=4)
    assert got.shape == (9, 6)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_posterior_samples_follow_q_and_are_reproducible():
    mu, sigma = np.array([1.0, -2.0]), np.array([0.5, 2.0])
    model, n = constant_encoder_vae(mu, sigma), 4000
    z, decoded = posterior_samples(model, data(1)[0], n, seed=3)
    assert z.shape == (n, 2) and decoded.shape == (n, 6)
    np.testing.assert_array_less(np.abs(z.mean(0) - mu), 4 * sigma / np.sqrt(n))
    np.testing.assert_allclose(z.std(0), sigma, rtol=0.05)
    with torch.no_grad():
        np.testing.assert_allclose(
            decoded, model.decode(torch.as_tensor(z)).mean.numpy(), rtol=1e-6
        )
    np.testing.assert_array_equal(posterior_samples(model, data(1)[0], n, seed=3)[0], z)
    assert not np.allclose(posterior_samples(model, data(1)[0], n, seed=4)[0], z)


def test_seeded_sampling_leaves_the_global_torch_generator_alone():
    model, x = small_vae(), data(1)[0]
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    prior_samples(model, 10, seed=0)
    posterior_samples(model, x, 10, seed=0)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_prior_samples_are_standard_normal_and_decoded():
    model, n = small_vae(), 4000
    z, decoded = prior_samples(model, n, seed=0)
    assert z.shape == (n, 3) and decoded.shape == (n, 6)
    np.testing.assert_array_less(np.abs(z.mean(0)), 4 / np.sqrt(n))
    np.testing.assert_allclose(z.std(0), 1.0, rtol=0.05)
    with torch.no_grad():
        np.testing.assert_allclose(
            decoded, model.decode(torch.as_tensor(z)).mean.numpy(), rtol=1e-6
        )


def test_manifold_grid_sits_at_gaussian_quantiles_and_decodes_each_code():
    model = small_vae(latent_dim=2)
    z1, z2, decoded = manifold_grid(model, n=5)
    expected = norm.ppf(np.linspace(0.05, 0.95, 5))
    np.testing.assert_allclose(z1, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(z2, expected, rtol=1e-10, atol=1e-12)
    assert decoded.shape == (5, 5, 6)
    with torch.no_grad():
        corner = model.decode(torch.tensor([[z1[4], z2[1]]], dtype=torch.float32)).mean.numpy()[0]
    np.testing.assert_allclose(decoded[1, 4], corner, rtol=1e-6)


def test_manifold_grid_with_span_is_linear():
    z1, z2, decoded = manifold_grid(small_vae(latent_dim=2), n=4, span=3.0)
    np.testing.assert_allclose(z1, [-3.0, -1.0, 1.0, 3.0])
    np.testing.assert_allclose(z2, z1)
    assert decoded.shape == (4, 4, 6)


@pytest.mark.parametrize("latent_dim", [1, 3])
def test_manifold_grid_needs_a_two_dimensional_latent(latent_dim):
    with pytest.raises(ValueError, match="2-D latent"):
        manifold_grid(small_vae(latent_dim=latent_dim))


def test_interpolation_starts_and_ends_at_the_posterior_means():
    model, x = small_vae(), data(2)
    z_path, decoded = interpolate(model, x[0], x[1], steps=7)
    mu, _ = posterior_stats(model, x)
    assert z_path.shape == (7, 3) and decoded.shape == (7, 6)
    np.testing.assert_array_equal(z_path[0], mu[0])
    np.testing.assert_array_equal(z_path[-1], mu[1])
    np.testing.assert_allclose(z_path[3], mu.mean(0), rtol=1e-6)
    np.testing.assert_allclose(decoded[[0, -1]], reconstruct(model, x), rtol=1e-6)


def test_traverse_changes_only_the_chosen_coordinate():
    model = identity_decoder_vae(d=4)
    z_base, values = np.array([0.3, -0.7, 1.1, 2.0]), np.array([-2.0, 0.0, 2.0])
    decoded = traverse(model, z_base, dim=2, values=values)
    expected = np.tile(z_base, (3, 1))
    expected[:, 2] = values
    np.testing.assert_allclose(decoded, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="dim"):
        traverse(model, z_base, dim=4, values=values)


def test_traversal_grid_stacks_one_traversal_per_dimension():
    model = identity_decoder_vae(d=4)
    z_base, values = np.array([0.3, -0.7, 1.1, 2.0]), np.linspace(-1, 1, 5)
    grid = traversal_grid(model, z_base, values)
    assert grid.shape == (4, 5, 4)
    for j in range(4):
        np.testing.assert_allclose(grid[j], traverse(model, z_base, j, values), rtol=1e-6)


def test_kl_per_dimension_is_the_data_average_of_torch_normal_kls():
    model, x = small_vae(), data(23)
    with torch.no_grad():
        q = model.encode(torch.as_tensor(x))
        expected = kl_divergence(Normal(q.mean, q.stddev), Normal(0.0, 1.0)).mean(0).numpy()
    got = kl_per_dimension(model, x, batch_size=5)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_a_dimension_whose_posterior_is_the_prior_is_inactive_by_both_diagnostics():
    model, x = small_vae(latent_dim=3), data(200)
    last, d = model.encoder[-1], 3
    with torch.no_grad():
        last.weight.mul_(10.0)  # make the other two units clearly active
        for row in (1, d + 1):  # μ_2 and log σ²_2 ignore x and equal 0: q(z_2|x) = N(0, 1) = p(z_2)
            last.weight[row].zero_()
            last.bias[row] = 0.0
    kl = kl_per_dimension(model, x)
    mu, _ = posterior_stats(model, x)
    assert kl[1] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_array_equal(active_units(kl), [True, False, True])
    np.testing.assert_array_equal(active_units(unit_activity(mu)), [True, False, True])


def test_unit_activity_is_the_variance_of_posterior_means_over_data():
    mu = np.array([[1.0, 5.0, 0.0], [-1.0, 5.0, 0.1], [1.0, 5.0, 0.0], [-1.0, 5.0, 0.1]])
    np.testing.assert_allclose(unit_activity(mu), [1.0, 0.0, 0.0025])
    np.testing.assert_array_equal(active_units(unit_activity(mu)), [True, False, False])


def test_project_keeps_low_dimensional_codes():
    points = np.random.default_rng(0).normal(size=(10, 2))
    coords, indices = project(points, method="tsne")
    np.testing.assert_array_equal(coords, points)
    np.testing.assert_array_equal(indices, np.arange(10))
    coords, _ = project(points[:, :1])
    np.testing.assert_array_equal(coords, np.c_[points[:, 0], np.zeros(10)])
    with pytest.raises(ValueError, match="method"):
        project(points, method="umap")


def test_pca_projection_recovers_the_dominant_direction():
    rng = np.random.default_rng(0)
    direction = rng.normal(size=6)
    direction /= np.linalg.norm(direction)
    t = rng.normal(size=300) * 5.0
    points = t[:, None] * direction + 0.05 * rng.normal(size=(300, 6)) + 3.0
    coords, indices = project(points, method="pca")
    assert coords.shape == (300, 2)
    np.testing.assert_array_equal(indices, np.arange(300))
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.999
    assert coords[:, 0].var() > 1000 * coords[:, 1].var()


def test_tsne_subsamples_and_keeps_separated_clusters_apart():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 40)
    points = rng.normal(size=(80, 5)) + 20.0 * labels[:, None]
    coords, indices = project(points, method="tsne", seed=0, max_points=50)
    assert coords.shape == (50, 2) and len(np.unique(indices)) == 50
    assert np.all(np.diff(indices) > 0) and indices.max() < 80
    assert knn_accuracy(coords, labels[indices], coords, labels[indices], k=3) == 1.0


def test_nearest_point_finds_the_closest_row():
    coords = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, -2.0]])
    assert nearest_point(coords, 0.9, 1.2) == 1
    assert nearest_point(coords, 4.0, -1.0) == 2


def test_knn_accuracy_separates_clusters_and_not_shuffled_labels():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y_train, y_test = rng.integers(0, 3, 300), rng.integers(0, 3, 100)
    mu_train = centers[y_train] + rng.normal(size=(300, 2))
    mu_test = centers[y_test] + rng.normal(size=(100, 2))
    assert knn_accuracy(mu_train, y_train, mu_test, y_test) > 0.97
    assert knn_accuracy(mu_train, rng.permutation(y_train), mu_test, y_test) < 0.6


def test_dimension_labels_count_from_one_like_the_lectures():
    assert [dimension_label(j) for j in (0, 1, 11)] == ["z₁", "z₂", "z₁₂"]


def test_pca_projection_is_scikit_learns():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    for n, d in [(500, 3), (100, 64), (1000, 8)]:
        x = rng.normal(size=(n, d)) * rng.uniform(0.1, 3, d) + rng.normal(size=d)
        coords, indices = project(x, "pca")
        np.testing.assert_allclose(coords, PCA(n_components=2).fit_transform(x), atol=1e-10)
        assert np.array_equal(indices, np.arange(n))
