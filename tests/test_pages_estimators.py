"""AppTest tests of the gradient-estimator pages: Estimator race and Relaxation bias."""
import numpy as np

from explorer.estimators.comparison import N_TAU

from .apptest_helpers import app, array, figures, live_views, titles

RACE, RELAX = "app_pages/estimator_race.py", "app_pages/relaxation_bias.py"
ALL_DISCRETE = ["reinforce", "straight_through", "gumbel_softmax", "st_gumbel_softmax",
                "naive_reparam"]


def figure(at, start: str) -> dict:
    return next(f for f, t in zip(figures(at), titles(at)) if t.startswith(start))


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def exact_line_x(fig: dict) -> float:
    (line,) = [s for s in fig["layout"]["shapes"] if s["type"] == "line"]
    assert line["x0"] == line["x1"]
    return line["x0"]


def table(at):
    return at.dataframe[0].value


def assert_finite_table(at):
    df = table(at)
    assert np.isfinite(df.drop(columns=[c for c in df if c.startswith("SNR")]).to_numpy()).all()


def only_zeros(bars: dict, n: int) -> bool:
    """A histogram trace (explorer.plots.estimators) with all n estimates in the bin of 0."""
    counts, x = np.asarray(array(bars["customdata"])), np.asarray(array(bars["x"]))
    full = np.flatnonzero(counts)  # every estimate in one bin: the one holding 0
    return len(full) == 1 and counts[full[0]] == n and abs(x[full[0]]) <= bars["width"] / 2


def test_race_normal_default_pathwise_beats_reinforce():
    at = app(RACE)
    assert at.title[0].value == "Estimator race"
    assert any(r"\nabla_\phi" in l.value and "g(\\varepsilon" in l.value for l in at.latex)
    t = titles(at)
    assert any(s.startswith("3000 estimates of ∂/∂μ") and "exact gradient" in s for s in t)
    assert any(s.startswith("The 2-D gradient (∂/∂μ, ∂/∂σ)") for s in t)
    assert any(s.startswith("Variance of ∂/∂μ estimates vs samples per estimate") for s in t)
    hist = figure(at, "3000 estimates")
    assert exact_line_x(hist) == -1.0  # square, μ = 0.5, k = 1: ∂/∂μ = 2(μ − k)
    cloud = figure(at, "The 2-D gradient")
    star = trace(cloud, "exact gradient")
    assert array(star["x"])[0] == -1.0 and array(star["y"])[0] == 2.0  # ∂/∂σ = 2σ
    df = table(at)
    assert list(df.index) == ["reinforce", "reparam"]
    assert df.loc["reparam", "variance ∂/∂μ"] < df.loc["reinforce", "variance ∂/∂μ"] / 5
    scaling = figure(at, "Variance of ∂/∂μ")
    assert {"reinforce", "reparam", "slope −1 (∝ 1/S)"} <= {t.get("name") for t in scaling["data"]}
    assert scaling["layout"]["xaxis"]["type"] == "log" and scaling["layout"]["yaxis"]["type"] == "log"


def test_race_baselines_samples_and_degenerate_sigma():
    at = app(RACE)
    at.radio(key="race_baseline").set_value("loo").run()
    assert not at.exception and any("needs samples_per_estimate" in w.value for w in at.warning)
    at.select_slider(key="race_spe").set_value(4).run()
    assert not at.exception and list(table(at).index) == ["reinforce (b: loo)", "reparam"]
    at.radio(key="race_baseline").set_value("optimal").run()
    at.select_slider(key="race_sigma").set_value(0.001).run()
    at.selectbox(key="race_cost_normal").set_value("cos").run()
    assert not at.exception and any("tiny" in i.value for i in at.info)
    assert list(table(at).index) == ["reinforce (b: optimal)", "reparam"]
    assert_finite_table(at)


def test_race_discrete_families_table_rows_and_naive_at_zero():
    at = app(RACE, race_family="bernoulli")
    assert at.radio(key="race_family").value == "bernoulli"
    for fam in ("bernoulli", "categorical"):
        at.radio(key="race_family").set_value(fam).run()
        at.multiselect(key=f"race_methods_{fam}").set_value(ALL_DISCRETE).run()
        assert not at.exception
        assert list(table(at).index) == ALL_DISCRETE
        naive = trace(figure(at, "3000 estimates of ∂/∂ℓ₁"), "naive_reparam")
        assert only_zeros(naive, 3000)
        assert_finite_table(at)
    at.slider(key="race_l1").set_value(12.0).run()
    assert not at.exception and any("almost deterministic" in i.value for i in at.info)
    at.multiselect(key="race_methods_categorical").set_value([]).run()
    assert not at.exception and any("Pick at least one" in i.value for i in at.info)


def flat_line(fig: dict, name: str, col: int = 0) -> float:
    """The height of a τ-free estimator's dashed line in the curves figure (col 0: ‖bias‖)."""
    lines = [t for t in fig["data"] if t.get("name") == name]
    y = array(lines[col]["y"])
    assert y[0] == y[1]
    return y[0]


def finite_curves(at) -> bool:
    """Every value the bias-and-variance figure draws is finite (the estimators lost no τ)."""
    return all(np.isfinite(np.asarray(array(t["y"]), float)).all()
               for t in figure(at, "Bias and variance")["data"] if t.get("y") != [None])


def test_relaxation_page_curves_histogram_samples_and_naive_zero():
    """The page's first paint (the live views' own figures; their texts are computed in the
    browser: tests/test_live_js_relaxation.py)."""
    at = app(RELAX)
    assert at.title[0].value == "Relaxation bias"
    t = titles(at)
    assert any(s.startswith("Bias and variance of the gradient w.r.t. the logits vs temperature τ")
               for s in t)
    assert any(s.startswith("Estimates of ∂/∂ℓ₁ E_q[f(z)] at τ = 0.5") for s in t)
    assert any(s.startswith("Relaxed Gumbel-softmax samples at τ = 0.5") for s in t)
    curves = figure(at, "Bias and variance")
    got = {tr.get("name") for tr in curves["data"]}
    assert {"gumbel_softmax", "st_gumbel_softmax", "straight_through", "naive_reparam",
            "reinforce (b: optimal)"} <= got
    assert [s["x0"] for s in curves["layout"]["shapes"]] == [0.5, 0.5]
    hist = figure(at, "Estimates of ∂/∂ℓ₁")
    assert only_zeros(trace(hist, "naive_reparam"), N_TAU)
    views = live_views(at)
    assert set(views) == {"curves", "hist", "samples", "table", "naive"}
    assert [c["url"] for c in views["curves"]["controls"]] == ["rb_l1", "rb_l2", "rb_t", "rb_tau"]
    assert len(views["curves"]["blob_u"]) == N_TAU * 2 * 4  # float32 uniforms, two variables
    naive = flat_line(curves, "naive_reparam")
    assert naive > 0.01  # zero gradient ≠ the exact gradient
    assert flat_line(curves, "reinforce (b: optimal)") < naive / 5
    assert finite_curves(at)


def test_relaxation_extreme_tau_and_categorical():
    at = app(RELAX, rb_tau="0.05")
    assert live_views(at)["curves"]["values"]["tau"] == 0.05 and finite_curves(at)
    at = app(RELAX, rb_tau="5.0")
    assert [s["x0"] for s in figure(at, "Bias and variance")["layout"]["shapes"]] == [5.0, 5.0]
    at.radio(key="rb_family").set_value("categorical").run()
    assert not at.exception
    samples = figure(at, "Relaxed Gumbel-softmax samples at τ = 5")
    assert samples["data"][0]["type"] == "scatterternary"
    assert len(live_views(at)["curves"]["blob_u"]) == N_TAU * 3 * 4
    at = app(RELAX, rb_family="categorical", rb_l2="-12.0", rb_tau="0.05")
    assert not at.exception and finite_curves(at)


def test_race_baseline_none_in_the_url_still_means_no_baseline():
    at = app(RACE, race_baseline="none")
    assert at.radio(key="race_baseline").value == "none"
    assert list(table(at).index) == ["reinforce", "reparam"]
    at = app(RACE, race_baseline="loo", race_spe="2")
    assert list(table(at).index) == ["reinforce (b: loo)", "reparam"]
