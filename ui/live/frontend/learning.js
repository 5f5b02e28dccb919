// The Variational learning page in the browser (app_pages/variational_learning.py; first lecture
// text): log p(x; θ) and the ELBO curves L(x; θ, φ) over the θ grid for q = N(m, v), and EM-style
// coordinate ascent, as explorer.toys.learning computes them (log_evidence_curve, elbo_curve,
// em_trace; tests/test_live_js.py checks them against it). The posterior grid, log-joint and
// Gauss–Hermite quadrature are elbo1d.js's.
"use strict";
(() => {
  const LOG_2PI = Math.log(2 * Math.PI);
  const base = () => window.LiveRecipes.elbo1d.math;  // loaded after this file: looked up at use
  const logGauss = (y, mean, v) => base().logGauss(y, mean, v);
  const withA = (t, a) => Object.assign({}, t, {a});

  // log p(x; θ) for every amplitude a of the grid (one grid quadrature each).
  const evidenceCurve = (d, x) => d.grid.map((a) => base().posterior(x, withA(d.theta, a)).logPx);

  // E_q[log p(x, z; θ)] + H(q) for every amplitude a of the grid; q's nodes m + √v u_k.
  function elboCurve(d, x, m, v) {
    const s = Math.sqrt(v), z = d.u.map((u) => m + s * u), t = d.theta;
    const prior = z.map((zk) => logGauss(zk, 0, t.prior_std ** 2)), th = z.map(Math.tanh);
    const entropy = 0.5 * (LOG_2PI + 1 + Math.log(v));
    return d.grid.map((a) => {
      let sum = 0;
      for (let k = 0; k < z.length; k++)
        sum += d.w[k] * (prior[k] + logGauss(x, a * th[k] + t.w * z[k], t.noise_std ** 2));
      return sum + entropy;
    });
  }

  // L(x; θ, q) over the grid for q = p(z|x; θ_q), the exact posterior at θ_q (elbo_curve_exact_q).
  function elboCurveExactQ(d, x, post) {
    const t = d.theta, dz = post.z[1] - post.z[0], wq = post.logPost.map((l) => Math.exp(l) * dz);
    const prior = post.z.map((z) => logGauss(z, 0, t.prior_std ** 2)), th = post.z.map(Math.tanh);
    return d.grid.map((a) => {
      let sum = 0;
      for (let i = 0; i < post.z.length; i++) {
        sum += wq[i] * (prior[i] + logGauss(x, a * th[i] + t.w * post.z[i], t.noise_std ** 2) -
                        post.logPost[i]);
      }
      return sum;
    });
  }

  function moments(post) {
    const dz = post.z[1] - post.z[0], p = post.logPost.map((l) => Math.exp(l) * dz);
    let mean = 0, variance = 0;
    p.forEach((pi, i) => { mean += pi * post.z[i]; });
    p.forEach((pi, i) => { variance += pi * (post.z[i] - mean) ** 2; });
    return [mean, variance];
  }

  // The ELBO and its gradient in (m, log v) by quadrature (explorer.toys.posterior.elbo, elbo_grad).
  function elbo(d, x, t, m, v) {
    const s = Math.sqrt(v);
    let sum = 0;
    for (let k = 0; k < d.u.length; k++) sum += d.w[k] * base().logJoint(m + s * d.u[k], x, t);
    return sum + 0.5 * (LOG_2PI + 1 + Math.log(v));
  }
  function elboGrad(d, x, t, m, logV) {
    const sd = Math.exp(0.5 * logV);
    let gm = 0, gu = 0;
    for (let k = 0; k < d.u.length; k++) {
      const z = m + sd * d.u[k], th = Math.tanh(z);
      const g = -z / t.prior_std ** 2 +
                (x - (t.a * th + t.w * z)) * (t.a * (1 - th * th) + t.w) / t.noise_std ** 2;
      gm += d.w[k] * g;
      gu += d.w[k] * g * d.u[k];
    }
    return [gm, 0.5 * sd * gu + 0.5];
  }
  // Gradient ascent on the ELBO in (m, log v), each move clipped (explorer.toys.posterior.svi_path).
  function sviPath(d, x, t, m0, v0, steps, lr, maxStep) {
    let phi = [m0, Math.log(Math.max(v0, 1e-300))];
    const path = [], values = [];
    for (let i = 0; i <= steps; i++) {
      path.push([phi[0], Math.exp(phi[1])]);
      values.push(elbo(d, x, t, phi[0], Math.exp(phi[1])));
      if (i === steps) break;
      let step = elboGrad(d, x, t, phi[0], phi[1]).map((g) => lr * g);
      let norm = Math.hypot(step[0], step[1]);
      if (!Number.isFinite(norm)) { step = [0, 0]; norm = 0; }
      if (norm > maxStep) step = step.map((s) => s * (maxStep / norm));
      phi = [phi[0] + step[0], Math.min(12, Math.max(-30, phi[1] + step[1]))];
    }
    return {path, values};
  }
  // argmax over N(m, v) of the ELBO, from the posterior's moments (best_gaussian).
  function bestGaussian(d, x, t) {
    const [mean, variance] = moments(base().posterior(x, t)), v = Math.max(variance, 1e-12);
    const {path, values} = sviPath(d, x, t, mean, v, 400, 0.05 * Math.min(1, v), 0.2);
    let i = 0;
    values.forEach((val, j) => { if (val > values[i]) i = j; });
    return path[i];
  }

  const nearest = (grid, a) => grid.reduce((best, g, i) => (Math.abs(g - a) < Math.abs(grid[best] - a) ? i : best), 0);
  const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

  // E-step: q_t = p(z|x; θ_t) or the best Gaussian at θ_t; M-step: θ_{t+1} = argmax_grid L(x; θ, q_t).
  function emTrace(d, x, a0, steps, exact) {
    let a = d.grid[nearest(d.grid, a0)];
    const thetas = [a], logPx = [base().posterior(x, withA(d.theta, a)).logPx];
    const elboE = [], elboM = [], qs = [], curves = [];
    for (let s = 0; s < steps; s++) {
      const t = withA(d.theta, a);
      let curve;
      if (exact) {
        const post = base().posterior(x, t);
        curve = elboCurveExactQ(d, x, post);
        qs.push(moments(post));
      } else {
        const [m, v] = bestGaussian(d, x, t);
        curve = elboCurve(d, x, m, v);
        qs.push([m, v]);
      }
      const now = nearest(d.grid, a);
      let j = argmax(curve);
      if (curve[j] <= curve[now]) j = now;
      elboE.push(curve[now]);
      elboM.push(curve[j]);
      curves.push(curve);
      a = d.grid[j];
      thetas.push(a);
      logPx.push(base().posterior(x, withA(d.theta, a)).logPx);
    }
    return {thetas, logPx, elboE, elboM, qs, curves};
  }

  const argmin = (xs) => xs.reduce((best, x, i) => (x < xs[best] ? i : best), 0);
  const metric = (label, value, help) =>
    `<div class='metric' title='${help}'><div class='label'>${label}</div><div class='value'>${value}</div></div>`;
  let memo = {key: null, trace: null};  // the EM view's trace, while x, θ₀ and the E-step stay

  window.LiveRecipes.learning = {
    math: {evidenceCurve, elboCurve, elboCurveExactQ, bestGaussian, emTrace},
    hub: "bounds",

    compute(d, v, previous) {
      const lp = previous && previous.x === v.x ? previous.lp : evidenceCurve(d, v.x);
      const curves = [[v.m1, v.v1], [v.m2, v.v2]].map(([m, s2]) => {
        const l = elboCurve(d, v.x, m, s2), gap = lp.map((p, i) => p - l[i]), j = argmin(gap);
        return {m, v: s2, l, j, gap: gap[j]};
      });
      return {x: v.x, lp, curves};
    },

    bounds(ctx) {
      const d = ctx.data, r = ctx.results, [c1, c2] = r.curves, G = ctx.fmtG, lp = r.lp;
      const traces = {0: {y: lp}};
      [c1, c2].forEach((c, i) => {
        traces[1 + 2 * i] = {y: c.l, name: `L(x; θ, φ${"₁₂"[i]}), q = N(${G(c.m)}, ${G(c.v)})`};
        traces[2 + 2 * i] = {x: [d.grid[c.j]], y: [c.l[c.j]],
                             hovertext: `smallest gap ${(lp[c.j] - c.l[c.j]).toFixed(3)}`};
      });
      const j = lp.indexOf(Math.max(...lp)), best = lp[j];
      const warn = [];
      if (Math.max(c1.gap, c2.gap) > 20) {
        warn.push("One of the q's is far from every posterior p(z|x; θ) on this θ range (closest " +
                  `gaps ${c1.gap.toFixed(1)} and ${c2.gap.toFixed(1)} nats): its ELBO curve lies far ` +
                  "below log p(x; θ) — maximising it over θ would learn from a useless bound.");
      }
      if (Math.min(c1.v, c2.v) < 1e-3) {
        warn.push("A q with variance < 0.001 is almost a point mass: its entropy ½ log(2πe v) → −∞, " +
                  "so its whole ELBO curve drops by that amount (but stays finite).");
      }
      if (best < -50) {
        warn.push(`x = ${G(r.x)} is far in the tail of p(x; θ) for every θ on the grid (best log ` +
                  `p(x; θ) = ${best.toFixed(1)}).`);
      }
      return {
        traces,
        layout: {"yaxis.range": [Math.min(...lp) - 2, best + 0.5]},
        html: "<div class='metrics'>" +
              metric("max_θ log p(x; θ)", best.toFixed(3), `at θ = ${d.grid[j].toFixed(2)}`) +
              metric("closest gap of φ₁", c1.gap.toFixed(3), `at θ = ${d.grid[c1.j].toFixed(2)}`) +
              metric("closest gap of φ₂", c2.gap.toFixed(3), `at θ = ${d.grid[c2.j].toFixed(2)}`) +
              "</div>" + warn.map((t) => `<div class='warning'>${t}</div>`).join(""),
      };
    },

    // The EM view: its trace for (x, θ₀, E-step), drawn up to the steps shown (explorer.plots
    // .toys.em_figure, whose figure at every step it opens with).
    em(ctx) {
      const d = ctx.data, v = ctx.values, r = ctx.results;
      if (!r || r.x !== v.x) return null;  // the hub's log p(x; θ) for this x has not come yet
      const key = `${v.x}|${v.a0}|${d.exact}|${d.total}`;
      if (memo.key !== key) memo = {key, trace: emTrace(d, v.x, v.a0, d.total, d.exact)};
      const tr = memo.trace, t = Math.round(v.t), traces = {0: {y: r.lp}}, layout = {};
      for (let s = 0; s < d.total; s++) {
        const shown = s < t, last = s === t - 1;
        traces[1 + s] = {y: tr.curves[s], visible: shown, showlegend: last,
                         "line.color": last ? d.colors.orange : d.colors.grey, "line.width": last ? 3 : 1};
        const start = s > 0 ? tr.elboM[s - 1] : tr.elboE[s];
        Object.assign(layout, {
          [`annotations.${2 * s}.x`]: tr.thetas[s], [`annotations.${2 * s}.y`]: tr.elboE[s],
          [`annotations.${2 * s}.ax`]: tr.thetas[s], [`annotations.${2 * s}.ay`]: start,
          [`annotations.${2 * s}.showarrow`]: shown && s > 0 && tr.elboE[s] - start > 1e-3,
          [`annotations.${2 * s + 1}.x`]: tr.thetas[s + 1], [`annotations.${2 * s + 1}.y`]: tr.elboM[s],
          [`annotations.${2 * s + 1}.ax`]: tr.thetas[s], [`annotations.${2 * s + 1}.ay`]: tr.elboE[s],
          [`annotations.${2 * s + 1}.showarrow`]: shown && Math.abs(tr.thetas[s + 1] - tr.thetas[s]) > 1e-9,
        });
      }
      traces[d.total + 1] = {x: tr.thetas.slice(0, t + 1), y: tr.logPx.slice(0, t + 1),
                             text: tr.thetas.slice(0, t + 1).map((_, s) => `θ${s}`)};
      layout["yaxis.range"] = [Math.min(...r.lp) - 2, Math.max(...r.lp) + 0.5];
      const s = t - 1, f2 = (x) => x.toFixed(2), f3 = (x) => x.toFixed(3);
      return {
        traces, layout,
        html: "<p>" + ctx.bold(`Step ${s}: θ_${s} = **${f2(tr.thetas[s])}**, log p(x; θ_${s}) = ` +
              `**${f3(tr.logPx[s])}**, after the E-step L = **${f3(tr.elboE[s])}** (gap ` +
              `${f3(tr.logPx[s] - tr.elboE[s])}); M-step → θ_${s + 1} = **${f2(tr.thetas[s + 1])}**, ` +
              `L = ${f3(tr.elboM[s])} ≤ log p(x; θ_${s + 1}) = ${f3(tr.logPx[s + 1])}.`) + "</p>",
      };
    },
  };
})();
