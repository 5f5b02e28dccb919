// The one-dimensional ELBO of ELBO & posterior in the browser (app_pages/elbo_posterior.py; the
// first lecture text's log p(x) = ELBO + KL): the exact posterior on an adaptive grid, q = N(m, v)
// against it and the budget, as explorer.toys.posterior computes them (z_grid, posterior_on_grid,
// bound, degeneracy_notes, plot_range; tests/test_live_js.py checks them against it).
"use strict";
(() => {
  const LOG_2PI = Math.log(2 * Math.PI);
  const logGauss = (y, mean, v) => -0.5 * (LOG_2PI + Math.log(v) + (y - mean) ** 2 / v);
  const logJoint = (z, x, t) =>
    logGauss(z, 0, t.prior_std ** 2) + logGauss(x, t.a * Math.tanh(z) + t.w * z, t.noise_std ** 2);
  const linspace = (lo, hi, n) => Array.from({length: n}, (_, i) => lo + (hi - lo) * i / (n - 1));
  function logsumexp(a) {
    let m = -Infinity;
    for (const v of a) if (v > m) m = v;
    if (!Number.isFinite(m)) m = 0;
    let s = 0;
    for (const v of a) s += Math.exp(v - m);
    return Math.log(s) + m;
  }

  // Where p(z|x) has mass: a coarse scan, then a dense grid over the log-joint's top 60 nats.
  function zGrid(x, t, n = 2001, coarse = 4001) {
    const reach = 12 * t.prior_std + (Math.abs(t.w) > 1e-3 ? Math.abs(x) / Math.abs(t.w) : 0) + 10;
    const zc = linspace(-reach, reach, coarse), lj = zc.map((z) => logJoint(z, x, t));
    const top = Math.max(...lj) - 60;
    let first = lj.findIndex((v) => v > top), last = first;
    for (let i = lj.length - 1; i >= 0; i--) if (lj[i] > top) { last = i; break; }
    const step = zc[1] - zc[0];
    return linspace(zc[first] - 2 * step, zc[last] + 2 * step, n);
  }

  function posterior(x, t) {
    const z = zGrid(x, t), lj = z.map((zi) => logJoint(zi, x, t));
    const logPx = logsumexp(lj) + Math.log(z[1] - z[0]);
    return {z, logPost: lj.map((v) => v - logPx), logPx};
  }

  // The pieces of log p(x) = E_q[log p(x, z)] + H(q) + KL(q ‖ p(z|x)), by Gauss–Hermite under q.
  function bound(d, post, x, m, v) {
    const s = Math.sqrt(v);
    let joint = 0, kl = 0;
    for (let k = 0; k < d.u.length; k++) {
      const z = m + s * d.u[k], lj = logJoint(z, x, d.theta);
      joint += d.w[k] * lj;
      kl += d.w[k] * (logGauss(z, m, v) - (lj - post.logPx));
    }
    const entropy = 0.5 * (LOG_2PI + 1 + Math.log(v));
    return {logPx: post.logPx, joint, entropy, elbo: joint + entropy, kl};
  }

  // numpy.searchsorted(a, value) on an increasing a: the first i with a[i] >= value.
  const searchsorted = (a, value) => { const i = a.findIndex((x) => x >= value); return i < 0 ? a.length : i; };
  function plotRange(post, m, v) {
    const {z, logPost} = post, dz = z[1] - z[0], cdf = [];
    let acc = 0;
    for (const lp of logPost) { acc += Math.exp(lp); cdf.push(acc * dz); }
    const left = z[searchsorted(cdf, 1e-4)] - 1;
    const right = z[Math.min(searchsorted(cdf, 1 - 1e-4), z.length - 1)] + 1;
    const sd = Math.sqrt(v);
    return [Math.min(-7, left, m - 4 * sd), Math.max(7, right, m + 4 * sd)];
  }

  function notes(d, x, v, b, G) {
    const out = [], t = d.theta;
    if (v < 1e-3) {
      out.push(`q is almost a point mass (v = ${G(v)}): its entropy H(q) = ½ log(2πe v) = ` +
               `${b.entropy.toFixed(2)} → −∞ as v → 0, so the ELBO ≈ log p(x, z=m) + H(q) sinks.`);
    }
    if (v > 50) {
      out.push(`q is far wider than the posterior (v = ${G(v)}): most of its mass sits where ` +
               "log p(x, z) is very negative, so E_q[log p(x,z)] is hugely negative.");
    }
    if (b.kl > 20) {
      out.push(`KL(q ‖ p(z|x)) = ${b.kl.toFixed(1)} nats: q sits where the posterior has almost ` +
               "no mass — the ELBO is a very loose bound on log p(x).");
    }
    const reach = Math.abs(t.a) + 3 * Math.abs(t.w) * t.prior_std + 3 * t.noise_std;
    if (Math.abs(x) > reach) {
      out.push(`x = ${G(x)} is far in the tail of p(x) (|f(z)| rarely exceeds ≈ ${reach.toFixed(1)}): ` +
               `log p(x) = ${b.logPx.toFixed(1)} — every term is large and negative, yet the ` +
               "identity log p(x) = ELBO + KL still holds.");
    }
    return out;
  }

  // The waterfall of explorer.plots.toys._budget_values: values, their labels, the x range.
  function budget(b) {
    const values = [b.joint, b.entropy, b.elbo, b.kl, b.elbo + b.kl];
    const ends = [0, b.joint, b.elbo, b.elbo + b.kl], lo = Math.min(...ends), hi = Math.max(...ends);
    const pad = 0.35 * Math.max(hi - lo, 1e-3);
    const text = values.map((v, i) => ((i === 1 || i === 3) && !(v < 0) ? "+" : "") + v.toFixed(3));
    return {values, text, range: [lo - pad, hi + pad]};
  }

  // q = N(m, v) on the posterior's grid plus ±5σ around m (ui.toy_data.q_curve).
  function qCurve(z, m, v) {
    const s = Math.sqrt(v), zq = z.concat(linspace(-5, 5, 201).map((u) => m + s * u));
    zq.sort((p, q) => p - q);
    return {x: zq, y: zq.map((zi) => Math.exp(logGauss(zi, m, v)))};
  }

  window.LiveRecipes.elbo1d = {
    math: {logGauss, logJoint, linspace, zGrid, posterior, bound, plotRange, notes, budget, qCurve},
    hub: "budget",

    compute(d, v, previous) {
      const post = previous && previous.x === v.x ? previous.post : posterior(v.x, d.theta);
      const b = bound(d, post, v.x, v.m, v.v);
      const extra = d.green ? {green: qCurve(post.z, d.q_green[0], d.q_green[1]),
                               klGreen: bound(d, post, v.x, d.q_green[0], d.q_green[1]).kl,
                               klOrange: bound(d, post, v.x, d.q_orange[0], d.q_orange[1]).kl} : {};
      return Object.assign({x: v.x, post, b, range: plotRange(post, v.m, v.v)}, extra);
    },

    budget(ctx) {
      const r = ctx.results, v = ctx.values, d = ctx.data, G = ctx.fmtG, b = r.b, sd = Math.sqrt(v.v);
      const u = linspace(-5, 5, 201), w = budget(b);
      const traces = {
        0: {x: r.post.z, y: r.post.logPost.map(Math.exp)},
        1: {y: u.map((ui) => Math.exp(-0.5 * ui * ui) / (sd * Math.sqrt(2 * Math.PI))),
            dx: 10 * sd / 200, x0: v.m - 5 * sd, name: `q = N(${G(v.m)}, ${G(v.v)})`},
      };
      if (d.green) traces[2] = {x: r.green.x, y: r.green.y};
      traces[d.green ? 3 : 2] = {x: w.values, text: w.text};
      const title = `Exact posterior p(z|x=${G(v.x)}) vs q(z) = N(${G(v.m)}, ${G(v.v)}): ELBO = ` +
                    `${b.elbo.toFixed(3)}, KL(q‖p(z|x)) = ${b.kl.toFixed(3)}, log p(x) = ` +
                    `${b.logPx.toFixed(3)} — the closer q, the smaller the gap`;
      const compare = d.green
        ? `<p>For comparison, KL(N(−4, 0.75) ‖ p(z|x)) = ${r.klGreen.toFixed(2)} nats vs ` +
          `${r.klOrange.toFixed(2)} for the lecture's orange N(2, 2), the better approximation.</p>`
        : "";
      return {
        traces,
        layout: {"title.text": ctx.wrap(title, d.chars), "xaxis.range": r.range, "xaxis2.range": w.range},
        notes: notes(d, v.x, v.v, b, G).map((t) => `<div class='warning'>${t}</div>`).join(""),
        html: "<div class='metrics'><div class='metric'><div class='label'>log p(x)</div>" +
              `<div class='value'>${b.logPx.toFixed(3)}</div></div></div>` +
              "<p>The budget on the right: E_q[log p(x,z)] + H(q) = ELBO, and ELBO + KL(q‖p(z|x)) = " +
              `log p(x) = ${b.logPx.toFixed(3)} for every q.</p>` + compare,
      };
    },
  };
})();
