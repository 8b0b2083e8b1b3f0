import { assessInterval, nextHealth, percentile, type HealthThresholds, type ProbeSummary } from '../../domain/health';

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
