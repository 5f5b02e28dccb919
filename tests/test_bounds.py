"""Bounds on log p(x) against independent oracles: pPCA closed forms, brute-force grids,
the power-mean inequality and direct formulas. Tolerances come from standard errors."""
import math

import pytest
import torch
from torch.distributions import Independent, Normal

from explorer import data
from explorer.bounds import (
    effective_sample_size, elbo, exact_log_marginal, iwae, log_joint, log_weights,
    posterior_grid, renyi_bound, renyi_reduce,
)
from explorer.objectives import elbo_terms
from explorer.models.linear_gaussian import LinearGaussianModel
from explorer.models import GaussianVAE

F64 = torch.float64


def ppca(d, D=5, noise=0.5, seed=0, dtype=F64):
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(D, d, generator=g, dtype=F64)
    if d == 2:
        W[:, 1] += 0.8 * W[:, 0]  # non-orthogonal columns: a correlated posterior
    b = torch.randn(D, generator=g, dtype=F64)
    return LinearGaussianModel(W.to(dtype), b.to(dtype), noise)


def sample_x(model, n, seed=1):
    torch.manual_seed(seed)
    return model.decode(model.prior().sample((n,))).sample()


def shifted_narrow(model, shift=0.4, scale=0.6):
    """A deliberately wrong diagonal q: the posterior mean shifted, marginal stds shrunk."""
    def q(x):
        post = model.posterior(x)
        return Independent(Normal(post.mean + shift, scale * post.stddev), 1)
    return model.with_encoder(q)


@pytest.fixture(scope="module")
def tiny_vae():
    """A small GaussianVAE trained for 300 Adam steps on the three-Gaussians toy set."""
    torch.manual_seed(0)
    x, _ = data.load("three_gaussians", "train")
    model = GaussianVAE(2, 2, (32, 32), likelihood="gaussian_fixed", obs_std=0.3)
    model.init_output_bias(x.mean(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        loss = elbo_terms(model, x[torch.randint(len(x), (128,))]).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


# --- exact_log_marginal and posterior_grid ----------------------------------------------

@pytest.mark.parametrize("d", [1, 2])
def test_exact_log_marginal_matches_ppca_closed_form(d):
    model = ppca(d)
    x = sample_x(model, 8)
    torch.testing.assert_close(exact_log_marginal(model, x), model.log_marginal(x), atol=1e-3, rtol=0)


def test_exact_log_marginal_is_batched_and_float32_close_to_float64():
    model64, model32 = ppca(2), ppca(2, dtype=torch.float32)
    x = sample_x(model64, 6)
    batched = exact_log_marginal(model64, x)
    one_by_one = torch.cat([exact_log_marginal(model64, x[i : i + 1]) for i in range(len(x))])
    torch.testing.assert_close(batched, one_by_one, atol=1e-6, rtol=0)
    diff = (exact_log_marginal(model32, x.float()).double() - model64.log_marginal(x)).abs().max()
    print(f"float32 model vs float64 closed form: max |Δ log p(x)| = {diff:.2e} nats")
    assert diff < 1e-3


def test_exact_log_marginal_rejects_three_latent_dimensions():
    model = ppca(3)
    with pytest.raises(ValueError, match="latent dimension ≤ 2.*iwae"):
        exact_log_marginal(model, sample_x(model, 2))


def test_exact_log_marginal_of_nonlinear_vae_matches_brute_force_grid(tiny_vae):
    """Oracle: a plain Riemann sum on a 1201² grid over a box wide enough that the integrand
    on its edge is < e⁻³⁰ of the peak (checked); it moves < 1e-5 nats from 601² to 2401²."""
    model = GaussianVAE(2, 2, (32, 32), likelihood="gaussian_fixed", obs_std=0.3).double()
    model.load_state_dict(tiny_vae.state_dict())
    x = data.load("three_gaussians", "test")[0][:3].double()
    n, half = 1201, 8.0
    axis = torch.linspace(-half, half, n, dtype=F64)
    z = torch.cartesian_prod(axis, axis)[:, None, :]
    with torch.no_grad():
        log_f = torch.cat([log_joint(model, x, z[i : i + 200_000]) for i in range(0, len(z), 200_000)])
    grid = log_f.reshape(n, n, -1)
    edge = torch.cat([grid[0], grid[-1], grid[:, 0], grid[:, -1]]).amax(0)
    assert (edge < grid.amax((0, 1)) - 30).all()
    reference = torch.logsumexp(log_f, 0) + 2 * math.log(2 * half / (n - 1))
    # ReLU kinks make convergence algebraic, not geometric: the documented accuracy is 0.01 nats.
    torch.testing.assert_close(exact_log_marginal(model, x), reference, atol=1e-2, rtol=0)


@pytest.mark.parametrize("d", [1, 2])
def test_posterior_grid_is_the_analytic_posterior(d):
    model = ppca(d)
    x = sample_x(model, 1)
    post = model.posterior(x)
    for span in (None, 3.0):
        axes, log_post = posterior_grid(model, x[0], n=31, span=span)
        assert len(axes) == d and log_post.shape == (31,) * d
        mesh = torch.meshgrid(*axes[::-1], indexing="ij")[::-1] if d == 2 else axes
        z = torch.stack(list(mesh), -1).reshape(-1, d)
        if d == 2:  # convention: log_post[i2, i1] is the density at (axes[0][i1], axes[1][i2])
            assert torch.equal(z.reshape(31, 31, 2)[4, 7], torch.stack([axes[0][7], axes[1][4]]))
        expected = post.log_prob(z[:, None, :])[:, 0].reshape(log_post.shape)
        torch.testing.assert_close(log_post, expected, atol=1e-3, rtol=0)


# --- importance weights and the IWAE bound -------------------------------------------------

@pytest.mark.parametrize("d", [1, 2])
def test_every_log_weight_is_log_px_when_q_is_the_exact_posterior(d):
    model = ppca(d)
    x = sample_x(model, 4)
    lw = log_weights(model, x, 50)
    assert lw.shape == (50, 4)
    torch.testing.assert_close(lw, model.log_marginal(x).expand(50, 4), atol=1e-9, rtol=0)


def test_iwae_converges_to_log_px():
    model = ppca(2)
    x = sample_x(model, 4)
    wide = model.with_encoder(lambda x: Independent(
        Normal(model.posterior(x).mean + 0.2, 1.5 * model.posterior(x).stddev), 1))
    k = 100_000
    torch.manual_seed(2)
    lw = log_weights(wide, x, k)
    torch.manual_seed(2)
    L_k = iwae(wide, x, k, chunk_size=7_000)  # chunking must not change the samples used
    torch.testing.assert_close(L_k, torch.logsumexp(lw, 0) - math.log(k))
    # Delta method: SE of log(mean w) is sqrt((k/ESS − 1)/k); the bias is −SE²/2.
    se = torch.sqrt((k / effective_sample_size(lw) - 1) / k)
    err = L_k - model.log_marginal(x)
    assert (err.abs() < 4 * se + se**2).all(), (err, se)


def test_existing_elbo_matches_analytic_elbo_for_a_wrong_q():
    model = ppca(2)
    wrong = shifted_narrow(model)
    x = sample_x(model, 5)
    k = 20_000
    torch.manual_seed(3)
    mc = elbo(wrong, x, k=k)
    torch.manual_seed(3)
    se = log_weights(wrong, x, k).std(0) / math.sqrt(k)
    analytic = model.analytic_elbo(wrong.encode(x), x)
    assert (analytic < model.log_marginal(x) - 0.5).all()  # q really is wrong
    assert ((mc - analytic).abs() < 4 * se).all()


def _ordering(model, x, log_px, reps=400, k_big=64, k_mid=8):
    """Paired per-replicate ELBO ≤ L_8 ≤ L_64 ≤ log p(x), averaged over replicates and points."""
    torch.manual_seed(4)
    with torch.no_grad():
        lw = log_weights(model, x, reps * k_big).reshape(reps, k_big, -1)
    L1 = lw[:, 0].mean(-1)  # single-sample ELBO, averaged over points
    Lmid = (torch.logsumexp(lw[:, :k_mid], 1) - math.log(k_mid)).mean(-1)
    Lbig = (torch.logsumexp(lw, 1) - math.log(k_big)).mean(-1)
    for lo, hi in ((L1, Lmid), (Lmid, Lbig)):
        diff = hi - lo
        se = diff.std() / math.sqrt(reps)
        assert diff.mean() > 3 * se, (diff.mean(), se)  # a strict, significant increase
    se_big = Lbig.std() / math.sqrt(reps)
    assert Lbig.mean() < log_px.mean() + 3 * se_big


def test_bound_ordering_on_ppca_with_a_wrong_q():
    model = ppca(2)
    x = sample_x(model, 4)
    _ordering(shifted_narrow(model), x, model.log_marginal(x))


def test_bound_ordering_on_a_trained_vae(tiny_vae):
    x = data.load("three_gaussians", "test")[0][:8]
    _ordering(tiny_vae, x, exact_log_marginal(tiny_vae, x))


# --- Rényi bound and effective sample size -------------------------------------------------

def test_renyi_endpoints_are_iwae_and_elbo_on_the_same_samples():
    model = shifted_narrow(ppca(2))
    x = sample_x(model, 3)
    torch.manual_seed(5)
    lw = log_weights(model, x, 300)
    torch.manual_seed(5)
    r0 = renyi_bound(model, x, 0.0, 300, chunk_size=64)
    torch.manual_seed(5)
    r1 = renyi_bound(model, x, 1.0, 300, chunk_size=64)
    torch.manual_seed(5)
    torch.testing.assert_close(r0, iwae(model, x, 300, chunk_size=64))
    torch.testing.assert_close(r1, lw.mean(0))
    torch.testing.assert_close(r0, torch.logsumexp(lw, 0) - math.log(300))


def test_renyi_is_monotone_in_alpha_and_continuous_at_one():
    model = shifted_narrow(ppca(2))
    x = sample_x(model, 3)
    lw = log_weights(model, x, 500)
    alphas = [0.0, 0.25, 0.5, 0.75, 0.99, 1 - 1e-4, 1 - 1e-9, 1.0]
    values = torch.stack([renyi_reduce(lw, a) for a in alphas])
    # Power-mean inequality: on one sample set L_α is non-increasing in α, not just on average.
    assert (values[1:] <= values[:-1] + 1e-9).all()
    # Near α = 1: L_α = mean + (1−α)/2 · var + O((1−α)²).
    s = 1e-4
    torch.testing.assert_close(values[5], lw.mean(0) + s / 2 * lw.var(0, unbiased=False), atol=1e-5, rtol=0)
    torch.testing.assert_close(values[6], lw.mean(0) + 5e-10 * lw.var(0, unbiased=False), atol=1e-10, rtol=0)
    for bad in (-0.1, 1.1, float("nan")):
        with pytest.raises(ValueError, match="α in \\[0, 1\\]"):
            renyi_bound(model, x, bad, 10)


def test_renyi_bound_decreases_with_alpha_in_expectation():
    model = shifted_narrow(ppca(2))
    x = sample_x(model, 2)
    reps = 300
    torch.manual_seed(6)
    r = torch.stack([torch.stack([renyi_bound(model, x, a, 16) for a in (0.0, 0.5, 1.0)])
                     for _ in range(reps)])  # (reps, 3, B), independent samples per α
    means, ses = r.mean(0), r.std(0) / math.sqrt(reps)
    for i in range(2):
        diff = means[i] - means[i + 1]
        assert (diff > 3 * torch.sqrt(ses[i] ** 2 + ses[i + 1] ** 2)).all()


def test_effective_sample_size():
    assert torch.allclose(effective_sample_size(torch.full((50, 3), -700.0)), torch.tensor(50.0))
    dominant = torch.full((100,), -1e3)
    dominant[7] = 0.0
    assert torch.allclose(effective_sample_size(dominant), torch.tensor(1.0))
    g = torch.Generator().manual_seed(7)
    lw = torch.randn(4, 20, generator=g, dtype=F64)
    w = lw.exp()
    torch.testing.assert_close(effective_sample_size(lw, dim=1), w.sum(1) ** 2 / (w**2).sum(1))


def test_finer_quadrature_grids_reuse_the_coarser_values(monkeypatch):
    """Halving the spacing of a posterior-aligned grid decodes only the new points: the result
    is bit-identical to recomputing every point, with fewer decoder calls."""
    import explorer.bounds.quadrature as Q

    torch.manual_seed(0)
    model = GaussianVAE(20, 2, (16,)).double()
    with torch.no_grad():  # sharp ReLU kinks: the final rule has to refine
        for p in model.decoder.parameters():
            p.mul_(4)
    x = torch.bernoulli(torch.full((8, 20), 0.3, dtype=torch.float64))
    decoded = []
    per_point = Q._per_point_log_joint

    def counting(model, x, z):
        decoded.append(z.shape[0] * z.shape[1])
        return per_point(model, x, z)

    monkeypatch.setattr(Q, "_per_point_log_joint", counting)
    reused = Q.exact_log_marginal(model, x)
    n_reused = sum(decoded)
    rule = Q._aligned_rule
    monkeypatch.setattr(Q, "_aligned_rule", lambda model, x, mean, chol, n, half, known=None:
                        rule(model, x, mean, chol, n, half))
    decoded.clear()
    assert torch.equal(Q.exact_log_marginal(model, x), reused)
    assert n_reused < sum(decoded)
