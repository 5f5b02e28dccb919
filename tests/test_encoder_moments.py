"""Encoder-gradient moments without per-sample gradients, against the materialised ones."""
import numpy as np
import pytest
import torch
from torch import nn

from explorer.estimators.encoder_gradients import (encoder_gradient_moments,
                                                   encoder_gradient_samples,
                                                   encoder_gradient_samples_loop)
from explorer.estimators.encoder_snr import ENCODER_VARIANTS, gradient_noise, moment_noise
from explorer.models import LIKELIHOODS, GaussianVAE


@pytest.mark.parametrize("likelihood", LIKELIHOODS)
@pytest.mark.parametrize("variant", list(ENCODER_VARIANTS))
@pytest.mark.parametrize("batch", [1, 3])
def test_moments_equal_those_of_the_backward_loop_estimates(likelihood, variant, batch):
    """Mean and unbiased variance of every encoder weight's gradient equal those of the
    estimates a loop of backward() passes produces on the same noise."""
    torch.manual_seed(1)
    model = GaussianVAE(6, 2, (8, 7), likelihood=likelihood)
    x = torch.rand(batch, 6)
    options = ENCODER_VARIANTS[variant]
    moments = encoder_gradient_moments(model, x, n=40, seed=2, **options)
    samples = encoder_gradient_samples_loop(model, x, n=40, seed=2, **options)
    assert list(moments) == list(samples)
    for k, g in samples.items():
        mean, var = moments[k]
        assert mean.shape == var.shape == g.shape[1:]
        g = g.double()
        torch.testing.assert_close(mean, g.mean(0), rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(var, g.var(0), rtol=1e-4, atol=1e-9)
        assert var.max() > 0


def test_two_estimates_give_half_their_squared_difference():
    """Unbiased (n − 1) normalisation: for n = 2 the variance is (g₁ − g₂)² / 2."""
    torch.manual_seed(3)
    model = GaussianVAE(5, 2, (4,))
    x = torch.rand(1, 5)
    moments = encoder_gradient_moments(model, x, "reinforce", 2, seed=4)
    samples = encoder_gradient_samples(model, x, "reinforce", 2, seed=4)
    for k, g in samples.items():
        g = g.double()
        torch.testing.assert_close(moments[k][1], (g[0] - g[1]) ** 2 / 2, rtol=1e-4, atol=1e-10)


def test_page_statistics_equal_the_materialised_oracle_on_an_mnist_sized_encoder():
    """The page's numbers (mean variance, median SNR, every live SNR) from the moments equal
    those from 300 materialised estimates, dead pixels (always 0) left out alike."""
    torch.manual_seed(5)
    model = GaussianVAE(784, 2, (32, 16))
    x = torch.rand(1, 784)
    x[:, :100] = 0.0  # pixels that are always blank: their weights get no gradient at all
    for options in ENCODER_VARIANTS.values():
        fast = moment_noise(encoder_gradient_moments(model, x, n=300, seed=6, **options))
        slow = gradient_noise(encoder_gradient_samples(model, x, n=300, seed=6, **options))
        np.testing.assert_allclose(fast["mean variance"], slow["mean variance"], rtol=1e-5)
        assert len(fast["snr"]) == len(slow["snr"]) <= 32 * (784 - 100) + 32 + 32 * 16 + 16 + 16 * 4 + 4
        np.testing.assert_allclose(fast["snr"], slow["snr"], rtol=1e-4)
        np.testing.assert_allclose(fast["median SNR"], slow["median SNR"], rtol=1e-4)


def test_refuses_fewer_than_two_estimates_and_non_linear_encoders():
    model = GaussianVAE(4, 2, (3,))
    with pytest.raises(ValueError, match="n ≥ 2"):
        encoder_gradient_moments(model, torch.rand(4), "reparam", 1)
    model.encoder = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3), nn.Linear(3, 4))
    with pytest.raises(ValueError, match="Linear"):
        encoder_gradient_moments(model, torch.rand(4), "reparam", 5)
