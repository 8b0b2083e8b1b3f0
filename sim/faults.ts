/**
 * Reproducible fault injection for drills and the soak: a seeded random source, so a failing run
 * can be replayed with the seed it printed.
 */

/** mulberry32: small, fast, and good enough to decide which request fails. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRates {
  /** Chance that one apply request (push delivery, rollbacks included) answers 503. */
  apply: number;
  /** Chance that one health probe answers 503. */
  probe: number;
}

/** Decides, request by request, whether to fail; counts what it injected. */
export class FaultInjector {
  readonly injected = { apply: 0, probe: 0 };
  private readonly random: () => number;

  constructor(
    readonly seed: number,
    readonly rates: FaultRates,
  ) {
    this.random = seededRandom(seed);
  }

  failApply(): boolean {
    const fail = this.random() < this.rates.apply;
    if (fail) this.injected.apply++;
    return fail;
  }

  failProbe(): boolean {
    const fail = this.random() < this.rates.probe;
    if (fail) this.injected.probe++;
    return fail;
  }
}
