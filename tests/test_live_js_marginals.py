"""Monte Carlo marginals in the browser (ui/live/frontend/marginals.js, counter_noise.js) against
the library, in Chromium: the counter-based normals bit for bit, the naive and importance
estimates on the same draws, their spreads, the ESS, the exact log p(x) and the ELBO, the page's
texts word for word and the figures' patches as explorer.plots.toys draws them."""
import textwrap

import numpy as np
import pytest

from explorer.plots.toys import mc_convergence_figure, mc_jensen_figure
from explorer.toys import counter_noise as cn
from explorer.toys import marginals as mc
from explorer.toys import posterior as tp

from .apptest_helpers import array
from .test_live_js import FRONTEND


@pytest.fixture(scope="module")
def js(browser):
    page = browser.new_page()
    page.set_content("<html><body><div id='text'></div></body></html>")
    for name in ("live.js", "elbo1d.js", "counter_noise.js", "marginals.js"):
        page.add_script_tag(path=str(FRONTEND / name))
    yield page
    page.close()


@pytest.mark.parametrize("seed", [0, 1, 2, 12345, 2**32 - 1])
def test_counter_normals_are_numpys_bit_for_bit(js, seed):
    counters = np.r_[np.arange(4000), np.arange(2**32 - 3000, 2**32)].astype(np.uint32)
    got = js.evaluate("""([seed, cs]) => ({bits: cs.map((c) => LiveNoise.bits(seed, c)),
        head: Array.from(LiveNoise.standardNormal(seed, 20001)),
        tail: Array.from(LiveNoise.standardNormal(seed, 2000000).subarray(1990000))})""",
                      [seed, counters.tolist()])
    assert got["bits"] == cn.bits(seed, counters).tolist()
    want = cn.standard_normal(seed, 2_000_000)
    np.testing.assert_allclose(got["head"], want[:20001], rtol=0, atol=2e-15)
    np.testing.assert_allclose(got["tail"], want[1990000:], rtol=0, atol=2e-15)
    np.testing.assert_array_equal(cn.standard_normal(seed, 20001), want[:20001])  # prefixes


def run(js, x, m, v, reps):
    return js.evaluate("""([d, v]) => {
        const R = LiveRecipes.marginals, M = R.math, r = R.compute(d, v);
        const naive = M.naiveEstimates(d, v.x, v.reps), imp = M.importanceEstimates(d, v.x, v.m, v.v, v.reps);
        return {r, naive: [Array.from(naive.lmw), Array.from(naive.mlw)],
                imp: [Array.from(imp.lmw), Array.from(imp.mlw)]};
    }""", [toy_data(), {"x": x, "m": m, "v": v, "reps": reps}])


def toy_data():
    from ui.toy_data import MC_LIVE

    return MC_LIVE


CASES = [(mc.X_TAIL, *mc.Q_TAIL, 100), (0.0, 0.0, 1.0, 20), (12.0, -10.0, 1e-06, 50),
         (-12.0, 10.0, 1000.0, 20), (3.3, 2.0, 0.02, 200), (-4.5, -3.0, 1e-06, 20)]


@pytest.mark.parametrize("x, m, v, reps", CASES)
def test_estimates_spreads_and_texts_are_the_librarys(js, x, m, v, reps):
    from ui.toy_data import MC_SEEDS

    th, n = mc.THETA_TAIL, toy_data()["n_max"]
    naive = mc.naive_estimates(x, th, n, reps, seed=MC_SEEDS["naive"])
    imp = mc.importance_estimates(x, th, (m, v), n, reps, seed=MC_SEEDS["importance"])
    exact, elbo = tp.log_evidence(x, th), tp.elbo(x, th, m, v)
    ess = mc.relative_ess(x, th, (m, v), n, seed=MC_SEEDS["ess"])
    got = run(js, x, m, v, reps)
    r = got["r"]
    shape = naive.log_mean_w.shape
    for name, est, arrays in (("naive", naive, got["naive"]), ("importance", imp, got["imp"])):
        for want, have in zip((est.log_mean_w, est.mean_log_w), arrays):
            assert np.isfinite(have).all()
            np.testing.assert_allclose(np.reshape(have, shape), want, rtol=1e-9, atol=1e-9,
                                       err_msg=name)
    for key, values in (("naive", naive.log_mean_w), ("imp", imp.log_mean_w),
                        ("impMean", imp.mean_log_w)):
        np.testing.assert_allclose(r["spreads"][key], mc.spread(values), rtol=1e-9, atol=1e-9,
                                   err_msg=key)
    assert r["exact"] == pytest.approx(exact, rel=1e-12)
    assert r["elbo"] == pytest.approx(elbo, rel=1e-12)
    assert r["ess"] == pytest.approx(ess, rel=1e-9) and 0 < r["ess"] <= 1
    want = mc.notes(naive, imp, exact, elbo, ess, x, (m, v))
    want["metrics"] = [list(t) for t in want["metrics"]]
    assert r["notes"] == want


def test_the_warnings_come_where_the_page_gave_them():
    """A q far from the posterior (ESS < 1 %) and an x beyond ±10 each get their warning; the
    default link gets none (the texts are checked word for word above)."""
    th = mc.THETA_TAIL

    def warnings(x, m, v):
        naive, imp = mc.naive_estimates(x, th, 1000, 20, 1), mc.importance_estimates(x, th, (m, v), 1000, 20, 2)
        ess = mc.relative_ess(x, th, (m, v))
        return mc.notes(naive, imp, tp.log_evidence(x, th), tp.elbo(x, th, m, v), ess, x, (m, v))["warnings"]
    assert warnings(mc.X_TAIL, *mc.Q_TAIL) == []
    (far_q,) = warnings(mc.X_TAIL, -5.0, 0.5)
    assert "misses the posterior" in far_q
    both = warnings(12.0, 6.0, 1e-06)
    assert len(both) == 2 and "very far in the tail" in both[1]


@pytest.mark.parametrize("x, m, v, reps", CASES[:3])
def test_figure_patches_draw_what_the_library_draws(js, x, m, v, reps):
    th, n = mc.THETA_TAIL, toy_data()["n_max"]
    naive = mc.naive_estimates(x, th, n, reps, seed=1)
    imp = mc.importance_estimates(x, th, (m, v), n, reps, seed=2)
    exact, elbo = tp.log_evidence(x, th), tp.elbo(x, th, m, v)
    conv = mc_convergence_figure(naive.ns, mc.spread(naive.log_mean_w), mc.spread(imp.log_mean_w),
                                 exact, x, reps)
    jensen = mc_jensen_figure(imp.ns, mc.spread(imp.log_mean_w), mc.spread(imp.mean_log_w), exact,
                              elbo)
    opening = {"layout": {"title": {"text": "one line"}, "margin": {"t": 70}, "height": 460}}
    got = js.evaluate("""([d, v, t]) => {
        const R = LiveRecipes.marginals, r = R.compute(d, v);
        const ctx = {results: r, data: d, template: t, fmtG: Live.fmtG, wrap: Live.wrap, bold: Live.bold};
        return {conv: R.convergence(ctx), jensen: R.jensen(ctx)};
    }""", [toy_data(), {"x": x, "m": m, "v": v, "reps": reps}, opening])
    for fig, out in ((conv, got["conv"]), (jensen, got["jensen"])):
        want = fig.to_plotly_json()
        for i, patch in out["traces"].items():
            np.testing.assert_allclose(patch["y"], array(want["data"][int(i)]["y"]), rtol=1e-9)
        lay = out["layout"]
        np.testing.assert_allclose(lay["yaxis.range"], want["layout"]["yaxis"]["range"], rtol=1e-9)
        for k, a in enumerate(want["layout"]["annotations"]):
            assert lay[f"annotations.{k}.text"] == a["text"]
            assert lay[f"shapes.{k}.y0"] == pytest.approx(want["layout"]["shapes"][k]["y0"], rel=1e-12)
    title = "<br>".join(textwrap.wrap(conv.layout.title.text, 80))
    assert got["conv"]["layout"]["title.text"] == title
    lines = title.count("<br>")
    assert got["conv"]["layout"]["margin.t"] == 70 + 18 * lines
    assert "<b>" in got["jensen"]["html"] and "exact log p(x)" in got["conv"]["html"]


def test_slider_extremes_stay_finite(js):
    """x = ±12 and q's smallest and largest variance give finite numbers (how fast a move
    redraws is measured by bench/ui_latency.py, not asserted here)."""
    got = js.evaluate("""(d) => {
        const R = LiveRecipes.marginals, out = [];
        for (const [x, m, v] of [[12, -10, 1e-6], [-12, 10, 1000], [12, 10, 1000], [-12, -10, 1e-6]]) {
            const r = R.compute(d, {x, m, v, reps: 200});
            out.push([r.exact, r.elbo, r.ess, ...Object.values(r.spreads).flat(2)]);
        }
        return out;
    }""", toy_data())
    assert np.isfinite(np.array(got, dtype=float)).all()
