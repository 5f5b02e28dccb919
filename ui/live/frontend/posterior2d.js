// The two-latent-dimension section of ELBO & posterior in the browser (app_pages/elbo_posterior
// .py; first lecture text): for q = N(m, Σ) the ELBO and KL(q ‖ p(z|x)) by 40 × 40 Gauss–Hermite
// quadrature and q's 2σ ellipse, as explorer.toys.posterior2d computes them (elbo2d, kl2d,
// ellipse; tests/test_live_js.py checks them against it). log p(x) comes from the server's grid.
"use strict";
(() => {
  const LOG_2PI = Math.log(2 * Math.PI);

  // Σ = [[v1, ρ√(v1 v2)], [·, v2]] and its Cholesky factor [[a, 0], [b, c]].
  function factor(v1, v2, rho) {
    const off = rho * Math.sqrt(v1 * v2), a = Math.sqrt(v1), b = off / a;
    return {a, b, c: Math.sqrt(v2 - b * b), logdet: Math.log(v1 * v2 - off * off)};
  }

  // log p(x, z) = log N(z; 0, I) + log N(x; f(z), s²) (explorer.toys.posterior2d.log_joint2d).
  function logJoint(z1, z2, x, kind, s) {
    const f = kind === "sum" ? z1 + z2 : z1 * z2, r = (x - f) / s;
    return -0.5 * (z1 * z1 + z2 * z2 + r * r) - 1.5 * LOG_2PI - Math.log(s);
  }

  // ELBO = E_q[log p(x, z)] + H(q); KL = E_q[log q − log p(x, z)] + log p(x).
  function bounds(d, m1, m2, v1, v2, rho) {
    const L = factor(v1, v2, rho), n = d.u.length;
    let joint = 0, logq = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const w = d.w[i] * d.w[j], u1 = d.u[i], u2 = d.u[j];
        const z1 = m1 + L.a * u1, z2 = m2 + L.b * u1 + L.c * u2;
        const lj = logJoint(z1, z2, d.x, d.kind, d.noise_std);
        joint += w * lj;
        // (z − m)ᵀ Σ⁻¹ (z − m) = |u|² for z = m + L u
        logq += w * (-0.5 * (u1 * u1 + u2 * u2) - LOG_2PI - 0.5 * L.logdet - lj);
      }
    }
    const entropy = 0.5 * (2 * (LOG_2PI + 1) + L.logdet);
    return {elbo: joint + entropy, kl: logq + d.lpx};
  }

  // The k-σ ellipse of N(m, Σ): n + 1 points of a closed path (explorer.toys.posterior2d.ellipse).
  function ellipse(m1, m2, v1, v2, rho, k = 2, n = 80) {
    const L = factor(v1, v2, rho), xs = [], ys = [];
    for (let i = 0; i <= n; i++) {
      const t = (2 * Math.PI * i) / n, c = Math.cos(t), s = Math.sin(t);
      xs.push(m1 + k * L.a * c);
      ys.push(m2 + k * (L.b * c + L.c * s));
    }
    return {xs, ys};
  }

  window.LiveRecipes.posterior2d = {
    math: {bounds, ellipse},
    hub: "q2d",

    compute(d, v) {
      return Object.assign(bounds(d, v.m1, v.m2, v.v1, v.v2, v.rho),
                           ellipse(v.m1, v.m2, v.v1, v.v2, v.rho));
    },

    q2d(ctx) {
      const r = ctx.results, v = ctx.values, d = ctx.data;
      const metric = (label, value) =>
        `<div class='metric'><div class='label'>${label}</div><div class='value'>${value}</div></div>`;
      let warn = "";
      if (r.kl > 20 || Math.min(v.v1, v.v2) < 1e-3 || Math.max(v.v1, v.v2) > 50) {
        warn = `<div class='warning'>Extreme q: KL = ${r.kl.toFixed(1)} nats. A very narrow q has ` +
               "entropy → −∞; a very wide or misplaced one spends its mass where log p(x, z) is " +
               "very negative.</div>";
      }
      return {
        traces: {1: {x: r.xs, y: r.ys}},
        html: "<div class='metrics'>" + metric("log p(x)", d.lpx.toFixed(3)) +
              metric("ELBO", r.elbo.toFixed(3)) + metric("KL", r.kl.toFixed(3)) + "</div>" + warn,
      };
    },
  };
})();
