"""The 2-D section of ELBO & posterior in the browser (ui/live/frontend/posterior2d.js) against
explorer.toys.posterior2d, in Chromium: p(z|x) and log p(x) on the grid for the observation x, the
contour as posterior2d_figure draws it, ELBO and KL by the same quadrature, q's ellipse, and the
best Gaussians of the server's table drawn for the x on screen with their KL caption."""
import textwrap

import numpy as np
import pytest

from explorer.plots.toys import posterior2d_figure
from explorer.toys import posterior2d as t2

from .apptest_helpers import array
from .test_live_js import FRONTEND


@pytest.fixture(scope="module")
def js(browser):
    page = browser.new_page()
    page.set_content("<html><body><div id='text'></div></body></html>")
    for name in ("live.js", "numeric.js", "posterior2d.js"):
        page.add_script_tag(path=str(FRONTEND / name))
    yield page
    page.close()


def data(kind, best=None):
    u, w = t2.gauss_hermite()
    return {"kind": kind, "noise_std": t2.NOISE_STD, "u": u.tolist(), "w": w.tolist(),
            "best": best, "chars": 70}


def view(js, d, v, title="one line"):
    return js.evaluate("""([d, v, title]) => {
        const R = LiveRecipes.posterior2d, r = R.compute(d, v);
        const t = {layout: {title: {text: title}, margin: {t: 70}, height: 520}};
        return {r, out: R.q2d({results: r, values: v, data: d, template: t, fmtG: Live.fmtG,
                               wrap: Live.wrap})};
    }""", [d, v, title])


@pytest.mark.parametrize("kind", t2.DECODERS)
@pytest.mark.parametrize("x, m1, m2, v1, v2, rho", [(1.5, 1.0, 1.0, 0.5, 0.5, 0.0),
                                                    (-4.0, -1.5, 2.0, 0.1, 2.0, 0.9),
                                                    (4.0, 3.0, -3.0, 1e-06, 1000.0, -0.99),
                                                    (0.3, 0.0, 0.0, 1.0, 1.0, 0.5)])
def test_grid_contour_bounds_and_ellipse_are_the_librarys(js, kind, x, m1, m2, v1, v2, rho):
    got = view(js, data(kind), {"x2": x, "m1": m1, "m2": m2, "v1": v1, "v2": v2, "rho": rho})
    r, out = got["r"], got["out"]
    g, lp, lpx = t2.posterior_grid2d(x, kind)
    assert r["lpx"] == pytest.approx(lpx, rel=1e-12)
    cov = t2.covariance(v1, v2, rho)
    fig = posterior2d_figure(g, lp, [("your q (2σ)", *t2.ellipse((m1, m2), cov), "orange")],
                             title=f"2-D latent: contours of p(z|x={x:g}) for f(z) = "
                                   f"{'z₁ + z₂' if kind == 'sum' else 'z₁·z₂'} and q's 2σ "
                                   "ellipse; KL(q‖p(z|x)) = log p(x) − ELBO")
    z = np.array(fig.data[0].z, dtype=np.float32)
    np.testing.assert_allclose(np.array(out["traces"]["0"]["z"], dtype=np.float32), z, rtol=1e-6,
                               atol=1e-30)
    np.testing.assert_allclose(out["traces"]["1"]["x"], fig.data[1].x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["traces"]["1"]["y"], fig.data[1].y, rtol=1e-9, atol=1e-12)
    assert r["elbo"] == pytest.approx(t2.elbo2d(x, (m1, m2), cov, kind), rel=1e-9, abs=1e-9)
    assert r["kl"] == pytest.approx(t2.kl2d(x, (m1, m2), cov, kind, log_px=lpx), rel=1e-9, abs=1e-9)
    assert f"{lpx:.3f}" in out["html"] and "Best diagonal" not in out["html"]
    assert out["layout"]["title.text"] == "<br>".join(textwrap.wrap(fig.layout.title.text, 70))
    assert out["layout"]["margin.t"] == 70 + 18 * out["layout"]["title.text"].count("<br>")


@pytest.mark.parametrize("kind", t2.DECODERS)
def test_the_best_gaussians_follow_x_from_the_servers_table(js, kind):
    from ui.toy_data import best2d_table

    table = best2d_table(kind, 1.4, 1.6, 0.1)  # the 2-D slider's x = 1.4, 1.5, 1.6
    assert len(table["diag"]) == len(table["full"]) == 3
    for k, x in enumerate((1.4, 1.5, 1.6)):
        got = view(js, data(kind, table), {"x2": x, "m1": 1.0, "m2": 1.0, "v1": 0.5, "v2": 0.5,
                                           "rho": 0.0})["out"]
        lpx = t2.posterior_grid2d(x, kind)[2]
        kls = []
        for i, full in ((2, False), (3, True)):
            m, c = t2.best_gaussian2d(x, kind, full=full)
            assert table["full" if full else "diag"][k] == pytest.approx(
                [m[0], m[1], c[0, 0], c[0, 1], c[1, 1]], rel=1e-12)
            xs, ys = t2.ellipse(m, c)
            np.testing.assert_allclose(got["traces"][str(i)]["x"], xs, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(got["traces"][str(i)]["y"], ys, rtol=1e-9, atol=1e-9)
            kls.append(t2.kl2d(x, m, c, kind, log_px=lpx))
        assert (f"Best diagonal: KL = {kls[0]:.3f}; best full: KL = {kls[1]:.3f} nats."
                in got["html"])


def test_the_servers_opening_contour_is_what_the_browser_patches(js):
    """The figure the view opens with holds the contour the browser recomputes (trace 0)."""
    g, lp, _ = t2.posterior_grid2d(-2.3, "product")
    fig = posterior2d_figure(g, lp, [], title="t")
    got = view(js, data("product"), {"x2": -2.3, "m1": 1.0, "m2": 1.0, "v1": 0.5, "v2": 0.5,
                                     "rho": 0.0})["out"]["traces"]["0"]["z"]
    want = np.asarray(array(fig.to_plotly_json()["data"][0]["z"]), dtype=np.float32)
    np.testing.assert_allclose(np.array(got, dtype=np.float32), want.reshape(201, 201), rtol=1e-6,
                               atol=1e-30)
