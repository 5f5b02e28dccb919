// The two-latent-dimension section of ELBO & posterior in the browser (app_pages/elbo_posterior
// .py; first lecture text): for q = N(m, Σ) the ELBO and KL(q ‖ p(z|x)) by 40 × 40 Gauss–Hermite
// quadrature and q's 2σ ellipse, as explorer.toys.posterior2d computes them (elbo2d, kl2d,
// ellipse, posterior_grid2d; tests/test_live_js_posterior2d.py checks them against it): the
// observation x too, with p(z|x) and log p(x) on the same 201 × 201 grid; the best Gaussians for
// every x of its slider come fitted from the server.
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

  // log p(z|x) on [−L, L]² (indexed [i1·n + i2]) and log p(x) = logsumexp · Δz² (posterior_grid2d).
  function grid(x, kind, s, n = 201, half = 5) {
    const g = window.LiveNumeric.linspace(-half, half, n), lj = new Float64Array(n * n);
    let top = -Infinity, sum = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) top = Math.max(top, (lj[i * n + j] = logJoint(g[i], g[j], x, kind, s)));
    }
    for (const l of lj) sum += Math.exp(l - top);
    const lpx = Math.log(sum) + top + 2 * Math.log(g[1] - g[0]);
    return {g, lj, lpx, n};
  }
  // The contour's z as posterior2d_figure draws it: p(z|x) transposed ([i2][i1]), in float32.
  function contour(post) {
    const {n, lj, lpx} = post;
    return Array.from({length: n}, (_, j) =>
      Array.from({length: n}, (_, i) => Math.fround(Math.exp(lj[i * n + j] - lpx))));
  }
  // N(m, Σ) from a row [m1, m2, Σ11, Σ12, Σ22] of the server's best-Gaussian table.
  const fromRow = ([m1, m2, c11, c12, c22]) => [m1, m2, c11, c22, c12 / Math.sqrt(c11 * c22)];
  const DECODER_NAMES = {sum: "z₁ + z₂", product: "z₁·z₂"};
  let memo = {key: null};

  window.LiveRecipes.posterior2d = {
    math: {bounds, ellipse, grid, contour, fromRow},
    hub: "q2d",

    compute(d, v) {
      const key = `${v.x2}|${d.kind}|${d.noise_std}`;
      if (memo.key !== key) {
        const post = grid(v.x2, d.kind, d.noise_std);
        memo = {key, lpx: post.lpx, z: contour(post)};
      }
      const at = Object.assign({}, d, {x: v.x2, lpx: memo.lpx});
      const out = Object.assign(bounds(at, v.m1, v.m2, v.v1, v.v2, v.rho),
                                ellipse(v.m1, v.m2, v.v1, v.v2, v.rho), {x: v.x2, lpx: memo.lpx, z: memo.z});
      if (d.best) {  // the fits for this x (the slider's k-th value)
        const k = Math.round((v.x2 - d.best.lo) / d.best.step);
        out.best = ["diag", "full"].map((kind) => {
          const q = fromRow(d.best[kind][k]);
          return Object.assign({kl: bounds(at, ...q).kl}, ellipse(...q));
        });
      }
      return out;
    },

    q2d(ctx) {
      const r = ctx.results, v = ctx.values, d = Object.assign({}, ctx.data, {lpx: r.lpx});
      const metric = (label, value) =>
        `<div class='metric'><div class='label'>${label}</div><div class='value'>${value}</div></div>`;
      let warn = "";
      if (r.kl > 20 || Math.min(v.v1, v.v2) < 1e-3 || Math.max(v.v1, v.v2) > 50) {
        warn = `<div class='warning'>Extreme q: KL = ${r.kl.toFixed(1)} nats. A very narrow q has ` +
               "entropy → −∞; a very wide or misplaced one spends its mass where log p(x, z) is " +
               "very negative.</div>";
      }
      const traces = {0: {z: r.z}, 1: {x: r.xs, y: r.ys}};
      let best = "";
      if (r.best) {
        r.best.forEach((b, i) => { traces[2 + i] = {x: b.xs, y: b.ys}; });
        best = `<p class='caption'>Best diagonal: KL = ${r.best[0].kl.toFixed(3)}; best full: KL = ` +
               `${r.best[1].kl.toFixed(3)} nats.</p>`;
      }
      const L = ctx.template.layout, title = ctx.wrap(`2-D latent: contours of p(z|x=${ctx.fmtG(r.x)}) ` +
        `for f(z) = ${DECODER_NAMES[d.kind]} and q's 2σ ellipse; KL(q‖p(z|x)) = log p(x) − ELBO`, d.chars);
      const grow = 18 * (title.split("<br>").length - L.title.text.split("<br>").length);
      return {
        traces, layout: {"title.text": title, "margin.t": L.margin.t + grow, height: L.height + grow},
        html: best + "<div class='metrics'>" + metric("log p(x)", d.lpx.toFixed(3)) +
              metric("ELBO", r.elbo.toFixed(3)) + metric("KL", r.kl.toFixed(3)) + "</div>" + warn,
      };
    },
  };
})();
