// The ELBO curves of the Variational learning page in the browser (app_pages/variational_learning
// .py; first lecture text): L(x; θ, φ) over the θ grid for q = N(m, v) by Gauss–Hermite, as
// explorer.toys.learning.elbo_curve computes it (tests/test_live_js.py checks it against it).
"use strict";
(() => {
  const LOG_2PI = Math.log(2 * Math.PI);
  const logGauss = (y, mean, v) => -0.5 * (LOG_2PI + Math.log(v) + (y - mean) ** 2 / v);

  // E_q[log p(x, z; θ)] + H(q) for every amplitude a of the grid; q's nodes m + √v u_k.
  function elboCurve(d, m, v) {
    const s = Math.sqrt(v), z = d.u.map((u) => m + s * u), t = d.theta;
    const prior = z.map((zk) => logGauss(zk, 0, t.prior_std ** 2)), th = z.map(Math.tanh);
    const entropy = 0.5 * (LOG_2PI + 1 + Math.log(v));
    return d.grid.map((a) => {
      let sum = 0;
      for (let k = 0; k < z.length; k++)
        sum += d.w[k] * (prior[k] + logGauss(d.x, a * th[k] + t.w * z[k], t.noise_std ** 2));
      return sum + entropy;
    });
  }
  const argmin = (xs) => xs.reduce((best, x, i) => (x < xs[best] ? i : best), 0);

  window.LiveRecipes.learning = {
    math: {elboCurve},
    hub: "bounds",

    compute(d, v) {
      const curves = [[v.m1, v.v1], [v.m2, v.v2]].map(([m, s2]) => {
        const l = elboCurve(d, m, s2), gap = d.lp.map((p, i) => p - l[i]), j = argmin(gap);
        return {m, v: s2, l, j, gap: gap[j]};
      });
      return {curves};
    },

    bounds(ctx) {
      const d = ctx.data, [c1, c2] = ctx.results.curves, G = ctx.fmtG, traces = {};
      [c1, c2].forEach((c, i) => {
        traces[1 + 2 * i] = {y: c.l, name: `L(x; θ, φ${"₁₂"[i]}), q = N(${G(c.m)}, ${G(c.v)})`};
        traces[2 + 2 * i] = {x: [d.grid[c.j]], y: [c.l[c.j]],
                             hovertext: `smallest gap ${(d.lp[c.j] - c.l[c.j]).toFixed(3)}`};
      });
      const j = d.lp.indexOf(Math.max(...d.lp));
      const metric = (label, value, help) =>
        `<div class='metric' title='${help}'><div class='label'>${label}</div><div class='value'>${value}</div></div>`;
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
      if (Math.max(...d.lp) < -50) {
        warn.push(`x = ${G(d.x)} is far in the tail of p(x; θ) for every θ on the grid (best log ` +
                  `p(x; θ) = ${Math.max(...d.lp).toFixed(1)}).`);
      }
      return {
        traces,
        html: "<div class='metrics'>" +
              metric("max_θ log p(x; θ)", d.lp[j].toFixed(3), `at θ = ${d.grid[j].toFixed(2)}`) +
              metric("closest gap of φ₁", c1.gap.toFixed(3), `at θ = ${d.grid[c1.j].toFixed(2)}`) +
              metric("closest gap of φ₂", c2.gap.toFixed(3), `at θ = ${d.grid[c2.j].toFixed(2)}`) +
              "</div>" + warn.map((t) => `<div class='warning'>${t}</div>`).join(""),
      };
    },
  };
})();
