"""AppTest tests of the toy-model pages: ELBO & posterior, Variational learning, MC marginals."""
import json

from streamlit.testing.v1 import AppTest

from .conftest import ROOT

APP = str(ROOT / "app.py")
ELBO, LEARN, MC = ("app_pages/elbo_posterior.py", "app_pages/variational_learning.py",
                   "app_pages/mc_marginals.py")


def app(page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> dict[str, dict]:
    """Figures by their (unwrapped) title."""
    out = {}
    for el in at.get("plotly_chart"):
        fig = json.loads(el.proto.spec)
        out[fig["layout"]["title"]["text"].replace("<br>", " ")] = fig
    return out


def has(at: AppTest, *phrases: str) -> bool:
    titles = list(figures(at))
    return all(any(p in t for t in titles) for p in phrases)


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def test_elbo_page_shows_posterior_budget_and_identity():
    at = app(ELBO)
    assert has(at, "Exact posterior p(z|x=1.9) (blue) vs q(z) = N(2, 2)", "log p(x) = ELBO + KL",
               "2-D latent: contours of p(z|x")
    assert any("D_{KL}" in l.value for l in at.latex)
    lp, elbo, kl = metric(at, "log p(x)"), metric(at, "ELBO"), metric(at, "KL")
    assert abs(lp - (elbo + kl)) < 2e-3 and kl > 0
    post = next(f for t, f in figures(at).items() if t.startswith("Exact posterior"))
    assert [tr["line"]["color"] for tr in post["data"][:3]] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    at.slider(key="q_mean").set_value(-4.0).run()
    assert not at.exception and metric(at, "KL") > kl + 5
    assert has(at, "q(z) = N(-4, 2)")


def test_elbo_page_extreme_values_warn_instead_of_failing():
    at = app(ELBO)
    at.select_slider(key="q_var").set_value(1e-06).run()
    assert not at.exception and any("point mass" in w.value for w in at.warning)
    at.select_slider(key="q_var").set_value(1000.0).run()
    at.slider(key="x").set_value(10.0).run()
    assert not at.exception
    assert any("tail" in w.value for w in at.warning) and any("wider" in w.value for w in at.warning)
    assert all(m.value not in ("nan", "inf", "-inf") for m in at.metric)


def test_svi_button_animates_q_to_the_optimum():
    at = app(ELBO, q_mean="-4.0", q_var="0.75")
    assert at.slider(key="q_mean").value == -4.0
    at.button(key="run_svi").click().run()
    assert not at.exception
    fig = next(f for t, f in figures(at).items() if t.startswith("SVI"))
    assert len(fig["frames"]) > 10 and fig["layout"]["updatemenus"][0]["buttons"][0]["method"] == "animate"
    assert any("ELBO" in s.value and "→" in s.value for s in at.success)


def test_two_dimensional_section_best_gaussians():
    at = app(ELBO)
    at.radio(key="dec2d").set_value("product").run()
    at.checkbox(key="best2d").check().run()
    assert not at.exception and has(at, "f(z) = z₁·z₂")
    fig = next(f for t, f in figures(at).items() if t.startswith("2-D latent"))
    assert {"best diagonal q", "best full q"} <= {tr.get("name") for tr in fig["data"]}
    at.select_slider(key="v1_2d").set_value(1e-06).run()
    assert not at.exception and any("Extreme q" in w.value for w in at.warning)


def test_variational_learning_page_curves_and_em_steps():
    at = app(LEARN)
    assert has(at, "lower bounds L(x; θ, φ₁), L(x; θ, φ₂)", "Coordinate ascent on L(x; θ, q)")
    gap = metric(at, "closest gap of φ₁")
    at.slider(key="m1").set_value(-3.0).run()
    assert not at.exception and metric(at, "closest gap of φ₁") > gap
    at.slider(key="em_t").set_value(4).run()
    em = next(f for t, f in figures(at).items() if t.startswith("Coordinate ascent"))
    assert len(em["layout"]["annotations"]) >= 6
    at.radio(key="em_q").set_value("Gaussian").run()
    assert not at.exception and has(at, "(Gaussian E-step)")
    at.select_slider(key="v2").set_value(1e-06).run()
    at.slider(key="m2").set_value(-6.0).run()
    assert not at.exception and any("point mass" in w.value for w in at.warning)
    at.select_slider(key="v2").set_value(1000.0).run()
    assert not at.exception and any("far from every posterior" in w.value for w in at.warning)


def test_mc_page_naive_vs_importance_and_jensen():
    at = app(MC)
    assert has(at, "Estimates log p̂(x) of eq. (1)", "Jensen on the same importance samples")
    exact = metric(at, "exact log p(x)")
    naive = next(m for m in at.metric if m.label.startswith("naive"))
    assert float(naive.value) < exact - 3  # the default x is in the tail: naive is visibly bad
    at.slider(key="mc_qm").set_value(-5.0).run()
    assert not at.exception and any("misses the posterior" in w.value for w in at.warning)
    at.slider(key="mc_x").set_value(12.0).run()
    at.select_slider(key="mc_qv").set_value(1e-06).run()
    assert not at.exception and any("far in the tail" in w.value for w in at.warning)
    assert all(m.value not in ("nan", "inf", "-inf") for m in at.metric)
