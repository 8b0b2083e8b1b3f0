import {
  assessInterval,
  fleetInconclusive,
  healthRegression,
  nextHealth,
  nextInconclusive,
  percentile,
  sampleOutlived,
  warnsUnmonitored,
  type HealthThresholds,
  type ProbeSummary,
} from '../../domain/health';

function sample(total: number, failed: number, p95LatencyMs: number | null = 10): ProbeSummary {
  return { at: '2026-01-01T00:00:00.000Z', total, failed, unobserved: 0, p95LatencyMs, failuresByReason: {}, failures: [] };
}
const strict: HealthThresholds = { maxErrorRate: 0, failureThreshold: 1 };
const tolerant: HealthThresholds = { maxErrorRate: 0.2, maxLatencyMs: 500, failureThreshold: 2 };

describe('assessInterval', () => {
  const cases: [string, ProbeSummary, HealthThresholds, string][] = [
    ['all pass', sample(10, 0), strict, 'healthy'],
    ['one failure under a zero budget', sample(10, 1), strict, 'unhealthy'],
    ['failures within the budget', sample(10, 2), tolerant, 'healthy'],
    ['failures over the budget', sample(10, 3), tolerant, 'unhealthy'],
    ['p95 over the latency limit', sample(10, 0, 501), tolerant, 'unhealthy'],
    ['p95 at the latency limit', sample(10, 0, 500), tolerant, 'healthy'],
    ['no latency limit set', sample(10, 0, 99_999), strict, 'healthy'],
    ['nothing observable', sample(0, 0, null), strict, 'no_data'],
  ];
  it.each(cases)('%s → %s', (_name, s, t, verdict) => {
    expect(assessInterval(s, t).verdict).toBe(verdict);
  });
  it('says why, with the numbers', () => {
    expect(assessInterval(sample(4, 3, 900), tolerant).reasons).toEqual([
      'error rate 75% exceeds 20% (3/4 failed)',
      'p95 latency 900 ms exceeds 500 ms',
    ]);
  });
});

describe('nextHealth', () => {
  const cases: [string, number, ProbeSummary, HealthThresholds, number, boolean][] = [
    ['first bad interval under threshold 1 regresses', 0, sample(5, 5), strict, 1, true],
    ['first bad interval under threshold 2 does not', 0, sample(5, 5), tolerant, 1, false],
    ['second consecutive bad interval regresses', 1, sample(5, 5), tolerant, 2, true],
    ['a healthy interval breaks the run', 1, sample(5, 0), tolerant, 0, false],
    ['no data neither extends nor breaks the run', 1, sample(0, 0, null), tolerant, 1, false],
  ];
  it.each(cases)('%s', (_name, streak, s, t, expectedStreak, regressed) => {
    const r = nextHealth(streak, s, t);
    expect([r.streak, r.regressed]).toEqual([expectedStreak, regressed]);
  });
});

describe('percentile', () => {
  const cases: [string, number[], number, number | null][] = [
    ['empty', [], 0.95, null],
    ['single', [7], 0.95, 7],
    ['p95 of 1..100', Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 95],
    ['unsorted input', [30, 10, 20], 0.5, 20],
    ['p100 is the max', [1, 9, 3], 1, 9],
  ];
  it.each(cases)('%s', (_name, values, p, expected) => expect(percentile(values, p)).toBe(expected));
});

function withBaseline(s: ProbeSummary, total: number, failed: number, p95LatencyMs: number | null = 10): ProbeSummary {
  return { ...s, baseline: { total, failed, p95LatencyMs } };
}

describe('assessInterval against the fleet as it was (baseline)', () => {
  const budget: HealthThresholds = { maxErrorRate: 0.1, maxLatencyMs: 500, failureThreshold: 2 };
  const cases: [string, ProbeSummary, string][] = [
    ['canary fails, fleet healthy: the change', withBaseline(sample(10, 10), 10, 0), 'unhealthy'],
    ['canary fails, fleet fails as much: not the change', withBaseline(sample(10, 10), 10, 10), 'inconclusive'],
    ['canary fails more than the fleet by over the budget', withBaseline(sample(10, 8), 10, 5), 'unhealthy'],
    ['canary fails more than the fleet, within the budget', withBaseline(sample(10, 5), 10, 5), 'inconclusive'],
    ['canary slow, fleet fast: the change', withBaseline(sample(10, 0, 900), 10, 0, 20), 'unhealthy'],
    ['canary slow, fleet as slow: not the change', withBaseline(sample(10, 0, 900), 10, 0, 800), 'inconclusive'],
    ['canary healthy whatever the fleet does', withBaseline(sample(10, 0), 10, 10), 'healthy'],
    ['no baseline left (100%): absolute thresholds', withBaseline(sample(10, 10), 0, 0, null), 'unhealthy'],
  ];
  it.each(cases)('%s → %s', (_name, s, verdict) => expect(assessInterval(s, budget).verdict).toBe(verdict));

  it('says why an interval is inconclusive, with both sides', () => {
    expect(assessInterval(withBaseline(sample(4, 4), 8, 8), budget).reasons).toEqual([
      'error rate 100% exceeds 10% (4/4 failed), but targets still on the previous version fail as much (8/8 failed, p95 10 ms)',
    ]);
  });
});

describe('nextInconclusive', () => {
  const t: HealthThresholds = { maxErrorRate: 0, failureThreshold: 2 };
  const inconclusive = withBaseline(sample(2, 2), 2, 2);
  it.each([
    ['first inconclusive interval', 0, inconclusive, 1, false],
    ['second in a row holds', 1, inconclusive, 2, true],
    ['a healthy interval resets', 1, sample(2, 0), 0, false],
    ['an unhealthy interval leaves it', 1, sample(2, 2), 1, false],
  ] as [string, number, ProbeSummary, number, boolean][])('%s', (_n, prev, s, count, hold) => {
    expect(nextInconclusive(prev, assessInterval(s, t), t)).toEqual({ count, hold });
  });
  it('an inconclusive interval neither extends nor breaks the regression streak', () => {
    expect(nextHealth(1, inconclusive, t)).toMatchObject({ streak: 1, regressed: false });
  });
});

describe('sampleOutlived', () => {
  const cases: [string, number, number, boolean, boolean, boolean][] = [
    ['Given no resume during the probe, then the sample counts (patch not asked)', 2, 2, true, false, false],
    ['Given a resume during the probe under the patch, then the sample is dropped', 2, 3, true, true, true],
    ['Given a resume during the probe before the patch, then the sample counts', 2, 3, false, false, true],
  ];
  it.each(cases)('%s', (_name, before, nowCount, patchedIn, expected, asked) => {
    const dropsAcrossResume = jest.fn(() => patchedIn);
    expect(sampleOutlived(before, nowCount, dropsAcrossResume)).toBe(expected);
    expect(dropsAcrossResume).toHaveBeenCalledTimes(asked ? 1 : 0);
  });
});

describe('warnsUnmonitored', () => {
  const cases: [string, ProbeSummary, boolean, boolean][] = [
    ['Given an interval with no data, when not warned yet, then warn', sample(0, 0, null), false, true],
    ['Given an interval with no data, when warned before, then stay quiet', sample(0, 0, null), true, false],
    ['Given an interval with data, then nothing to warn of', sample(10, 0), false, false],
  ];
  it.each(cases)('%s', (_name, s, warned, expected) => expect(warnsUnmonitored(assessInterval(s, strict), warned)).toBe(expected));
});

describe('healthRegression and fleetInconclusive', () => {
  const failing = sample(10, 3);
  it.each([
    [
      'Given two unhealthy intervals, then the regression gives the reasons and the run',
      () => healthRegression(nextHealth(1, failing, tolerant), failing),
      {
        message: 'error rate 30% exceeds 20% (3/10 failed)',
        evidence: { source: 'health', consecutiveFailedIntervals: 2, sample: failing },
      },
    ],
    [
      'Given a fleet failing with and without the change, then the hold says why and what it held in',
      () => fleetInconclusive(assessInterval(failing, tolerant), 2, failing, 'running'),
      {
        why: 'error rate 30% exceeds 20% (3/10 failed)',
        detail: { source: 'health', consecutiveIntervals: 2, sample: failing, state: 'running' },
      },
    ],
  ] as [string, () => unknown, unknown][])('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});
