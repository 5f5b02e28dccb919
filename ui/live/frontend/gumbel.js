// The Gumbel-max & softmax page in the browser (app_pages/gumbel.py; third lecture text §2.2).
// `math` mirrors explorer.discrete.sampling_stats (relaxed_sweep_from_noise, relaxation_notes)
// on the noise g the page ships once; tests/test_live_js.py checks it against them.
"use strict";
(() => {
  const ONE_HOT_TOL = 1e-6;
  const JAC_TAU = 0.05;  // notes() reads the Jacobian norms at τ ≤ 0.05 only

  function softmax(l) {
    const m = Math.max(...l);
    const e = l.map((v) => Math.exp(v - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  }

  function median(a) {
    const s = Float64Array.from(a).sort();
    const h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  }

  // s = ℓ + g for the first n rows of g (n × K, row-major).
  function shifted(g, n, logits) {
    const K = logits.length, s = new Float64Array(n * K);
    for (let i = 0; i < n * K; i++) s[i] = logits[i % K] + g[i];
    return s;
  }

  // What the views show at one τ, from s (n × K). The ‖∂y/∂ℓ‖ median and maximum only where a
  // note reads them (τ ≤ JAC_TAU; null elsewhere): their sort was most of a logit move's time.
  function row(s, K, tau, keep) {
    const n = s.length / K, y = new Float64Array(n * K), t = new Float64Array(K);
    const withJac = tau <= JAC_TAU, jac = withJac ? new Float64Array(n) : null;
    let oneHot = 0, finite = true;
    const counts = new Array(K).fill(0), mean = new Array(K).fill(0);
    for (let i = 0; i < n; i++) {
      const r = i * K;
      let m = -Infinity;
      for (let c = 0; c < K; c++) { t[c] = s[r + c] / tau; if (t[c] > m) m = t[c]; }
      let z = 0;
      for (let c = 0; c < K; c++) { t[c] -= m; z += Math.exp(t[c]); }
      const lz = Math.log(z);
      let best = 0, top = -Infinity;
      for (let c = 0; c < K; c++) {
        const v = Math.exp(t[c] - lz);  // log_softmax, then exp
        y[r + c] = v;
        mean[c] += v;
        if (v > top) { top = v; best = c; }
      }
      if (!(top <= 1)) finite = false;  // NaN fails every comparison
      counts[best] += 1;
      if (top > 1 - ONE_HOT_TOL) oneHot += 1;
      if (withJac) {  // ‖(diag y − y yᵀ)/τ‖_F, 1 − y_c summed from the other y_j (no cancellation)
        let sq = 0;
        for (let c = 0; c < K; c++) {
          let rest = 0;
          for (let j = 0; j < K; j++) if (j !== c) rest += y[r + j];
          const yc = y[r + c];
          sq += (yc * rest) ** 2;
          for (let j = c + 1; j < K; j++) sq += 2 * yc * yc * y[r + j] ** 2;
        }
        jac[i] = Math.sqrt(sq) / tau;
      }
    }
    for (let c = 0; c < K; c++) mean[c] /= n;
    const variance = new Array(K).fill(0);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < K; c++) variance[c] += (y[i * K + c] - mean[c]) ** 2;
    for (let c = 0; c < K; c++) variance[c] /= n - 1;
    return {mean, var: variance, se: variance.map((v) => Math.sqrt(v / n)), one_hot: oneHot / n,
            jac_median: withJac ? median(jac) : null,
            jac_max: withJac ? jac.reduce((a, b) => (b > a ? b : a), -Infinity) : null,
            counts, finite, ys: Float32Array.from(y.subarray(0, keep * K))};
  }

  const FIELDS = ["mean", "var", "se", "one_hot", "jac_median", "jac_max", "counts", "finite", "ys"];
  // relaxed_sweep_from_noise: every field as a list over τ (null where a τ is not computed).
  function columns(rows) {
    return Object.fromEntries(FIELDS.map((k) => [k, rows.map((r) => (r ? r[k] : null))]));
  }
  function sweep(g, n, logits, taus, keep) {
    const s = shifted(g, n, logits);
    return columns(taus.map((tau) => row(s, logits.length, tau, keep)));
  }

  // explorer.discrete.sampling_stats.relaxation_notes, word for word.
  function notes(probs, tau, n, oneHot, jacMedian, jacMax, labels, f) {
    const out = [];
    const c = probs.indexOf(Math.max(...probs));
    if (probs[c] > 0.999) {
      out.push(`Extreme logits: category ${c + 1} has probability ${probs[c].toFixed(6)}, so z is ` +
               `almost deterministic — among n = ${n} samples the other categories appear ` +
               `about ${(n * (1 - probs[c])).toFixed(1)} times in all, and the relaxed samples pile ` +
               `up at the corner ${labels[c]} at every small τ.`);
    }
    if (tau <= 0.05) {
      out.push(`τ = ${f.fmtG(tau)} is tiny: ${(100 * oneHot).toFixed(1)}% of the relaxed samples are ` +
               "numerically one-hot (max_c y_c > 1 − 10⁻⁶). The Jacobian ∂y/∂ℓ = (diag y − y yᵀ)/τ " +
               `then **vanishes** for most samples (median ‖∂y/∂ℓ‖ = ${f.fmtE(jacMedian, 1)}) and ` +
               "**explodes** near a tie between the top two ℓ_c + g_c, where it is of order " +
               `1/τ = ${f.fmtG(1 / tau)} (largest here: ${f.fmtG(jacMax, 3)}; rare if one logit dominates): ` +
               "the gradient is low-bias but high-variance. Everything is computed in log space, " +
               "so no NaN.");
    } else if (tau >= 5) {
      out.push(`τ = ${f.fmtG(tau)} is large: the relaxed samples crowd around the centre (1/3, 1/3, ` +
               "1/3) and their mean drifts from softmax(ℓ) towards uniform — smooth gradients " +
               "of the wrong (biased) objective.");
    }
    return out;
  }

  const f = () => Live;  // formatting helpers, once live.js has loaded
  const tauIndex = (ctx) => ctx.data.taus.indexOf(ctx.values.tau ?? ctx.data.tau);
  let hubCache = {key: null, s: null, rows: null};  // the hub's s = ℓ + g and its rows per τ

  function results(data, v) {
    const logits = [v.l1, v.l2, v.l3], n = v.n, probs = softmax(logits), K = logits.length;
    const rows = hubCache.rows;
    const always = notes(probs, 1.0, n, 0, 0, 0, data.labels, f());
    const perTau = data.taus.map((tau, i) => (rows[i] ? notes(
      probs, tau, n, rows[i].one_hot, rows[i].jac_median, rows[i].jac_max, data.labels, f())
      .filter((t) => !always.includes(t)) : null));
    const s = hubCache.s, gm = new Array(K).fill(0);  // Gumbel-max: argmax_c (ℓ_c + g_c)
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (s[i * K + c] > s[i * K + best]) best = c;
      gm[best] += 1;
    }
    return {logits, n, probs, gumbelMax: gm, sweep: columns(rows), always, perTau,
            complete: rows.every((r) => r)};
  }

  window.LiveRecipes.gumbel = {
    math: {softmax, sweep, notes},
    hub: "controls",

    // The τ shown first; `more` fills in the rest of the grid, one τ at a time.
    compute(data, v, prev) {
      const key = JSON.stringify([v.l1, v.l2, v.l3, v.n]);
      if (hubCache.key !== key) {
        hubCache = {key, s: shifted(data.noise, v.n, [v.l1, v.l2, v.l3]),
                    rows: data.taus.map(() => null)};
      }
      const i = data.taus.indexOf(v.tau ?? data.tau);
      if (prev && hubCache.rows[i] && prev.sweep.ys[i] && JSON.stringify(
        [prev.logits, prev.n]) === JSON.stringify([[v.l1, v.l2, v.l3], v.n])) return prev;
      if (!hubCache.rows[i]) hubCache.rows[i] = row(hubCache.s, 3, data.taus[i], data.keep);
      return results(data, v);
    },

    more(data, v) {
      const rows = hubCache.rows;
      if (rows.every((r) => r)) return null;
      const i = rows.findIndex((r) => !r);  // one τ per slice: a key press is never kept waiting
      rows[i] = row(hubCache.s, 3, data.taus[i], data.keep);
      return results(data, v);
    },

    controls(ctx) {
      const r = ctx.results;
      const bad = r.sweep.finite.some((ok) => ok === false)
        ? ["<div class='error'>Some relaxed samples are not finite; move the logits back.</div>"] : [];
      return {html: bad.concat(r.always.map((t) => `<div class='note'>${ctx.bold(t)}</div>`)).join("")};
    },

    max(ctx) {
      const r = ctx.results, counts = r.gumbelMax;
      const freq = counts.map((k) => k / r.n);
      const se = r.probs.map((p) => Math.sqrt(p * (1 - p) / r.n));
      const z = Math.max(...freq.map((q, c) => Math.abs(q - r.probs[c]) / Math.max(se[c], 1e-12)));
      const differ = r.sweep.counts.filter((k) => k && k.some((v, c) => v !== counts[c]));
      return {
        traces: {0: {y: freq, "error_y.array": se.map((s) => 2 * s)}, 1: {y: r.probs}},
        layout: {"title.text": ctx.wrap("Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c) over " +
                                        `n = ${r.n} samples (±2 SE) vs softmax(ℓ)`, 70)},
        html: "<p>The frequencies match softmax(ℓ) within their error bars <b>for any τ</b>: τ does " +
              "not enter the Gumbel-max sample. The argmax of the relaxed sample y at any τ is the " +
              "same sample (a softmax keeps the order of (ℓ + g)/τ): with the same noise, argmax y " +
              `gives the counts [${counts.join(", ")}] of the Gumbel-max sample at every τ` +
              (differ.length ? ` (numerically not at ${differ.length} τ: ties)` : "") + ".</p>" +
              `<p class='caption'>Largest deviation: ${z.toFixed(2)} standard errors √(p(1−p)/n). ` +
              "Error bars are ±2 SE; about 1 in 20 bars misses by chance.</p>",
      };
    },

    relaxed(ctx) {
      const r = ctx.results, i = tauIndex(ctx), y = r.sweep.ys[i], K = r.probs.length;
      if (!y) return null;
      const bars = ctx.data.bars, keep = y.length / K;
      const col = (c) => Array.from({length: keep}, (_, j) => y[j * K + c]);
      const top = Array.from(y.subarray(0, bars * K));
      const m = r.sweep.mean[i], tau = ctx.data.taus[i];
      const note = r.perTau[i].map((t) => ctx.wrap(ctx.bold(t), 130)).join("<br>");
      return {
        traces: {0: {a: col(0), b: col(1), c: col(2)},
                 2: {a: [r.probs[0]], b: [r.probs[1]], c: [r.probs[2]]},
                 3: {a: [m[0]], b: [m[1]], c: [m[2]]},
                 4: {y: top, text: top.map((v) => v.toFixed(2))}},
        layout: {"title.text": ctx.wrap(`Gumbel-softmax samples y = softmax((ℓ + g)/τ) at τ = ` +
                                        `${ctx.fmtG(tau)}: small τ pushes y to the corners, large τ ` +
                                        "to the centre", 110),
                 "annotations.2.text": note},
      };
    },

    moments(ctx) {
      const r = ctx.results, K = r.probs.length, tau = ctx.data.taus[tauIndex(ctx)];
      if (!r.complete) return null;
      const traces = {};
      for (let c = 0; c < K; c++) {
        traces[3 * c] = {y: r.sweep.mean.map((m) => m[c]),
                         "error_y.array": r.sweep.se.map((s) => 2 * s[c])};
        traces[3 * c + 1] = {y: r.sweep.var.map((v) => v[c])};
        traces[3 * c + 2] = {y: [r.probs[c], r.probs[c]]};
      }
      traces[3 * K + 1] = {y: r.sweep.var.map((v) => v.reduce((a, b) => a + b, 0))};
      return {
        traces,
        layout: {"title.text": ctx.wrap("Monte Carlo E[y_c] and Var[y_c] of the Gumbel-softmax " +
                                        `y = softmax((ℓ + g)/τ) vs τ (n = ${r.n}, logits ` +
                                        `(${r.logits.map(ctx.pyFloat).join(", ")}); dashed: τ of ` +
                                        "the simplex above)", 90),
                 "shapes.0.x0": tau, "shapes.0.x1": tau, "shapes.1.x0": tau, "shapes.1.x1": tau},
      };
    },
  };
})();
