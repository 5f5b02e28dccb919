// The views of the Relaxation bias page (app_pages/relaxation_bias.py): the hub computes the race
// of relaxation.js at the τ on screen first and at the other τ of the grid in idle slices, as the
// page's figures (explorer.plots.estimators) and texts show it.
"use strict";
(() => {
  const R = () => window.LiveRelaxation;
  const TAU_METHODS = ["gumbel_softmax", "st_gumbel_softmax", "rebar"];
  const FLAT_METHODS = ["straight_through", "naive_reparam", "reinforce"];
  const SLICE_MS = 12;
  let cache = {key: null};

  function run(d, logits, v, method, tau) {
    const g = R().estimates(method, d.family, d.cost, logits, v.t, tau, d.u, d.v, d.pilot);
    const D = logits.length, r = R().finiteRows(g, D);
    return {dropped: r.dropped, error: r.error, col: R().column(r.g, D, 0),
            stats: r.error ? [NaN, NaN, NaN] : R().stats(r.g, D, cache.exact),
            max: r.error ? NaN : r.g.reduce((m, x) => Math.max(m, Math.abs(x)), 0), n: r.g.length / D};
  }
  const tauRow = (d, v, tau) => Object.fromEntries(TAU_METHODS.map((m) => [m, run(d, cache.logits, v, m, tau)]));

  // comparison.degeneracy_notes (a discrete family) and tau_notes, word for word.
  function notes(values, tau, G) {
    const out = [], big = values.reduce((b, x) => (Math.abs(x) > Math.abs(b) ? x : b));
    if (Math.max(...values.map(Math.abs)) >= 8) {
      out.push(`A logit of ${G(big)} makes q almost deterministic (probability ` +
               `${(1 / (1 + Math.exp(-Math.abs(big)))).toFixed(5)}): REINFORCE almost never sees the ` +
               "rare outcome, so most estimates sit near 0 and a few are huge.");
    }
    if (tau <= 0.1) {
      out.push(`τ = ${G(tau)} is small: relaxed samples are almost one-hot, so the bias is small, ` +
               "but softmax(·/τ) is nearly a step function of the noise and its gradient, of " +
               "order 1/τ near the step, makes the variance large.");
    } else if (tau >= 3) {
      out.push(`τ = ${G(tau)} is large: relaxed samples sit near the centre of the simplex, far ` +
               "from any possible z, so f is evaluated where q puts no mass — low variance, " +
               "large bias.");
    }
    return out;
  }

  function results(d, v) {
    const i = d.taus.indexOf(v.tau), rows = cache.rows, row = rows[i], G = Live.fmtG;
    const label = (m) => (m === "reinforce" ? d.reference : m);
    const at = Object.assign({}, row, cache.flat);
    const order = TAU_METHODS.concat(FLAT_METHODS), shown = order.filter((m) => !at[m].error);
    if (!cache.hist[i]) cache.hist[i] = R().histogram(shown.map((m) => at[m].col), cache.exact[0]);
    const warnings = order.filter((m) => at[m].error || at[m].dropped).map((m) => (at[m].error
      ? `**${label(m)}** is not shown: ${at[m].error}`
      : `**${label(m)}**: ${at[m].dropped} estimates were NaN/∞ and were dropped.`));
    const curve = (k) => Object.fromEntries(TAU_METHODS.map((m) => [m, rows.map((r) => (r ? r[m].stats[k] : NaN))]));
    const flat = Object.fromEntries(FLAT_METHODS.map((m) => [label(m), at[m].error ? null : at[m].stats.slice(0, 2)]));
    const table = Object.entries(flat).filter(([, s]) => s).concat(
      TAU_METHODS.filter((m) => !row[m].error).map((m) => [`${m} (τ = ${G(v.tau)})`, row[m].stats.slice(0, 2)]));
    return {tau: v.tau, t: v.t, complete: rows.every((r) => r), exact: cache.exact,
            curves: {bias: curve(0), variance: curve(1), se: curve(2)}, flat,
            hist: Object.assign({names: shown.map(label)}, cache.hist[i]),
            samples: R().relaxedSamples(d.family, cache.logits, v.tau, d.u, d.m),
            notes: notes([v.l1, v.l2], v.tau, G), warnings, table,
            naive: at.naive_reparam.error ? null : {max: at.naive_reparam.max, n: at.naive_reparam.n}};
  }

  const floor = (y) => Math.max(y, 1e-6);  // tau_curves_figure's floor (NaN stays a gap)
  const nth = (list, pred, k = 0) => list.map((x, i) => [x, i]).filter(([x]) => pred(x))[k]?.[1];

  window.LiveRecipes.relaxation = {
    hub: "curves",

    compute(d, v, prev) {
      const key = JSON.stringify([d.family, d.cost, v.l1, v.l2, v.t]);
      if (cache.key !== key) {
        const logits = R().logitsOf(d.family, v);
        cache = {key, logits, exact: R().exact(d.family, d.cost, logits, v.t), hist: d.taus.map(() => null),
                 rows: d.taus.map(() => null)};
        cache.flat = Object.fromEntries(FLAT_METHODS.map((m) => [m, run(d, logits, v, m, v.tau)]));
      }
      const i = d.taus.indexOf(v.tau);
      if (prev && prev.tau === v.tau && cache.rows[i] && key === cache.key && prev.key === key) return prev;
      if (!cache.rows[i]) cache.rows[i] = tauRow(d, v, v.tau);
      return Object.assign(results(d, v), {key});
    },

    // τ after τ for SLICE_MS at most: a key press waits one slice, and the other views are sent
    // fewer results (each message is a copy and a check of their drawing).
    more(d, v) {
      const start = performance.now();
      let i = cache.rows.findIndex((r) => !r);
      if (i < 0) return null;
      do { cache.rows[i] = tauRow(d, v, d.taus[i]); i = cache.rows.findIndex((r) => !r); }
      while (i >= 0 && performance.now() - start < SLICE_MS);
      return Object.assign(results(d, v), {key: cache.key});
    },

    curves(ctx) {
      const r = ctx.results, tpl = ctx.template, G = ctx.fmtG;
      const html = r.notes.map((t) => `<div class='note'>${ctx.bold(t)}</div>`).concat(
        r.warnings.map((t) => `<div class='warning'>${ctx.bold(t)}</div>`)).join("");
      if (!r.complete) return {notes: html};
      const traces = {}, layout = {}, names = tpl.data.map((t) => t.name);
      for (const m of TAU_METHODS) {
        traces[nth(names, (n) => n === m, 0)] = {y: r.curves.bias[m].map(floor)};
        traces[nth(names, (n) => n === m, 1)] = {y: r.curves.variance[m].map(floor)};
        const k = names.indexOf(`${m}: noise level (SE)`);
        if (k >= 0) traces[k] = {y: r.curves.se[m].map(floor)};
      }
      const texts = (tpl.layout.annotations || []).map((a) => a.text);
      for (const [name, s] of Object.entries(r.flat)) {
        for (const col of [0, 1]) {
          const k = nth(names, (n) => n === name, col), a = nth(texts, (x) => x === name, col);
          if (k === undefined) continue;
          traces[k] = s ? {y: [floor(s[col]), floor(s[col])], visible: true} : {visible: false};
          if (a !== undefined) layout[`annotations.${a}.y`] = s ? Math.log10(floor(s[col])) : -99;
        }
      }
      layout["shapes.0.x0"] = layout["shapes.0.x1"] = layout["shapes.1.x0"] = layout["shapes.1.x1"] = r.tau;
      layout["title.text"] = ctx.wrap("Bias and variance of the gradient w.r.t. the logits vs " +
        `temperature τ (${ctx.data.cost}, t = ${G(r.t)}); dotted: τ = ${G(r.tau)}, dashed: τ-free estimators`, 90);
      return {traces, layout, notes: html};
    },

    hist(ctx) {
      const r = ctx.results, h = r.hist, tpl = ctx.template, G = ctx.fmtG, traces = {};
      const names = tpl.data.map((t) => t.name), annotations = [];
      const spikeTpl = (tpl.layout.annotations || []).find((a) => a.showarrow && !a.text.startsWith("exact "));
      const exactTpl = (tpl.layout.annotations || []).find((a) => String(a.text).startsWith("exact "));
      names.forEach((name, k) => {
        const j = h.names.indexOf(name);
        if (j < 0) { traces[k] = {x: [], y: [], customdata: []}; return; }
        const b = h.bars[j];
        traces[k] = {x: h.x, y: b.density, width: h.width, customdata: b.counts, showlegend: !b.spike};
        if (b.spike) {
          annotations.push(Object.assign({}, spikeTpl || {y: 0.9, yref: "paper", showarrow: true, ax: 40, ay: -30},
            {x: b.value, text: `${name}: every estimate = ${G(b.value, 3)}`,
             font: Object.assign({}, spikeTpl?.font, {color: tpl.data[k].marker.color})}));
        }
      });
      annotations.push(Object.assign({}, exactTpl, {x: r.exact[0], text: `exact ${G(r.exact[0], 4)}`}));
      return {traces, layout: {annotations, "shapes.0.x0": r.exact[0], "shapes.0.x1": r.exact[0],
                               "xaxis.range": h.range,
                               "title.text": ctx.wrap(`Estimates of ∂/∂ℓ₁ E_q[f(z)] at τ = ${G(r.tau)} ` +
                                                      "around the exact gradient by enumeration (black line)", 60)}};
    },

    samples(ctx) {
      const r = ctx.results, y = r.samples.filter((row) => row.every(Number.isFinite));
      const bern = ctx.data.family === "bernoulli";
      const what = bern ? "y₁ of variable 1 (relaxed Bernoulli)" : "y on the simplex";
      const col = (c) => y.map((row) => row[c]);
      return {traces: {0: bern ? {x: col(1)} : {a: col(0), b: col(1), c: col(2)}},
              layout: {"title.text": ctx.wrap(`Relaxed Gumbel-softmax samples at τ = ${ctx.fmtG(r.tau)}: ${what}`, 60)}};
    },

    table(ctx) {
      const G = (x) => ctx.fmtG(x, 4);
      const rows = ctx.results.table.map(([name, [b, v]]) =>
        `<tr><th>${name}</th><td>${G(b)}</td><td>${G(v)}</td></tr>`).join("");
      return {html: "<table class='numbers'><tr><th>estimator</th><th>‖bias‖</th>" +
                    `<th>variance (trace)</th></tr>${rows}</table>`};
    },

    naive(ctx) {
      const r = ctx.results, z = r.naive;
      if (!z) return {html: ""};
      return {html: "<p>" + ctx.bold(
        "Writing z = g(ℓ, ε) as a step function of uniform noise ε and differentiating it gives " +
        "**∇_ℓ z = 0 almost everywhere** (the sample only changes where ε crosses a step, a set " +
        `of probability zero), so every estimate is 0: here max |ĝ| = ${ctx.fmtG(z.max)} over ` +
        `${z.n} estimates, while the exact ∂/∂ℓ₁ is ${ctx.fmtG(r.exact[0], 4)}. Plugged into a VAE it ` +
        "would leave only the KL term's gradient, pulling q toward the prior.") + "</p>"};
    },
  };
})();
