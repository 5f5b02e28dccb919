"""Bernoulli / categorical gradient estimators against exhaustive enumeration."""
import itertools

import pytest
import torch

from explorer.estimators import TOY_COSTS, exact_gradient, sample_gradients, summary

D = torch.float64
# (family, cost, t, logits)
CASES = [
    ("bernoulli", "rebar", 0.45, [0.5, -1.0, 2.0]),
    ("bernoulli", "sum_square", 0.3, [0.0, 1.0, -0.5, 0.2]),
    ("categorical", "pick", 0.2, [[1.0, 0.0, -0.5, 0.3]]),
    ("categorical", "sum_square", 0.7, [[1.0, 0.0, -0.5], [0.2, 0.1, -1.0]]),
]


def case_inputs(case):
    family, cost, t, logits = case
    return family, TOY_COSTS[cost].bind(family, t), {"logits": torch.tensor(logits, dtype=D)}


def expectation_by_loops(family, f, logits):
    """E_q[f(z)] with an explicit itertools loop over configurations (independent oracle)."""
    if family == "bernoulli":
        p = torch.sigmoid(logits)
        total = 0.0
        for bits in itertools.product([0.0, 1.0], repeat=len(logits)):
            z = torch.tensor(bits, dtype=D)
            total += float(torch.where(z == 1, p, 1 - p).prod()) * float(f(z[None])[0])
        return total
    probs = torch.softmax(logits, -1)
    rows, k = logits.shape
    total = 0.0
    for cats in itertools.product(range(k), repeat=rows):
        z = torch.zeros(rows, k, dtype=D)
        z[range(rows), cats] = 1.0
        total += float(probs[range(rows), cats].prod()) * float(f(z[None])[0])
    return total


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_enumeration_matches_finite_differences(case):
    family, f, params = case_inputs(case)
    exact = exact_gradient(f, family, params)["logits"]
    logits, h = params["logits"], 1e-6
    fd = torch.zeros_like(logits)
    for i in range(logits.numel()):
        e = torch.zeros(logits.numel(), dtype=D)
        e[i] = h
        e = e.reshape(logits.shape)
        fd.view(-1)[i] = (expectation_by_loops(family, f, logits + e)
                          - expectation_by_loops(family, f, logits - e)) / (2 * h)
    torch.testing.assert_close(exact, fd, rtol=0, atol=1e-8)
    assert exact.abs().max() > 1e-3  # a non-trivial gradient


def test_enumeration_refuses_huge_spaces():
    with pytest.raises(ValueError, match="configurations"):
        exact_gradient(lambda z: z.sum(-1), "bernoulli", {"logits": torch.zeros(17)})
    with pytest.raises(ValueError, match="configurations"):
        exact_gradient(lambda z: z.sum((-1, -2)), "categorical", {"logits": torch.zeros(5, 10)})


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
@pytest.mark.parametrize("baseline", [None, "loo", "mean_cv", "optimal"])
def test_reinforce_is_unbiased(case, baseline):
    family, f, params = case_inputs(case)
    n = 20_000
    samples = sample_gradients("reinforce", f, family, params, n, baseline=baseline,
                               samples_per_estimate=2, seed=7)
    row = summary(samples, exact_gradient(f, family, params))["logits"]
    assert samples["logits"].shape == (n, *params["logits"].shape)
    assert (row["bias"].abs() < 4 * row["se"]).all(), (row["bias"], row["se"])


@pytest.mark.parametrize("method,options", [("straight_through", {}),
                                            ("gumbel_softmax", {"tau": 1.0}),
                                            ("st_gumbel_softmax", {"tau": 1.0})])
def test_biased_estimators_show_their_bias(method, options):
    """Documented configuration: the REBAR toy, t = 0.45, three Bernoulli variables."""
    family, f, params = case_inputs(CASES[0])
    samples = sample_gradients(method, f, family, params, 20_000, seed=8, **options)
    row = summary(samples, exact_gradient(f, family, params))["logits"]
    assert (row["bias"].abs() / row["se"]).max() > 6


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_naive_reparameterisation_gradient_is_zero(case):
    family, f, params = case_inputs(case)
    samples = sample_gradients("naive_reparam", f, family, params, 1000, seed=9)
    assert (samples["logits"] == 0).all()
    assert exact_gradient(f, family, params)["logits"].abs().max() > 1e-3


@pytest.mark.parametrize("family,t", [("bernoulli", 0.2), ("categorical", 0.2)])
def test_straight_through_is_exact_for_a_linear_cost(family, t):
    """For f linear in the one-hot z, ∇_z f · ∂p/∂θ = ∇_θ Σ_z q(z) f(z): ST has no bias
    and no variance — its bias on the REBAR toy comes from curvature in z."""
    logits = torch.tensor([0.4, -1.0, 1.5] if family == "bernoulli" else [[0.4, -1.0, 1.5]], dtype=D)
    f = TOY_COSTS["pick"].bind(family, t)
    samples = sample_gradients("straight_through", f, family, {"logits": logits}, 100, seed=1)
    exact = exact_gradient(f, family, {"logits": logits})["logits"]
    torch.testing.assert_close(samples["logits"], exact.expand(100, *exact.shape))


def test_gumbel_softmax_bias_shrinks_and_variance_grows_as_tau_falls():
    """Linear cost of one categorical: E[softmax((l + g)/τ)] → softmax(l) as τ → 0, so the
    relaxed objective's gradient approaches the true one (Jang et al. 2017, §2), while
    ∂y/∂l ~ y(1 − y)/τ makes single samples noisier (Maddison et al. 2017, §5)."""
    family, f, params = case_inputs(CASES[2])
    exact = exact_gradient(f, family, params)
    rows = {tau: summary(sample_gradients("gumbel_softmax", f, family, params, 20_000,
                                          tau=tau, seed=10), exact)["logits"]
            for tau in (1.0, 0.1)}
    hi, lo = rows[1.0], rows[0.1]
    c = hi["bias"].abs().argmax()  # the coordinate where the τ = 1 bias is largest
    margin = 3 * torch.sqrt(hi["se"].flatten()[c] ** 2 + lo["se"].flatten()[c] ** 2)
    assert hi["bias"].flatten()[c].abs() - lo["bias"].flatten()[c].abs() > margin
    # 20k draws give the variances to a few per cent; the expected growth is ~50×.
    assert lo["variance"].sum() > 5 * hi["variance"].sum()


@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_relaxed_samples_live_where_f_expects_them(family):
    """f sees relaxed z in (0, 1) (bernoulli) or on the simplex (categorical), hard z in {0, 1}."""
    logits = torch.tensor([[2.0, -1.0, 0.0]])
    seen = {}

    def spy(z):
        seen["z"] = z.detach()
        return z.sum(tuple(range(1, z.dim())))

    for method in ("reinforce", "straight_through", "st_gumbel_softmax", "naive_reparam"):
        sample_gradients(method, spy, family, {"logits": logits}, 50, seed=0)
        assert ((seen["z"] == 0) | (seen["z"] == 1)).all(), method
    sample_gradients("gumbel_softmax", spy, family, {"logits": logits}, 50, seed=0, tau=0.5)
    assert ((seen["z"] > 0) & (seen["z"] < 1)).float().mean() > 0.9
    if family == "categorical":
        torch.testing.assert_close(seen["z"].sum(-1), torch.ones(50, 1))
