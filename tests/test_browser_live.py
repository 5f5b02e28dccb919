"""Live views (ui/live) in real Chromium: a slider redraws its figures in the browser, views
scrolled away catch up when they come into view, and the values reach the URL."""
import numpy as np

from .classroom_browser import FIGURES_JS, figure, no_errors, open_page, poll, press, slider, slider_value


def _softmax(l):
    e = np.exp(np.asarray(l, float) - max(l))
    return e / e.sum()


def address(page) -> str:
    """The address bar: a live view sets it with history.replaceState, which page.url misses."""
    return page.evaluate("() => location.href")


def _trace_y(page, title: str, index: int):
    import json

    fig = figure(page, title)
    return None if fig is None else json.loads(fig["data"])[index].get("y")


def test_gumbel_logit_slider_redraws_the_figures_in_the_browser(server, page):
    open_page(page, f"{server['url']}/gumbel")
    assert poll(lambda: slider(page, "logit ℓ₁").count(), 60)
    assert poll(lambda: _trace_y(page, "Gumbel-max: frequencies", 1), 60)
    press(page, "logit ℓ₁", "ArrowRight", 4)  # 1.0 → 3.0
    assert slider_value(page, "logit ℓ₁") == "3"
    want = _softmax((3.0, 0.0, -1.0))

    def redrawn():
        y = _trace_y(page, "Gumbel-max: frequencies", 1)
        return y is not None and np.allclose(np.asarray(y, float), want, rtol=1e-9)
    assert poll(redrawn, 10)
    assert poll(lambda: "gm_l1=3.0" in address(page), 10), address(page)

    # the moments view was off screen: it redraws once scrolled into view
    page.frame_locator("iframe >> nth=3").locator("#figure").scroll_into_view_if_needed()
    assert poll(lambda: (figure(page, "Monte Carlo E[y_c]") or {}).get("title", "").find(
        "(3.0, 0.0, -1.0)") >= 0, 10)
    press(page, "temperature τ", "ArrowLeft", 1)  # 0.5 → 0.3
    assert poll(lambda: figure(page, "at τ = 0.3:"), 10)
    assert poll(lambda: "gm_tau=0.3" in address(page), 10), address(page)
    no_errors(page, "gumbel live views")


def test_smoothing_p_and_beta_move_the_views_in_the_browser(server, page):
    open_page(page, f"{server['url']}/smoothing")
    page.get_by_text("Explore one transformation").first.scroll_into_view_if_needed()
    assert poll(lambda: slider(page, "p = P(z = 1)").count(), 60)
    press(page, "p = P(z = 1)", "ArrowLeft", 10)  # 0.5 → 0.4
    assert poll(lambda: figure(page, "f1 (spike-and-exponential) at β = 3, p = 0.4"), 10)
    step = [t for t in json_data(page, "f1 (spike-and-exponential) at β = 3")
            if t.get("name") == "step 1[ε ≥ 1−p]"][0]
    assert np.allclose(step["x"], [0, 0.6, 0.6, 1])  # the bit switches at ε = 1 − p
    press(page, "β (log scale)", "ArrowRight", 1)  # 3 → 5
    assert poll(lambda: figure(page, "f1 (spike-and-exponential) at β = 5, p = 0.4"), 10)
    assert poll(lambda: "sm_p=0.4" in address(page) and "sm_beta=5.0" in address(page), 10), \
        address(page)
    no_errors(page, "smoothing live views")


def json_data(page, title: str) -> list:
    import json

    return json.loads(figure(page, title)["data"])


def test_elbo_pages_q_sliders_move_the_views_in_the_browser(server, page):
    from explorer.toys import posterior2d as t2

    from explorer.toys import posterior as tp

    open_page(page, f"{server['url']}/elbo_posterior")
    # the 1-D view: x and φ₂ move the posterior, q and the budget in the browser
    assert poll(lambda: slider(page, "q mean φ₁").count(), 60)  # the live view's, not the 2-D x
    press(page, "Observation x", "ArrowRight", 5)  # 1.9 → 2.4
    press(page, "q variance φ₂ (not σ)", "ArrowLeft", 2)  # 2 → 1
    b = tp.bound(2.4, tp.THETA0, 2.0, 1.0)
    want = f"p(z|x=2.4) vs q(z) = N(2, 1): ELBO = {b.elbo:.3f}"
    assert poll(lambda: figure(page, want), 10), (slider_value(page, "Observation x"), [
        f["title"] for fr in page.frames for f in fr.evaluate(FIGURES_JS)])
    assert poll(lambda: "x=2.4" in address(page) and "q_var=1" in address(page), 10), address(page)
    page.get_by_text("Two latent dimensions").first.scroll_into_view_if_needed()
    assert poll(lambda: slider(page, "q correlation ρ (0 = diagonal)").count(), 60)
    press(page, "q correlation ρ (0 = diagonal)", "ArrowLeft", 50)  # 0 → −0.5
    assert slider_value(page, "q correlation ρ (0 = diagonal)") == "-0.5"
    xs, ys = t2.ellipse((1.0, 1.0), t2.covariance(0.5, 0.5, -0.5))
    cov = t2.covariance(0.5, 0.5, -0.5)
    elbo = t2.elbo2d(1.5, (1.0, 1.0), cov, "sum")

    def redrawn():
        fig = figure(page, "2-D latent: contours")
        if fig is None:
            return False
        import json
        q = next(t for t in json.loads(fig["data"]) if t.get("name") == "your q (2σ)")
        return np.allclose(np.asarray(q["x"], float), xs) and np.allclose(np.asarray(q["y"], float), ys)
    assert poll(redrawn, 10)
    texts = [f.evaluate("() => document.body.innerText") for f in page.frames[1:]]
    assert any(f"{elbo:.3f}" in t for t in texts), texts
    assert poll(lambda: "rho2d=-0.5" in address(page), 10), address(page)
    no_errors(page, "2-D q live view")


def test_variational_learning_x_and_em_steps_move_in_the_browser(server, page):
    from explorer.toys import learning as tl

    open_page(page, f"{server['url']}/variational_learning")
    assert poll(lambda: slider(page, "steps shown").count(), 60)
    press(page, "Observation x", "ArrowRight", 6)  # 1.9 → 2.5
    lp = tl.log_evidence_curve(2.5)

    def curves_redrawn():
        y = _trace_y(page, "lower bounds L(x; θ, φ₁)", 0)
        return y is not None and np.allclose(np.asarray(y, float), lp, rtol=1e-9)
    assert poll(curves_redrawn, 10)
    page.get_by_text("EM-style coordinate ascent").first.scroll_into_view_if_needed()
    press(page, "steps shown", "ArrowRight", 2)  # 1 → 3
    tr = tl.em_trace(2.5, 0.5, 8, True)

    def em_redrawn():  # the EM view follows the curves' x and shows θ₀ … θ₃
        fig = figure(page, "Coordinate ascent on L(x; θ, q)")
        if fig is None:
            return False
        import json
        markers = json.loads(fig["data"])[9]
        return len(markers["x"]) == 4 and np.allclose(markers["x"], tr.thetas[:4])
    assert poll(em_redrawn, 10)
    texts = [f.evaluate("() => document.body.innerText") for f in page.frames[1:]]
    assert any(f"Step 2: θ_2 = {tr.thetas[2]:.2f}" in t for t in texts), texts
    assert poll(lambda: "vl_x=2.5" in address(page) and "em_t=3" in address(page), 10), address(page)
    no_errors(page, "variational learning live views")


def test_relaxation_bias_sliders_move_the_race_in_the_browser(server, page):
    from explorer.estimators import relaxation_race as rr

    open_page(page, f"{server['url']}/relaxation_bias")
    assert poll(lambda: slider(page, "logit ℓ₁").count(), 60)
    assert poll(lambda: figure(page, "Bias and variance"), 60)
    press(page, "logit ℓ₁", "ArrowRight", 2)  # 0 → 1
    assert slider_value(page, "logit ℓ₁") == "1"
    exact = rr.exact("bernoulli", "rebar", (1.0, 1.0), 0.45)

    def naive_line():  # the naive estimate is 0: its ‖bias‖ line is ‖exact gradient‖
        fig = figure(page, "Bias and variance")
        lines = [t for t in json_data(page, "Bias and variance")
                 if t.get("name") == "naive_reparam"] if fig else []
        return bool(lines) and np.allclose(lines[0]["y"], np.linalg.norm(exact), rtol=1e-9)
    assert poll(naive_line, 10)
    press(page, "temperature τ", "ArrowLeft", 1)  # 0.5 → 0.4
    # the histogram and samples were off screen: they redraw once scrolled into view
    page.frame_locator("iframe >> nth=1").locator("#figure").scroll_into_view_if_needed()
    # "E_q[f(z)] at τ": the histogram's title (the samples' title says "at τ" too)
    assert poll(lambda: figure(page, "E_q[f(z)] at τ = 0.4"), 10)
    assert poll(lambda: figure(page, "samples at τ = 0.4"), 10)
    hist = [t for t in json_data(page, "E_q[f(z)] at τ = 0.4") if t.get("name") == "naive_reparam"]
    assert hist and sum(hist[0]["customdata"]) == 4000 and hist[0]["showlegend"] is False
    page.frame_locator("iframe >> nth=4").locator("#text").scroll_into_view_if_needed()
    texts = lambda: " ".join(f.evaluate("() => document.body.innerText") for f in page.frames[1:])  # noqa: E731
    assert poll(lambda: "st_gumbel_softmax (τ = 0.4)" in texts(), 10), texts()
    assert poll(lambda: f"the exact ∂/∂ℓ₁ is {exact[0]:.4g}" in texts(), 10), texts()
    assert poll(lambda: "rb_l1=1.0" in address(page) and "rb_tau=0.4" in address(page), 10), \
        address(page)
    no_errors(page, "relaxation bias live views")


def test_mc_marginals_sliders_move_the_views_in_the_browser(server, page):
    """q's mean moves the importance half only, x both halves and the texts; the numbers are the
    library's on the same counter-based draws (seeds 1 and 2)."""
    from explorer.toys import marginals as mc
    from explorer.toys import posterior as tp

    th = mc.THETA_TAIL
    open_page(page, f"{server['url']}/mc_marginals")
    assert poll(lambda: slider(page, "proposal q mean").count(), 60)
    title = "Estimates log p̂(x) of eq. (1)"
    assert poll(lambda: _trace_y(page, title, 3), 60)

    def texts():
        return " ".join(f.evaluate("() => document.body.innerText") for f in page.frames[1:])
    imp0 = mc.importance_estimates(8.0, th, (6.0, 0.5), 10_000, 100, seed=2)
    i = int(np.searchsorted(imp0.ns, 100))
    assert poll(lambda: f"{np.median(imp0.log_mean_w[:, i]):.3f}" in texts(), 30), texts()
    naive0 = _trace_y(page, title, 1)
    press(page, "proposal q mean", "ArrowLeft", 10)  # 6.0 → 5.0
    imp = mc.importance_estimates(8.0, th, (5.0, 0.5), 10_000, 100, seed=2)

    def redrawn(est, index):
        y = _trace_y(page, title, index)
        return y is not None and np.allclose(np.asarray(y, float), mc.spread(est.log_mean_w)[0],
                                             rtol=1e-9)
    assert poll(lambda: redrawn(imp, 3), 10)
    assert _trace_y(page, title, 1) == naive0  # the naive half did not change
    median = f"{np.median(imp.log_mean_w[:, i]):.3f}"
    assert poll(lambda: median in texts(), 10), texts()
    press(page, "Observation x", "ArrowRight", 5)  # 8.0 → 8.5
    naive = mc.naive_estimates(8.5, th, 10_000, 100, seed=1)
    assert poll(lambda: redrawn(naive, 1), 10)
    assert poll(lambda: f"exact log p(x) = {tp.log_evidence(8.5, th):.3f}" in
                (figure(page, title) or {}).get("data", "") + texts(), 10)
    assert "x = 8.5" in figure(page, title)["title"].replace("<br>", " ")
    # the Jensen view is below the fold: it loads plotly.js and draws once scrolled to
    page.locator("[data-testid='stCustomComponentV1']").nth(1).scroll_into_view_if_needed()
    assert poll(lambda: figure(page, "Jensen on the same importance samples"), 20)
    assert poll(lambda: "mc_qm=5.0" in address(page) and "mc_x=8.5" in address(page), 10), \
        address(page)
    no_errors(page, "Monte Carlo marginals live views")


def test_elbo_pages_2d_observation_moves_the_posterior_in_the_browser(server, page):
    from explorer.toys import posterior2d as t2

    open_page(page, f"{server['url']}/elbo_posterior")
    page.get_by_text("Two latent dimensions").first.scroll_into_view_if_needed()
    name = "Observation x of the 2-D model"
    assert poll(lambda: slider(page, name).count(), 60)
    press(page, name, "ArrowRight", 5)  # 1.5 → 2.0
    assert slider_value(page, name) == "2"
    _, lp, lpx = t2.posterior_grid2d(2.0, "sum")

    def redrawn():
        fig = figure(page, "2-D latent: contours of p(z|x=2)")
        if fig is None:
            return False
        import json
        z = np.asarray(json.loads(fig["data"])[0]["z"], dtype=np.float32)
        return np.allclose(z, np.exp(lp).T.astype(np.float32), rtol=1e-6, atol=1e-30)
    assert poll(redrawn, 10)
    texts = [f.evaluate("() => document.body.innerText") for f in page.frames[1:]]
    assert any(f"{lpx:.3f}" in t for t in texts), texts
    assert poll(lambda: "x2d=2.0" in address(page), 10), address(page)
    no_errors(page, "2-D x live view")


def test_a_live_view_draws_when_its_first_plotly_request_fails(server, page):
    """A busy server can drop a request: the view loads plotly.js again instead of staying blank."""
    failed = []

    def drop_first(route):
        if not failed:
            failed.append(route.request.url)
            return route.abort()
        return route.continue_()
    page.route("**/plotly*.min.js", drop_first)
    open_page(page, f"{server['url']}/gumbel")
    assert poll(lambda: _trace_y(page, "Gumbel-max: frequencies", 1), 60)
    assert failed, "the test's route never saw plotly.min.js"
    no_errors(page, "gumbel after a dropped plotly.min.js")


def test_plotly_js_comes_from_the_browsers_cache_on_the_next_visit(server, page):
    """Component files are served with no validator (fetched and gzipped on every visit); the
    app's static copies of plotly.js and the views' scripts are cached by the browser."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    fetched = {0: [], 1: []}
    visit = [0]
    served = set()  # the memory cache's hits: fromDiskCache is false for them
    cdp.on("Network.requestServedFromCache", lambda e: served.add(e["requestId"]))
    cdp.on("Network.responseReceived", lambda e: fetched[visit[0]].append(
        {**e["response"], "id": e["requestId"]}))
    for visit[0] in (0, 1):
        page.goto("about:blank")  # else a second visit to the same URL is a reload (revalidating)
        open_page(page, f"{server['url']}/gumbel")
        assert poll(lambda: _trace_y(page, "Gumbel-max: frequencies", 1), 60)
        page.wait_for_timeout(1500)  # the response is in the cache
    first, second = ([r for r in fetched[k] if "plotly" in r["url"] and r["url"].endswith(".js")]
                     for k in (0, 1))
    assert first and all("/app/static/" in r["url"] for r in first), first
    assert all(r.get("fromDiskCache") or r["id"] in served for r in second), [
        (r["url"], r.get("fromDiskCache")) for r in second]
    # and the views' own scripts: only each view's index.html comes from the component route
    scripts = [r for r in fetched[1] if r["url"].split("?")[0].endswith((".js", ".css"))
               and "/vx/" in r["url"]]
    # (several views asking for one file at once do not all wait for the cache: each file is
    # read from it at least once)
    urls = {r["url"] for r in scripts}
    cached = lambda r: r.get("fromDiskCache") or r["id"] in served  # noqa: E731
    assert urls and all(any(cached(r) for r in scripts if r["url"] == u) for u in urls), [
        u for u in urls if not any(cached(r) for r in scripts if r["url"] == u)]
    assert not [r["url"] for r in fetched[1] if "/component/" in r["url"]
                and not r["url"].split("?")[0].endswith("index.html")]


def _png_width(uri: str) -> int:
    import base64
    import struct

    raw = base64.b64decode(uri.split(",", 1)[1][:64] + "==")
    return struct.unpack(">I", raw[16:20])[0]  # the IHDR chunk's width


def test_latent_space_grid_size_moves_through_frames_in_the_browser(server, page):
    import json

    run = server["runs"]["gauss"]
    open_page(page, f"{server['url']}/latent_space?run={run}")
    assert poll(lambda: slider(page, "Grid size").count(), 60)

    def width():
        fig = figure(page, "Learned manifold")
        return fig and _png_width(json.loads(fig["data"])[0]["source"])
    assert poll(width, 30) == 15 * 8  # 15 digits of 8 × 8 pixels per side
    press(page, "Grid size", "ArrowRight", 2)  # 15 → 20 → 25
    assert slider_value(page, "Grid size") == "25"
    assert poll(lambda: width() == 25 * 8, 10), width()
    press(page, "Grid size", "ArrowLeft", 4)  # 25 → 20 → 15 → 12 → 10
    assert poll(lambda: width() == 10 * 8, 10), width()
    assert poll(lambda: "grid_n=10" in address(page), 10), address(page)
    open_page(page, address(page))  # the link opens at the grid size it names
    assert poll(lambda: slider(page, "Grid size").count(), 60)
    assert poll(lambda: width() == 10 * 8, 30) and slider_value(page, "Grid size") == "10"
    no_errors(page, "latent space grid size")
