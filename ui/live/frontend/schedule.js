// The temperature annealing schedule of the Gumbel page (Jang et al. 2017 §4): τ₀ and τ_min
// move in the browser. `math` mirrors explorer.discrete.temperature and anneal_hit_step.
"use strict";
(() => {
  const temperature = (t, tau0, tauMin, r) => Math.max(tauMin, tau0 * Math.exp(-r * t));
  const hitStep = (tau0, tauMin, r) =>
    (tau0 <= tauMin ? 0 : (r === 0 ? Infinity : Math.log(tau0 / tauMin) / r));
  const commas = (x) => String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");  // f"{x:,.0f}"

  window.LiveRecipes.schedule = {
    math: {temperature, hitStep, commas},
    hub: "schedule",
    compute: () => ({}),  // each redraw is a few hundred exponentials: nothing to keep

    schedule(ctx) {
      const {tau0, tau_min: tauMin} = ctx.values, rates = ctx.data.rates, G = ctx.fmtG;
      const hits = rates.map((r) => hitStep(tau0, tauMin, r));
      const finite = hits.filter(Number.isFinite);
      const tMax = Math.max(100, 1.25 * Math.max(0, ...finite));
      const steps = Array.from({length: 400}, (_, i) => (tMax * i) / 399);
      const traces = {};
      rates.forEach((r, i) => {
        traces[2 * i] = {x: steps, y: steps.map((t) => temperature(t, tau0, tauMin, r))};
        traces[2 * i + 1] = {x: [hits[i]], y: [tauMin], text: [`t = ${commas(hits[i])}`]};
      });
      const text = tau0 <= tauMin
        ? `<div class='note'>τ₀ = ${G(tau0)} ≤ τ_min = ${G(tauMin)}: the schedule is flat at τ_min ` +
          "from step 0.</div>"
        : "<p class='caption'>τ_min is reached at step t* = ln(τ₀/τ_min)/r: " +
          rates.map((r, i) => `r = ${G(r)}: t* = ${commas(hits[i])}`).join(", ") +
          ". Jang et al. (2017) used τ₀ = 1, τ_min = 0.5 and r ∈ {10⁻⁵, 10⁻⁴}, updating τ every N " +
          "steps.</p>";
      return {
        traces,
        layout: {"title.text": ctx.wrap("Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t)) with " +
                                        `τ₀ = ${G(tau0)}, τ_min = ${G(tauMin)}; diamonds: τ_min ` +
                                        "reached", 90),
                 "shapes.0.y0": tauMin, "shapes.0.y1": tauMin, "annotations.0.y": tauMin,
                 "annotations.0.text": `τ_min = ${G(tauMin)}`},
        html: text,
      };
    },
  };
})();
