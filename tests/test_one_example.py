"""One example through the VAE (issue 12): the graph's numbers against independent oracles —
torch.distributions' KL per dimension, decode(z).log_prob(x), central differences of the
one-sample ELBO with ε fixed — and the figure's gradient paths (none into ε)."""
import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from explorer.models.gaussian import GaussianVAE
from explorer.plots.one_example import computation_graph, latent_point_map, loss_terms_figure
from explorer.views.one_example import draw_eps, forward_pass, path_note, single_sample_elbo

D, d = 6, 3


def tiny_model(seed=0, **kw):
    torch.manual_seed(seed)
    return GaussianVAE(D, d, (8,), **kw).double()


def point(seed=1):
    return np.random.default_rng(seed).random(D)


def test_kl_per_dimension_is_torch_kl_of_each_marginal_also_after_an_override():
    model, x = tiny_model(), point()
    out = forward_pass(model, x, draw_eps(model, 0), mu_override={2: 1.7}, sigma_override={0: 0.3})
    assert out["mu"][2] == 1.7 and out["sigma"][0] == 0.3
    for j in range(d):
        oracle = kl_divergence(Normal(torch.tensor(out["mu"][j]), torch.tensor(out["sigma"][j])),
                               Normal(torch.tensor(0.0, dtype=torch.float64), 1.0))
        assert out["kl_dim"][j] == pytest.approx(float(oracle), abs=1e-12)
    assert out["kl"] == pytest.approx(out["kl_dim"].sum(), abs=1e-12)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian_learned"])
def test_reconstruction_is_the_decoders_log_prob_at_z_and_elbo_subtracts_the_kl(likelihood):
    model, x = tiny_model(likelihood=likelihood), point()
    out = forward_pass(model, x, draw_eps(model, 3))
    z = torch.tensor(out["z"])[None]
    with torch.no_grad():
        oracle = model.decode(z).log_prob(torch.tensor(x)[None])
        assert np.allclose(out["decoded"], model.decode(z).mean[0].numpy())
    assert out["reconstruction"] == pytest.approx(float(oracle), abs=1e-10)
    assert out["elbo"] == pytest.approx(out["reconstruction"] - out["kl"], abs=1e-10)
    assert np.allclose(out["z"], out["mu"] + out["sigma"] * out["eps"], atol=1e-12)


def test_gradients_match_central_differences_of_the_one_sample_elbo_with_eps_fixed():
    model, x = tiny_model(likelihood="gaussian_learned"), point()
    eps = draw_eps(model, 5)
    out = forward_pass(model, x, eps)
    # Central differences: truncation O(h²·L''') ≈ 1e-10 and rounding O(1e-16·|L|/h) ≈ 1e-10 at
    # h = 1e-5 in float64, so 1e-6 leaves four orders of magnitude of margin and still fails
    # on any wrong path (a dropped ε factor changes ∂L/∂σ by O(1)).
    h = 1e-5
    for name, key in (("mu_override", "grad_mu"), ("sigma_override", "grad_sigma")):
        base = out[key.replace("grad_", "")]
        for j in range(d):
            up = forward_pass(model, x, eps, **{name: {j: base[j] + h}})["elbo"]
            down = forward_pass(model, x, eps, **{name: {j: base[j] - h}})["elbo"]
            assert (up - down) / (2 * h) == pytest.approx(out[key][j], abs=1e-6), (key, j)


def test_gradient_paths_split_as_through_z_plus_the_closed_form_kl():
    model, x = tiny_model(), point()
    out = forward_pass(model, x, draw_eps(model, 2), mu_override={1: -0.8})
    # ∂z/∂μ = 1 and ∂z/∂σ = ε; −∂KL_j/∂μ_j = −μ_j and −∂KL_j/∂σ_j = 1/σ_j − σ_j (eq. 22)
    assert np.allclose(out["grad_mu"], out["grad_z"] + out["grad_mu_kl"], atol=1e-12)
    assert np.allclose(out["grad_sigma"], out["eps"] * out["grad_z"] + out["grad_sigma_kl"],
                       atol=1e-12)
    assert np.allclose(out["grad_mu_kl"], -out["mu"], atol=1e-12)
    assert np.allclose(out["grad_sigma_kl"], 1 / out["sigma"] - out["sigma"], atol=1e-10)


def test_overriding_mu_j_moves_z_j_by_the_override_and_leaves_the_other_dimensions():
    model, x = tiny_model(), point()
    eps = draw_eps(model, 7)
    base = forward_pass(model, x, eps)
    moved = forward_pass(model, x, eps, mu_override={1: base["mu"][1] + 2.0})
    assert moved["z"][1] - base["z"][1] == pytest.approx(2.0, abs=1e-12)
    assert np.array_equal(np.delete(moved["z"], 1), np.delete(base["z"], 1))
    assert np.array_equal(moved["mu_encoder"], base["mu"])  # the encoder's value is kept
    assert moved["reconstruction"] != base["reconstruction"] and moved["kl"] != base["kl"]


def test_bad_overrides_are_refused_with_the_reason():
    model, x, eps = tiny_model(), point(), np.zeros(d)
    with pytest.raises(ValueError, match="positive"):
        forward_pass(model, x, eps, sigma_override={0: 0.0})
    with pytest.raises(ValueError, match="3 dimensions"):
        forward_pass(model, x, eps, mu_override={3: 1.0})


def test_eps_is_a_constant_of_the_graph_and_gets_no_gradient():
    model, x = tiny_model(), torch.tensor(point())[None]
    mu = torch.zeros(d, dtype=torch.float64, requires_grad=True)
    sigma = torch.ones(d, dtype=torch.float64, requires_grad=True)
    eps = torch.tensor(draw_eps(model, 0))
    terms = single_sample_elbo(model, x, mu, sigma, eps)
    terms["elbo"].backward()
    assert not eps.requires_grad and eps.grad is None
    assert mu.grad is not None and sigma.grad is not None
    with pytest.raises(RuntimeError):
        torch.autograd.grad(single_sample_elbo(model, x, mu, sigma, eps)["elbo"], eps)


def test_eps_comes_from_its_seed_with_the_moments_of_the_path_family():
    model = tiny_model()
    assert np.array_equal(draw_eps(model, 4), draw_eps(model, 4))
    assert not np.array_equal(draw_eps(model, 4), draw_eps(model, 5))
    n = 300  # 900 draws per family: 4 SE of the variance ≈ 0.38, well apart from var 2 = Laplace(0, 1)
    for kw in ({}, {"posterior": "laplace"}, {"posterior": "student_t"}):
        family = tiny_model(**kw)
        draws = np.stack([draw_eps(family, s) for s in range(n)]).ravel()
        se_mean = 1 / np.sqrt(draws.size)
        assert abs(draws.mean()) < 4 * se_mean, kw
        # unit variance; SE of the sample variance ≈ sqrt((kurtosis − 1) / N), kurtosis ≤ 9
        assert abs(draws.var() - 1) < 4 * np.sqrt(8 / draws.size), kw


def test_other_families_say_what_the_graph_shows_and_use_qs_marginal_moments():
    assert path_note(tiny_model()) is None
    for posterior in ("full_cov", "flow", "laplace"):
        model, x = tiny_model(posterior=posterior), point()
        note = path_note(model)
        assert note and "not" in note
        out = forward_pass(model, x, draw_eps(model, 0))
        with torch.no_grad():
            q = model.encode(torch.tensor(x)[None])
            assert np.allclose(out["mu"], q.mean[0].numpy(), atol=1e-12)
            assert np.allclose(out["sigma"], q.stddev[0].numpy(), atol=1e-12)
        assert np.allclose(out["z"], out["mu"] + out["sigma"] * out["eps"], atol=1e-12)


def _arrows(fig, kind):
    return {a.name.split(":")[1] for a in fig.layout.annotations if (a.name or "").startswith(kind)}


def test_the_graph_draws_gradients_back_to_mu_and_sigma_through_z_and_none_into_eps():
    model, x = tiny_model(), np.random.default_rng(0).random(D)
    out = forward_pass(model, x, draw_eps(model, 0))
    fig = computation_graph(out, x, (2, 3), j=1)
    forward, gradient = _arrows(fig, "forward:"), _arrows(fig, "gradient:")
    assert {"eps->reparam", "mu->reparam", "sigma->reparam", "reparam->z"} <= forward
    assert {"z->mu", "z->sigma", "recon->z", "kl->mu", "kl->sigma"} == gradient
    assert not [g for g in gradient if g.endswith("eps")]
    text = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "no gradient flows into ε" in text and f"{out['elbo']:.2f}" in text
    assert len(fig.layout.images) == 2  # x and the decoder's mean
    assert "eq. 26" in fig.layout.title.text


def test_loss_panel_and_latent_map_show_the_forward_pass_numbers():
    model = GaussianVAE(D, 2, (8,)).double()
    x = point()
    out = forward_pass(model, x, draw_eps(model, 1), mu_override={0: 0.5})
    loss = loss_terms_figure(out, j=0)
    assert np.allclose(loss.data[0].y, [out["reconstruction"], -out["kl"], out["elbo"]])
    assert np.allclose(loss.data[1].y, out["kl_dim"]) and "eq. 22" in loss.layout.title.text
    coords = np.random.default_rng(0).normal(size=(20, 2))
    fig = latent_point_map(coords, np.arange(20) % 3, out)
    z_trace = next(t for t in fig.data if t.name == "z")
    assert (z_trace.x[0], z_trace.y[0]) == pytest.approx(tuple(out["z"]))
    assert any(t.name == "encoder's μ(x)" for t in fig.data)  # μ₁ is overridden
    toy = computation_graph(out, x[:2], None, j=0)  # data without an image shape: bars
    assert len(toy.layout.images) == 0
