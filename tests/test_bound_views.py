"""explorer.views.bound_views and the test-set summaries of explorer.views.latent against
independent oracles: the ESS formula on the same weights, quadrature only for d ≤ 2, and the
per-point computations the summaries are made of."""
import numpy as np
import torch

from explorer.bounds import effective_sample_size, log_weights
from explorer.models import GaussianVAE
from explorer.views import bound_views, latent


def model(latent_dim=2, seed=0):
    torch.manual_seed(seed)
    return GaussianVAE(data_dim=6, latent_dim=latent_dim, hidden=(8,)).eval()


def test_point_bounds():
    m, x = model(), torch.rand(6)
    assert bound_views.exact_log_px(model(3), x) is None  # no quadrature in 3-D
    exact = bound_views.exact_log_px(m, x)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        expected = float(effective_sample_size(log_weights(m, x[None], 50))[0])
    assert bound_views.ess(m, x, 50) == expected and 1 <= expected <= 50
    alphas, values = bound_views.renyi(m, x, 50)
    assert len(alphas) == len(values) == 21 and alphas[0] == 0 and alphas[-1] == 1
    assert values[-1] <= exact + 0.05  # L_1 is the ELBO, below log p(x)
    axes, log_post = bound_views.posterior(m, x)
    cell = np.prod([a[1] - a[0] for a in axes])
    assert abs(np.exp(log_post).sum() * cell - 1) < 1e-2  # a normalised density on the grid


def test_latent_test_summary_subsamples_and_matches_the_per_part_views():
    m = model()
    x, y = torch.rand(30, 6), torch.arange(30)
    out = latent.test_summary(m, x, y, max_points=10)
    assert len(out["x"]) == 10 and sorted(out["y"]) == list(out["y"])
    keep = out["y"]
    np.testing.assert_array_equal(out["x"], x[keep].numpy())
    mu, sigma = latent.posterior_stats(m, x[keep])
    np.testing.assert_allclose(out["mu"], mu)
    np.testing.assert_allclose(out["sigma"], sigma)
    np.testing.assert_allclose(out["kl_dim"], latent.kl_per_dimension(m, x[keep]))
    assert len(latent.test_summary(m, x, None)["x"]) == 30


def test_the_page_bundle_is_the_per_point_functions_called_alone():
    """point_bounds (one background job of the Bound ladder page) gives the very numbers each
    function gives on its own, and reports progress from 0 to 1 in order."""
    from explorer.bounds import sweeps

    m, x = model(), torch.rand(6)
    seen = []
    out = bound_views.point_bounds(m, x, 50, ks=(1, 10, 100),
                                   on_progress=lambda f, text: seen.append(f))
    alone = sweeps.bound_ladder(m, x, (1, 10, 100))
    for key in ("k", "mean", "se", "reps"):
        assert np.array_equal(out["ladder"][key], alone[key])
    assert out["exact"] == bound_views.exact_log_px(m, x)
    assert out["ess"] == {k: bound_views.ess(m, x, k) for k in (1, 10, 100)}
    assert np.array_equal(out["renyi"][1], bound_views.renyi(m, x, 50)[1])
    axes, log_post = bound_views.posterior(m, x)
    assert np.array_equal(out["log_post"], log_post)
    assert np.array_equal(out["log_q"], bound_views.encoder_density(m, x, axes))
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] < 1
    high = bound_views.point_bounds(model(3), x, 50, ks=(1, 10))
    assert high["exact"] is None and "log_post" not in high  # no quadrature, no grid in 3-D


def test_the_ladder_reports_its_samples_as_it_climbs():
    from explorer.bounds import sweeps

    m, x = model(), torch.rand(6)
    seen = []
    out = sweeps.bound_ladder(m, x, (1, 10, 100), on_progress=lambda n, total: seen.append((n, total)))
    # 20 repeats of each k (the cap; the budget 20,000 / k allows more): 20, 200, 2,000 samples
    assert seen == [(20, 2220), (220, 2220), (2220, 2220)]
    assert np.array_equal(out["mean"], sweeps.bound_ladder(m, x, (1, 10, 100))["mean"])
