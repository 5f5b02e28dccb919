// Monte Carlo marginals in the browser (app_pages/mc_marginals.py; the second lecture's eq. 1 and
// Jensen): naive and importance estimates log p̂(x) = logsumexp(log w) − log n over repetitions,
// on the library's own draws (counter_noise.js), their spreads, the ESS of q and the page's texts,
// as explorer.toys.marginals computes them (tests/test_live_js.py checks them against it). The
// exact log p(x) (grid) and the ELBO (Gauss–Hermite) are elbo1d.js's.
"use strict";
(() => {
  const LOG_2PI = Math.log(2 * Math.PI);
  const base = () => window.LiveRecipes.elbo1d.math;  // loaded after this file: looked up at use
  const cache = {normals: {}, fz: null, fzCount: 0, naive: {key: null}, post: {x: null}};

  // The first `count` N(0, 1) draws of a seed, kept (100 repetitions are the first 100 of 200).
  function normals(seed, count) {
    const have = cache.normals[seed];
    if (have && have.length >= count) return have;
    return (cache.normals[seed] = window.LiveNoise.standardNormal(seed, count));
  }

  // log p̂ = log (1/n Σ w) and (1/n) Σ log w for the first n of a row's log w, n in ns: the running
  // logsumexp block by block between the sizes (one exp per weight), the running sum in order.
  function rowEstimates(lw, ns, lmw, mlw, at) {
    let top = -Infinity, s = 0, sum = 0, start = 0;
    for (let k = 0; k < ns.length; k++) {
      const end = ns[k];
      let bm = -Infinity;
      for (let i = start; i < end; i++) if (lw[i] > bm) bm = lw[i];
      if (bm > top) { s *= Math.exp(top - bm); top = bm; }
      for (let i = start; i < end; i++) { s += Math.exp(lw[i] - top); sum += lw[i]; }
      lmw[at + k] = top + Math.log(s) - Math.log(end);
      mlw[at + k] = sum / end;
      start = end;
    }
  }

  // Naive: w = p(x|z), z = σ_p ε (explorer.toys.marginals.naive_estimates); f(z) kept across x.
  function naiveEstimates(d, x, reps) {
    const t = d.theta, n = d.n_max, count = reps * n, N = d.ns.length;
    if (cache.fzCount < count) {
      const e = normals(d.seeds.naive, count), fz = new Float64Array(count);
      for (let i = 0; i < count; i++) { const z = t.prior_std * e[i]; fz[i] = t.a * Math.tanh(z) + t.w * z; }
      cache.fz = fz; cache.fzCount = count;
      delete cache.normals[d.seeds.naive];
    }
    const var_ = t.noise_std ** 2, c = LOG_2PI + Math.log(var_), fz = cache.fz;
    const lw = new Float64Array(n), lmw = new Float64Array(reps * N), mlw = new Float64Array(reps * N);
    for (let r = 0; r < reps; r++) {
      for (let i = 0, o = r * n; i < n; i++) { const dx = x - fz[o + i]; lw[i] = -0.5 * (c + dx * dx / var_); }
      rowEstimates(lw, d.ns, lmw, mlw, r * N);
    }
    return {lmw, mlw, reps};
  }

  // log w = log p(x, z) − log q(z) at z = m + √v ε, q = N(m, v), for `count` draws of `seed`.
  function logWeights(d, x, m, v, seed, count, lw, from) {
    const t = d.theta, e = normals(seed, from + count), sd = Math.sqrt(v);
    const vp = t.prior_std ** 2, vn = t.noise_std ** 2;
    const cp = LOG_2PI + Math.log(vp), cn = LOG_2PI + Math.log(vn), cq = LOG_2PI + Math.log(v);
    for (let i = 0; i < count; i++) {
      const z = m + sd * e[from + i], dx = x - (t.a * Math.tanh(z) + t.w * z), dq = z - m;
      lw[i] = -0.5 * (cp + z * z / vp) - 0.5 * (cn + dx * dx / vn) + 0.5 * (cq + dq * dq / v);
    }
    return lw;
  }

  // Importance sampling (importance_estimates): w = p(x, z)/q(z), z ~ q.
  function importanceEstimates(d, x, m, v, reps) {
    const n = d.n_max, N = d.ns.length, lw = new Float64Array(n);
    const lmw = new Float64Array(reps * N), mlw = new Float64Array(reps * N);
    normals(d.seeds.importance, reps * n);
    for (let r = 0; r < reps; r++) {
      logWeights(d, x, m, v, d.seeds.importance, n, lw, r * n);
      rowEstimates(lw, d.ns, lmw, mlw, r * N);
    }
    return {lmw, mlw, reps};
  }

  // (Σw)²/Σw² / n of n draws of q (relative_ess), in log space.
  function relativeEss(d, x, m, v) {
    const n = d.ess_n, lw = logWeights(d, x, m, v, d.seeds.ess, n, new Float64Array(n), 0);
    let top = -Infinity, s1 = 0, s2 = 0;
    for (const l of lw) if (l > top) top = l;
    for (const l of lw) { s1 += Math.exp(l - top); s2 += Math.exp(2 * (l - top)); }
    return Math.exp(2 * Math.log(s1) - Math.log(s2)) / n;
  }

  // numpy's median and linear percentile (its _lerp) of a sorted column.
  function percentile(a, q) {
    const h = (a.length - 1) * (q / 100), lo = Math.floor(h), hi = Math.min(lo + 1, a.length - 1);
    const g = h - lo, diff = a[hi] - a[lo];
    return g >= 0.5 ? a[hi] - diff * (1 - g) : a[lo] + diff * g;
  }
  function median(a) {
    const k = a.length >> 1;
    return a.length % 2 ? a[k] : (a[k - 1] + a[k]) / 2;
  }
  // (median, 10%, 90%) over repetitions of each n (marginals.spread): 200 values sorted per n.
  function spread(values, reps, N) {
    const med = [], lo = [], hi = [], col = new Float64Array(reps);
    for (let k = 0; k < N; k++) {
      for (let r = 0; r < reps; r++) col[r] = values[r * N + k];
      col.sort();
      med.push(median(col)); lo.push(percentile(col, 10)); hi.push(percentile(col, 90));
    }
    return [med, lo, hi];
  }

  const searchsorted = (a, value) => { const i = a.findIndex((x) => x >= value); return i < 0 ? a.length : i; };
  function pyPercent(p) {  // Python's f"{p:.0%}": ×100 in floating point, ties to even
    const y = p * 100, f = Math.floor(y);
    return `${y - f === 0.5 ? (f % 2 ? f + 1 : f) : Math.round(y)}%`;
  }

  // The page's texts, word for word as explorer.toys.marginals.notes writes them.
  function notes(ns, naive, imp, spreads, exact, elbo, ess, x, m, v, F) {
    const reps = naive.reps, N = ns.length, i = searchsorted(ns, 100);
    let off = 0, gapMin = Infinity, gapSum = 0;
    for (let r = 0; r < reps; r++) {
      if (Math.abs(naive.lmw[r * N + i] - exact) > 1) off += 1;
      for (let k = 1; k < N; k++) gapMin = Math.min(gapMin, imp.lmw[r * N + k] - imp.mlw[r * N + k]);
      gapSum += imp.lmw[r * N + N - 1] - imp.mlw[r * N + N - 1];
    }
    const warnings = [];
    if (ess < 0.01) {
      warnings.push(`The proposal q = N(${F.fmtG(m)}, ${F.fmtG(v)}) misses the posterior: the effective ` +
                    `sample size is ${F.fmtE(ess, 1)} of n, so a handful of weights dominate and ` +
                    "importance sampling is no better than the naive estimator. Move q toward the " +
                    "posterior (or widen it).");
    }
    if (Math.abs(x) > 10) {
      warnings.push(`x = ${F.fmtG(x)} is very far in the tail: log p(x) = ${exact.toFixed(1)}. The naive ` +
                    "estimator needs astronomically many prior samples; only a good proposal can " +
                    "estimate it.");
    }
    return {
      metrics: [["exact log p(x)", exact.toFixed(3)],
                [`naive, n = ${ns[i]}: median`, spreads.naive[0][i].toFixed(2)],
                [`importance, n = ${ns[i]}: median`, spreads.imp[0][i].toFixed(3)]],
      caption: `At n = ${ns[i]}, ${pyPercent(off / reps)} of the naive estimates are more than 1 nat ` +
               "off. Note p̂ itself is unbiased (its mean is p(x)), but log p̂ is biased low (Jensen) " +
               "and, in the tail, p̂ is usually far too small with rare huge values. Below the plot's " +
               `floor (${(exact - 30).toFixed(0)}) estimates are clipped from view.`,
      warnings,
      jensen: `Smallest gap over all ${reps} repetitions and all n ≥ 2: **${F.fmtE(gapMin, 2)}** ` +
              `(≥ 0); at n = ${ns[N - 1]} the mean gap is ${(gapSum / reps).toFixed(3)} vs KL = ` +
              `${(exact - elbo).toFixed(3)}.`,
    };
  }

  function compute(d, v, F) {
    if (cache.post.x !== v.x) cache.post = {x: v.x, post: base().posterior(v.x, d.theta)};
    const post = cache.post.post, N = d.ns.length, key = `${v.x}|${v.reps}`;
    if (cache.naive.key !== key) cache.naive = {key, est: naiveEstimates(d, v.x, v.reps)};
    const naive = cache.naive.est, imp = importanceEstimates(d, v.x, v.m, v.v, v.reps);
    const exact = post.logPx, elbo = base().bound(d, post, v.x, v.m, v.v).elbo;
    const spreads = {naive: spread(naive.lmw, v.reps, N), imp: spread(imp.lmw, v.reps, N),
                     impMean: spread(imp.mlw, v.reps, N)};
    const ess = relativeEss(d, v.x, v.m, v.v);
    return {x: v.x, reps: v.reps, exact, elbo, ess, spreads,
            notes: notes(d.ns, naive, imp, spreads, exact, elbo, ess, v.x, v.m, v.v, F)};
  }

  // explorer.plots.toys.mc_figure's patch: the bands (hi, then lo reversed) and medians, the
  // dashed lines and their labels, the y range from the floor; a title of more lines grows the
  // top margin as ui.figures.prepared does.
  function figurePatch(ctx, bands, lines, floor, title) {
    const traces = {}, layout = {"yaxis.range": null};
    let top = -Infinity;
    bands.forEach(([med, lo, hi], b) => {
      traces[2 * b] = {y: hi.concat(lo.slice().reverse())};
      traces[2 * b + 1] = {y: med};
      top = Math.max(top, ...hi);
    });
    lines.forEach(([name, y], k) => {
      Object.assign(layout, {[`shapes.${k}.y0`]: y, [`shapes.${k}.y1`]: y, [`annotations.${k}.y`]: y,
                             [`annotations.${k}.text`]: `${name} = ${y.toFixed(3)}`});
      top = Math.max(top, y);
    });
    layout["yaxis.range"] = [floor, top + 0.1 * (top - floor)];
    if (title !== undefined) {
      const L = ctx.template.layout, text = ctx.wrap(title, ctx.data.chars);
      const grow = 18 * (text.split("<br>").length - L.title.text.split("<br>").length);
      Object.assign(layout, {"title.text": text, "margin.t": L.margin.t + grow, height: L.height + grow});
    }
    return {traces, layout};
  }
  const metric = (label, value, help) =>
    `<div class='metric'${help ? ` title='${help}'` : ""}><div class='label'>${label}</div>` +
    `<div class='value'>${value}</div></div>`;

  window.LiveRecipes.marginals = {
    math: {normals, rowEstimates, naiveEstimates, importanceEstimates, relativeEss, spread, notes,
           pyPercent},
    hub: "convergence",
    compute(d, v) { return compute(d, v, Live); },

    convergence(ctx) {
      const r = ctx.results, s = r.spreads, nt = r.notes, G = ctx.fmtG;
      const title = `Estimates log p̂(x) of eq. (1) vs the number of samples n, x = ${G(r.x)}: naive ` +
                    "(prior samples) vs importance sampling; bands: 10–90% of " +
                    `${r.reps} repetitions`;
      const out = figurePatch(ctx, [s.naive, s.imp], [["exact log p(x)", r.exact]], r.exact - 30, title);
      const helps = ["", "median over repetitions of log p̂", ""];
      out.html = "<div class='metrics'>" + nt.metrics.map(([l, val], k) => metric(l, val, helps[k])).join("") +
                 `</div><p class='caption'>${nt.caption}</p>` +
                 nt.warnings.map((w) => `<div class='warning'>${w}</div>`).join("");
      return out;
    },

    jensen(ctx) {
      const r = ctx.results, s = r.spreads;
      const out = figurePatch(ctx, [s.imp, s.impMean], [["exact log p(x)", r.exact], ["ELBO", r.elbo]],
                              Math.min(r.elbo, r.exact) - 5);
      out.html = `<p class='caption'>${ctx.bold(r.notes.jensen)}</p>`;
      return out;
    },
  };
})();
