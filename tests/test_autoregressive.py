"""The autoregressive MADE decoder p(x|z) = Π_i Bern(x_i; σ(f_i(x_<i, z))) (Germain et al.
2015): it normalises over all 2^D binary images, logit i never sees x_j for j ≥ i, its
sequential sampler draws from exp(log_prob), and a VAE with it trains through the trainer."""
import itertools

import pytest
import torch

from explorer.bounds.log_weights import chunked_log_weights, log_likelihood, log_mean_exp
from explorer.models.autoregressive import MADE, AutoregressiveBernoulli, is_autoregressive
from explorer.models.gaussian import GaussianVAE
from explorer.objectives import elbo_terms
from explorer.views import latent
from trainer import RunSpec, RunStore, build_model
from trainer.loop import train_run


def _all_binary(d: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)))


def _made(d=6, latent=3, hidden=(16, 16), seed=0) -> MADE:
    torch.manual_seed(seed)
    made = MADE(d, latent, hidden)
    with torch.no_grad():  # larger weights than the default init: sharp, x-dependent logits
        for p in made.parameters():
            p.mul_(3.0)
    return made


@pytest.mark.parametrize("hidden", [(), (8,), (16, 16)])
def test_log_prob_normalises_over_every_binary_image(hidden):
    d = 8
    made = _made(d, hidden=hidden)
    z = torch.randn(4, 3)  # four codes at once: batch shape (4,)
    x = _all_binary(d)  # (256, 8)
    px = AutoregressiveBernoulli(made, z[:, None, :])  # batch (4, 1) against x (256, D)
    with torch.no_grad():
        logp = px.log_prob(x)
    assert logp.shape == (4, 2 ** d)
    assert torch.logsumexp(logp.double(), dim=1).tolist() == pytest.approx([0.0] * 4, abs=1e-5)


def test_logit_i_depends_only_on_earlier_pixels():
    d = 7
    made = _made(d)
    z, x = torch.randn(3), torch.rand(d)
    jac = torch.autograd.functional.jacobian(lambda v: made(v, z), x)  # ∂logit_i/∂x_j, (D, D)
    assert torch.all(torch.triu(jac) == 0)  # j ≥ i: exactly zero
    assert torch.count_nonzero(torch.tril(jac, -1)) > 0.8 * d * (d - 1) / 2  # and it does look back
    z_jac = torch.autograd.functional.jacobian(lambda v: made(x, v), z)
    assert torch.all(z_jac.abs().sum(1) > 0)  # z reaches every logit, the first one included


def test_sequential_samples_follow_exp_log_prob():
    d, n = 3, 40_000
    made = _made(d, latent=2, hidden=(8,))
    z = torch.tensor([0.3, -0.7])
    px = AutoregressiveBernoulli(made, z)
    torch.manual_seed(1)
    x = px.sample((n,))
    assert x.shape == (n, d) and set(x.unique().tolist()) <= {0.0, 1.0}
    grid = _all_binary(d)
    p = px.log_prob(grid).exp()
    counts = (x[:, None, :] == grid[None]).all(-1).sum(0).double()
    se = torch.sqrt(n * p * (1 - p)).double()
    assert torch.all((counts - n * p).abs() <= 4 * se + 1), (counts, n * p)


def test_vae_with_made_decoder_broadcasts_like_the_factorised_one():
    torch.manual_seed(0)
    model = GaussianVAE(12, 2, hidden=(16,), decoder="made")
    assert is_autoregressive(model) and not is_autoregressive(GaussianVAE(12, 2, hidden=(16,)))
    x = torch.bernoulli(torch.full((5, 12), 0.4))
    z = torch.randn(3, 5, 2)
    ll = log_likelihood(model, x, z)
    assert ll.shape == (3, 5)
    for s in range(3):  # one image at a time gives the same values
        for b in range(5):
            one = model.decode(z[s, b]).log_prob(x[b])
            assert one.item() == pytest.approx(ll[s, b].item(), abs=1e-5)
    elbo = elbo_terms(model, x, n_samples=4).elbo
    lk = log_mean_exp(chunked_log_weights(model, x, 2000))
    assert torch.all(elbo.mean() <= lk.mean() + 0.05)
    pictures = latent.prior_samples(model, 4)[1]  # no closed-form mean: a sample's conditionals
    assert pictures.shape == (4, 12) and ((0 < pictures) & (pictures < 1)).all()
    with pytest.raises(NotImplementedError):
        model.decode(z).mean


def test_made_needs_a_bernoulli_likelihood_and_keeps_run_ids():
    with pytest.raises(ValueError, match="bernoulli"):
        GaussianVAE(12, 2, likelihood="gaussian_fixed", decoder="made")
    assert RunSpec().run_id == "38e217a4efdb"
    assert RunSpec(decoder="mlp").run_id == "38e217a4efdb"  # the default leaves the id alone
    assert RunSpec(decoder="made").run_id != RunSpec().run_id
    with pytest.raises(ValueError):
        RunSpec(decoder="pixelcnn")


def test_one_epoch_with_the_made_decoder_trains_with_elbo_below_l_k(tmp_path):
    store = RunStore(tmp_path / "runs")
    spec = RunSpec(dataset="digits", latent_dim=3, hidden=(32,), decoder="made", epochs=1,
                   bounds_every=1, bounds_k=50, bounds_points=16)
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    evals = store.evals(rec.run_id)
    elbo, lk = evals["bound_elbo"]["value"][-1], evals["bound_iwae"]["value"][-1]
    assert elbo <= lk and lk < 0
    model = build_model(spec)
    assert is_autoregressive(model)
