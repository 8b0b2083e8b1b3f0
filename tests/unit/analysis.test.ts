/** The analysis block of a rollout request, and the pure wiring between it and the judge. */
import { fieldName } from '../../api/http';
import { judgeConfig, resumedStageState } from '../../domain/analysis';
import { DEFAULT_HTTP_METRICS, RolloutAnalysis } from '../../domain/analysis-schemas';
import { CreateRolloutRequest } from '../../domain/schemas';

const base = { configKey: 'db', content: { a: 1 }, targets: { ids: ['h1'] } };
const metric = (name: string, extra: Record<string, unknown> = {}) => ({ name, direction: 'increase_is_bad', tolerance: 0.1, ...extra });

function firstIssue(analysis: unknown): string {
  const r = CreateRolloutRequest.safeParse({ ...base, analysis });
  if (r.success) return 'ok';
  const i = r.error.issues[0]!;
  return `${fieldName(i.path)}: ${i.message}`;
}

describe('the analysis block of CreateRolloutRequest', () => {
  const cases: [string, unknown, string | RegExp][] = [
    ['one http check with the default metrics', { checks: [{ type: 'http' }] }, 'ok'],
    ['http metrics named latency and errors', { checks: [{ type: 'http', metrics: [metric('latency'), metric('errors')] }] }, 'ok'],
    ['settings and limits', { checks: [{ type: 'http' }], alpha: 0.05, minSamples: 3, limits: { inconclusiveLimit: 1 } }, 'ok'],
    ['no checks', { checks: [] }, /^analysis\.checks: /],
    ['checks is required', {}, /^analysis\.checks: /],
    ['too many checks', { checks: Array.from({ length: 6 }, () => ({ type: 'http' })) }, /^analysis\.checks: /],
    ['unknown check type', { checks: [{ type: 'ftp' }] }, /^analysis\.checks\[0\]\.type: /],
    [
      'an http metric it cannot measure',
      { checks: [{ type: 'http', metrics: [metric('cpu')] }] },
      /^analysis\.checks\[0\]\.metrics\[0\]\.name: an http check measures latency or errors/,
    ],
    [
      'a metric name twice across checks',
      { checks: [{ type: 'http' }, { type: 'http', metrics: [metric('latency')] }] },
      /^analysis\.checks\[1\]\.metrics\[0\]\.name: metric "latency" is already measured by check 0/,
    ],
    ['a tolerance out of range', { checks: [{ type: 'http', metrics: [metric('latency', { tolerance: 11 })] }] }, /tolerance/],
    ['alpha out of range', { checks: [{ type: 'http' }], alpha: 0.5 }, /^analysis\.alpha: /],
    ['a negative limit', { checks: [{ type: 'http' }], limits: { failureLimit: -1 } }, /^analysis\.limits\.failureLimit: /],
    ['an unknown field', { checks: [{ type: 'http' }], colour: 'red' }, /Unrecognized key: "colour"/],
  ];
  it.each(cases)('%s', (_name, analysis, expected) => {
    const got = firstIssue(analysis);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });

  it('is absent unless asked for: a v1 request keeps its health thresholds alone', () => {
    const parsed = CreateRolloutRequest.parse(base);
    expect(parsed.analysis).toBeUndefined();
    expect(parsed.health).toMatchObject({ intervalSeconds: 10, maxErrorRate: 0, failureThreshold: 2 });
  });

  it('fills in the defaults', () => {
    const parsed = CreateRolloutRequest.parse({ ...base, analysis: { checks: [{ type: 'http' }] } });
    expect(parsed.analysis).toEqual({
      checks: [{ type: 'http', metrics: DEFAULT_HTTP_METRICS }],
      alpha: 0.01,
      confidenceLevel: 0.98,
      minSamples: 5,
      mixingSd: 1,
      bands: { pass: 75, marginal: 50 },
      limits: { failureLimit: 0, inconclusiveLimit: 2 },
    });
  });
});

describe('judgeConfig', () => {
  it("gives the judge the rollout's settings and every check's metrics, without the checks and limits", () => {
    const analysis = RolloutAnalysis.parse({ checks: [{ type: 'http', metrics: [metric('errors')] }], alpha: 0.05 });
    expect(judgeConfig(analysis)).toEqual({
      metrics: [{ ...metric('errors'), critical: false, outliers: 'remove' }],
      alpha: 0.05,
      confidenceLevel: 0.98,
      minSamples: 5,
      mixingSd: 1,
      bands: { pass: 75, marginal: 50 },
    });
  });
});

describe('resumedStageState', () => {
  const held = {
    intervals: 9,
    passes: 2,
    marginals: 1,
    failures: 2,
    consecutiveFailures: 2,
    inconclusive: 4,
    lastVerdict: 'inconclusive' as const,
  };
  const cases: [string, Partial<typeof held>][] = [
    ['clears the counts that held the stage', { failures: 0, consecutiveFailures: 0, inconclusive: 0 }],
    ['asks for a fresh verdict before the bake may end', { lastVerdict: null as never }],
    ['keeps the intervals judged', { intervals: 9, passes: 2, marginals: 1 }],
  ];
  it.each(cases)('%s', (_name, expected) => {
    expect(resumedStageState(held)).toMatchObject(expected);
  });
});
