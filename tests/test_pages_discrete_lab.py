"""AppTest tests of the Discrete latents lab: Gumbel-max & softmax and Smoothing transformations.
Figures are checked against closed forms (softmax, f1–f3, the L1 distance to the step)."""
import math

import numpy as np
import pytest

from .apptest_helpers import app, array, figures, titles

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


def test_gumbel_page_default_histogram_matches_softmax_and_moments_tend_to_the_limits():
    at = app(GUMBEL)
    assert at.title[0].value == "Gumbel-max and Gumbel-softmax"
    assert any(r"\arg\max" in l.value for l in at.latex)
    assert any(r"/\tau" in l.value for l in at.latex)
    assert any(r"\tau_{\min}" in l.value for l in at.latex)
    t = titles(at)
    for start in ("Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c)", "Gumbel-softmax samples y",
                  "Four relaxed samples y = softmax((ℓ + g)/τ) at τ = 0.5", "Monte Carlo E[y_c] and Var[y_c]",
                  "Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t))"):
        assert any(s.startswith(start) for s in t), start
    p, n = softmax((1.0, 0.0, -1.0)), 20000
    hist = figure(at, "Gumbel-max")
    freq = np.array(array(hist["data"][0]["y"]))
    np.testing.assert_allclose(array(hist["data"][1]["y"]), p, rtol=1e-6)
    assert np.all(np.abs(freq - p) < Z * np.sqrt(p * (1 - p) / n))
    assert any("for any τ" in m.value for m in at.markdown)

    mom = figure(at, "Monte Carlo E[y_c]")
    assert mom["layout"]["xaxis"]["type"] == "log"
    assert [s["x0"] for s in mom["layout"]["shapes"]] == [0.5, 0.5]
    for c in range(3):
        m = np.array(array(trace(mom, f"c = {c + 1}")["y"]))
        assert abs(m[0] - p[c]) < Z * math.sqrt(p[c] * (1 - p[c]) / n)  # τ = 0.01: softmax
        assert abs(m[-1] - 1 / 3) < abs(p[c] - 1 / 3) / 2                # τ = 10: near uniform
    total = np.array(array(trace(mom, "total variance Σ_c Var[y_c]")["y"]))
    assert total[0] == pytest.approx(1 - (p ** 2).sum(), abs=0.01) and total[-1] < 0.02
    simplex = figure(at, "Gumbel-softmax samples y")
    assert simplex["data"][0]["type"] == "scatterternary" and len(array(simplex["data"][0]["a"])) == 600


def test_gumbel_url_params_and_sliders_change_the_figures():
    at = app(GUMBEL, gm_l1="3.0", gm_l2="-2.0", gm_l3="0.5", gm_tau="2.0", gm_n="5000")
    assert at.slider(key="gm_l1").value == 3.0 and at.select_slider(key="gm_tau").value == 2.0
    p = softmax((3.0, -2.0, 0.5))
    hist = figure(at, "Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c) over n = 5000")
    np.testing.assert_allclose(array(hist["data"][1]["y"]), p, rtol=1e-6)
    freq = np.array(array(hist["data"][0]["y"]))
    assert np.all(np.abs(freq - p) < Z * np.sqrt(p * (1 - p) / 5000))
    assert [s["x0"] for s in figure(at, "Monte Carlo")["layout"]["shapes"]] == [2.0, 2.0]
    assert any(s.startswith("Four relaxed samples y = softmax((ℓ + g)/τ) at τ = 2") for s in titles(at))

    at.slider(key="gm_l3").set_value(5.0).run()
    assert not at.exception
    p2 = softmax((3.0, -2.0, 5.0))
    np.testing.assert_allclose(array(figure(at, "Gumbel-max")["data"][1]["y"]), p2, rtol=1e-6)
    sm = trace(figure(at, "Gumbel-softmax samples"), "softmax(ℓ) = P(z)")
    assert array(sm["c"])[0] == pytest.approx(p2[2])


def test_gumbel_extreme_tau_and_logits_explained_without_nan():
    at = app(GUMBEL, gm_tau="0.01")
    assert not at.exception
    assert "numerically one-hot" in infos(at) and "vanishes" in infos(at)
    simplex = figure(at, "Gumbel-softmax samples y = softmax((ℓ + g)/τ) on the simplex at τ = 0.01")
    pts = np.array([array(simplex["data"][0][k]) for k in "abc"]).T
    assert np.mean(pts.max(1) > 1 - 1e-6) > 0.9  # (almost) every sample sits on a corner
    assert_all_finite(at)

    at.select_slider(key="gm_tau").set_value(10.0).run()
    assert not at.exception and "is large" in infos(at)
    pts = np.array([array(figure(at, "Gumbel-softmax samples")["data"][0][k]) for k in "abc"]).T
    assert np.abs(pts - 1 / 3).max() < 0.35  # all near the centre

    for k, v in (("gm_l1", 10.0), ("gm_l2", -10.0), ("gm_l3", -10.0)):
        at.slider(key=k).set_value(v).run()
    at.select_slider(key="gm_tau").set_value(0.01).run()
    assert not at.exception and "almost deterministic" in infos(at)
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
    at.select_slider(key="gm_tau0").set_value(0.5).run()
    at.select_slider(key="gm_taumin").set_value(0.5).run()
    assert not at.exception and "flat" in infos(at)
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
    zeta = figure(at, "ζ = f1(β = 3, p = 0.5, ε)")["data"][0]
    eps, z = np.array(array(zeta["x"])), np.array(array(zeta["y"]))
    u = np.clip((eps - 0.5) / 0.5, 0, 1)
    np.testing.assert_allclose(z, np.log(u * math.expm1(3) + 1) / 3, atol=1e-12)
    l1 = figure(at, "Convergence to the step")
    star = trace(l1, "β = 3")
    assert array(star["y"])[0] == pytest.approx(0.5 * (1 / 3 - 1 / math.expm1(3)), rel=1e-4)
    dens = figure(at, "Density q(ζ) of ζ")
    assert {"histogram of samples", "analytic density"} <= {t["name"] for t in dens["data"]}
    assert any(t["name"].startswith("spike at ζ = 0: mass 1 − p = 0.5") for t in dens["data"])


def test_smoothing_url_params_extremes_and_derivative():
    at = app(SMOOTH, sm_f="spike_power", sm_beta="100.0", sm_p="0.01")
    assert at.selectbox(key="sm_f").value == "spike_power"
    assert at.select_slider(key="sm_beta").value == 100.0 and at.slider(key="sm_p").value == 0.01
    assert "numerically the step" in infos(at) and "p = 0.01 is extreme" in infos(at)
    dens = figure(at, "Density q(ζ) of ζ")
    assert any("infinite at ζ = 1" in t for t in titles(at))
    assert np.isfinite(dens["layout"]["yaxis"]["range"]).all()
    star = trace(figure(at, "Convergence to the step"), "β = 100")
    assert array(star["y"])[0] == pytest.approx(0.01 / 101, rel=1e-4)
    assert_all_finite(at)

    at.slider(key="sm_p").set_value(0.4).run()
    at.select_slider(key="sm_beta").set_value(3.0).run()
    assert not at.exception and not at.info
    d = figure(at, "Pathwise gradient ∂ζ/∂p of f2")["data"][0]
    eps, g = np.array(array(d["x"])), np.array(array(d["y"]))
    want = np.where(1 - eps <= 0.4, 3 / 0.4 * np.clip((1 - eps) / 0.4, 0, 1) ** 3, 0.0)
    np.testing.assert_allclose(g, want, atol=1e-9)

    at.selectbox(key="sm_f").set_value("symmetric_power").run()
    at.slider(key="sm_p").set_value(0.99).run()
    assert not at.exception and "almost always 1" in infos(at)
    assert any("infinite at ζ = 0 and ζ = 1" in t for t in titles(at))
    assert not any(t["name"].startswith("spike") for t in figure(at, "Density q(ζ) of ζ")["data"])
    assert_all_finite(at)


def test_smoothing_base_a_rescales_beta():
    at = app(SMOOTH, sm_beta="2.0")
    assert at.selectbox(key="sm_a").value == "e"
    at.selectbox(key="sm_a").set_value("2").run()
    assert not at.exception
    zeta = figure(at, "ζ = f1(β = 2")["data"][0]
    eps, z = np.array(array(zeta["x"])), np.array(array(zeta["y"]))
    u = np.clip((eps - 0.5) / 0.5, 0, 1)
    np.testing.assert_allclose(z, np.log2(u * 3 + 1) / 2, atol=1e-12)  # a^β − 1 = 3
    star = trace(figure(at, "Convergence to the step"), "β = 2")
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
