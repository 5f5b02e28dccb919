// The single-transformation views of the Smoothing page in the browser (app_pages/smoothing.py;
// third lecture text §2.3). `math` mirrors explorer.discrete.transformations (smoothing,
// density) and sampling_stats (curve_grid, l1_to_step, smoothing_notes); ∂ζ/∂p is written in
// closed form per family, which tests/test_live_js.py checks against the library's autograd.
"use strict";
(() => {
  const N = window.LiveNumeric;
  const TINY = 2.2250738585072014e-308;
  const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
  const log0 = (x) => (x > 0 ? Math.log(x) : -Infinity);
  const pow0 = (x, b) => (x > 0 ? Math.exp(b * Math.log(x)) : 0);
  const logaddexp = (x, y) => {
    const m = Math.max(x, y);
    return m === -Infinity ? -Infinity : m + Math.log1p(Math.exp(-Math.abs(x - y)));
  };

  // ζ = f(β, p, ε) and ∂ζ/∂p: v = (1 − ε)/p above 1 − p, w = ε/(1 − p) below (f3 only).
  function smooth(name, beta, p, eps, a) {
    const upper = 1 - eps <= p;
    const v = clamp((1 - eps) / Math.max(upper ? p : 1, TINY), 0, 1);
    let z;
    if (name === "spike_exponential") {
      const b = beta * Math.log(a);
      z = upper ? logaddexp(log0(1 - v) + b, log0(v)) / b : 0;
    } else if (name === "spike_power") {
      z = upper ? 1 - pow0(v, beta) : 0;
    } else {
      const q = 1 - p, w = clamp(eps / Math.max(upper ? 1 : q, TINY), 0, 1);
      z = upper ? 1 - p * pow0(v, beta) : q * pow0(w, beta);
    }
    return clamp(z, 0, 1);
  }
  function dzetaDp(name, beta, p, eps, a) {
    const upper = 1 - eps <= p;
    const v = clamp((1 - eps) / Math.max(upper ? p : 1, TINY), 0, 1);
    if (name === "spike_exponential") {  // (1 − e^{−b}) v / (b p ((1 − v) + v e^{−b}))
      if (!upper) return 0;
      const b = beta * Math.log(a), e = Math.exp(-b);
      // At the kink ε = 1 − p the library's autograd gives −1/(bp) (log 0 has a zero gradient
      // there), not the one-sided (e^b − 1)/(bp): the same value keeps the same axis and notes.
      if (v === 1) return -1 / (b * p);
      return (-Math.expm1(-b) * v) / (b * p * (1 - v + v * e));
    }
    if (name === "spike_power") return upper ? (beta * pow0(v, beta)) / p : 0;
    const w = clamp(eps / Math.max(upper ? 1 : 1 - p, TINY), 0, 1);
    return (beta - 1) * pow0(upper ? v : w, beta);
  }
  function density(name, beta, p, z, a) {  // {mass at ζ = 0, density of the continuous part}
    const inside = z > 0 && z < 1;
    let mass, d;
    if (name === "spike_exponential") {
      const b = beta * Math.log(a);
      mass = 1 - p;
      d = (p * b * Math.exp(b * (z - 1))) / -Math.expm1(-b);
    } else if (name === "spike_power") {
      mass = 1 - p;
      d = (p / beta) * Math.max(1 - z, 0) ** (1 / beta - 1);
    } else {
      mass = 0;
      const x = z < 1 - p ? z / (1 - p) : (1 - z) / p;
      d = Math.max(x, 0) ** (1 / beta - 1) / beta;
    }
    return {mass, d: inside ? d : 0};
  }

  function curveGrid(p) {  // sampling_stats.curve_grid: crowded just after 1 − p
    const q = 1 - p;
    return N.unique([...N.linspace(0, 1, 401), q, ...N.geomspace(1e-6, 1, 120).map((g) => q + p * g)]
      .map((e) => clamp(e, 0, 1)));
  }
  const ENDS = N.geomspace(1e-9, 0.02, 60);
  const DENSITY_GRID = N.unique([...N.linspace(0, 1, 1001).slice(1, -1), ...ENDS, ...ENDS.map((e) => 1 - e)]);
  const g = N.geomspace(1e-13, 1, 801);
  const PIECES = N.unique([0, ...N.linspace(0, 1, 801), ...g, ...g.map((x) => 1 - x)]);
  function l1ToStep(name, beta, p, a) {  // ∫|f − 1[ε ≥ 1−p]| dε, Simpson on both sides of 1 − p
    const q = 1 - p, lower = Array.from(PIECES, (s) => q * s), upper = Array.from(PIECES, (s) => q + p * s);
    return N.simpson(lower.map((e) => smooth(name, beta, p, e, a)), lower) +
           N.simpson(upper.map((e) => 1 - smooth(name, beta, p, e, a)), upper);
  }

  // sampling_stats.smoothing_notes, word for word.
  function notes(beta, p, l1Now, gradMax, spiky, n, f) {
    const out = [];
    if (beta >= 50) {
      out.push(`β = ${f.fmtG(beta)}: ζ is numerically the step — its L1 distance to 1[ε ≥ 1−p] is ` +
               `${f.fmtG(l1Now, 2)} — and ∂ζ/∂p is concentrated in a spike of height ` +
               `${f.fmtG(gradMax, 3)} near ε = 1 − p: almost the discrete bit again, with ` +
               "a gradient that is large where it is not ~0 (high variance).");
    }
    if (p <= 0.05 || p >= 0.95) {
      const rare = spiky ? "ζ > 0" : "ζ > 1 − p";
      out.push(`p = ${f.fmtG(p)} is extreme: the bit is almost always ${Number(p >= 0.5)}, so only about ` +
               `${(n * p).toFixed(0)} of ${n} samples fall in the region ${rare}` +
               (p <= 0.05 ? " and the histogram of the continuous part is noisy." : "."));
    }
    return out;
  }
  const WHERE = {spike_power: "ζ = 1", symmetric_power: "ζ = 0 and ζ = 1"};

  // Everything the 2 × 2 figure draws at one β (ui/discrete_lab_data.smoothing_figure's views).
  function atBeta(data, p, beta, l1Now, always, f) {
    const {name, a} = data, eps = curveGrid(p), spiky = name !== "symmetric_power";
    const zeta = Array.from(eps, (e) => smooth(name, beta, p, e, a));
    const grad = Array.from(eps, (e) => dzetaDp(name, beta, p, e, a));
    const h = N.histogram(Array.from(data.rho, (r) => smooth(name, beta, p, r, a)));
    const dens = Array.from(DENSITY_GRID, (z) => density(name, beta, p, z, a).d);
    const singular = name !== "spike_exponential" && beta > 1;
    const ymax = 1.3 * Math.max(...h.hist, singular ? 0 : Math.max(...dens), 1e-3);
    const gradMax = Math.max(...grad.map(Math.abs));
    const note = notes(beta, p, l1Now, gradMax, spiky, data.rho.length, f).filter((t) => !always.includes(t));
    if (WHERE[name] && beta > 1) {
      note.push(`For β > 1 the density is infinite at ${WHERE[name]} (integrably): the y-axis is cut ` +
                `at ${f.fmtG(ymax, 3)}.`);
    }
    return {eps: Array.from(eps), zeta, grad, hist: h.hist, spike: h.spike, dens, ymax,
            mass: density(name, beta, p, 0.5, a).mass, note};
  }

  const f = () => Live;
  let cache = {key: null, rows: null};

  const results = (v) => ({p: v.p, always: cache.always, l1: cache.l1, rows: cache.rows,
                            complete: cache.rows.every((r) => r)});

  window.LiveRecipes.smoothing = {
    math: {smooth, dzetaDp, density, curveGrid, l1ToStep, notes, DENSITY_GRID},
    hub: "views",

    // The β on screen first (and every f's L1 curve); `more` fills in the other β, one a slice.
    compute(data, v, prev) {
      const key = JSON.stringify([data.name, data.a, v.p]);
      if (cache.key !== key) {
        cache = {key, rows: data.betas.map(() => null),
                 l1: Object.fromEntries(data.names.map((n) => [n, data.betas.map(
                   (b) => l1ToStep(n, b, v.p, data.a))])),
                 // the notes of every β (β = 1: no β note), kept out of each β's own
                 always: notes(1.0, v.p, 0, 0, data.name !== "symmetric_power", data.rho.length, f())};
      }
      const i = data.betas.indexOf(v.beta);
      if (prev && cache.rows[i] && prev.rows[i] && prev.p === v.p) return prev;
      if (!cache.rows[i]) cache.rows[i] = atBeta(data, v.p, v.beta, cache.l1[data.name][i], cache.always, f());
      return results(v);
    },

    more(data, v) {
      const i = cache.rows.findIndex((r) => !r);
      if (i < 0) return null;
      cache.rows[i] = atBeta(data, v.p, data.betas[i], cache.l1[data.name][i], cache.always, f());
      return results(v);
    },

    views(ctx) {
      const r = ctx.results, d = ctx.data, i = d.betas.indexOf(ctx.values.beta), row = r.rows[i];
      if (!row) return null;
      const p = r.p, beta = d.betas[i], q = 1 - p, G = ctx.fmtG, spiky = row.mass > 0;
      const short = d.label.split(" ")[0], gi = spiky ? 5 : 4, l1 = r.l1[d.name];
      const traces = {0: {x: row.eps, y: row.zeta, name: `ζ = ${short}(β = ${G(beta)}, p = ${G(p)}, ε)`},
                      1: {x: [0, q, q, 1]}, 2: {y: row.hist},
                      3: {y: row.dens.map((x) => Math.min(x, 10 * row.ymax))},
                      [gi]: {x: row.eps, y: row.grad}};
      if (spiky) traces[4] = {y: [0, 0.92 * row.ymax], name: `spike at ζ = 0: mass 1 − p = ${G(row.mass, 3)}`};
      d.names.forEach((n, j) => { traces[gi + 1 + j] = {y: r.l1[n]}; });
      const logs = d.betas.map(Math.log);
      traces[gi + 1 + d.names.length] = {x: [beta], y: [N.interp(Math.log(beta), logs, l1)]};
      const lo = Math.min(...row.grad, 0), hi = Math.max(...row.grad, 0), pad = 0.08 * Math.max(hi - lo, 1e-9);
      // The template's own annotations: the panel titles and the 1 − p line's, then its spike
      // text (f1, f2) and its notes, which are redrawn here.
      const annotations = ctx.template.layout.annotations.slice(0, spiky ? -2 : -1)
        .map((an) => (an.text === "ε = 1 − p" ? {...an, x: q} : an));
      if (spiky) {
        annotations.push({x: 0, y: 0.92 * row.ymax, xref: "x2", yref: "y2", xanchor: "left",
                          showarrow: false, text: ` P(ζ = 0) = ${G(row.mass, 3)} (sampled ${row.spike.toFixed(3)})`});
      }
      annotations.push({text: row.note.map((t) => ctx.wrap(ctx.bold(t), 130)).join("<br>"), x: 0, y: -0.37,
                        xref: "paper", yref: "paper", xanchor: "left", yanchor: "top", align: "left",
                        showarrow: false});
      return {
        traces,
        layout: {"title.text": ctx.wrap(`${d.label} at β = ${G(beta)}, p = ${G(p)}: the smoothed bit ζ, ` +
                                        "its density, its gradient in p, and its distance to the step", 110),
                 "yaxis2.range": [0, row.ymax], "yaxis3.range": [lo - pad, hi + pad],
                 "shapes.0.x0": q, "shapes.0.x1": q, annotations},
        notes: r.always.map((t) => `<div class='note'>${ctx.bold(t)}</div>`).join(""),
      };
    },
  };
})();
