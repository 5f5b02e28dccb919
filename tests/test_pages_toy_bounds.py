"""AppTest tests of the toy-model pages: ELBO & posterior, Variational learning, MC marginals."""
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from .apptest_helpers import array, live_views
from .apptest_helpers import figures as all_figures
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
    """Figures by their (unwrapped) title, live views' opening figures too."""
    return {fig["layout"]["title"]["text"].replace("<br>", " "): fig for fig in all_figures(at)}


def has(at: AppTest, *phrases: str) -> bool:
    titles = list(figures(at))
    return all(any(p in t for t in titles) for p in phrases)


def metric(at: AppTest, label: str) -> float:
    return float(next(m.value for m in at.metric if m.label == label))


def elbo_view(at: AppTest) -> dict:
    return next(f for t, f in figures(at).items() if t.startswith("Exact posterior"))


def budget(fig: dict) -> list[float]:
    """E_q[log p(x,z)], H(q), ELBO, KL, log p(x) of the figure's waterfall."""
    (w,) = [t for t in fig["data"] if t.get("type") == "waterfall"]
    return list(np.array(array(w["x"]), dtype=float))


def test_elbo_page_shows_posterior_budget_and_identity():
    from explorer.toys import posterior as tp

    at = app(ELBO)
    assert has(at, "Exact posterior p(z|x=1.9) vs q(z) = N(2, 2)", "2-D latent: contours of p(z|x")
    assert any("D_{KL}" in l.value for l in at.latex)
    assert live_views(at)["budget"]["values"] == {"x": 1.9, "m": 2.0, "v": 2.0}
    fig = elbo_view(at)
    assert [tr["line"]["color"] for tr in fig["data"][:3]] == ["#1f77b4", "#ff7f0e", "#2ca02c"]
    e, h, elbo, kl, total = budget(fig)
    assert abs(e + h - elbo) < 1e-9 and abs(total - tp.log_evidence(1.9)) < 1e-6 and kl > 0
    far = budget(elbo_view(app(ELBO, q_mean="-4.0")))
    assert far[3] > kl + 5  # q far from the posterior: a large gap
    assert "q(z) = N(-4, 2)" in elbo_view(app(ELBO, q_mean="-4.0"))["layout"]["title"]["text"]


def test_elbo_view_opens_with_the_links_q_and_the_librarys_budget():
    """The figure the live view opens with (the browser recomputes it: test_live_js.py): q is
    N(m, v) on ±5σ (x0 = m − 5σ), its budget is the library's bound, H(q) = ½ log(2πe v)."""
    import math

    from explorer.toys import posterior as tp

    for m in (-8.0, 0.0, 1.3, 8.0):
        at = app(ELBO, q_var="0.5", x="1.0", q_mean=str(m), green="false")
        assert live_views(at)["budget"]["values"] == {"x": 1.0, "m": m, "v": 0.5}
        assert json.loads(live_views(at)["budget"]["data"])["green"] is False
        fig = elbo_view(at)
        q = fig["data"][1]
        sd = math.sqrt(0.5)
        assert q["dx"] == pytest.approx(10 * sd / 200) and q["x0"] == pytest.approx(m - 5 * sd)
        y = np.array(array(q["y"]), dtype=float)
        u = np.linspace(-5, 5, 201)
        np.testing.assert_allclose(y, np.exp(tp.q_log_density(u * sd, 0.0, 0.5)), rtol=1e-6)
        b = tp.bound(1.0, tp.THETA0, m, 0.5)
        np.testing.assert_allclose(budget(fig), [b.expected_log_joint, b.entropy, b.elbo, b.kl,
                                                 b.log_px], rtol=1e-6)
        assert b.kl >= 0 and b.entropy == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 0.5))


def test_elbo_page_extreme_and_bad_link_values_open_finite():
    """The extreme settings' notes are drawn by the browser (checked word for word against
    tp.degeneracy_notes in test_live_js.py); the server's figure stays finite."""
    for params in ({"q_var": "1e-06"}, {"q_var": "1000.0", "x": "10.0", "q_mean": "-8.0"}):
        at = app(ELBO, **params)
        assert not at.exception and np.isfinite(budget(elbo_view(at))).all()
    bad = app(ELBO, x="abc", q_var="0.123", q_mean="99")
    assert live_views(bad)["budget"]["values"] == {"x": 1.9, "m": 2.0, "v": 2.0}
    texts = [w.value for w in bad.warning]
    assert all(any(f"`?{k}" in t for t in texts) for k in ("x=abc", "q_var=0.123", "q_mean=99")), texts


def test_svi_button_animates_q_to_the_optimum():
    at = app(ELBO, q_mean="-4.0", q_var="0.75")
    assert at.slider(key="svi_m0").value == -4.0  # the URL's q mean starts the SVI too
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
    # the fits for every x of the live slider (-4 … 4 by 0.1), which the browser draws as x moves
    from explorer.toys import posterior2d as t2

    best = json.loads(live_views(at)["q2d"]["data"])["best"]
    assert len(best["diag"]) == len(best["full"]) == 81 and best["lo"] == -4.0
    m, c = t2.best_gaussian2d(1.5, "product", full=True)
    assert best["full"][55] == pytest.approx([m[0], m[1], c[0, 0], c[0, 1], c[1, 1]], rel=1e-12)


def test_two_dimensional_q_is_a_live_view_opening_at_the_links_values():
    """q's five sliders move in the browser (ui/live/frontend/posterior2d.js, checked against
    the library in test_live_js.py); the server sends the data and the figure they open with."""
    from explorer.toys import posterior2d as t2

    at = app(ELBO, dec2d="product", x2d="2.0", m1_2d="-1.5", v1_2d="0.1", rho2d="0.5")
    view = live_views(at)["q2d"]
    assert view["values"] == {"x2": 2.0, "m1": -1.5, "m2": 1.0, "v1": 0.1, "v2": 0.5, "rho": 0.5}
    data = json.loads(view["data"])
    assert data["kind"] == "product" and data["best"] is None
    fig = json.loads(view["figure"])
    g, lp, _ = t2.posterior_grid2d(2.0, "product")  # the contour the browser recomputes for x
    contour = np.array(array(fig["data"][0]["z"]), dtype=np.float32).reshape(201, 201)
    np.testing.assert_allclose(contour, np.exp(lp).T.astype(np.float32), rtol=1e-6)
    q = next(tr for tr in fig["data"] if tr.get("name") == "your q (2σ)")
    xs, ys = t2.ellipse((-1.5, 1.0), t2.covariance(0.1, 0.5, 0.5))
    assert np.allclose(array(q["x"]), xs) and np.allclose(array(q["y"]), ys)
    bad = app(ELBO, rho2d="7", v2_2d="0.123", x2d="9")
    assert live_views(bad)["q2d"]["values"]["rho"] == 0.0
    assert live_views(bad)["q2d"]["values"]["x2"] == 1.5
    assert any("`?x2d=9`" in w.value for w in bad.warning)
    assert any("`?rho2d=7`" in w.value for w in bad.warning)
    assert any("`?v2_2d=0.123`" in w.value for w in bad.warning)


def _bounds(at: AppTest) -> dict:
    """The ELBO curves' figure, which its live view (ui/live) opens with."""
    return json.loads(live_views(at)["bounds"]["figure"])


def test_variational_learning_page_curves_and_em_steps():
    from explorer.toys import learning as tl

    at = app(LEARN)
    fig = _bounds(at)
    assert "lower bounds L(x; θ, φ₁), L(x; θ, φ₂)" in fig["layout"]["title"]["text"]
    report = {"x": 2.5, "m1": -3.0, "v1": 1.0, "m2": 0.7, "v2": 0.1}
    at.session_state["vl_live"] = report  # the browser's report
    at.run()
    assert not at.exception and at.query_params["m1"] == "-3.0" and at.query_params["vl_x"] == "2.5"
    curve = next(t for t in _bounds(at)["data"] if t.get("name", "").startswith("L(x; θ, φ₁)"))
    assert curve["name"] == "L(x; θ, φ₁), q = N(-3, 1)"
    want = tl.elbo_curve(2.5, -3.0, 1.0, a_grid=tl.A_GRID)
    assert array(curve["y"]) == pytest.approx(want.tolist(), rel=1e-9)
    assert array(_bounds(at)["data"][0]["y"]) == pytest.approx(tl.log_evidence_curve(2.5).tolist())
    # the EM view opens with every step of the ascent for the curves' x; the browser hides
    # the steps not shown (tests/test_live_js.py)
    em = live_views(at)["em"]
    assert em["values"] == {"x": 2.5, "a0": 0.5, "t": 1.0}
    fig = json.loads(em["figure"])
    assert "Coordinate ascent on L(x; θ, q) (exact E-step)" in fig["layout"]["title"]["text"]
    tr = tl.em_trace(2.5, 0.5, 8, True)
    assert len(fig["layout"]["annotations"]) == 16
    assert array(fig["data"][9]["x"]) == pytest.approx(tr.thetas.tolist())
    assert json.loads(em["data"])["exact"] is True
    at.radio(key="em_q").set_value("Gaussian").run()
    em = live_views(at)["em"]
    assert not at.exception and json.loads(em["data"])["exact"] is False
    assert "(Gaussian E-step)" in json.loads(em["figure"])["layout"]["title"]["text"]
    linked = live_views(app(LEARN, em_a0="3.0", em_t="5"))["em"]["values"]
    assert linked == {"x": 1.9, "a0": 3.0, "t": 5.0}
    # the point-mass and far-q warnings are the browser's: tests/test_live_js.py


def _mc(at: AppTest, role: str) -> tuple[dict, dict]:
    """A Monte Carlo marginals live view's values and the figure it opens with."""
    view = live_views(at)[role]
    return view["values"], json.loads(view["figure"])


def test_mc_page_opens_with_the_librarys_estimates_naive_vs_importance_and_jensen():
    """The server's first paint (the browser redraws on its own draws: test_live_js_marginals.py,
    the warnings too): the library's spreads on the seeds the browser gets."""
    from explorer.toys import marginals as mc
    from explorer.toys import posterior as tp

    at = app(MC)
    assert has(at, "Estimates log p̂(x) of eq. (1)", "Jensen on the same importance samples")
    values, fig = _mc(at, "convergence")
    assert values == {"x": 8.0, "m": 6.0, "v": 0.5, "reps": 100}
    data = json.loads(live_views(at)["convergence"]["data"])
    assert data["seeds"] == {"naive": 1, "importance": 2, "ess": 0} and data["n_max"] == 10_000
    th, ns = mc.THETA_TAIL, np.array(data["ns"])
    naive = mc.naive_estimates(8.0, th, 10_000, 100, seed=1)
    imp = mc.importance_estimates(8.0, th, (6.0, 0.5), 10_000, 100, seed=2)
    exact, elbo = tp.log_evidence(8.0, th), tp.elbo(8.0, th, 6.0, 0.5)
    assert array(fig["data"][1]["y"]) == pytest.approx(mc.spread(naive.log_mean_w)[0].tolist())
    assert array(fig["data"][3]["y"]) == pytest.approx(mc.spread(imp.log_mean_w)[0].tolist())
    i = int(np.searchsorted(ns, 100))
    assert array(fig["data"][1]["y"])[i] < exact - 3  # the default x is in the tail: naive is bad
    assert fig["layout"]["annotations"][0]["text"] == f"exact log p(x) = {exact:.3f}"
    assert fig["layout"]["yaxis"]["range"][0] == pytest.approx(exact - 30.0)
    _, jensen = _mc(at, "jensen")
    assert jensen["layout"]["annotations"][1]["text"] == f"ELBO = {elbo:.3f}"
    assert array(jensen["data"][3]["y"]) == pytest.approx(mc.spread(imp.mean_log_w)[0].tolist())


def test_mc_page_links_extremes_bad_values_and_reports():
    linked = app(MC, mc_qm="-5.0", mc_x="12.0", mc_qv="1e-06", mc_reps="20")
    values, fig = _mc(linked, "convergence")
    assert values == {"x": 12.0, "m": -5.0, "v": 1e-06, "reps": 20}
    assert "x = 12:" in fig["layout"]["title"]["text"].replace("<br>", " ")
    assert "of 20 repetitions" in fig["layout"]["title"]["text"].replace("<br>", " ")
    for f in (fig, _mc(linked, "jensen")[1]):
        assert all(np.isfinite(np.array(array(t["y"]), dtype=float)).all() for t in f["data"])
    bad = app(MC, mc_x="abc", mc_qv="0.123", mc_reps="7", mc_qm="99")
    assert _mc(bad, "convergence")[0] == {"x": 8.0, "m": 6.0, "v": 0.5, "reps": 100}
    texts = [w.value for w in bad.warning]
    assert all(any(f"`?{k}`" in t for t in texts)
               for k in ("mc_x=abc", "mc_qv=0.123", "mc_reps=7", "mc_qm=99")), texts
    at = app(MC)
    at.session_state["mc_live"] = {"x": -3.0, "m": 1.5, "v": 2.0, "reps": 50}  # the browser's report
    at.run()
    assert not at.exception
    assert (at.query_params["mc_x"], at.query_params["mc_qm"], at.query_params["mc_reps"]) == \
        ("-3.0", "1.5", "50")