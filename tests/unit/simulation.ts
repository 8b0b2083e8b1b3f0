/** Seeded randomness for the simulation tests: every run is the same on every machine (no Math.random). */

/** mulberry32 (Tommy Ettinger): a small 32-bit generator, uniform on [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw by Box–Muller. */
export function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A binomial draw (n trials, success probability p) by inversion of its CDF: one uniform per draw. */
export function binomial(random: () => number, n: number, p: number): number {
  const u = random();
  let probability = Math.pow(1 - p, n);
  let cumulative = probability;
  let k = 0;
  while (u > cumulative && k < n) {
    probability *= ((n - k) / (k + 1)) * (p / (1 - p));
    cumulative += probability;
    k++;
  }
  return k;
}
