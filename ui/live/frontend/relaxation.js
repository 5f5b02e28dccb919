// The estimators of the Relaxation bias page in the browser (app_pages/relaxation_bias.py): the
// math of explorer.estimators.relaxation_race (Gumbel-softmax, ST Gumbel-softmax, REBAR with
// η = 1 (Tucker et al. 2017), straight-through, the naive zero, REINFORCE with the optimal
// baseline; the exact gradient by enumeration) on the uniforms the page ships, and the bins of
// explorer.plots.estimators.histogram_figure. tests/test_live_js.py checks it against them.
"use strict";
window.LiveRelaxation = (() => {
  const VALUES = [0, 0.5, 1];
  const TINY = 2.2250738585072014e-308, ONE = 1 - 2.220446049250313e-16;
  const clampU = (u) => Math.min(Math.max(u, TINY), ONE);  // torch's clamp: a no-op on shipped u
  const logaddexp = (a, b) => (a === b ? a + Math.LN2
    : a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b)));
  const logSigmoid = (x) => -logaddexp(0, -x);
  const sigmoid = (x) => Math.exp(logSigmoid(x));
  function logSoftmax(x) {
    const m = Math.max(...x);
    let z = 0;
    for (const v of x) z += Math.exp(v - m);
    const lz = Math.log(z);
    return x.map((v) => v - m - lz);
  }
  const logitsOf = (family, v) => (family === "bernoulli" ? [v.l1, v.l2] : [v.l1, v.l2, 0]);

  // f(y) of explorer.toys.costs, and ∂f/∂y into a (one row y: D values or a simplex point).
  function cost(family, name, t, y, a) {
    const D = y.length;
    if (family === "bernoulli") {
      if (name === "rebar") {
        let f = 0;
        for (let j = 0; j < D; j++) { f += (y[j] - t) ** 2; a[j] = 2 * (y[j] - t); }
        return f;
      }
      if (name === "pick") {
        let f = 0;
        for (let j = 0; j < D; j++) { f += (1 - y[j]) * t ** 2 + y[j] * (1 - t) ** 2; a[j] = (1 - t) ** 2 - t ** 2; }
        return f;
      }
      let x = 0;  // sum_square
      for (let j = 0; j < D; j++) x += y[j];
      x /= D;
      for (let j = 0; j < D; j++) a[j] = 2 * (x - t) / D;
      return (x - t) ** 2;
    }
    if (name === "pick") {
      let f = 0;
      for (let c = 0; c < D; c++) { a[c] = (VALUES[c] - t) ** 2; f += y[c] * a[c]; }
      return f;
    }
    let x = 0;  // rebar and sum_square: (v(y) − t)² for one variable
    for (let c = 0; c < D; c++) x += y[c] * VALUES[c];
    for (let c = 0; c < D; c++) a[c] = 2 * (x - t) * VALUES[c];
    return (x - t) ** 2;
  }

  // y = σ(s/τ) or softmax(s/τ) into y; a ↦ the gradient of a·y in s, into out.
  function relax(family, s, tau, y) {  // no allocation: this runs 170,000 times per logit move
    const D = s.length;
    if (family === "bernoulli") { for (let j = 0; j < D; j++) y[j] = sigmoid(s[j] / tau); return; }
    let m = -Infinity, z = 0;
    for (let c = 0; c < D; c++) { y[c] = s[c] / tau; if (y[c] > m) m = y[c]; }
    for (let c = 0; c < D; c++) z += Math.exp(y[c] - m);
    const lz = Math.log(z);
    for (let c = 0; c < D; c++) y[c] = Math.exp(y[c] - m - lz);  // log_softmax, then exp
  }
  function back(family, s, tau, y, a, out) {
    if (family === "bernoulli") {
      for (let j = 0; j < s.length; j++) out[j] = a[j] * (y[j] * sigmoid(-s[j] / tau) / tau);
      return;
    }
    let ay = 0;
    for (let c = 0; c < s.length; c++) ay += a[c] * y[c];
    for (let c = 0; c < s.length; c++) out[c] = y[c] * (a[c] - ay) / tau;
  }
  function hard(family, s, b) {
    if (family === "bernoulli") { for (let j = 0; j < s.length; j++) b[j] = s[j] > 0 ? 1 : 0; return; }
    let best = 0;
    for (let c = 1; c < s.length; c++) if (s[c] > s[best]) best = c;
    for (let c = 0; c < s.length; c++) b[c] = c === best ? 1 : 0;
  }
  const probs = (family, logits) => (family === "bernoulli" ? logits.map(sigmoid)
    : logSoftmax(logits).map(Math.exp));
  function perturbed(family, logits, u, i, s) {  // ℓ + logit(u) or ℓ + Gumbel(u), row i
    const D = logits.length;
    for (let j = 0; j < D; j++) {
      const x = clampU(u[i * D + j]);
      s[j] = family === "bernoulli" ? logits[j] + (Math.log(x) - Math.log1p(-x)) : logits[j] - Math.log(-Math.log(x));
    }
  }

  function optimalBaseline(family, name, logits, t, pilot) {
    const D = logits.length, P = pilot.length / D, p = probs(family, logits);
    const s = new Array(D), b = new Array(D), a = new Array(D), num = new Array(D).fill(0);
    const den = new Array(D).fill(0);
    let mean = 0;
    for (let i = 0; i < P; i++) {
      perturbed(family, logits, pilot, i, s);
      hard(family, s, b);
      const f = cost(family, name, t, b, a);
      mean += f;
      for (let j = 0; j < D; j++) { const q = (b[j] - p[j]) ** 2; num[j] += f * q; den[j] += q; }
    }
    return num.map((x, j) => (den[j] > 0 ? x / den[j] : mean / P));
  }

  // REBAR's conditional relaxed logit z̃ ~ p(z | b) and its ∂z̃/∂ℓ (explorer.estimators.rebar).
  function rebarRow(family, name, logits, lt, l1t, t, tau, u, v, i, g, w) {
    const D = logits.length, {s, y, yt, b, a, z, zt, gs, gc} = w;
    for (let j = 0; j < D; j++) {
      const x = clampU(u[i * D + j]);
      z[j] = family === "bernoulli" ? logits[j] + Math.log(x) - Math.log1p(-x) : lt[j] - Math.log(-Math.log(x));
    }
    hard(family, z, b);
    relax(family, z, tau, y);
    cost(family, name, t, y, a);
    back(family, z, tau, y, a, gs);
    if (family === "bernoulli") {
      const dz = s;
      for (let j = 0; j < D; j++) {
        const vv = clampU(v[i * D + j]);
        if (b[j] > 0) {
          const lu = logaddexp(l1t[j], Math.log(vv) + lt[j]), l1u = Math.log1p(-vv) + lt[j];
          zt[j] = logits[j] + (lu - l1u);
          dz[j] = Math.exp(lt[j] + Math.log(vv) - lu);
        } else {
          const lu = Math.log(vv) + l1t[j], l1u = Math.log1p(-vv * Math.exp(l1t[j]));
          zt[j] = logits[j] + (lu - l1u);
          dz[j] = Math.exp(l1t[j] + Math.log1p(-vv) - l1u);
        }
      }
      relax(family, zt, tau, yt);
      const ft = cost(family, name, t, yt, a);
      back(family, zt, tau, yt, a, gc);
      const fb = cost(family, name, t, b, a), p = w.p;
      for (let j = 0; j < D; j++) g[i * D + j] = (fb - ft) * (b[j] - p[j]) + gs[j] - gc[j] * dz[j];
      return;
    }
    let logVb = 0;
    for (let c = 0; c < D; c++) if (b[c] > 0) logVb = Math.log(clampU(v[i * D + c]));
    const r = s;
    for (let c = 0; c < D; c++) {
      const e = -Math.log(clampU(v[i * D + c])) * Math.exp(-lt[c]);
      zt[c] = b[c] > 0 ? -Math.log(-logVb) : -Math.log(e - logVb);
      r[c] = b[c] > 0 ? 0 : e / (e - logVb);
    }
    relax(family, zt, tau, yt);
    const ft = cost(family, name, t, yt, a);
    back(family, zt, tau, yt, a, gc);
    let sum = 0;
    for (let c = 0; c < D; c++) { gc[c] *= r[c]; sum += gc[c]; }
    const fb = cost(family, name, t, b, a), p = w.p;
    for (let c = 0; c < D; c++)
      g[i * D + c] = (fb - ft) * (b[c] - p[c]) + gs[c] - (gc[c] - Math.exp(lt[c]) * sum);
  }

  // n single-sample estimates (n × D, row-major) of one estimator from the uniforms.
  function estimates(method, family, name, logits, t, tau, u, v, pilot) {
    const D = logits.length, n = u.length / D, g = new Float64Array(n * D);
    if (method === "naive_reparam") return g;
    const p = probs(family, logits);
    const w = {s: new Array(D), y: new Array(D), yt: new Array(D), b: new Array(D), a: new Array(D),
               z: new Array(D), zt: new Array(D), gs: new Array(D), gc: new Array(D), p};
    const out = w.gs;
    if (method === "rebar") {
      const lt = family === "bernoulli" ? logits.map(logSigmoid) : logSoftmax(logits);
      const l1t = logits.map((l) => logSigmoid(-l));
      for (let i = 0; i < n; i++) rebarRow(family, name, logits, lt, l1t, t, tau, u, v, i, g, w);
      return g;
    }
    const base = method === "reinforce" ? optimalBaseline(family, name, logits, t, pilot) : null;
    for (let i = 0; i < n; i++) {
      perturbed(family, logits, u, i, w.s);
      hard(family, w.s, w.b);
      const fb = cost(family, name, t, w.b, w.a);
      if (method === "reinforce") {
        for (let j = 0; j < D; j++) g[i * D + j] = (fb - base[j]) * (w.b[j] - p[j]);
        continue;
      }
      if (method === "straight_through") back(family, logits, 1, p, w.a, out);
      else if (method === "st_gumbel_softmax") { relax(family, w.s, tau, w.y); back(family, w.s, tau, w.y, w.a, out); }
      else {  // gumbel_softmax: f and its gradient at the relaxed y
        relax(family, w.s, tau, w.y);
        cost(family, name, t, w.y, w.a);
        back(family, w.s, tau, w.y, w.a, out);
      }
      for (let j = 0; j < D; j++) g[i * D + j] = out[j];
    }
    return g;
  }

  function exact(family, name, logits, t) {
    const D = logits.length, zs = family === "bernoulli" ? [[0, 0], [0, 1], [1, 0], [1, 1]] : [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const ls = family === "bernoulli" ? null : logSoftmax(logits), p = probs(family, logits);
    const out = new Array(D).fill(0), a = new Array(D);
    for (const [k, z] of zs.entries()) {
      const lq = family === "bernoulli" ? z.reduce((acc, b, j) => acc + (b ? logSigmoid(logits[j]) : logSigmoid(-logits[j])), 0) : ls[k];
      const qf = Math.exp(lq) * cost(family, name, t, z, a);
      for (let j = 0; j < D; j++) out[j] += qf * (z[j] - p[j]);
    }
    return out;
  }

  // comparison.estimates' dropping of non-finite rows, and estimate_stats' ‖bias‖, Σ var, ‖SE‖.
  function finiteRows(g, D) {
    const n = g.length / D, keep = [];
    if (g.every(Number.isFinite)) return {g, dropped: 0, error: n >= 2 ? null : "every estimate was NaN or infinite"};
    for (let i = 0; i < n; i++) {
      let ok = true;
      for (let j = 0; j < D; j++) if (!Number.isFinite(g[i * D + j])) ok = false;
      if (ok) keep.push(i);
    }
    const out = new Float64Array(keep.length * D);
    keep.forEach((i, k) => { for (let j = 0; j < D; j++) out[k * D + j] = g[i * D + j]; });
    return {g: out, dropped: n - keep.length,
            error: keep.length >= 2 ? null : "every estimate was NaN or infinite"};
  }
  function stats(g, D, ex) {
    const n = g.length / D;
    let bias = 0, variance = 0, se = 0;
    for (let j = 0; j < D; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += g[i * D + j];
      m /= n;
      let ss = 0;
      for (let i = 0; i < n; i++) ss += (g[i * D + j] - m) ** 2;
      const vj = ss / (n - 1);
      bias += (m - ex[j]) ** 2;
      variance += vj;
      se += vj / n;
    }
    return [Math.sqrt(bias), variance, Math.sqrt(se)];
  }
  const column = (g, D, j) => Float64Array.from({length: g.length / D}, (_, i) => g[i * D + j]);

  // numpy.quantile (linear) and histogram_figure's view range, bins and densities.
  function quantile(sorted, q) {
    const n = sorted.length, vi = (n - 1) * q;
    if (vi >= n - 1) return sorted[n - 1];
    const i = Math.floor(vi), gamma = vi - i, a = sorted[i], b = sorted[i + 1], d = b - a;
    return gamma >= 0.5 ? b - d * (1 - gamma) : a + d * gamma;
  }
  function histogram(samples, ex, bins = 80, q = 0.005) {
    const sorted = samples.map((a) => Float64Array.from(a.filter(Number.isFinite)).sort());
    const los = [ex], his = [ex];
    for (const s of sorted) if (s.length) { los.unshift(quantile(s, q)); his.unshift(quantile(s, 1 - q)); }
    let lo = Math.min(...los), hi = Math.max(...his);
    const pad = 0.06 * Math.max(hi - lo, 1e-6);
    [lo, hi] = [lo - pad, hi + pad];
    const edges = window.LiveNumeric.linspace(lo, hi, bins + 1), width = edges[1] - edges[0];
    const x = edges.slice(0, -1).map((e) => e + width / 2);
    const bars = sorted.map((s) => {
      const counts = new Array(bins).fill(0);
      for (const v of s) {  // numpy: [e_i, e_{i+1}), the last bin closed
        if (!(v >= edges[0] && v <= edges[bins])) continue;
        let i = Math.min(Math.max(Math.floor((v - lo) / width), 0), bins - 1);
        while (i > 0 && v < edges[i]) i -= 1;
        while (i < bins - 1 && v >= edges[i + 1]) i += 1;
        counts[i] += 1;
      }
      const density = counts.map((c) => c / (Math.max(s.length, 1) * width));
      const spike = s.length > 0 && s[0] === s[s.length - 1];
      return {counts, density, spike, value: s.length ? s[0] : null};
    });
    return {x, width, range: [lo, hi], bars};
  }

  // relaxation_race.relaxed_samples: the first variable at τ from the first m rows of u.
  function relaxedSamples(family, logits, tau, u, m) {
    const D = logits.length, s = new Array(D), out = [];
    for (let i = 0; i < Math.min(m, u.length / D); i++) {
      perturbed(family, logits, u, i, s);
      if (family === "bernoulli") out.push([sigmoid(-s[0] / tau), sigmoid(s[0] / tau)]);
      else out.push(logSoftmax(s.map((x) => x / tau)).map(Math.exp));
    }
    return out;
  }

  return {logitsOf, cost, estimates, exact, finiteRows, stats, column, quantile, histogram,
          relaxedSamples};
})();
