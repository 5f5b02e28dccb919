// Standard normal draws addressed by (seed, index), as explorer/toys/counter_noise.py draws them
// (the same uint32 operations: Math.imul, >>> 0), so a recipe reproduces the library's numbers on
// the same noise without it being shipped (tests/test_live_js.py checks them bit for bit).
"use strict";
window.LiveNoise = (() => {
  const GOLDEN = 0x9e3779b9, TWO_PI = 2 * Math.PI, SCALE = 2 ** 32;
  function mix(h) {  // lowbias32
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x7feb352d) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x846ca68b) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }
  const key = (seed) => mix((seed + GOLDEN) >>> 0);
  const bitsOf = (k, c) => mix((mix((c ^ k) >>> 0) + k) >>> 0);
  const bits = (seed, c) => bitsOf(key(seed), c);

  // N(0, 1) draws 0 … size−1 of `seed` (Box–Muller pairs from counters 2j, 2j+1).
  function standardNormal(seed, size) {
    const k = key(seed), out = new Float64Array(size);
    for (let j = 0; 2 * j < size; j++) {
      const u1 = (bitsOf(k, 2 * j) + 0.5) / SCALE, u2 = (bitsOf(k, 2 * j + 1) + 0.5) / SCALE;
      const r = Math.sqrt(-2 * Math.log(u1)), angle = TWO_PI * u2;
      out[2 * j] = r * Math.cos(angle);
      if (2 * j + 1 < size) out[2 * j + 1] = r * Math.sin(angle);
    }
    return out;
  }
  return {mix, key, bits, standardNormal};
})();
