"""explorer.estimators.relaxation_race (the Relaxation bias page's estimators in numpy, from given
noise) against the torch estimators: on the very uniforms torch draws the estimates are torch's,
the enumeration is comparison.exact, and on the page's own noise the race is unbiased where the
library says so."""
import numpy as np
import pytest
import torch

from explorer.discrete import ESTIMATOR_TAU_GRID
from explorer.estimators import comparison as cmp
from explorer.estimators import relaxation_race as rr
from explorer.estimators.gradients import sample_gradients

CASES = [(fam, cost, values, t) for fam in ("bernoulli", "categorical")
         for cost in cmp.cost_names(fam)
         for values, t in (((0.0, 1.0), 0.45), ((-3.5, 2.0), 0.8), ((12.0, -12.0), 0.0))]
METHODS = rr.TAU_METHODS + rr.FLAT_METHODS


def torch_draws(family: str, method: str, n: int, seed: int) -> dict:
    """The uniforms sample_gradients draws (float64 parameters) for `method`, in its order."""
    d = 2 if family == "bernoulli" else 3
    gen = torch.Generator().manual_seed(seed)
    rand = lambda m: torch.rand((m, 1, d), generator=gen, dtype=torch.float64)[:, 0].numpy()  # noqa: E731
    pilot = rand(rr.PILOT) if method == "reinforce" else None
    u = rand(n)
    v = rand(n) if method == "rebar" else None
    return {"u": u, "v": v, "pilot": pilot}


def torch_estimates(method, family, cost, values, t, tau, n, seed):
    logits = torch.tensor(rr.logits_of(family, values), dtype=torch.float64)
    opts = dict(seed=seed)
    if method == "reinforce":
        opts["baseline"] = "optimal"
    if method in cmp.USES_TAU:
        opts["tau"] = tau
    g = sample_gradients(method, cmp.cost_fn(cost, t, family), family, {"logits": logits}, n, **opts)
    return g["logits"].numpy()


@pytest.mark.parametrize("family, cost, values, t", CASES)
@pytest.mark.parametrize("tau", [0.05, 0.5, 5.0])
def test_estimates_are_torchs_on_the_same_noise(family, cost, values, t, tau):
    n, seed = 500, 11
    for method in METHODS:
        want = torch_estimates(method, family, cost, values, t, tau, n, seed)
        got = rr.estimates(method, family, cost, values, t, tau, **torch_draws(family, method, n, seed))
        assert np.isfinite(got).all(), method
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=method)


@pytest.mark.parametrize("family, cost, values, t", CASES)
def test_exact_is_the_librarys_enumeration(family, cost, values, t):
    want, err = cmp.exact(family, cost, values, t)
    assert err is None
    np.testing.assert_allclose(rr.exact(family, cost, values, t), want, rtol=1e-5, atol=1e-7)


def test_the_race_has_the_pages_estimators():
    assert rr.TAU_METHODS == cmp.TAU_METHODS and cmp.REFERENCE == ("reinforce", "optimal", 1)
    assert set(rr.TAU_METHODS + rr.FLAT_METHODS) == set(METHODS) <= set(cmp.METHODS["bernoulli"])


@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_race_on_the_pages_noise_unbiased_where_the_library_says(family):
    """On the page's noise: REINFORCE and REBAR at every τ are within 4 SE of the exact gradient;
    the Gumbel-softmax is biased at τ = 5 beyond its noise; the naive estimate is 0."""
    noise = rr.noise(family, cmp.N_TAU, cmp.SEED)
    assert all(np.all((a > 0) & (a < 1)) for a in noise.values())
    r = rr.race(family, "rebar", (0.0, 1.0), 0.45, 0.5, noise)
    ex = r["exact"]
    g = r["runs"]["reinforce"]["g"]
    se = g.std(0, ddof=1) / np.sqrt(len(g))
    assert np.all(np.abs(g.mean(0) - ex) <= 4 * se + 1e-12)
    sw = r["sweeps"]
    assert np.all(sw["rebar"]["bias"] <= 4 * sw["rebar"]["se"])
    assert sw["gumbel_softmax"]["bias"][-1] > 5 * sw["gumbel_softmax"]["se"][-1]
    assert r["flat"]["naive_reparam"][0] == pytest.approx(np.linalg.norm(ex))
    assert len(sw["rebar"]["bias"]) == len(ESTIMATOR_TAU_GRID)


def test_relaxed_samples_are_on_the_simplex_and_finite_at_extremes():
    u = rr.noise("categorical", 400, 0)["u"]
    y = rr.relaxed_samples("categorical", (12.0, -12.0), 0.05, u)
    assert y.shape == (400, 3) and np.isfinite(y).all()
    np.testing.assert_allclose(y.sum(1), 1, rtol=1e-12)
    yb = rr.relaxed_samples("bernoulli", (-12.0, 12.0), 0.05, rr.noise("bernoulli", 400, 0)["u"])
    assert yb.shape == (400, 2) and np.isfinite(yb).all()
