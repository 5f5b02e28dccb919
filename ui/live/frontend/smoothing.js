// The DVAE++ section of the Smoothing page in the browser (app_pages/smoothing.py; Vahdat et al.
// 2018 §3.2). `math` mirrors explorer.discrete.transformations.overlapping_exponential, its
// density and sampling_stats.histogram_density; ∂ζ/∂p is the inverse CDF's implicit derivative
// (F₀(ζ) − F₁(ζ)) / q(ζ), which tests/test_live_js.py checks against the library's autograd.
"use strict";
(() => {
  function zeta(beta, q, rho) {  // the positive root of (1−q) m² − b m − q c = 0, m = e^{−βζ}
    const c = Math.exp(-beta);
    const b = (1 - rho - q) + c * (rho - q);
    const root = Math.sqrt(b * b + 4 * (1 - q) * q * c);
    const m = b >= 0 ? (b + root) / Math.max(2 * (1 - q), 1e-300) : (2 * q * c) / (root - b);
    const z = m > 0 ? -Math.log(m) / beta : Infinity;
    return Math.min(1, Math.max(0, z));
  }
  function density(beta, q, z) {
    if (z < 0 || z > 1) return 0;
    return ((1 - q) * Math.exp(-beta * z) + q * Math.exp(beta * (z - 1))) * beta / -Math.expm1(-beta);
  }
  function dzetaDp(beta, q, z) {  // −(∂F/∂q)/(∂F/∂ζ), F = (1−q) F₀ + q F₁
    const norm = -Math.expm1(-beta);
    const f0 = -Math.expm1(-beta * z) / norm, f1 = (Math.exp(beta * (z - 1)) - Math.exp(-beta)) / norm;
    return (f0 - f1) / density(beta, q, z);
  }
  const {linspace, histogram} = window.LiveNumeric;

  window.LiveRecipes.dvaepp = {
    math: {zeta, density, dzetaDp, histogram, linspace},
    hub: "pp_controls",

    compute(data, v) {
      const {beta, p} = v, eps = linspace(0, 1, 401), grid = linspace(0, 1, 1001);
      const z = eps.map((e) => zeta(beta, p, e));
      const samples = Array.from(data.rho, (r) => zeta(beta, p, r));
      const h = histogram(samples), dens = grid.map((g) => density(beta, p, g));
      const ymax = 1.3 * Math.max(...h.hist, ...dens, 1e-3);
      return {beta, p, eps, z, grad: z.map((v) => dzetaDp(beta, p, v)), hist: h.hist, grid,
              dens: dens.map((d) => Math.min(d, 10 * ymax)), ymax};
    },

    pp_controls: () => ({}),

    pp_zeta(ctx) {
      const r = ctx.results, q = 1 - r.p;
      return {traces: {0: {y: r.z, name: `β = ${ctx.fmtG(r.beta)}`}, 1: {x: [0, q, q, 1]}},
              layout: {"title.text": ctx.wrap(`DVAE++ ζ = F⁻¹(ε) at β = ${ctx.fmtG(r.beta)}, ` +
                                              `p = ${ctx.fmtG(r.p)}, and the step`, 45)}};
    },

    pp_density(ctx) {
      const r = ctx.results;
      return {traces: {0: {y: r.hist}, 1: {y: r.dens}}, layout: {"yaxis.range": [0, r.ymax]}};
    },

    pp_grad(ctx) {
      const r = ctx.results, q = 1 - r.p;
      return {traces: {0: {y: r.grad}},
              layout: {"shapes.0.x0": q, "shapes.0.x1": q, "annotations.0.x": q}};
    },
  };
})();
