"""Per-sample encoder gradients: torch.func (vmap over the noise) against a backward() loop."""
import pytest
import torch

from explorer.estimators.encoder_gradients import _log_likelihood
from explorer.estimators import encoder_gradient_samples, encoder_gradient_samples_loop
from explorer.models import LIKELIHOODS, GaussianVAE


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_handwritten_log_likelihood_matches_decode(likelihood):
    torch.manual_seed(0)
    model = GaussianVAE(6, 2, (8,), likelihood=likelihood, obs_std=0.4)
    x, z = torch.rand(3, 6), torch.randn(5, 3, 2)
    torch.testing.assert_close(_log_likelihood(model, model.decoder(z), x),
                               model.decode(z).log_prob(x))


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
@pytest.mark.parametrize("method,options", [
    ("reparam", {}), ("reparam", {"samples_per_estimate": 3}), ("reinforce", {}),
    ("reinforce", {"samples_per_estimate": 3, "baseline": "loo"}),
])
@pytest.mark.parametrize("batch", [1, 3])
def test_vmap_equals_backward_loop(likelihood, method, options, batch):
    torch.manual_seed(1)
    model = GaussianVAE(6, 2, (8, 7), likelihood=likelihood)
    x = torch.rand(batch, 6).squeeze(0)  # one point as (D,), a batch as (B, D)
    fast = encoder_gradient_samples(model, x, method, 20, seed=2, **options)
    slow = encoder_gradient_samples_loop(model, x, method, 20, seed=2, **options)
    names = [f"encoder.{k}" for k, _ in model.encoder.named_parameters()]
    assert list(fast) == names and list(slow) == names
    for k in names:
        assert fast[k].shape == (20, *model.get_parameter(k).shape)
        torch.testing.assert_close(fast[k], slow[k], rtol=1e-4, atol=1e-5)
    # Different estimates really differ (the noise is not shared across the n rows).
    assert (fast[names[0]][0] - fast[names[0]][1]).abs().max() > 0


def test_estimates_average_to_the_gradient_of_the_analytic_elbo():
    """Both estimators are unbiased for ∇_φ ELBO; the oracle is autograd through the
    reparameterised reconstruction term, averaged over far more samples, minus the
    analytic KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1) − log σ."""
    torch.manual_seed(3)
    model = GaussianVAE(5, 1, (6,), likelihood="gaussian_fixed", obs_std=0.5)
    x = torch.rand(5)
    torch.manual_seed(4)
    q = model.encode(x[None])
    mu, std = q.mean, q.stddev
    z = mu + std * torch.randn(400_000, 1, 1)
    kl = (0.5 * (mu**2 + std**2 - 1) - torch.log(std)).sum()
    target = model.decode(z).log_prob(x[None]).mean() - kl
    oracle = dict(zip([f"encoder.{k}" for k, _ in model.encoder.named_parameters()],
                      torch.autograd.grad(target, list(model.encoder.parameters()))))
    for method, opts in [("reparam", {}), ("reinforce", {"samples_per_estimate": 4, "baseline": "loo"})]:
        g = encoder_gradient_samples(model, x, method, 20_000, seed=5, **opts)
        bias = g["encoder.2.bias"].mean(0) - oracle["encoder.2.bias"]
        se = g["encoder.2.bias"].std(0) / 20_000**0.5
        # The oracle's own Monte Carlo error (400k samples) is below 0.3 of the estimate's SE.
        assert (bias.abs() < 4.5 * se).all(), (method, bias, se)


def test_rejects_unknown_method_and_bad_baseline():
    model = GaussianVAE(4, 2, (3,))
    with pytest.raises(ValueError, match="reparam"):
        encoder_gradient_samples(model, torch.rand(4), "gumbel_softmax", 3)
    with pytest.raises(ValueError, match="baseline"):
        encoder_gradient_samples(model, torch.rand(4), "reparam", 3, baseline="loo")


def test_gradient_noise_against_numpy_and_dead_weights_left_out():
    from explorer.estimators.encoder_snr import ENCODER_VARIANTS, encoder_noise, gradient_noise
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 2.0, (50, 3, 2)), rng.normal(0.0, 1.0, (50, 4))
    b[:, 0] = 0.0  # a weight no estimate moves: no SNR for it
    out = gradient_noise({"w": torch.tensor(a), "b": torch.tensor(b)})
    flat = np.concatenate([a.reshape(50, -1), b], axis=1)
    sd = flat.std(0, ddof=1)
    np.testing.assert_allclose(out["mean variance"], (sd**2).mean())
    live = sd > 0
    np.testing.assert_allclose(out["snr"], np.abs(flat.mean(0)[live]) / sd[live])
    assert len(out["snr"]) == flat.shape[1] - 1
    np.testing.assert_allclose(out["median SNR"], np.median(out["snr"]))
    torch.manual_seed(0)
    model = GaussianVAE(6, 2, (8,))
    noise = encoder_noise(model, torch.rand(1, 6), 30)
    assert list(noise) == list(ENCODER_VARIANTS)
    assert all(list(s) == ["mean variance", "median SNR", "seconds", "snr"] for s in noise.values())
    x = torch.rand(1, 6)
    again = encoder_noise(model, x, 30)["reparam"]["snr"]
    np.testing.assert_array_equal(encoder_noise(model, x, 30)["reparam"]["snr"], again)  # seeded
