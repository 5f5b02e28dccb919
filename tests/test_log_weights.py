"""The shared kernels of explorer.bounds.log_weights against independent oracles: a float64
direct formula (log_mean_exp), torch.distributions.Bernoulli (the fused Bernoulli
log-likelihood), and one unchunked call with the same seed (the chunk loop)."""
import math

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal

from explorer.bounds import (bernoulli_log_likelihood, chunked, chunked_log_weights, iwae,
                             log_likelihood, log_mean_exp, log_weights, renyi_bound)
from explorer.models import BernoulliDVAE, GaussianVAE
from explorer.models import dvae_iwae, dvae_log_weights

F64 = torch.float64


def direct_log_mean_exp(a, dim):
    """log mean exp in float64, the naive way (exact when nothing underflows)."""
    return torch.log(torch.exp(a.double()).mean(dim))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_mean_exp_matches_the_direct_formula(dim):
    a = torch.randn(7, 5, generator=torch.Generator().manual_seed(0), dtype=F64) * 3
    torch.testing.assert_close(log_mean_exp(a, dim), direct_log_mean_exp(a, dim), rtol=0, atol=1e-12)


def test_log_mean_exp_keeps_weights_far_below_exp_range():
    a = torch.randn(50, 4, generator=torch.Generator().manual_seed(1), dtype=F64)
    shift = -1.0e4  # exp(−10⁴) is 0 in float64: the naive formula gives −inf
    assert torch.isinf(direct_log_mean_exp(a + shift, 0)).all()
    # log mean exp(a + c) = c + log mean exp(a), the direct formula on the unshifted a.
    torch.testing.assert_close(log_mean_exp(a + shift, 0), shift + direct_log_mean_exp(a, 0),
                               rtol=0, atol=1e-9)
    one = torch.tensor([[-5000.0, -5000.0 + math.log(3.0)]], dtype=F64)  # mean of w, 3w
    torch.testing.assert_close(log_mean_exp(one, 1), torch.tensor([-5000.0 + math.log(2.0)], dtype=F64))


def test_log_mean_exp_float32_agrees_with_float64():
    a = torch.randn(1000, 3, generator=torch.Generator().manual_seed(2)) * 20 - 300
    torch.testing.assert_close(log_mean_exp(a).double(), log_mean_exp(a.double()), rtol=0, atol=1e-4)


@pytest.mark.parametrize("shape_x, shape_l", [((4, 6), (4, 6)), ((4, 6), (3, 1, 6)),
                                              ((4, 6), (3, 4, 6)), ((1, 6), (5, 1, 6)),
                                              ((2, 4, 6), (2, 1, 6))])
def test_bernoulli_log_likelihood_matches_torch_distributions(shape_x, shape_l):
    g = torch.Generator().manual_seed(3)
    x = torch.rand(shape_x, generator=g, dtype=F64)
    x[..., :3] = x[..., :3].round()  # binary and grey-level targets
    logits = 4 * torch.randn(shape_l, generator=g, dtype=F64)
    oracle = Independent(Bernoulli(logits=logits, validate_args=False), 1).log_prob(x)
    torch.testing.assert_close(bernoulli_log_likelihood(x, logits), oracle)


def test_log_likelihood_fast_path_is_decode_log_prob():
    torch.manual_seed(4)
    model = GaussianVAE(6, 2, (8,), likelihood="bernoulli").double()
    x = torch.rand(5, 6, dtype=F64)
    for z in (torch.randn(3, 1, 2, dtype=F64), torch.randn(3, 5, 2, dtype=F64)):
        torch.testing.assert_close(log_likelihood(model, x, z), model.decode(z).log_prob(x))


def test_chunked_concatenates_the_blocks_in_order():
    seen = []

    def part(start, n):
        seen.append((start, n))
        return torch.arange(start, start + n)

    torch.testing.assert_close(chunked(part, 10, 4), torch.arange(10))
    assert seen == [(0, 4), (4, 4), (8, 2)]
    assert chunked(part, 3, 100).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="positive"):
        chunked(part, 0, 4)


def test_chunked_log_weights_use_the_same_samples_as_one_call():
    torch.manual_seed(5)
    model = GaussianVAE(6, 2, (8,), likelihood="bernoulli").double()
    x = torch.rand(5, 6, dtype=F64).round()
    torch.manual_seed(6)
    whole = log_weights(model, x, 24)
    torch.manual_seed(6)
    parts = chunked_log_weights(model, x, 24, chunk_size=24)
    torch.testing.assert_close(parts, whole)
    # Chunks draw their noise one after the other: the same distribution, not the same numbers,
    # so the IWAE and Rényi reductions are checked on the same chunked draw.
    torch.manual_seed(7)
    lw = chunked_log_weights(model, x, 24, chunk_size=5)
    torch.manual_seed(7)
    torch.testing.assert_close(iwae(model, x, 24, chunk_size=5), direct_log_mean_exp(lw, 0))
    torch.manual_seed(7)
    torch.testing.assert_close(renyi_bound(model, x, 0.0, 24, chunk_size=5), direct_log_mean_exp(lw, 0))


def test_dvae_iwae_is_log_mean_exp_of_its_weights():
    torch.manual_seed(8)
    model = BernoulliDVAE(6, 3, (8,)).double()
    x = torch.rand(4, 6, dtype=F64).round()
    torch.manual_seed(9)
    lw = dvae_log_weights(model, x, 50)
    torch.manual_seed(9)
    torch.testing.assert_close(dvae_iwae(model, x, 50), direct_log_mean_exp(lw, 0))
    assert lw.shape == (50, 4) and torch.isfinite(lw).all()
