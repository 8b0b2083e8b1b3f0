/** The analysis block of a rollout request, and the pure wiring between it and the judge. */
import { fieldName } from '../../api/http';
import {
  analysisApplies,
  canaryRunFor,
  judgeConfig,
  renderQuery,
  resumedStageState,
  samplesFromVector,
  webhookVerdict,
} from '../../domain/analysis';
import { CanaryMetricVerdict, DEFAULT_HTTP_METRICS, RolloutAnalysis } from '../../domain/analysis-schemas';
import { CreateRolloutRequest } from '../../domain/schemas';

const base = { configKey: 'db', content: { a: 1 }, targets: { ids: ['h1'] } };
const metric = (name: string, extra: Record<string, unknown> = {}) => ({ name, direction: 'increase_is_bad', tolerance: 0.1, ...extra });

const Q = 'rate(errors_total{target=~"{{canary}}|{{baseline}}"}[1m])';
const prom = (extra: Record<string, unknown> = {}) => ({
  type: 'prometheus',
  url: 'http://127.0.0.1:9090',
  metrics: [metric('error_rate')],
  queries: { error_rate: Q },
  ...extra,
});

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
    ['a prometheus check', { checks: [prom()] }, 'ok'],
    ['http and prometheus together', { checks: [{ type: 'http' }, prom()] }, 'ok'],
    [
      'a prometheus url that is not http',
      { checks: [prom({ url: 'file:///etc/passwd' })] },
      /^analysis\.checks\[0\]\.url: must be an http or https URL/,
    ],
    [
      'a metric without a query',
      { checks: [prom({ queries: {} })] },
      /^analysis\.checks\[0\]\.queries\.error_rate: metric "error_rate" needs a query/,
    ],
    [
      'a query without a metric',
      { checks: [prom({ queries: { error_rate: Q, cpu: Q } })] },
      /^analysis\.checks\[0\]\.queries\.cpu: no metric named "cpu"/,
    ],
    [
      'a query that selects no targets',
      { checks: [prom({ queries: { error_rate: 'up' } })] },
      /^analysis\.checks\[0\]\.queries\.error_rate: must select the targets/,
    ],
    [
      'a query too long',
      { checks: [prom({ queries: { error_rate: Q + ' '.repeat(2000) } })] },
      /^analysis\.checks\[0\]\.queries\.error_rate: /,
    ],
    ['a timeout too long', { checks: [prom({ timeoutMs: 120_000 })] }, /^analysis\.checks\[0\]\.timeoutMs: /],
    [
      'a target label that is not a label',
      { checks: [prom({ targetLabel: 'a-b' })] },
      /^analysis\.checks\[0\]\.targetLabel: must be a Prometheus label name/,
    ],
    ['a webhook check', { checks: [{ type: 'webhook', url: 'http://judge.internal/verdict' }] }, 'ok'],
    ['a webhook without a url', { checks: [{ type: 'webhook' }] }, /^analysis\.checks\[0\]\.url: /],
    [
      'a webhook timeout too long',
      { checks: [{ type: 'webhook', url: 'http://j/v', timeoutMs: 60_000 }] },
      /^analysis\.checks\[0\]\.timeoutMs: /,
    ],
    [
      'a webhook named like a metric',
      { checks: [{ type: 'http' }, { type: 'webhook', name: 'errors', url: 'http://j/v' }] },
      /^analysis\.checks\[1\]\.name: metric "errors" is already measured by check 0/,
    ],
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

describe('canaryRunFor', () => {
  const initial = { intervals: 0, passes: 0, marginals: 0, failures: 0, consecutiveFailures: 0, inconclusive: 0, lastVerdict: null };
  const under = { upto: 5, state: { ...initial, intervals: 3, passes: 3, lastVerdict: 'pass' as const } };
  const cases: [string, typeof under | undefined, number, { upto: number; intervals: number; fresh: boolean }][] = [
    ['none yet: a fresh run', undefined, 5, { upto: 5, intervals: 0, fresh: true }],
    ['the same canary set: the run under way', under, 5, { upto: 5, intervals: 3, fresh: false }],
    ['the next stage applied (a new set): a fresh run', under, 20, { upto: 20, intervals: 0, fresh: true }],
  ];
  it.each(cases)('%s', (_name, current, upto, expected) => {
    const run = canaryRunFor(current, upto, initial);
    expect({ upto: run.upto, intervals: run.state.intervals, fresh: run.fresh }).toEqual(expected);
  });
});

describe('analysisApplies', () => {
  it.each([
    ['nothing applied yet', 0, 10, false],
    ['a canary with a baseline left', 4, 10, true],
    ['the whole fleet: no baseline left', 10, 10, false],
  ])('%s', (_name, upto, total, expected) => expect(analysisApplies(upto, total)).toBe(expected));
});

describe('renderQuery', () => {
  it.each([
    ['plain ids', 'x{t=~"{{canary}}"}', ['a', 'b'], ['c'], 'x{t=~"a|b"}'],
    ['both sets', 'x{t=~"{{canary}}|{{baseline}}"}', ['a'], ['c', 'd'], 'x{t=~"a|c|d"}'],
    // "." is any character to a regex: escaped, and the escape doubled inside the PromQL string
    ['dots in ids', 'x{t=~"{{canary}}"}', ['web-1.eu'], [], 'x{t=~"web-1\\\\.eu"}'],
    ['every occurrence', '{{canary}} / {{canary}}', ['a'], [], 'a / a'],
  ])('%s', (_name, template, canary, baseline, expected) => expect(renderQuery(template, canary, baseline)).toBe(expected));
});

describe('samplesFromVector', () => {
  const vector = (...series: [string | undefined, string][]) => ({
    status: 'success',
    data: { resultType: 'vector', result: series.map(([target, value]) => ({ metric: target ? { target } : {}, value: [1, value] })) },
  });
  it.each([
    ['splits by the target label', vector(['a', '0.5'], ['c', '0.1']), { canary: [0.5], baseline: [0.1] }],
    ['leaves out other targets and unlabelled series', vector(['z', '1'], [undefined, '2'], ['a', '3']), { canary: [3], baseline: [] }],
    [
      'NaN (a rate over no traffic) is a value the source could not produce',
      vector(['a', 'NaN'], ['c', '+Inf']),
      { canary: [null], baseline: [null] },
    ],
    ['an empty vector is no data', vector(), { canary: [], baseline: [] }],
    ['a failed query is an error', { status: 'error', error: 'parse error' }, { error: 'prometheus: parse error' }],
    [
      'a matrix is an error',
      { status: 'success', data: { resultType: 'matrix', result: [] } },
      { error: 'the query must give an instant vector, not matrix' },
    ],
    ['no JSON is an error', undefined, { error: 'the answer is not JSON (or too large to read)' }],
  ])('%s', (_name, answer, expected) => expect(samplesFromVector(answer, 'target', ['a', 'b'], ['c'])).toEqual(expected));
});

describe('webhookVerdict', () => {
  const check = { name: 'conversion', critical: true };
  it.each([
    [
      'pass, with its reason',
      { verdict: 'pass', reason: 'fine' },
      { verdict: 'pass', reason: 'external_verdict', message: 'external judge: pass: fine' },
    ],
    [
      'fail, with its reason',
      { verdict: 'fail', reason: 'down 12%' },
      { verdict: 'fail', reason: 'external_verdict', message: 'external judge: fail: down 12%' },
    ],
    ['inconclusive as answered', { verdict: 'inconclusive', reason: 'no orders' }, { verdict: 'inconclusive', reason: 'external_verdict' }],
    [
      'a timeout or an error is inconclusive, never a pass',
      { error: 'timed out' },
      { verdict: 'inconclusive', reason: 'source_error', message: 'the external judge could not be asked: timed out' },
    ],
  ] as const)('%s', (_name, answer, expected) => {
    const verdict = webhookVerdict(check, answer);
    expect(verdict).toMatchObject({ name: 'conversion', critical: true, ...expected });
    expect(CanaryMetricVerdict.safeParse(verdict).success).toBe(true);
  });
});
