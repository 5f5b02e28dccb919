"""The Estimator race over every family (third lecture text §1.6): the race's exact gradient
against autograd of closed-form moments and characteristic functions, its estimates within
4 SE of it, the sliders against the family table, and the page for each family (AppTest)."""
import math
import re

import numpy as np
import pytest
import torch

from explorer.estimators import METHODS, PARAMS
from explorer.estimators import comparison as cmp
from explorer.estimators import race_families as rf
from explorer.estimators.continuous_families import FAMILIES as CONTINUOUS

from .apptest_helpers import app, array, figures, titles

RACE = "app_pages/estimator_race.py"
NEW = tuple(CONTINUOUS)


def defaults(family):
    *values, k = (kn.default for kn in rf.knobs(family))
    return tuple(values), k


def _beta_fn(a, b):
    return torch.exp(torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b))


def _square(m1, m2, k):  # E[(z − k)²] from E z and E z²
    return m2 - 2 * k * m1 + k**2


def _dirichlet_rebar(alpha, t):  # E[(v·z − t)²], v = (0, ½, 1), E z_c z_d = α_c(α_d + δ_cd)/(α₀(α₀ + 1))
    v = torch.tensor([0.0, 0.5, 1.0], dtype=alpha.dtype)
    a0 = alpha.sum()
    second = (alpha[:, None] * (alpha[None, :] + torch.eye(3, dtype=alpha.dtype))) / (a0 * (a0 + 1))
    return _square((v * alpha).sum() / a0, v @ second @ v, t)


# (family, cost) → E_q[f] as a closed form in the parameters (PARAMS order) and k
MEANS = {
    ("laplace", "square"): lambda loc, scale, k: (loc - k) ** 2 + 2 * scale**2,
    ("laplace", "cos"): lambda loc, scale, k: torch.cos(k * loc) / (1 + k**2 * scale**2),
    ("logistic", "square"): lambda loc, scale, k: (loc - k) ** 2 + scale**2 * math.pi**2 / 3,
    ("student_t", "square"): lambda df, loc, scale, k: (loc - k) ** 2 + scale**2 * df / (df - 2),
    ("lognormal", "square"): lambda loc, scale, k: _square(torch.exp(loc + scale**2 / 2),
                                                           torch.exp(2 * loc + 2 * scale**2), k),
    ("gamma", "square"): lambda a, b, k: _square(a / b, a * (a + 1) / b**2, k),
    # Re E e^{ikz} = Re (1 − ik/β)^(−α)
    ("gamma", "cos"): lambda a, b, k: (1 + k**2 / b**2) ** (-a / 2) * torch.cos(a * torch.atan(k / b)),
    ("exponential", "square"): lambda rate, k: _square(1 / rate, 2 / rate**2, k).sum(),
    ("beta", "rebar"): lambda a, b, t: _square(a / (a + b), a * (a + 1) / ((a + b) * (a + b + 1)), t),
    ("kumaraswamy", "rebar"): lambda a, b, t: _square(b * _beta_fn(1 + 1 / a, b),
                                                      b * _beta_fn(1 + 2 / a, b), t),
    ("dirichlet", "rebar"): lambda alpha, t: _dirichlet_rebar(alpha, t),
}


@pytest.mark.parametrize("family,cost", list(MEANS), ids=[f"{f}-{c}" for f, c in MEANS])
def test_race_exact_gradient_matches_closed_forms(family, cost):
    values, k = defaults(family)
    params = {n: v.clone().requires_grad_(n not in CONTINUOUS[family].fixed)
              for n, v in rf.make_params(family, values).items()}
    mean = MEANS[family, cost](*params.values(), k)
    leaves = [v for v in params.values() if v.requires_grad]
    want = torch.cat([g.reshape(-1) for g in torch.autograd.grad(mean, leaves)]).numpy()
    got, err = cmp.exact(family, cost, values, k)
    assert err is None
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-12)


def test_the_race_offers_every_family_and_keeps_the_old_sliders():
    assert cmp.RACE_FAMILIES == tuple(METHODS)
    assert cmp.FAMILIES == ("normal", "bernoulli", "categorical")  # Relaxation bias: [1:]
    assert [kn.key for kn in rf.knobs("normal")] == ["race_mu", "race_sigma", "race_k"]
    for fam in ("bernoulli", "categorical"):
        assert [kn.key for kn in rf.knobs(fam)] == ["race_l1", "race_l2", "race_t"]
    assert cmp.make_params("normal", (0.5, 1.0))["loc"].dtype == torch.float32  # unchanged
    assert cmp.make_params("categorical", (0.0, 1.0))["logits"].tolist() == [0.0, 1.0, 0.0]
    # relaxations only for the discrete families
    assert [f for f in cmp.RACE_FAMILIES if cmp.uses_tau(f)] == ["bernoulli", "categorical"]


@pytest.mark.parametrize("family", NEW)
def test_sliders_follow_the_family_table(family):
    spec, knobs = CONTINUOUS[family], rf.knobs(family)[:-1]
    assert list(dict.fromkeys(kn.param for kn in knobs)) == list(PARAMS[family])
    for kn in knobs:
        assert kn.lo <= kn.default <= kn.hi and kn.key.startswith(f"race_{family}_")
        if kn.param in spec.positive:
            assert kn.lo > 0
    values, k = defaults(family)
    ex, err = cmp.exact(family, cmp.cost_names(family)[0], values, k)
    assert err is None and len(ex) == len(rf.gradient_names(family))  # one name per coordinate


SUPPORT = {"real": lambda z: np.isfinite(z), "positive": lambda z: z > 0,
           "unit": lambda z: (z > 0) & (z < 1), "simplex": lambda z: (z >= 0) & (abs(z.sum(-1, keepdims=True) - 1) < 1e-12)}
COSTS = {"real": ["square", "gauss", "cos"], "positive": ["square", "gauss", "cos"],
         "unit": ["rebar", "pick", "sum_square"], "simplex": ["rebar", "pick", "sum_square"]}


@pytest.mark.parametrize("family", NEW)
def test_costs_fit_the_support(family):
    support = rf.TABLE[family][2]
    assert cmp.cost_names(family) == COSTS[support]
    values, k = defaults(family)
    torch.manual_seed(0)
    z = CONTINUOUS[family].build(**cmp.make_params(family, values)).sample((500,))
    assert SUPPORT[support](z.numpy()).all()
    for cost in cmp.cost_names(family):
        fz = cmp.cost_fn(cost, k, family)(z)
        assert fz.shape == (500,) and torch.isfinite(fz).all()
    if support in ("unit", "simplex"):  # at a vertex the cost is the discrete family's
        vertex = torch.ones(1, 1) if support == "unit" else torch.tensor([[0.0, 0.0, 1.0]])
        discrete = "bernoulli" if support == "unit" else "categorical"
        assert cmp.cost_fn("rebar", 0.45, family)(vertex) == cmp.cost_fn("rebar", 0.45, discrete)(vertex)


RUNS = [("reparam", None, 1), ("reinforce", None, 1), ("reinforce", "optimal", 1),
        ("reinforce", "mean_cv", 1), ("reinforce", "loo", 2)]


@pytest.mark.parametrize("family", NEW)
def test_race_estimates_agree_with_the_exact_gradient(family):
    values, k = defaults(family)
    for cost in cmp.cost_names(family):
        ex, err = cmp.exact(family, cost, values, k)
        assert err is None and np.isfinite(ex).all()
        for method, baseline, spe in RUNS:
            r = cmp.estimates(family, cost, values, k, method, baseline, spe, None, 1500, 5)
            assert r["error"] is None and r["dropped"] == 0 and r["g"].shape == (1500, len(ex))
            s = cmp.estimate_stats(r["g"], ex)
            assert (np.abs(s["bias"]) < 4 * s["se"]).all(), (cost, method, baseline, s)
    cost = cmp.cost_names(family)[0]
    ns, vs = cmp.variance_curve(family, cost, values, k, "reinforce", None)
    assert ns.tolist() == list(cmp.SPE_CHOICES) and np.isfinite(vs).all() and (vs > 0).all()
    # Var ∝ 1/S, within 4 standard errors of the sample variances (from the same draws)
    se = [variance_se(cmp.estimates(family, cost, values, k, "reinforce", None, int(s), None,
                                    cmp.N_SCALING, 100 + int(s))["g"][:, 0]) for s in ns]
    assert np.all(np.abs(vs - vs[0] / ns) < 4 * np.hypot(se, se[0] / ns)), (vs * ns, se)
    assert cmp.analytic_variance("reparam", None, "square", values, k, family) is None


def variance_se(g):
    """Standard error of the sample variance of g: sd of (g − ḡ)² over √n."""
    d2 = (g - g.mean()) ** 2
    return d2.std(ddof=1) / math.sqrt(len(g))


def test_degenerate_corners_are_messages():
    ex, err = cmp.exact("student_t", "square", (2.0, 0.5, 1.0), 1.0)
    assert ex is None and "infinite" in err and "ν = 2" in err
    assert any("E z⁴ = ∞" in n for n in cmp.degeneracy_notes("student_t", (3.0, 0.5, 1.0), "square"))
    assert any("score function is the safer" in n
               for n in cmp.degeneracy_notes("student_t", (1.0, 0.5, 1.0), "cos"))
    assert cmp.degeneracy_notes("student_t", (5.0, 0.5, 1.0), "square") == []
    assert any("ψ′(α)" in n for n in cmp.degeneracy_notes("gamma", (0.05, 1.5), "square"))
    assert any("endpoint" in n for n in cmp.degeneracy_notes("dirichlet", (0.3, 2.0, 3.0), "rebar"))
    # the corners themselves give finite exact gradients and estimates, nothing dropped
    for family, values, cost, k in (("gamma", (0.05, 5.0), "square", 5.0),
                                    ("kumaraswamy", (0.3, 0.3), "rebar", 0.0),
                                    ("student_t", (0.5, -3.0, 0.05), "cos", 5.0),
                                    ("lognormal", (1.5, 2.0), "square", 0.0)):
        ex, err = cmp.exact(family, cost, values, k)
        assert err is None and np.isfinite(ex).all()
        r = cmp.estimates(family, cost, values, k, "reinforce", None, 1, None, 500, 0)
        assert r["error"] is None and r["dropped"] == 0


def shown_numbers_finite(at):
    df = at.dataframe[0].value
    assert np.isfinite(df.to_numpy(dtype=float)).all(), df
    assert not any(re.search(r"\bnan\b", c.value.lower()) for c in at.caption)


def test_page_runs_every_new_family_with_default_sliders():
    at = app(RACE)
    for family in NEW:
        at.radio(key="race_family").set_value(family).run()
        assert not at.exception, (family, at.exception)
        assert not at.error and not at.warning, family
        name = rf.gradient_names(family)[0]
        hist = next(f for f, t in zip(figures(at), titles(at)) if t.startswith("3000 estimates"))
        (line,) = [s for s in hist["layout"]["shapes"] if s["type"] == "line"]
        values, k = defaults(family)
        assert math.isclose(line["x0"], cmp.exact(family, cmp.cost_names(family)[0], values, k)[0][0])
        assert any(t.startswith(f"Variance of {name} estimates") for t in titles(at))
        scaling = next(f for f, t in zip(figures(at), titles(at)) if t.startswith("Variance of"))
        for tr in scaling["data"]:
            assert np.isfinite(array(tr["y"])).all()
        assert list(at.dataframe[0].value.index) == ["reinforce", "reparam"]
        shown_numbers_finite(at)
        assert any(c.value == rf.CAPTIONS[family] for c in at.caption)


def test_page_url_for_a_new_family_and_a_bad_one():
    at = app(RACE, race_family="gamma", race_gamma_concentration="0.05", race_cost_gamma="cos")
    assert at.radio(key="race_family").value == "gamma"
    assert at.slider(key="race_gamma_concentration").value == 0.05
    assert at.selectbox(key="race_cost_gamma").value == "cos"
    assert any("ψ′(α)" in i.value for i in at.info)
    shown_numbers_finite(at)
    at = app(RACE, race_family="student_t", race_student_t_df="2.0")
    assert any("infinite" in e.value for e in at.error) and not at.get("plotly_chart")
    at.selectbox(key="race_cost_student_t").set_value("cos").run()
    assert not at.exception and not at.error and at.get("plotly_chart")
    at = app(RACE, race_family="nope")
    assert any("?race_family=nope" in w.value and "gamma" in w.value for w in at.warning)
    assert at.radio(key="race_family").value == "normal" and not at.exception
