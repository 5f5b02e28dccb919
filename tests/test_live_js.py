"""The browser-side math of the live views (ui/live/frontend) against the library it mirrors,
run in Chromium: the Gumbel page's sweep over τ against sampling_stats.relaxed_sweep_from_noise
on the same noise, its notes word for word, the staged hub computation against the full sweep,
the annealing schedule against explorer.discrete.temperature, the DVAE++ smoothing against
explorer.discrete.transformations (∂ζ/∂p against autograd), f1–f3 with their densities, L1
distances and notes, the ELBO curves of Variational learning against explorer.toys.learning, the
1-D posterior, budget and notes and the 2-D ELBO, KL and q ellipse of ELBO & posterior against
explorer.toys.posterior and posterior2d, and Python's number formats."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer.discrete import SAMPLING_TAU_GRID, temperature
from explorer.discrete import sampling_stats as ds
from explorer.discrete.transformations import NAMES, density, overlapping_exponential, smoothing

FRONTEND = Path(__file__).resolve().parent.parent / "ui" / "live" / "frontend"
LABELS = ["c = 1", "c = 2", "c = 3"]


@pytest.fixture(scope="module")
def js(browser):
    page = browser.new_page()
    page.set_content("<html><body><div id='text'></div></body></html>")
    for name in ("live.js", "numeric.js", "gumbel.js", "schedule.js", "smoothing.js",
                 "transformations.js", "learning.js", "posterior2d.js", "elbo1d.js",
                 "relaxation.js", "relaxation_view.js", "counter_noise.js", "marginals.js"):
        page.add_script_tag(path=str(FRONTEND / name))
    yield page
    page.close()


def sweep_js(js, g32, n, logits, taus, keep):
    out = js.evaluate("""([g, n, logits, taus, keep]) => {
        const r = LiveRecipes.gumbel.math.sweep(Float32Array.from(g), n, logits, taus, keep);
        r.ys = r.ys.map((y) => Array.from(y));
        return r;
    }""", [g32.ravel().tolist(), n, list(logits), list(taus), keep])
    return out


@pytest.mark.parametrize("logits", [(1.0, 0.0, -1.0), (10.0, -10.0, -10.0), (0.5, 0.5, 0.5),
                                    (-3.5, 7.0, 2.0)])
def test_gumbel_sweep_matches_the_library_on_the_same_noise(js, logits):
    n, keep = 1500, 50
    g32 = ds.sweep_noise(n, 3, 0).astype(np.float32)
    want = ds.relaxed_sweep_from_noise(logits, SAMPLING_TAU_GRID, g32.astype(float), keep)
    got = sweep_js(js, g32, n, logits, SAMPLING_TAU_GRID, keep)
    for k in ("mean", "var", "se", "one_hot"):
        np.testing.assert_allclose(np.array(got[k], float), want[k], rtol=1e-10, atol=1e-300,
                                   err_msg=k)
    assert np.array_equal(np.array(got["counts"]), want["counts"])
    assert got["finite"] == want["finite"].tolist()
    np.testing.assert_allclose(np.array(got["ys"], np.float32).reshape(want["ys"].shape),
                               want["ys"], rtol=1e-6, atol=1e-7)
    small = [i for i, t in enumerate(SAMPLING_TAU_GRID) if t <= 0.05]
    for k in ("jac_median", "jac_max"):  # only where a note reads them
        np.testing.assert_allclose([got[k][i] for i in small], want[k][small], rtol=1e-9)
        assert all(got[k][i] is None for i in range(len(SAMPLING_TAU_GRID)) if i not in small)


@pytest.mark.parametrize("logits, tau, n", [((1.0, 0.0, -1.0), 0.01, 2000),
                                            ((10.0, -10.0, -10.0), 0.5, 1000),
                                            ((10.0, -10.0, -10.0), 0.02, 1000),
                                            ((1.0, 0.0, -1.0), 7.0, 1000),
                                            ((0.0, 0.0, 0.0), 1.0, 1000)])
def test_gumbel_notes_are_the_library_notes_word_for_word(js, logits, tau, n):
    g = ds.sweep_noise(n, 3, 0).astype(np.float32).astype(float)
    row = ds.relaxed_sweep_from_noise(logits, (tau,), g)
    probs = ds.softmax(logits)
    args = [float(row["one_hot"][0]), float(row["jac_median"][0]), float(row["jac_max"][0])]
    want = ds.relaxation_notes(probs, tau, n, *args, LABELS)
    got = js.evaluate("""([p, tau, n, a, labels]) =>
        LiveRecipes.gumbel.math.notes(p, tau, n, a[0], a[1], a[2], labels, Live)""",
                      [probs.tolist(), tau, n, args, LABELS])
    assert got == want
    assert want or logits == (0.0, 0.0, 0.0)  # every case but the last has a note


def test_staged_hub_results_equal_the_full_sweep_and_count_the_gumbel_max_samples(js):
    """The hub computes the τ on screen first, then one τ per idle slice: the finished results
    are the whole sweep, and the Gumbel-max counts are those of argmax_c(ℓ_c + g_c)."""
    n, keep, logits = 3000, 40, (2.0, -1.0, 0.5)
    g32 = ds.sweep_noise(n, 3, 0).astype(np.float32)
    got = js.evaluate("""([g, n, l, taus, keep, labels]) => {
        const R = LiveRecipes.gumbel, data = {noise: Float32Array.from(g), taus, keep, labels,
                                              tau: 0.5};
        const v = {l1: l[0], l2: l[1], l3: l[2], n, tau: 2.0};
        let r = R.compute(data, v, null);
        const first = r.sweep.mean.map((m) => m !== null);
        let slices = 0, more;
        while ((more = R.more(data, v, r))) { r = more; slices += 1; }
        return {first, slices, mean: r.sweep.mean, counts: r.gumbelMax, complete: r.complete};
    }""", [g32.ravel().tolist(), n, list(logits), list(SAMPLING_TAU_GRID), keep, LABELS])
    assert got["first"] == [t == 2.0 for t in SAMPLING_TAU_GRID]
    assert got["slices"] == len(SAMPLING_TAU_GRID) - 1 and got["complete"]
    want = ds.relaxed_sweep_from_noise(logits, SAMPLING_TAU_GRID, g32.astype(float))
    np.testing.assert_allclose(np.array(got["mean"]), want["mean"], rtol=1e-10)
    s = np.asarray(logits) + g32.astype(float)
    assert got["counts"] == np.bincount(s.argmax(1), minlength=3).tolist()


@pytest.mark.parametrize("x", [0.01, 0.5, 1.0, 2.0, 10.0, 100.0, 1e-5, 123456.0, 1234567.0,
                               0.0001234, 3.14159e10, -2.5, 0.0, 1e-300, 99.99999])
def test_number_formats_are_pythons(js, x):
    got = js.evaluate("(x) => [Live.fmtG(x), Live.fmtG(x, 3), Live.fmtE(x, 1), Live.pyFloat(x)]", x)
    assert got == [f"{x:g}", f"{x:.3g}", f"{x:.1e}", repr(x)]


@pytest.mark.parametrize("tau0, tau_min", [(1.0, 0.5), (10.0, 0.01), (0.5, 1.0), (2.0, 2.0)])
def test_schedule_matches_the_library(js, tau0, tau_min):
    rates = [1e-5, 3e-4, 1e-3]
    got = js.evaluate("""([tau0, tauMin, rates]) => {
        const R = LiveRecipes.schedule, m = R.math;
        const out = R.schedule({values: {tau0, tau_min: tauMin}, data: {rates}, fmtG: Live.fmtG,
                                wrap: Live.wrap});
        return {out, hits: rates.map((r) => m.hitStep(tau0, tauMin, r)),
                commas: m.commas(1234567.4)};
    }""", [tau0, tau_min, rates])
    hits = [ds.anneal_hit_step(tau0, tau_min, r) for r in rates]
    assert got["hits"] == pytest.approx(hits, rel=1e-12)
    for i, r in enumerate(rates):
        line = got["out"]["traces"][str(2 * i)]
        np.testing.assert_allclose(line["y"], temperature(np.array(line["x"]), tau0, tau_min, r),
                                   rtol=1e-12)
        assert got["out"]["traces"][str(2 * i + 1)]["text"] == [f"t = {hits[i]:,.0f}"]
    assert max(line["x"]) == pytest.approx(max(100.0, 1.25 * max(hits)))
    assert ("flat at τ_min" in got["out"]["html"]) == (tau0 <= tau_min)
    assert got["commas"] == f"{1234567.4:,.0f}"


@pytest.mark.parametrize("beta, p", [(3.0, 0.5), (0.1, 0.01), (100.0, 0.99), (20.0, 0.3)])
def test_dvaepp_views_match_the_library(js, beta, p):
    rho32 = ds.overlapping_noise(4000, 0).astype(np.float32)
    got = js.evaluate("""([beta, p, rho]) => LiveRecipes.dvaepp.compute(
        {rho: Float32Array.from(rho)}, {beta, p})""", [beta, p, rho32.tolist()])
    got = {k: np.array(v, dtype=float) if isinstance(v, list) else v for k, v in got.items()}
    eps, zeta, grad, _, _, grid, dens = ds.overlapping_views(beta, p, 10, 0)  # autograd ∂ζ/∂p
    np.testing.assert_allclose(got["eps"], eps, rtol=0, atol=1e-15)
    np.testing.assert_allclose(got["z"], zeta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["grad"], grad, rtol=1e-6, atol=1e-9)
    ymax = got["ymax"]
    np.testing.assert_allclose(got["dens"], np.minimum(dens, 10 * ymax), rtol=1e-9)
    samples = overlapping_exponential(beta, p, torch.as_tensor(rho32.astype(float))).numpy()
    _, hist, _ = ds.histogram_density(samples)
    np.testing.assert_allclose(got["hist"], hist, rtol=1e-12)
    assert ymax == pytest.approx(1.3 * max(hist.max(), dens.max(), 1e-3), rel=1e-9)


@pytest.fixture
def view_page(browser):
    """A bare page with a live view's DOM and plotly.js: live.js talks to itself as the parent."""
    import plotly

    page = browser.new_page()
    page.set_content((FRONTEND / "index.html").read_text().split("<body>")[1].split("</body>")[0])
    page.add_script_tag(path=str(Path(plotly.__file__).parent / "package_data" / "plotly.min.js"))
    page.add_script_tag(path=str(FRONTEND / "live.js"))
    yield page
    page.close()


RECIPE = """(throwing) => { LiveRecipes.toy = {hub: "v",
    compute: (data, v) => { if (throwing && v.a > 1) throw new Error("boom"); return {a: v.a}; },
    v: (ctx) => ({traces: {0: {y: [ctx.results.a, 2 * ctx.results.a]}},
                  html: `a = ${ctx.results.a}`})};
  window.postMessage({type: "streamlit:render", args: {recipe: "toy", role: "v", group: "g",
    values: {a: 1}, controls: [{name: "a", label: "a", url: "a", min: 0, max: 3, step: 1, help: ""}],
    figure: JSON.stringify({data: [{type: "scatter", y: [0, 0]}], layout: {}}), data: "{}"}}, "*");
}"""


def _move(page, value):
    page.evaluate("""(v) => { const s = document.querySelector("input[aria-label='a']");
        s.value = v; s.dispatchEvent(new Event("input")); }""", value)


def test_a_live_view_redraws_its_figure_from_its_own_slider(view_page):
    view_page.evaluate(RECIPE, False)
    view_page.wait_for_function("() => document.getElementById('text').textContent === 'a = 1'")
    _move(view_page, 3)
    assert view_page.evaluate("() => document.getElementById('figure').data[0].y") == [3, 6]
    assert view_page.evaluate("() => document.getElementById('text').textContent") == "a = 3"
    assert view_page.locator("input[aria-label='a']").get_attribute("aria-valuetext") == "3"


def test_a_recipe_that_throws_says_so_and_keeps_the_last_drawing(view_page):
    view_page.evaluate(RECIPE, True)
    view_page.wait_for_function("() => document.getElementById('text').textContent === 'a = 1'")
    _move(view_page, 2)
    assert "could not redraw (boom)" in view_page.inner_text("#notes")
    assert view_page.evaluate("() => document.getElementById('figure').data[0].y") == [1, 2]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("beta, p, a", [(3.0, 0.5, math.e), (0.1, 0.01, 2.0), (100.0, 0.99, 10.0),
                                        (1.0, 0.3, math.e), (20.0, 0.7, 2.0)])
def test_smoothing_views_match_the_library(js, name, beta, p, a):
    rho32 = ds.overlapping_noise(3000, 0).astype(np.float32)
    got = js.evaluate("""([name, beta, p, a, rho, betas, names]) => {
        const R = LiveRecipes.smoothing, m = R.math;
        const eps = Array.from(m.curveGrid(p));
        const grid = Array.from(m.DENSITY_GRID);
        const data = {name, a, rho: Float32Array.from(rho), betas, names, label: "f"};
        let r = R.compute(data, {p, beta}, null), more;
        while ((more = R.more(data, {p, beta}, r))) r = more;
        const row = r.rows[betas.indexOf(beta)];
        return {eps, zeta: eps.map((e) => m.smooth(name, beta, p, e, a)),
                grad: eps.map((e) => m.dzetaDp(name, beta, p, e, a)), grid,
                dens: grid.map((z) => m.density(name, beta, p, z, a).d),
                mass: m.density(name, beta, p, 0.5, a).mass, l1: r.l1[name], hist: row.hist,
                spike: row.spike, ymax: row.ymax, note: row.note, always: r.always,
                complete: r.complete};
    }""", [name, beta, p, a, rho32.tolist(), list(ds.BETA_GRID), list(NAMES)])
    got = {k: np.array(v, dtype=float) if isinstance(v, list) and k not in ("note", "always")
           else v for k, v in got.items()}
    eps = torch.as_tensor(got["eps"])
    np.testing.assert_allclose(got["eps"], ds.curve_grid(p), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["zeta"], smoothing(name, beta, p, eps, a).numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["grad"], ds.dzeta_dp(name, beta, p, got["eps"], a),
                               rtol=1e-7, atol=1e-9)  # against autograd (the kink at 1 − p too)
    mass, dens = density(name, beta, p, torch.as_tensor(got["grid"]), a)
    np.testing.assert_allclose(got["dens"], dens.numpy(), rtol=1e-9)
    assert got["mass"] == pytest.approx(float(mass.reshape(-1)[0]))
    np.testing.assert_allclose(got["l1"], ds.l1_to_step(name, ds.BETA_GRID, p, a), rtol=1e-5,
                               atol=1e-12)
    samples = smoothing(name, beta, p, torch.as_tensor(rho32.astype(float)), a).numpy()
    _, hist, spike = ds.histogram_density(samples)
    np.testing.assert_allclose(got["hist"], hist, rtol=1e-12)
    assert got["spike"] == pytest.approx(spike) and got["complete"]
    spiky = name != "symmetric_power"
    always = ds.smoothing_notes(1.0, p, 0.0, 0.0, spiky, 3000)
    assert got["always"] == always
    i = ds.BETA_GRID.index(beta)
    want = [n for n in ds.smoothing_notes(beta, p, float(got["l1"][i]),
                                           float(np.abs(got["grad"]).max()), spiky, 3000)
            if n not in always]
    assert got["note"][:len(want)] == want


def learning_data():
    from explorer.toys import learning as tl
    from ui.toy_data import LIVE_MODEL

    return {**LIVE_MODEL, "grid": tl.A_GRID.tolist()}


@pytest.mark.parametrize("x, m, v", [(1.9, 2.0, 1.0), (1.9, -6.0, 1e-6), (-3.0, 0.7, 1000.0),
                                     (6.0, 3.3, 0.05)])
def test_learning_elbo_curves_match_the_library(js, x, m, v):
    from explorer.toys import learning as tl

    data = learning_data()
    got = js.evaluate("""([d, x, m, v]) => {
        const R = LiveRecipes.learning, r = R.compute(d, {x, m1: m, v1: v, m2: 0.7, v2: 0.1}, null);
        const out = R.bounds({data: d, results: r, fmtG: Live.fmtG});
        return {lp: r.lp, l: r.curves[0].l, gap: r.curves[0].gap, j: r.curves[0].j,
                html: out.html, range: out.layout["yaxis.range"]};
    }""", [data, x, m, v])
    lp = tl.log_evidence_curve(x)
    np.testing.assert_allclose(got["lp"], lp, rtol=1e-12, atol=1e-9)
    want = tl.elbo_curve(x, m, v, a_grid=tl.A_GRID)
    np.testing.assert_allclose(got["l"], want, rtol=1e-12, atol=1e-9)
    assert got["j"] == int(np.argmin(lp - want))
    assert got["gap"] == pytest.approx((lp - want).min(), rel=1e-9)
    assert got["range"] == pytest.approx([lp.min() - 2, lp.max() + 0.5])
    assert f"{(lp - want).min():.3f}" in got["html"]
    assert ("point mass" in got["html"]) == (v < 1e-3)
    gap2 = (lp - tl.elbo_curve(x, 0.7, 0.1, a_grid=tl.A_GRID)).min()
    assert ("far from every posterior" in got["html"]) == (max((lp - want).min(), gap2) > 20)
    assert ("far in the tail" in got["html"]) == (lp.max() < -50)


@pytest.mark.parametrize("x, a0, exact", [(1.9, 0.5, True), (1.9, 0.5, False), (4.5, 5.2, True),
                                          (-2.0, 3.33, False), (6.0, 0.2, True)])
def test_learning_em_trace_and_view_match_the_library(js, x, a0, exact):
    from explorer.plots.toys import GREY, ORANGE, em_figure
    from explorer.toys import learning as tl

    data = {**learning_data(), "total": 8, "exact": exact,
            "colors": {"orange": ORANGE, "grey": GREY}}
    got = js.evaluate("""([d, x, a0]) => {
        const R = LiveRecipes.learning, r = R.compute(d, {x, m1: 0, v1: 1, m2: 0, v2: 1}, null);
        const tr = R.math.emTrace(d, x, a0, d.total, d.exact);
        const views = [1, 3, 8].map((t) =>
            R.em({data: d, values: {x, a0, t}, results: r, bold: (s) => s}));
        return {tr, views};
    }""", [data, x, a0])
    want = tl.em_trace(x, a0, 8, exact)
    tr = got["tr"]
    rtol = 1e-9 if exact else 1e-6  # 400 clipped gradient steps for the best Gaussian
    np.testing.assert_allclose(tr["thetas"], want.thetas, rtol=1e-12)
    for k, w in (("logPx", want.log_px), ("elboE", want.elbo_e), ("elboM", want.elbo_m),
                 ("qs", want.q), ("curves", want.curves)):
        np.testing.assert_allclose(np.array(tr[k]), w, rtol=rtol, atol=1e-9, err_msg=k)
    lp = tl.log_evidence_curve(x)
    for t, view in zip((1, 3, 8), got["views"]):
        # the figure as em_figure draws it with t steps: the same arrows and shown curves
        fig = em_figure(tl.A_GRID, lp, want.thetas, want.elbo_e, want.elbo_m, want.curves,
                        want.log_px, t, title="")
        for s, a in enumerate(fig.layout.annotations):
            for key in ("x", "y", "ax", "ay"):
                assert view["layout"][f"annotations.{s}.{key}"] == pytest.approx(a[key], rel=rtol)
            assert view["layout"][f"annotations.{s}.showarrow"] == a.showarrow, (t, s)
        assert not any(view["layout"][f"annotations.{s}.showarrow"] for s in range(2 * t, 16))
        shown = [view["traces"][str(1 + s)]["visible"] for s in range(8)]
        assert shown == [s < t for s in range(8)]
        last = view["traces"][str(t)]
        assert last["showlegend"] and last["line.color"] == fig.data[t].line.color == ORANGE
        markers = view["traces"]["9"]
        np.testing.assert_allclose(markers["x"], fig.data[t + 1].x, rtol=1e-12)
        assert markers["text"] == list(fig.data[t + 1].text)
        s = t - 1
        assert f"Step {s}: θ_{s} = **{want.thetas[s]:.2f}**" in view["html"]
        assert f"≤ log p(x; θ_{t}) = {want.log_px[t]:.3f}." in view["html"]


def elbo1d_data(green=True):
    from explorer.toys import posterior as tp
    from ui.toy_data import LIVE_MODEL

    return {**LIVE_MODEL, "green": green, "q_green": list(tp.Q_GREEN),
            "q_orange": list(tp.Q_ORANGE), "chars": 200}


@pytest.mark.parametrize("x, m, v", [(1.9, 2.0, 2.0), (1.9, -4.0, 0.75), (10.0, 8.0, 1000.0),
                                     (-10.0, -8.0, 1e-6), (0.0, 0.3, 0.0001), (-3.3, 1.1, 5.0)])
def test_elbo1d_posterior_budget_and_notes_match_the_library(js, x, m, v):
    from explorer.plots.toys import _budget_values, elbo_budget_title
    from explorer.toys import posterior as tp
    from ui.toy_data import q_curve

    th = tp.THETA0
    got = js.evaluate("""([d, v]) => {
        const R = LiveRecipes.elbo1d, r = R.compute(d, v, null);
        const out = R.budget({data: d, values: v, results: r, fmtG: Live.fmtG, wrap: (t) => t});
        return {z: r.post.z, logPost: r.post.logPost, b: r.b, range: r.range, out,
                notes: R.math.notes(d, v.x, v.v, r.b, Live.fmtG), klGreen: r.klGreen,
                klOrange: r.klOrange, green: r.green};
    }""", [elbo1d_data(), {"x": x, "m": m, "v": v}])
    z, log_post = tp.posterior_on_grid(x, th)
    np.testing.assert_allclose(got["z"], z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["logPost"], log_post, rtol=1e-9, atol=1e-9)
    b = tp.bound(x, th, m, v)
    for k, want in (("logPx", b.log_px), ("joint", b.expected_log_joint), ("entropy", b.entropy),
                    ("kl", b.kl), ("elbo", b.elbo)):
        assert got["b"][k] == pytest.approx(want, rel=1e-9, abs=1e-9), k
    assert got["range"] == pytest.approx(tp.plot_range(z, log_post, m, v), rel=1e-12)
    assert got["notes"] == tp.degeneracy_notes(x, th, m, v, b)  # word for word
    values, text, budget_range = _budget_values(b)
    waterfall = got["out"]["traces"]["3"]
    np.testing.assert_allclose(waterfall["x"], values, rtol=1e-9, atol=1e-9)
    assert waterfall["text"] == text
    assert got["out"]["layout"]["xaxis2.range"] == pytest.approx(budget_range, rel=1e-9, abs=1e-9)
    assert got["out"]["layout"]["title.text"] == elbo_budget_title(x, m, v, b)
    _, zq, lq, _ = q_curve(z, *tp.Q_GREEN, "", "")
    np.testing.assert_allclose(got["green"]["x"], zq, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["green"]["y"], np.exp(lq), rtol=1e-9, atol=1e-300)
    assert got["klGreen"] == pytest.approx(tp.kl_to_posterior(x, th, *tp.Q_GREEN), rel=1e-9, abs=1e-9)
    assert got["klOrange"] == pytest.approx(tp.kl_to_posterior(x, th, *tp.Q_ORANGE), rel=1e-9, abs=1e-9)


def test_elbo1d_q_curve_is_the_figures_and_without_green_the_budget_is_trace_2(js):
    import math

    from explorer.plots.toys import elbo_budget_figure
    from explorer.toys import posterior as tp

    x, m, v = 1.0, -1.3, 0.5
    z, log_post = tp.posterior_on_grid(x, tp.THETA0)
    fig = elbo_budget_figure(z, log_post, x, m, v, tp.bound(x, tp.THETA0, m, v),
                             tp.plot_range(z, log_post, m, v))
    got = js.evaluate("""([d, v]) => {
        const R = LiveRecipes.elbo1d, r = R.compute(d, v, null);
        return R.budget({data: d, values: v, results: r, fmtG: Live.fmtG, wrap: (t) => t}).traces;
    }""", [elbo1d_data(green=False), {"x": x, "m": m, "v": v}])
    assert set(got) == {"0", "1", "2"} and fig.data[2].type == "waterfall"
    q = fig.data[1]
    assert got["1"]["x0"] == pytest.approx(q.x0) == pytest.approx(m - 5 * math.sqrt(v))
    assert got["1"]["dx"] == pytest.approx(q.dx)
    np.testing.assert_allclose(got["1"]["y"], q.y, rtol=1e-12)
    assert got["1"]["name"] == q.name
    np.testing.assert_allclose(got["2"]["x"], fig.data[2].x, rtol=1e-9)
