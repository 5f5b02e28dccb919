"""Reparameterizable families as transport maps (explorer.estimators.transport) and the
Reparameterizable families page."""
import numpy as np
import pytest
from scipy import integrate, stats

from explorer.estimators import transport as tr

from .apptest_helpers import app, figures, titles

PAGE = "app_pages/reparam_families.py"
DEFAULTS = {f: {k: spec[3] for k, spec in sliders.items()} for f, sliders in tr.SLIDERS.items()}


def cdf(family, p):
    if family == "kumaraswamy":
        a, b = p["concentration1"], p["concentration0"]
        return lambda z: 1 - (1 - np.clip(z, 0, 1) ** a) ** b
    return tr.law(family, p).cdf


@pytest.mark.parametrize("family", tr.SUPPORTED)
def test_change_of_variables_matches_log_prob(family):
    p = DEFAULTS[family]
    d = tr.change_of_variables_density(family, p, tr.density_grid(family, p))
    assert np.isfinite(d["change_of_variables"]).all()
    np.testing.assert_allclose(d["change_of_variables"], d["log_prob"], atol=1e-4)


@pytest.mark.parametrize("family", tr.SUPPORTED)
def test_change_of_variables_density_integrates_to_one(family):
    p = DEFAULTS[family]
    lo, hi = tr.law(family, p).ppf(np.array([1e-9, 1 - 1e-9]))  # tails beyond: mass 2e-9
    kink = [p["loc"]] if family == "laplace" else None

    def q(z):
        return float(np.exp(tr.change_of_variables_density(family, p, np.array([z]))["change_of_variables"][0]))

    total, _ = integrate.quad(q, lo, hi, points=kink, limit=200)
    assert abs(total - 1) < 1e-3


@pytest.mark.parametrize("family", tr.SUPPORTED)
def test_transported_samples_follow_the_family(family):
    p = DEFAULTS[family]
    eps, z = tr.transport(family, p, 5000, seed=0)
    assert (np.diff(eps) >= 0).all() and (np.diff(z) >= 0).all()  # g is monotone
    assert stats.kstest(z, cdf(family, p)).pvalue > 0.001


@pytest.mark.parametrize("family", ["normal", "laplace"])
def test_pathwise_variance_below_score_function(family):
    v = tr.variance_table(family, {"loc": 0.5, "scale": 1.0}, target=1.0, n=4000)
    assert v["params"] == ["loc", "scale"]
    for j in range(2):
        assert v["variance"]["pathwise"][j] < 0.5 * v["variance"]["score function"][j]
    assert v["exact"][0] == pytest.approx(-1.0, abs=1e-6)  # ∂/∂μ E(z − 1)² = 2(μ − 1)


def test_unsupported_family_is_a_clear_error():
    with pytest.raises(ValueError, match="not supported"):
        tr.transport("dirichlet", {"concentration": 1.0}, 10)


def test_page_default_and_gamma():
    at = app(PAGE)
    assert at.title[0].value == "Reparameterizable families"
    assert any(r"\log p(\varepsilon)" in l.value for l in at.latex)
    assert len(figures(at)) == 3
    t = titles(at)
    assert t[0].startswith("Transport map z = g(φ, ε) of normal")
    assert "change of variables" in t[1] and t[2].startswith("Variance of one gradient estimate")
    bars = figures(at)[2]
    assert bars["layout"]["yaxis"]["type"] == "log"
    gamma = app(PAGE, rf_family="gamma")
    assert len(figures(gamma)) == 3 and titles(gamma)[0].startswith("Transport map z = g(φ, ε) of gamma")


def test_page_bad_url_value_falls_back():
    at = app(PAGE, rf_family="nope", rf_a_normal="abc")
    assert not at.exception
    assert len(figures(at)) == 3 and "of normal" in titles(at)[0]
