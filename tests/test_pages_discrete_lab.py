"""AppTest tests of the Discrete latents lab: Gumbel-max & softmax and Smoothing transformations.
Figures are checked against closed forms (softmax, f1–f3, the L1 distance to the step)."""
import json
import math

import numpy as np
import pytest

from explorer.discrete import sampling_stats as ds
from explorer.discrete.sampling_stats import BETA_GRID

from .apptest_helpers import app, array, figures, live_views, titles

GUMBEL, SMOOTH = "app_pages/gumbel.py", "app_pages/smoothing.py"
Z = 4.5  # tolerance in standard errors (fixed seeds)


def figure(at, start: str) -> dict:
    return next(f for f, t in zip(figures(at), titles(at)) if t.startswith(start))


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def softmax(l):
    e = np.exp(np.asarray(l, float) - np.max(l))
    return e / e.sum()


def assert_all_finite(at):
    """No NaN/∞ in any numeric array of any figure on the page."""
    for fig in figures(at):
        for t in fig["data"]:
            for k in ("x", "y", "a", "b", "c"):
                if k in t:
                    v = np.asarray(array(t[k]), dtype=object).ravel()
                    nums = np.array([x for x in v if isinstance(x, (int, float))], dtype=float)
                    assert np.isfinite(nums).all(), (t.get("name"), k)


def infos(at) -> str:
    return " ".join(i.value for i in at.info)


# ---------------------------------------------------------------- Gumbel-max & softmax


def frames(fig: dict) -> dict[str, dict]:
    """A figure's frames by name (the label of its slider step)."""
    return {f["name"]: f for f in fig.get("frames", [])}


def ternary_points(trace: dict) -> np.ndarray:
    return np.array([array(trace[k]) for k in "abc"], dtype=float).T


def frame_note(fig: dict, name: str) -> str:
    return " ".join(a.get("text", "") for a in frames(fig)[name]["layout"]["annotations"])


def test_gumbel_page_default_histogram_matches_softmax_and_moments_tend_to_the_limits():
    at = app(GUMBEL)
    assert at.title[0].value == "Gumbel-max and Gumbel-softmax"
    assert any(r"\arg\max" in l.value for l in at.latex)
    assert any(r"/\tau" in l.value for l in at.latex)
    assert any(r"\tau_{\min}" in l.value for l in at.latex)
    t = titles(at)
    for start in ("Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c)",
                  "Gumbel-softmax samples y = softmax((ℓ + g)/τ) at τ = 0.5", "Monte Carlo E[y_c] and Var[y_c]",
                  "Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t))"):
        assert any(s.startswith(start) for s in t), start
    p, n = softmax((1.0, 0.0, -1.0)), 20000
    hist = figure(at, "Gumbel-max")
    freq = np.array(array(hist["data"][0]["y"]))
    np.testing.assert_allclose(array(hist["data"][1]["y"]), p, rtol=1e-6)
    assert np.all(np.abs(freq - p) < Z * np.sqrt(p * (1 - p) / n))

    mom = figure(at, "Monte Carlo E[y_c]")
    assert mom["layout"]["xaxis"]["type"] == "log"
    for c in range(3):
        m = np.array(array(trace(mom, f"c = {c + 1}")["y"]))
        assert abs(m[0] - p[c]) < Z * math.sqrt(p[c] * (1 - p[c]) / n)  # τ = 0.01: softmax
        assert abs(m[-1] - 1 / 3) < abs(p[c] - 1 / 3) / 2                # τ = 10: near uniform
    total = np.array(array(trace(mom, "total variance Σ_c Var[y_c]")["y"]))
    assert total[0] == pytest.approx(1 - (p ** 2).sum(), abs=0.01) and total[-1] < 0.02
    simplex = figure(at, "Gumbel-softmax samples y")
    assert simplex["data"][0]["type"] == "scatterternary" and len(array(simplex["data"][0]["a"])) == 600


def test_gumbel_live_views_open_with_the_library_samples_and_ship_its_noise():
    """The three views move in the browser (ui/live; their math: tests/test_live_js.py). Here:
    they open with the library's samples at the URL's τ, and the noise they recompute from is
    the library's (its first n rows are the noise of n samples)."""
    from explorer.discrete import SAMPLING_TAU_GRID

    at = app(GUMBEL, gm_tau="2.0")
    views = live_views(at)
    assert set(views) == {"controls", "max", "relaxed", "moments", "schedule"}
    assert {c["label"] for c in views["controls"]["controls"]} == {
        "logit ℓ₁", "logit ℓ₂", "logit ℓ₃", "samples n"}
    assert [c["url"] for c in views["relaxed"]["controls"]] == ["gm_tau"]
    assert views["relaxed"]["values"]["tau"] == 2.0
    noise = np.frombuffer(views["controls"]["blob_noise"], dtype=np.float32).reshape(-1, 3)
    assert len(noise) == 20000 and "blob_noise" not in views["relaxed"]
    for n in (1000, 20000):
        np.testing.assert_allclose(noise[:n], ds.sweep_noise(n, 3, 0), rtol=1e-6)
    data = json.loads(views["controls"]["data"])
    assert data["taus"] == list(SAMPLING_TAU_GRID) and data["keep"] == 600

    fig = figure(at, "Gumbel-softmax samples y")
    assert "sliders" not in fig["layout"] and not fig.get("frames")  # the view's own τ slider
    want = ds.relaxed_samples((1.0, 0.0, -1.0), 2.0, 20000, 0)[:600]
    np.testing.assert_allclose(ternary_points(fig["data"][0]), want, atol=1e-6)  # float32
    mom = figure(at, "Monte Carlo E[y_c]")
    assert [s["x0"] for s in mom["layout"]["shapes"]] == [2.0, 2.0]  # τ of the simplex, dashed


def test_gumbel_url_params_and_browser_values_change_the_figures():
    at = app(GUMBEL, gm_l1="3.0", gm_l2="-2.0", gm_l3="0.5", gm_tau="2.0", gm_n="5000")
    assert live_views(at)["controls"]["values"] == {"l1": 3.0, "l2": -2.0, "l3": 0.5, "n": 5000}
    p = softmax((3.0, -2.0, 0.5))
    hist = figure(at, "Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c) over n = 5000")
    np.testing.assert_allclose(array(hist["data"][1]["y"]), p, rtol=1e-6)
    freq = np.array(array(hist["data"][0]["y"]))
    assert np.all(np.abs(freq - p) < Z * np.sqrt(p * (1 - p) / 5000))
    assert figure(at, "Gumbel-softmax samples y = softmax((ℓ + g)/τ) at τ = 2:")  # from the URL

    # what the browser reports (debounced) reaches the URL; a later full run draws it
    at.session_state["gm_live"] = {"l1": 3.0, "l2": -2.0, "l3": 5.0, "n": 5000}
    at.run()
    assert not at.exception and at.query_params["gm_l3"] == "5.0"
    p2 = softmax((3.0, -2.0, 5.0))
    np.testing.assert_allclose(array(figure(at, "Gumbel-max")["data"][1]["y"]), p2, rtol=1e-6)
    sm = trace(figure(at, "Gumbel-softmax samples"), "softmax(ℓ) = P(z)")
    assert array(sm["c"])[0] == pytest.approx(p2[2])


def test_gumbel_extreme_tau_and_logits_explained_without_nan():
    at = app(GUMBEL, gm_tau="0.01")
    assert not at.exception
    fig = figure(at, "Gumbel-softmax samples y")
    assert "at τ = 0.01:" in fig["layout"]["title"]["text"]
    note = " ".join(a.get("text", "") for a in fig["layout"]["annotations"])
    assert "numerically one-hot" in note and "vanishes" in note
    pts = ternary_points(fig["data"][0])
    assert np.mean(pts.max(1) > 1 - 1e-6) > 0.9  # (almost) every sample sits on a corner
    assert_all_finite(at)

    at = app(GUMBEL, gm_tau="10", gm_l1="10", gm_l2="-10", gm_l3="-10")
    fig = figure(at, "Gumbel-softmax samples y")
    assert "is large" in " ".join(a.get("text", "") for a in fig["layout"]["annotations"])
    freq = array(figure(at, "Gumbel-max")["data"][0]["y"])
    assert freq[0] > 0.999
    assert_all_finite(at)


def test_gumbel_schedule_marks_where_tau_min_is_reached():
    at = app(GUMBEL, gm_tau0="2.0", gm_taumin="0.1")
    sched = figure(at, "Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t)) with τ₀ = 2, τ_min = 0.1")
    hits = [array(t["x"])[0] for t in sched["data"] if t["name"].startswith("τ_min reached")]
    assert hits == pytest.approx([math.log(20) / r for r in (1e-5, 3e-5, 1e-4)])
    line = np.array(array(trace(sched, "r = 0.0001")["y"]))
    steps = np.array(array(trace(sched, "r = 0.0001")["x"]))
    np.testing.assert_allclose(line, np.maximum(0.1, 2.0 * np.exp(-1e-4 * steps)))
    sched = live_views(at)["schedule"]
    assert sched["values"] == {"tau0": 2.0, "tau_min": 0.1}  # τ₀, τ_min move in the browser
    assert json.loads(sched["data"])["rates"] == [1e-5, 3e-5, 1e-4]
    at.session_state["gm_sched"] = {"tau0": 0.5, "tau_min": 0.5}  # as the browser reports them
    at.run()
    assert at.query_params["gm_tau0"] == "0.5"
    flat = figure(at, "Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t)) with τ₀ = 0.5, τ_min = 0.5")
    assert all(np.allclose(array(t["y"]), 0.5) for t in flat["data"])
    at.multiselect(key="gm_rates").set_value([]).run()
    assert not at.exception and "Pick at least one rate" in infos(at)


# ---------------------------------------------------------------- Smoothing transformations


def test_smoothing_page_figure1_grid_and_default_curves():
    at = app(SMOOTH)
    assert at.title[0].value == "Smoothing transformations"
    latex = " ".join(l.value for l in at.latex)
    assert "f_1" in latex and "f_2" in latex and "f_3" in latex and r"\log_a" in latex
    assert r"\delta(\zeta)" in latex  # the density with its spike
    fig1 = figure(at, "Figure 1")
    axes = {t["xaxis"] for t in fig1["data"]}
    assert len(axes) == 9
    for ax in axes:
        names = sorted(t["name"] for t in fig1["data"] if t["xaxis"] == ax)
        assert names == ["step 1[ε ≥ 1−p]", "β = 1", "β = 10", "β = 3"]
    for ax in ("x7", "x8", "x9"):  # f3 at β = 1 is the identity for every p
        t = next(t for t in fig1["data"] if t["xaxis"] == ax and t["name"] == "β = 1")
        np.testing.assert_allclose(array(t["y"]), array(t["x"]), atol=1e-12)

    # default: f1, β = 3, p = 0.5, a = e
    views = figure(at, "f1 (spike-and-exponential) at β = 3, p = 0.5")
    zeta = trace(views, "ζ = f1(β = 3, p = 0.5, ε)")
    eps, z = np.array(array(zeta["x"])), np.array(array(zeta["y"]))
    u = np.clip((eps - 0.5) / 0.5, 0, 1)
    np.testing.assert_allclose(z, np.log(u * math.expm1(3) + 1) / 3, atol=1e-6)  # float32
    star = trace(views, "current β")
    assert array(star["y"])[0] == pytest.approx(0.5 * (1 / 3 - 1 / math.expm1(3)), rel=1e-4)
    assert {"histogram of samples", "analytic density"} <= {t["name"] for t in views["data"]}
    assert any(t["name"].startswith("spike at ζ = 0: mass 1 − p = 0.5") for t in views["data"])


def _note(fig: dict) -> str:
    return " ".join(a.get("text", "") for a in fig["layout"]["annotations"])


def test_smoothing_views_open_at_the_url_beta_and_follow_the_closed_forms():
    """p and β move in the browser (ui/live; its f1–f3 are checked against the library in
    tests/test_live_js.py). The view opens at the URL's β: ζ(ε) is f1's closed form and the star
    sits on the closed-form L1 distance ½(1/β − 1/(e^β − 1)) at p = ½."""
    for beta in (3.0, 0.5, 100.0):
        at = app(SMOOTH, sm_beta=str(beta))
        views = figure(at, f"f1 (spike-and-exponential) at β = {beta:g}")
        assert "sliders" not in views["layout"] and not views.get("frames")
        assert live_views(at)["views"]["values"] == {"p": 0.5, "beta": beta}
        z = trace(views, f"ζ = f1(β = {beta:g}, p = 0.5, ε)")
        eps = np.array(array(z["x"]))
        u = np.clip((eps - 0.5) / 0.5, 0, 1)
        np.testing.assert_allclose(array(z["y"]), np.log1p(u * math.expm1(beta)) / beta,
                                   atol=2e-6, rtol=1e-5)
        star = trace(views, "current β")
        assert array(star["x"]) == [beta]
        assert array(star["y"])[0] == pytest.approx(0.5 * (1 / beta - 1 / math.expm1(beta)),
                                                    rel=1e-4)
        assert ("numerically the step" in _note(views)) == (beta == 100.0)
    data = json.loads(live_views(at)["views"]["data"])
    assert data["name"] == "spike_exponential" and data["betas"] == list(BETA_GRID)
    noise = np.frombuffer(live_views(at)["views"]["blob_rho"], dtype=np.float32)
    np.testing.assert_allclose(noise, ds.overlapping_noise(len(noise), 0), rtol=1e-6)


def test_smoothing_url_params_extremes_and_derivative():
    at = app(SMOOTH, sm_f="spike_power", sm_beta="100.0", sm_p="0.01")
    assert at.selectbox(key="sm_f").value == "spike_power"
    assert live_views(at)["views"]["values"] == {"p": 0.01, "beta": 100.0}
    views = figure(at, "f2 (spike-and-power) at β = 100, p = 0.01")
    assert "numerically the step" in _note(views) and "infinite at ζ = 1" in _note(views)
    assert np.isfinite(views["layout"]["yaxis2"]["range"]).all()
    assert array(trace(views, "current β")["y"])[0] == pytest.approx(0.01 / 101, rel=1e-4)
    assert_all_finite(at)

    at.session_state["sm_live"] = {"p": 0.4, "beta": 3.0}  # as the browser reports them
    at.run()
    assert not at.exception and at.query_params["sm_p"] == "0.4"
    views = figure(at, "f2 (spike-and-power) at β = 3, p = 0.4")
    d = trace(views, "∂ζ/∂p (autograd)")
    eps, g = np.array(array(d["x"])), np.array(array(d["y"]))
    want = np.where(1 - eps <= 0.4, 3 / 0.4 * np.clip((1 - eps) / 0.4, 0, 1) ** 3, 0.0)
    np.testing.assert_allclose(g, want, atol=1e-5, rtol=1e-5)

    at.selectbox(key="sm_f").set_value("symmetric_power").run()
    at.session_state["sm_live"] = {"p": 0.99, "beta": 3.0}
    at.run()
    assert not at.exception
    views = figure(at, "f3 (symmetric power) at β = 3")
    assert "infinite at ζ = 0 and ζ = 1" in _note(views)
    assert not any(t["name"].startswith("spike") for t in views["data"])
    assert json.loads(live_views(at)["views"]["data"])["name"] == "symmetric_power"
    assert_all_finite(at)


def test_smoothing_base_a_rescales_beta():
    at = app(SMOOTH, sm_beta="2.0")
    assert at.selectbox(key="sm_a").value == "e"
    at.selectbox(key="sm_a").set_value("2").run()
    assert not at.exception
    views = figure(at, "f1 (spike-and-exponential) at β = 2")
    zeta = trace(views, "ζ = f1(β = 2, p = 0.5, ε)")
    eps, z = np.array(array(zeta["x"])), np.array(array(zeta["y"]))
    u = np.clip((eps - 0.5) / 0.5, 0, 1)
    np.testing.assert_allclose(z, np.log2(u * 3 + 1) / 2, atol=1e-6)  # a^β − 1 = 3
    star = trace(views, "current β")
    b = 2 * math.log(2)
    assert array(star["y"])[0] == pytest.approx(0.5 * (1 / b - 1 / math.expm1(b)), rel=1e-4)


def test_smoothing_page_dvaepp_section_matches_the_library():
    """The DVAE++ figures: ζ(ε) hits both ends, the density curve is the mixture density, the
    histogram integrates to 1 (no spike), and ∂ζ/∂p agrees with a finite difference."""
    import torch

    from explorer.discrete.transformations import (overlapping_exponential, overlapping_exponential_density)

    at = app(SMOOTH, sm_pp_beta="5.0", sm_pp_p="0.3")
    z = figure(at, "DVAE++ ζ = F⁻¹(ε)")["data"][0]
    eps, zeta = np.array(array(z["x"])), np.array(array(z["y"]))
    assert zeta[0] == pytest.approx(0, abs=1e-9) and zeta[-1] == pytest.approx(1, abs=1e-9)
    dens = figure(at, "Density of the DVAE++ ζ")
    bars, curve = dens["data"][0], trace(dens, "analytic density")
    width, hist = np.array(array(bars["width"])), np.array(array(bars["y"]))
    assert (hist * width).sum() == pytest.approx(1.0, abs=1e-9)  # every sample is in a bar
    grid = torch.tensor(array(curve["x"]), dtype=torch.float64)
    np.testing.assert_allclose(array(curve["y"]),
                               overlapping_exponential_density(5.0, 0.3, grid).numpy(), rtol=1e-9)
    g = np.array(array(figure(at, "∂ζ/∂p of the DVAE++")["data"][0]["y"]))
    e = torch.tensor(eps, dtype=torch.float64)
    fd = (overlapping_exponential(5.0, 0.3 + 1e-6, e) - overlapping_exponential(5.0, 0.3 - 1e-6, e)) / 2e-6
    np.testing.assert_allclose(g, fd.numpy(), atol=1e-5)
    assert np.abs(g[1:-1]).min() > 0  # every sample moves with p: no spike region


def test_gumbel_schedule_rates_come_from_the_url():
    at = app(GUMBEL, gm_rates=["0.001", "0.0003"])
    assert sorted(at.multiselect(key="gm_rates").value) == [3e-4, 1e-3]
    fig = figure(at, "Annealing schedule")
    names = " ".join(t.get("name", "") for t in fig["data"])
    assert "0.001" in names and "0.0003" in names and "1e-05" not in names


def test_a_link_opened_later_in_the_session_sets_the_live_sliders():
    """What the browser reported is forgotten when the page is left (Streamlit drops a widget
    that is not drawn), so a lesson step or a link opened later sets the sliders it names."""
    at = app(GUMBEL)
    at.session_state["gm_live"] = {"l1": 3.0, "l2": 0.0, "l3": -1.0, "n": 5000}
    at.run()
    assert live_views(at)["max"]["values"]["l1"] == 3.0
    at.switch_page("app_pages/home.py").run()
    at.query_params["gm_l1"] = "-4.0"
    at.switch_page(GUMBEL).run()
    assert not at.exception and live_views(at)["max"]["values"]["l1"] == -4.0
