import {
  alwaysValidPValue,
  foldIntervals,
  INITIAL_SEQUENTIAL_STATE,
  mixtureLogEValue,
  nextSequentialState,
  rankObservation,
  sequentialRejects,
  type SequentialState,
  type ToleranceShift,
} from '../../domain/sequential';
import { binomial, seededRandom, standardNormal } from './simulation';

const worse: ToleranceShift = { direction: 'increase_is_bad', tolerance: 0 };

describe('rankObservation', () => {
  const cases: [string, number[], number[], ToleranceShift, number | null][] = [
    // One canary value above all 3 baseline values: U = 3, mean 1.5, sd √(3·5/12) = √1.25.
    ['canary above every baseline value', [10], [1, 2, 3], worse, 1.5 / Math.sqrt(1.25)],
    ['canary below every baseline value', [0], [1, 2, 3], worse, -1.5 / Math.sqrt(1.25)],
    ['decrease_is_bad turns the sign', [0], [1, 2, 3], { direction: 'decrease_is_bad', tolerance: 0 }, 1.5 / Math.sqrt(1.25)],
    // 10 against 1, 2, 3 moved by +400%: 5, 10, 15 — one below, one tied, one above: U = 1.5, z = 0.
    ['the tolerance moves the baseline', [10], [1, 2, 3], { direction: 'increase_is_bad', tolerance: 4 }, 0],
    ['no canary values: no information', [], [1, 2], worse, null],
    ['no baseline values: no information', [1], [], worse, null],
    ['every value tied (no errors anywhere): no information', [0, 0], [0, 0, 0], worse, null],
  ];
  it.each(cases)('%s', (_name, canary, baseline, shift, expected) => {
    const z = rankObservation(canary, baseline, shift);
    if (expected === null) expect(z).toBeNull();
    else expect(z).toBeCloseTo(expected, 12);
  });
});

/** The mixture integral ∫₀^∞ exp(θS − θ²k/2)·2φ(θ/τ)/τ dθ by the trapezoid rule. */
function numericEValue(sum: number, looks: number, tau: number): number {
  const step = 1e-3;
  let total = 0;
  for (let theta = 0; theta < 40; theta += step) {
    const density = (2 / (tau * Math.sqrt(2 * Math.PI))) * Math.exp(-0.5 * (theta / tau) ** 2);
    const weight = theta === 0 ? 0.5 : 1;
    total += weight * Math.exp(theta * sum - 0.5 * theta * theta * looks) * density * step;
  }
  return total;
}

describe('mixtureLogEValue', () => {
  const cases: [string, number, number, number][] = [
    ['S = 0 after one look', 0, 1, 1],
    ['a little evidence', 1.5, 2, 1],
    ['strong evidence', 12, 6, 1],
    ['evidence of a better canary', -5, 5, 1],
    ['a wide mixture', 6, 4, 3],
    ['a narrow mixture', 6, 4, 0.3],
  ];
  it.each(cases)('closed form = numeric integral: %s', (_name, sum, looks, tau) => {
    expect(mixtureLogEValue(sum, looks, tau)).toBeCloseTo(Math.log(numericEValue(sum, looks, tau)), 5);
  });
  it('is 0 (e-value 1) before any look', () => expect(mixtureLogEValue(0, 0)).toBe(0));
  it('is √2/2 at S = 0 after one look with τ = 1: 2/√2 · Φ(0)', () => {
    expect(Math.exp(mixtureLogEValue(0, 1, 1))).toBeCloseTo(Math.SQRT1_2, 14);
  });
  it('stays finite for overwhelming evidence either way', () => {
    expect(Number.isFinite(mixtureLogEValue(400, 100))).toBe(true);
    expect(Number.isFinite(mixtureLogEValue(-400, 100))).toBe(true);
  });
});

describe('nextSequentialState', () => {
  it('a null observation changes nothing', () => {
    expect(nextSequentialState(INITIAL_SEQUENTIAL_STATE, null)).toBe(INITIAL_SEQUENTIAL_STATE);
  });
  it('keeps the largest e-value seen, so a crossed boundary stays crossed', () => {
    let state: SequentialState = INITIAL_SEQUENTIAL_STATE;
    for (const z of [4, 4, 4]) state = nextSequentialState(state, z);
    const peak = state.maxLogEValue;
    expect(sequentialRejects(state, 0.01)).toBe(true);
    for (const z of [-4, -4, -4, -4]) state = nextSequentialState(state, z);
    expect(state.logEValue).toBeLessThan(0);
    expect(state.maxLogEValue).toBe(peak);
    expect(sequentialRejects(state, 0.01)).toBe(true);
    expect(alwaysValidPValue(state)).toBeCloseTo(Math.exp(-peak), 14);
  });
  const rejectCases: [string, number[], number, boolean][] = [
    ['three intervals at z = 4 reject at α = 0.01', [4, 4, 4], 0.01, true],
    ['one interval at z = 2 does not', [2], 0.01, false],
    ['a better canary never rejects', [-3, -3, -3, -3], 0.2, false],
    ['nothing observed never rejects', [], 0.2, false],
  ];
  it.each(rejectCases)('%s', (_name, observations, alpha, rejects) => {
    const state = observations.reduce<SequentialState>((s, z) => nextSequentialState(s, z), INITIAL_SEQUENTIAL_STATE);
    expect(sequentialRejects(state, alpha)).toBe(rejects);
  });
  it('foldIntervals skips intervals without information', () => {
    const state = foldIntervals(
      [
        { canary: [5], baseline: [1, 2, 3] },
        { canary: [], baseline: [1] },
        { canary: [0, 0], baseline: [0, 0] },
      ],
      worse,
    );
    expect(state.looks).toBe(1);
  });
});

/*
 * The noisy fleet: 20 targets, latency lognormal around 40 ms (σ of ln = 0.3), a fleet-wide
 * slow-down shared by every target each interval (σ of ln = 0.2), 1% of requests failing. The canary
 * is 5 targets, the baseline the other 15; each interval every target reports one latency and its
 * error rate over 100 requests.
 */
interface FleetOptions {
  canaryTargets: number;
  baselineTargets: number;
  /** Canary latency multiplier: 1.4 is 40% slower. */
  slowdown: number;
  shift: ToleranceShift;
  alpha: number;
  looks: number;
  runs: number;
  metric: 'latency' | 'errors';
}

function simulate(options: FleetOptions): { rejectionRate: number; medianLooks: number | null; p90Looks: number | null } {
  const looksToReject: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const random = seededRandom(20_000 + run);
    let state = INITIAL_SEQUENTIAL_STATE;
    for (let look = 1; look <= options.looks; look++) {
      const fleetWide = 0.2 * standardNormal(random);
      const value = (multiplier: number) =>
        options.metric === 'latency'
          ? 40 * multiplier * Math.exp(fleetWide + 0.3 * standardNormal(random))
          : binomial(random, 100, 0.01) / 100;
      const canary = Array.from({ length: options.canaryTargets }, () => value(options.slowdown));
      const baseline = Array.from({ length: options.baselineTargets }, () => value(1));
      state = nextSequentialState(state, rankObservation(canary, baseline, options.shift));
      if (sequentialRejects(state, options.alpha)) {
        looksToReject.push(look);
        break;
      }
    }
  }
  looksToReject.sort((a, b) => a - b);
  const at = (q: number) =>
    looksToReject.length === 0 ? null : looksToReject[Math.min(looksToReject.length - 1, Math.floor(q * looksToReject.length))]!;
  return { rejectionRate: looksToReject.length / options.runs, medianLooks: at(0.5), p90Looks: at(0.9) };
}

const fleet = { canaryTargets: 5, baselineTargets: 15, looks: 50, runs: 400 };

describe('false alarms under the null, 50 looks per run, 400 seeded runs', () => {
  // At the boundary of the null (tolerance 0, identical fleets): the hardest case for the test.
  it('latency, α = 0.05: measured 3.25% of runs (13/400) ever reject (≤ α + 2% slack)', () => {
    const { rejectionRate } = simulate({ ...fleet, slowdown: 1, shift: worse, alpha: 0.05, metric: 'latency' });
    expect(rejectionRate).toBeCloseTo(13 / 400, 10);
    expect(rejectionRate).toBeLessThanOrEqual(0.05 + 0.02);
  });
  it('latency, α = 0.01: measured 0% of runs (0/400) ever reject', () => {
    const { rejectionRate } = simulate({ ...fleet, slowdown: 1, shift: worse, alpha: 0.01, metric: 'latency' });
    expect(rejectionRate).toBe(0);
    expect(rejectionRate).toBeLessThanOrEqual(0.01 + 0.01);
  });
  it('1% errors (mostly tied zeros), α = 0.05: measured 2.25% of runs (9/400) ever reject', () => {
    const { rejectionRate } = simulate({ ...fleet, slowdown: 1, shift: worse, alpha: 0.05, metric: 'errors' });
    expect(rejectionRate).toBeCloseTo(9 / 400, 10);
    expect(rejectionRate).toBeLessThanOrEqual(0.05 + 0.02);
  });
  it('latency with the judge’s 10% tolerance, α = 0.01: measured 0/400 runs reject', () => {
    const { rejectionRate } = simulate({
      ...fleet,
      slowdown: 1,
      shift: { direction: 'increase_is_bad', tolerance: 0.1 },
      alpha: 0.01,
      metric: 'latency',
    });
    expect(rejectionRate).toBe(0);
  });
});

describe('detection of a 40% latency regression (tolerance 10%), 400 seeded runs', () => {
  it('α = 0.01: measured 400/400 runs reject within 50 intervals, after 6 at the median and 10 at the 90th percentile', () => {
    const result = simulate({
      ...fleet,
      slowdown: 1.4,
      shift: { direction: 'increase_is_bad', tolerance: 0.1 },
      alpha: 0.01,
      metric: 'latency',
    });
    expect(result).toEqual({ rejectionRate: 1, medianLooks: 6, p90Looks: 10 });
  });
  it('a canary 40% faster is never called a regression', () => {
    const result = simulate({
      ...fleet,
      slowdown: 1 / 1.4,
      shift: { direction: 'increase_is_bad', tolerance: 0.1 },
      alpha: 0.05,
      metric: 'latency',
    });
    expect(result.rejectionRate).toBe(0);
  });
});
