// Deterministic random numbers shared by the data generators (tools/golden, tools/golden_grad,
// tools/io_fixtures): plain JS, no dependencies, so every generator draws the same streams for the same seeds.

/// mulberry32: a 32-bit seeded PRNG returning uniform numbers in [0, 1).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/// FNV-1a hash of a string (seeds derived from case names).
export function fnv1a(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; ++i) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/// n float32-exact values uniform in [lo, hi).
export function uniform(rng, n, lo, hi) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; ++i) a[i] = Math.fround(lo + (hi - lo) * rng());
  return a;
}
