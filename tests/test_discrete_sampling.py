"""Gumbel-max and Gumbel-softmax sampling against torch.distributions and softmax frequencies."""
import pytest
import torch
from scipy import stats
from torch.distributions import RelaxedOneHotCategorical

from explorer.discrete import gumbel_max, gumbel_softmax

LOGITS = torch.tensor([[2.0, 0.0, -1.0, 0.5], [-3.0, 1.0, 1.0, 0.0]])
ALPHA = 1e-3  # per test; the seeds are fixed, so a pass is reproducible


def chi_square_p(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """Pearson χ² goodness-of-fit p-value of one row of category counts."""
    n = counts.sum()
    expected = n * probs
    stat = float(((counts - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(stat, len(probs) - 1))


def argmax_counts(idx: torch.Tensor, k: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(idx, k).sum(0).double()  # (rows, k)


def test_gumbel_max_frequencies_are_softmax():
    gen = torch.Generator().manual_seed(0)
    idx = gumbel_max(LOGITS.expand(100_000, -1, -1), generator=gen)
    assert idx.dtype == torch.int64 and idx.shape == (100_000, 2)
    counts = argmax_counts(idx, 4)
    probs = torch.softmax(LOGITS.double(), -1)
    for row in range(2):
        assert chi_square_p(counts[row], probs[row]) > ALPHA / 2  # Bonferroni over 2 rows
    # Power check: the same counts reject slightly wrong probabilities, so the test can fail.
    wrong = torch.softmax(LOGITS.double() + torch.tensor([0.05, 0, 0, 0]), -1)
    assert chi_square_p(counts[0], wrong[0]) < ALPHA


@pytest.mark.parametrize("tau", [0.3, 1.0])
def test_gumbel_softmax_matches_relaxed_one_hot_categorical(tau):
    """Two-sample Kolmogorov–Smirnov per coordinate against torch's own sampler."""
    n, logits = 20_000, LOGITS[0]
    ours = gumbel_softmax(logits.expand(n, -1), tau, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(2)
    theirs = RelaxedOneHotCategorical(torch.tensor(tau), logits=logits).sample((n,))
    for c in range(4):
        assert stats.ks_2samp(ours[:, c].numpy(), theirs[:, c].numpy()).pvalue > ALPHA / 4
    torch.testing.assert_close(ours.sum(-1), torch.ones(n))
    # Power check: a 30 % different temperature is detected on the same samples.
    other = RelaxedOneHotCategorical(torch.tensor(1.3 * tau), logits=logits).sample((n,))
    assert min(stats.ks_2samp(ours[:, c].numpy(), other[:, c].numpy()).pvalue for c in range(4)) < ALPHA


def test_hard_samples_are_one_hot_with_softmax_frequencies_and_relaxed_gradient():
    n = 100_000
    logits = LOGITS.clone().requires_grad_()
    hard = gumbel_softmax(logits.expand(n, -1, -1), 0.5, hard=True,
                          generator=torch.Generator().manual_seed(3))
    assert ((hard == 0) | (hard == 1)).all() and (hard.sum(-1) == 1).all()
    counts = argmax_counts(hard.argmax(-1), 4)
    probs = torch.softmax(LOGITS.double(), -1)
    for row in range(2):
        assert chi_square_p(counts[row], probs[row]) > ALPHA / 2
    # Straight-through: the gradient is the relaxed sample's (same noise from the same seed).
    w = torch.tensor([1.0, -2.0, 0.5, 3.0])
    g_hard, = torch.autograd.grad((hard * w).sum(), logits)
    soft = gumbel_softmax(logits.expand(n, -1, -1), 0.5, generator=torch.Generator().manual_seed(3))
    g_soft, = torch.autograd.grad((soft * w).sum(), logits)
    torch.testing.assert_close(g_hard, g_soft)
    assert g_hard.abs().sum() > 0


@pytest.mark.parametrize("tau", [0.01, 0.05])
@pytest.mark.parametrize("hard", [False, True])
def test_no_nan_at_low_temperature_and_large_logits(tau, hard):
    logits = torch.tensor([[50.0, -50.0, 0.0], [50.0, 49.9, -50.0], [-50.0, -50.0, -50.0],
                           [0.0, 0.0, 0.0]]).repeat(2500, 1).requires_grad_()
    y = gumbel_softmax(logits, tau, hard=hard, generator=torch.Generator().manual_seed(4))
    assert torch.isfinite(y).all() and (y >= 0).all()
    torch.testing.assert_close(y.sum(-1), torch.ones(len(y)))
    g, = torch.autograd.grad((y * torch.tensor([1.0, 2.0, 3.0])).sum(), logits)
    assert torch.isfinite(g).all()
    assert (gumbel_max(logits.detach())[0::4] == 0).all()  # a 50-nat lead always wins


def test_gumbel_softmax_rejects_nonpositive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        gumbel_softmax(LOGITS, 0.0)
