"""The Relaxation bias page's browser-side race (ui/live/frontend/relaxation.js and
relaxation_view.js) against explorer.estimators.relaxation_race on the same noise, in Chromium:
every estimator and the exact gradient; then the staged hub's results drawn into the page's
figures at one setting equal the figures Python builds at another (explorer.plots.estimators),
and its notes, table and naive paragraph are the library's, word for word."""
import json

import numpy as np
import pytest

from explorer.discrete import ESTIMATOR_TAU_GRID
from explorer.estimators import comparison as cmp
from explorer.estimators import relaxation_race as rr
from explorer.plots.estimators import relaxation_figures
from ui.live import figure_json

from .apptest_helpers import array
from .test_live_js import js  # noqa: F401  (the page with the frontend's scripts)

CASES = [(fam, cost, values, t) for fam in ("bernoulli", "categorical")
         for cost in cmp.cost_names(fam)
         for values, t in (((0.0, 1.0), 0.45), ((-3.5, 2.0), 0.8), ((12.0, -12.0), 0.0))]
METHODS = rr.TAU_METHODS + rr.FLAT_METHODS


def _noise(nz: dict) -> list:
    return [nz[k].ravel().tolist() for k in ("u", "v", "pilot")]


@pytest.mark.parametrize("family, cost, values, t", CASES)
@pytest.mark.parametrize("tau", [0.05, 0.5, 5.0])
def test_estimates_and_exact_match_the_library_on_the_same_noise(js, family, cost, values, t, tau):
    nz = rr.noise(family, 300, 3, pilot=200)
    got = js.evaluate("""([fam, cost, l, t, tau, [u, v, p], methods]) => {
        const R = LiveRelaxation, logits = R.logitsOf(fam, {l1: l[0], l2: l[1]});
        const out = {exact: R.exact(fam, cost, logits, t)};
        for (const m of methods) out[m] = Array.from(R.estimates(m, fam, cost, logits, t, tau,
            Float32Array.from(u), Float32Array.from(v), Float32Array.from(p)));
        return out;
    }""", [family, cost, list(values), t, tau, _noise(nz), list(METHODS)])
    np.testing.assert_allclose(got["exact"], rr.exact(family, cost, values, t), rtol=1e-12,
                               atol=1e-15)
    u, v, p = (nz[k].astype(float) for k in ("u", "v", "pilot"))
    for m in METHODS:
        want = rr.estimates(m, family, cost, values, t, tau, u, v, p)
        np.testing.assert_allclose(np.reshape(got[m], want.shape), want, rtol=1e-9, atol=1e-13,
                                   err_msg=m)


STAGED = """([d, v, tpl, roles]) => {
    const R = LiveRecipes.relaxation;
    for (const k of ["u", "v", "pilot"]) d[k] = Float32Array.from(d[k]);
    let r = R.compute(d, v, null), slices = 0, more;
    const first = r.complete;
    while ((more = R.more(d, v, r))) { r = more; slices += 1; }
    const set = (o, path, x) => { const ks = path.split("."); let t = o;
        for (const k of ks.slice(0, -1)) t = t[k] = t[k] === undefined ? {} : t[k];
        t[ks[ks.length - 1]] = x; };
    const out = {first, slices, rows: r.table};
    for (const role of roles) {
        const template = tpl[role] ? JSON.parse(tpl[role]) : null;
        const drawn = R[role]({values: v, results: r, data: d, template, fmtG: Live.fmtG,
                               wrap: Live.wrap, bold: Live.bold});
        if (template) {
            for (const [i, patch] of Object.entries(drawn.traces || {}))
                for (const [p, x] of Object.entries(patch)) set(template.data[i], p, x);
            for (const [p, x] of Object.entries(drawn.layout || {})) set(template.layout, p, x);
        }
        out[role] = {fig: template, html: drawn.html, notes: drawn.notes};
    }
    return out;
}"""


def _figures(family, cost, values, t, tau, noise):
    race = rr.race(family, cost, values, t, tau, noise)
    figs = relaxation_figures(race, family, cost, t, tau, rr.relaxed_samples(
        family, values, tau, noise["u"]), cmp.reference_label(), ESTIMATOR_TAU_GRID)
    return race, {role: json.loads(figure_json(f, role, chars)) for role, f, chars in
                  zip(("curves", "hist", "samples"), figs, (90, 60, 60))}


def _same_traces(got: dict, want: dict, keys):
    assert len(got["data"]) == len(want["data"])
    for g, w in zip(got["data"], want["data"]):
        for k in keys:
            if k in w:
                a = np.asarray(array(g[k]) if not isinstance(g[k], (int, float)) else [g[k]], float)
                b = np.asarray(array(w[k]) if not isinstance(w[k], (int, float)) else [w[k]], float)
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=f"{w.get('name')} {k}")
    assert got["layout"]["title"]["text"] == want["layout"]["title"]["text"]


@pytest.mark.parametrize("family, cost, values, t, tau", [
    ("bernoulli", "rebar", (0.0, 1.0), 0.45, 0.5), ("categorical", "pick", (12.0, -12.0), 0.0, 0.05),
    ("bernoulli", "sum_square", (-12.0, 3.5), 0.8, 5.0), ("categorical", "rebar", (2.0, -1.0), 0.3, 1.4),
    ("bernoulli", "pick", (0.5, -0.5), 0.62, 0.07)])
def test_hub_draws_the_figures_and_texts_python_draws(js, family, cost, values, t, tau):
    noise = rr.noise(family, cmp.N_TAU, cmp.SEED)
    race, want = _figures(family, cost, values, t, tau, noise)
    _, template = _figures(family, cost, (0.0, 1.0), 0.45, 0.5, noise)  # the first paint's
    d = {"family": family, "cost": cost, "taus": list(ESTIMATOR_TAU_GRID), "m": 400,
         "reference": cmp.reference_label(), **dict(zip(("u", "v", "pilot"), _noise(noise)))}
    v = {"l1": values[0], "l2": values[1], "t": t, "tau": tau}
    roles = ["curves", "hist", "samples", "table", "naive"]
    got = js.evaluate(STAGED, [d, v, {k: json.dumps(f) for k, f in template.items()}, roles])
    assert not got["first"] and 1 <= got["slices"] <= len(ESTIMATOR_TAU_GRID) - 1
    _same_traces(got["curves"]["fig"], want["curves"], ["y"])
    c_got, c_want = got["curves"]["fig"]["layout"], want["curves"]["layout"]
    assert [s["x0"] for s in c_got["shapes"]] == [s["x0"] for s in c_want["shapes"]] == [tau, tau]
    for a, b in zip(c_got["annotations"], c_want["annotations"]):
        assert a["text"] == b["text"] and a["y"] == pytest.approx(b["y"], rel=1e-9, abs=1e-12)
    _same_traces(got["hist"]["fig"], want["hist"], ["x", "y", "customdata", "width"])
    h_got, h_want = got["hist"]["fig"]["layout"], want["hist"]["layout"]
    assert [t_.get("showlegend") for t_ in got["hist"]["fig"]["data"]] == \
        [t_.get("showlegend") for t_ in want["hist"]["data"]]
    assert [(a["text"], pytest.approx(a["x"], rel=1e-12)) for a in h_got["annotations"]] == \
        [(a["text"], a["x"]) for a in h_want["annotations"]]
    np.testing.assert_allclose(h_got["xaxis"]["range"], h_want["xaxis"]["range"], rtol=1e-12)
    _same_traces(got["samples"]["fig"], want["samples"], ["x", "a", "b", "c"])
    notes = cmp.degeneracy_notes(family, values) + cmp.tau_notes(tau)
    assert got["curves"]["notes"] == "".join(f"<div class='note'>{n}</div>" for n in notes)
    rows = [(cmp.reference_label() if m == "reinforce" else m, race["flat"][m])
            for m in rr.FLAT_METHODS] + [
        (f"{m} (τ = {tau:g})", [s["bias"][ESTIMATOR_TAU_GRID.index(tau)],
                                s["variance"][ESTIMATOR_TAU_GRID.index(tau)]])
        for m, s in race["sweeps"].items()]
    scale = np.linalg.norm(race["exact"])  # a deterministic estimator's bias is rounding: ~1e-16
    assert [name for name, _ in got["rows"]] == [name for name, _ in rows]
    for (name, (b, var)), (_, (gb, gv)) in zip(rows, got["rows"]):
        assert abs(gb - b) <= 1e-9 * abs(b) + 1e-12 * scale, name
        assert abs(gv - var) <= 1e-9 * abs(var) + 1e-12 * scale**2, name
        assert f"<tr><th>{name}</th><td>{gb:.4g}</td><td>{gv:.4g}</td></tr>" in got["table"]["html"]
    g = race["runs"]["naive_reparam"]["g"]
    assert (f"here max |ĝ| = {np.abs(g).max():g} over {len(g)} estimates, while the exact "
            f"∂/∂ℓ₁ is {race['exact'][0]:.4g}.") in got["naive"]["html"]
    assert "<b>∇_ℓ z = 0 almost everywhere</b>" in got["naive"]["html"]


def test_non_finite_estimates_are_dropped_with_the_pages_warnings(js):
    """Noise the page never ships (NaN rows) makes estimates NaN: the hub drops them as
    comparison.estimates does, warns in the page's words, and hides an estimator left with none."""
    nz = rr.noise("bernoulli", 400, 5, pilot=100)
    nz["u"][:3, 0] = np.nan  # three rows of every estimator that reads u
    nz["v"][:, :] = np.nan   # every REBAR estimate
    with np.errstate(invalid="ignore"):
        race = rr.race("bernoulli", "rebar", (0.0, 1.0), 0.45, 0.5, nz)
    d = {"family": "bernoulli", "cost": "rebar", "taus": list(ESTIMATOR_TAU_GRID), "m": 400,
         "reference": cmp.reference_label(), **dict(zip(("u", "v", "pilot"), _noise(nz)))}
    _, template = _figures("bernoulli", "rebar", (0.0, 1.0), 0.45, 0.5, rr.noise("bernoulli", 400, 5))
    got = js.evaluate(STAGED, [d, {"l1": 0.0, "l2": 1.0, "t": 0.45, "tau": 0.5},
                               {k: json.dumps(f) for k, f in template.items()}, ["curves", "hist"]])
    want = []
    for m in rr.TAU_METHODS + rr.FLAT_METHODS:
        r, name = race["runs"][m], cmp.reference_label() if m == "reinforce" else m
        if r["error"]:
            want.append(f"<div class='warning'><b>{name}</b> is not shown: {r['error']}</div>")
        elif r["dropped"]:
            want.append(f"<div class='warning'><b>{name}</b>: {r['dropped']} estimates were NaN/∞ "
                        "and were dropped.</div>")
    assert race["runs"]["rebar"]["error"] and race["runs"]["gumbel_softmax"]["dropped"] == 3
    assert got["curves"]["notes"] == "".join(want)
    rebar = next(t for t in got["hist"]["fig"]["data"] if t["name"] == "rebar")
    assert rebar["x"] == [] and rebar["customdata"] == []
    lines = [t for t in got["curves"]["fig"]["data"] if t["name"] == "rebar"]
    assert lines and all(y is None or y != y for t in lines for y in t["y"])  # NaN: no line
