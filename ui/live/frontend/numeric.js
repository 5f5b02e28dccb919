// numpy's grids and histograms, and Simpson's rule, for the recipes (the same formulas, so a
// view computed here draws what the library's would).
"use strict";
window.LiveNumeric = (() => {
  const linspace = (a, b, n) =>  // numpy.linspace: a + i·step, the last point exactly b
    Array.from({length: n}, (_, i) => (i === n - 1 ? b : a + i * ((b - a) / (n - 1))));
  function geomspace(a, b, n) {  // numpy.geomspace: 10^linspace of the logs, exact ends
    const lo = Math.log10(a), hi = Math.log10(b);
    return Array.from({length: n}, (_, i) => (i === 0 ? a : i === n - 1 ? b
      : 10 ** (lo + i * ((hi - lo) / (n - 1)))));
  }
  const unique = (xs) => Float64Array.from(xs).sort().filter((v, i, s) => i === 0 || v !== s[i - 1]);
  function histogram(z, bins = 50) {  // sampling_stats.histogram_density: ζ = 0 counted apart
    const edges = linspace(0, 1, bins + 1), counts = new Array(bins).fill(0);
    let spike = 0;
    for (const v of z) {
      if (v === 0) { spike += 1; continue; }
      if (!(v >= 0 && v <= 1)) continue;
      let i = Math.min(Math.floor(v * bins), bins - 1);  // then numpy's edge corrections
      if (v < edges[i]) i -= 1;
      else if (i < bins - 1 && v >= edges[i + 1]) i += 1;
      counts[i] += 1;
    }
    return {edges, hist: counts.map((c, i) => c / (z.length * (edges[i + 1] - edges[i]))),
            spike: spike / z.length};
  }
  function simpson(y, x) {  // composite Simpson on an uneven grid; a last odd interval by trapezoid
    let s = 0, i = 0;
    for (; i + 2 < x.length; i += 2) {
      const h0 = x[i + 1] - x[i], h1 = x[i + 2] - x[i + 1], h = h0 + h1;
      if (h0 === 0 || h1 === 0) { s += (h0 * (y[i] + y[i + 1]) + h1 * (y[i + 1] + y[i + 2])) / 2; continue; }
      s += (h / 6) * ((2 - h1 / h0) * y[i] + (h * h / (h0 * h1)) * y[i + 1] + (2 - h0 / h1) * y[i + 2]);
    }
    if (i + 1 < x.length) s += ((x[i + 1] - x[i]) * (y[i] + y[i + 1])) / 2;
    return s;
  }
  function interp(x, xs, ys) {  // numpy.interp on increasing xs
    if (x <= xs[0]) return ys[0];
    for (let i = 1; i < xs.length; i++) {
      if (x <= xs[i]) return ys[i - 1] + ((x - xs[i - 1]) * (ys[i] - ys[i - 1])) / (xs[i] - xs[i - 1]);
    }
    return ys[ys.length - 1];
  }
  return {linspace, geomspace, unique, histogram, simpson, interp};
})();
