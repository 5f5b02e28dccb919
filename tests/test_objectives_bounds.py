"""Training objectives beyond the β-ELBO: IWAE L_K, Rényi L_α (values against
explorer.bounds, unbiased gradients), the L2 and MMD regularisers, and their runs."""
import math

import pytest
import torch

from explorer.bounds.iwae import iwae
from explorer.bounds.log_weights import log_weights
from explorer.bounds.renyi import renyi_reduce
from explorer.models import GaussianVAE
from explorer.objectives import (elbo_terms, iwae_terms, mmd2, objective_terms,
                                 regularized_terms, renyi_terms)
from explorer.objectives.regularizers import l2_to_prior_per_dimension


def tiny(seed=0, double=False):
    torch.manual_seed(seed)
    model = GaussianVAE(3, 1, (2,), likelihood="gaussian_fixed", obs_std=0.5)
    return model.double() if double else model


X1 = torch.tensor([[0.3, -0.2, 0.8]])


# ---- values ----------------------------------------------------------------
@pytest.mark.parametrize("estimator", ["reparam", "reinforce", "reinforce_loo"])
def test_iwae_objective_value_is_the_iwae_bound_on_the_same_samples(estimator):
    model = GaussianVAE(4, 2, (5,))
    x = torch.rand(6, 4)
    torch.manual_seed(3)
    t = iwae_terms(model, x, k=7, estimator=estimator)
    torch.manual_seed(3)
    ref = iwae(model, x, k=7, chunk_size=7)
    # rsample and sample draw the same ε from the same seed.
    torch.testing.assert_close(t.train_bound, ref)
    torch.testing.assert_close(t.objective, -ref.mean())
    torch.testing.assert_close(t.loss, -ref.mean())


def test_k1_reduces_to_the_elbo_objective_on_the_same_sample():
    model = GaussianVAE(4, 2, (5,))
    x = torch.rand(6, 4)
    torch.manual_seed(4)
    t = iwae_terms(model, x, k=1)
    torch.manual_seed(4)
    e = elbo_terms(model, x, n_samples=1)
    torch.manual_seed(4)
    lw = log_weights(model, x, 1)[0]
    # the same z: same reconstruction and KL; L_1 is the ELBO with the KL's MC estimate
    torch.testing.assert_close(t.reconstruction, e.reconstruction)
    torch.testing.assert_close(t.kl, e.kl)
    torch.testing.assert_close(t.train_bound, lw)
    # and its gradient is the single-sample ELBO's
    model.zero_grad()
    t.loss.backward()
    g_iwae = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    (-lw.mean()).backward()
    for a, b in zip(g_iwae, (p.grad for p in model.parameters())):
        torch.testing.assert_close(a, b)


def test_k1_loss_equals_the_elbo_objective_in_expectation():
    model = tiny(double=True)
    x = X1.double().expand(200_000, 3)
    torch.manual_seed(5)
    lw = iwae_terms(model, x, k=1).train_bound
    e = elbo_terms(model, x).elbo  # the same z, the analytic KL
    diff = lw - e  # the KL's Monte Carlo error, mean 0
    assert abs(diff.mean().item()) < 4 * diff.std().item() / math.sqrt(len(diff))


def test_renyi_objective_limits():
    model = GaussianVAE(4, 2, (5,))
    x = torch.rand(6, 4)
    torch.manual_seed(6)
    lw = log_weights(model, x, 5)
    for alpha in (0.0, 0.3, 1.0):
        torch.manual_seed(6)
        t = renyi_terms(model, x, k=5, alpha=alpha)
        torch.testing.assert_close(t.train_bound, renyi_reduce(lw, alpha))
    torch.manual_seed(6)
    r0 = renyi_terms(model, x, k=5, alpha=0.0).train_bound
    torch.manual_seed(6)
    torch.testing.assert_close(r0, iwae_terms(model, x, k=5).train_bound)
    torch.manual_seed(6)
    r1 = renyi_terms(model, x, k=5, alpha=1.0).train_bound
    torch.testing.assert_close(r1, lw.mean(0))  # the K-sample ELBO
    torch.manual_seed(6)
    r_near = renyi_terms(model, x, k=5, alpha=1 - 1e-9).train_bound
    torch.testing.assert_close(r_near, lw.mean(0), atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="α"):
        renyi_terms(model, x, k=5, alpha=1.5)


# ---- gradients -------------------------------------------------------------
def flat_grad(model, loss):
    model.zero_grad()
    loss.backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def draws(model, x, k, estimator, reps, terms=iwae_terms, **kw):
    return torch.stack([flat_grad(model, terms(model, x, k=k, estimator=estimator, **kw).loss)
                        for _ in range(reps)]).double()


def test_reparam_iwae_gradient_is_unbiased_against_a_finite_difference_of_the_expectation():
    """∇ E[L_K] by central differences of an average over 10⁵ points with common random
    numbers (float64), against the mean of 300 independent single-batch gradients."""
    model = tiny(double=True)
    k, h = 5, 1e-5
    big = X1.double().expand(100_000, 3)

    def expected_loss():
        torch.manual_seed(11)
        with torch.no_grad():
            return iwae_terms(model, big, k=k).loss.item()

    ref = []
    for p in model.parameters():
        flat = p.data.view(-1)
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + h
            up = expected_loss()
            flat[i] = old - h
            down = expected_loss()
            flat[i] = old
            ref.append((up - down) / (2 * h))
    ref = torch.tensor(ref, dtype=torch.float64)
    torch.manual_seed(12)
    est = draws(model, X1.double().expand(20, 3), k, "reparam", reps=300)
    # the reference's own Monte Carlo error: 20·300 / 10⁵ of the estimate's variance
    se = torch.sqrt(est.var(0) / 300 * (1 + 6000 / 100_000))
    z = (est.mean(0) - ref).abs() / se.clamp_min(1e-10)
    assert (z < 4.5).all(), z  # 4.5 SE: family-wise false alarms < 1e-3 over 27 coordinates


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
@pytest.mark.parametrize("alpha", [None, 0.5])
def test_score_function_bound_gradients_match_pathwise_in_expectation(estimator, alpha):
    model = tiny()
    x = X1.expand(500, 3)
    kw = {} if alpha is None else {"terms": renyi_terms, "alpha": alpha}
    torch.manual_seed(13)
    ref = draws(model, x, 4, "reparam", reps=40, **kw)
    est = draws(model, x, 4, estimator, reps=40, **kw)
    se = torch.sqrt(ref.var(0) / 40 + est.var(0) / 40)
    z = (ref.mean(0) - est.mean(0)).abs() / se.clamp_min(1e-12)
    assert (z < 4.5).all(), z


def test_vimco_has_less_variance_than_plain_reinforce():
    model = tiny()
    x = X1.expand(50, 3)
    torch.manual_seed(14)
    plain = draws(model, x, 8, "reinforce", reps=40)
    vimco = draws(model, x, 8, "reinforce_loo", reps=40)
    enc = sum(p.numel() for p in model.encoder.parameters())
    assert vimco[:, :enc].var(0).sum() < plain[:, :enc].var(0).sum()


def test_vimco_needs_two_samples():
    with pytest.raises(ValueError, match="k ≥ 2"):
        iwae_terms(tiny(), X1, k=1, estimator="reinforce_loo")


# ---- regularizers ----------------------------------------------------------
def test_l2_regularizer_hand_computed():
    q = torch.distributions.Independent(
        torch.distributions.Normal(torch.tensor([[1.0, -2.0]]), torch.tensor([[0.5, 2.0]])), 1)
    per_dim = l2_to_prior_per_dimension(q)
    torch.testing.assert_close(per_dim, torch.tensor([[1.0 + 0.25, 4.0 + 1.0]]))
    assert per_dim.sum().item() == pytest.approx(6.25)


def test_mmd_two_point_case_by_hand():
    a = torch.tensor([[0.0], [1.0]])
    b = torch.tensor([[0.0], [2.0]])
    k = lambda u, v: math.exp(-(u - v) ** 2 / 2)  # d = 1: exp(−‖·‖²/2)
    want = (k(0, 1) + k(0, 2) - 2 * (k(0, 0) + k(0, 2) + k(1, 0) + k(1, 2)) / 4)
    assert mmd2(a, b).item() == pytest.approx(want, rel=1e-6)


def test_mmd_is_zero_for_one_distribution_and_positive_for_shifted_ones():
    torch.manual_seed(15)
    same = torch.stack([mmd2(torch.randn(200, 3), torch.randn(200, 3)) for _ in range(200)])
    assert abs(same.mean().item()) < 4 * same.std().item() / math.sqrt(200)
    shifted = torch.stack([mmd2(torch.randn(200, 3) + 1.0, torch.randn(200, 3))
                           for _ in range(20)])
    assert shifted.mean().item() > 20 * same.std().item()


@pytest.mark.parametrize("regularizer", ["l2", "mmd"])
def test_regularized_loss_replaces_the_kl(regularizer):
    model = GaussianVAE(4, 2, (5,))
    x = torch.rand(6, 4)
    torch.manual_seed(16)
    t = regularized_terms(model, x, n_samples=2, beta=3.0, regularizer=regularizer)
    torch.manual_seed(16)
    e = elbo_terms(model, x, n_samples=2, beta=3.0)
    torch.testing.assert_close(t.reconstruction, e.reconstruction)
    torch.testing.assert_close(t.kl, e.kl)  # the reported KL is still the true one
    reg = (t.reconstruction - t.train_bound) / 3.0
    if regularizer == "l2":
        torch.testing.assert_close(reg, l2_to_prior_per_dimension(model.encode(x)).sum(-1))
    assert torch.isfinite(t.loss) and t.objective.item() == pytest.approx(t.loss.item())


def test_objective_terms_dispatch_and_refusals():
    model = GaussianVAE(4, 2, (5,))
    x = torch.rand(6, 4)
    assert objective_terms(model, x).__class__.__name__ == "ElboTerms"
    with pytest.raises(ValueError, match="elbo objective"):
        objective_terms(model, x, objective="iwae", k=3, regularizer="l2")
    with pytest.raises(ValueError, match="reparam"):
        objective_terms(model, x, estimator="reinforce", regularizer="mmd")
