import { fieldName } from '../../api/http';
import { CreateRolloutRequest, DEFAULT_STAGES, SelectorQuery, TargetInput } from '../../domain/schemas';

function firstIssue(input: unknown): string {
  const r = CreateRolloutRequest.safeParse(input);
  if (r.success) return 'ok';
  const i = r.error.issues[0]!;
  return `${fieldName(i.path)}: ${i.message}`;
}

const base = { configKey: 'db', content: { a: 1 }, targets: { ids: ['h1'] } };

describe('CreateRolloutRequest', () => {
  const cases: [string, unknown, string | RegExp][] = [
    ['minimal request', base, 'ok'],
    ['content may be null', { ...base, content: null }, 'ok'],
    ['content is required', { configKey: 'db', targets: { ids: ['h1'] } }, /^content: /],
    ['bad config key', { ...base, configKey: '-db' }, /^configKey: must be/],
    ['unknown field', { ...base, colour: 'red' }, /Unrecognized key: "colour"/],
    // How many stages a key needs is its policy's to say (minStages → 422 policy_violation), not the schema's.
    ['single 100% stage', { ...base, stages: [{ name: 'all', percent: 100, bakeSeconds: 1 }] }, 'ok'],
    [
      'percents must increase',
      {
        ...base,
        stages: [
          { name: 'a', percent: 50, bakeSeconds: 1 },
          { name: 'b', percent: 50, bakeSeconds: 1 },
          { name: 'c', percent: 100, bakeSeconds: 1 },
        ],
      },
      /^stages\[1\]\.percent: stage percents must strictly increase/,
    ],
    [
      'last stage must be 100',
      {
        ...base,
        stages: [
          { name: 'a', percent: 10, bakeSeconds: 1 },
          { name: 'b', percent: 90, bakeSeconds: 1 },
        ],
      },
      /^stages\[1\]\.percent: the last stage must be 100/,
    ],
    [
      'duplicate stage names',
      {
        ...base,
        stages: [
          { name: 'a', percent: 10, bakeSeconds: 1 },
          { name: 'a', percent: 100, bakeSeconds: 1 },
        ],
      },
      /^stages\[1\]\.name: duplicate/,
    ],
    [
      'negative bake',
      {
        ...base,
        stages: [
          { name: 'a', percent: 10, bakeSeconds: -1 },
          { name: 'b', percent: 100, bakeSeconds: 1 },
        ],
      },
      /^stages\[0\]\.bakeSeconds/,
    ],
    [
      'waves: percents count within each wave',
      {
        ...base,
        stages: [
          { name: 'staging', wave: 'staging', percent: 100, bakeSeconds: 60 },
          { name: 'canary', wave: 'prod', percent: 5, bakeSeconds: 60 },
          { name: 'prod', wave: 'prod', percent: 100, bakeSeconds: 0 },
        ],
      },
      'ok',
    ],
    [
      'waves: every stage or none names a wave',
      {
        ...base,
        stages: [
          { name: 'staging', wave: 'staging', percent: 100, bakeSeconds: 60 },
          { name: 'prod', percent: 100, bakeSeconds: 0 },
        ],
      },
      /^stages\[1\]\.wave: either every stage names a wave or none does/,
    ],
    [
      'waves: percents increase within a wave',
      {
        ...base,
        stages: [
          { name: 'a', wave: 'prod', percent: 50, bakeSeconds: 60 },
          { name: 'b', wave: 'prod', percent: 40, bakeSeconds: 60 },
          { name: 'c', wave: 'prod', percent: 100, bakeSeconds: 60 },
        ],
      },
      /^stages\[1\]\.percent: stage percents must strictly increase within wave "prod"/,
    ],
    [
      'waves: each wave ends at 100',
      {
        ...base,
        stages: [
          { name: 'a', wave: 'staging', percent: 50, bakeSeconds: 60 },
          { name: 'b', wave: 'prod', percent: 100, bakeSeconds: 60 },
        ],
      },
      /^stages\[0\]\.percent: the last stage of wave "staging" must be 100/,
    ],
    [
      "waves: a wave's stages are consecutive",
      {
        ...base,
        stages: [
          { name: 'a', wave: 'staging', percent: 100, bakeSeconds: 60 },
          { name: 'b', wave: 'prod', percent: 100, bakeSeconds: 60 },
          { name: 'c', wave: 'staging', percent: 100, bakeSeconds: 60 },
        ],
      },
      /^stages\[2\]\.wave: the stages of wave "staging" must be consecutive/,
    ],
    ['error rate above 1', { ...base, health: { maxErrorRate: 1.5 } }, /^health\.maxErrorRate/],
    ['fractional seconds allowed', { ...base, health: { intervalSeconds: 0.25 } }, 'ok'],
    ['unknown policy', { ...base, onRegression: 'ignore' }, /^onRegression/],
    ['duplicate target ids', { ...base, targets: { ids: ['h1', 'h1'] } }, /^targets\.ids: target ids must be unique/],
    ['empty selector', { ...base, targets: { selector: {} } }, /selector/],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const got = firstIssue(input);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });

  it('fills the documented defaults', () => {
    const r = CreateRolloutRequest.parse(base);
    expect(r.stages).toEqual(DEFAULT_STAGES);
    expect(r.health).toEqual({ intervalSeconds: 10, timeoutMs: 2000, maxErrorRate: 0, failureThreshold: 2 });
    expect(r.onRegression).toBe('rollback');
  });
});

describe('TargetInput', () => {
  it.each([
    ['labels default to none', {}, true],
    ['http health URL', { healthUrl: 'http://10.0.0.1:8080/health' }, true],
    ['ftp is not http', { healthUrl: 'ftp://x/health' }, false],
    ['label key with a space', { labels: { 'a b': 'x' } }, false],
  ])('%s', (_n, input, ok) => expect(TargetInput.safeParse(input).success).toBe(ok));
});

describe('SelectorQuery', () => {
  it.each([
    ['one pair', 'app=portal', { app: 'portal' }],
    ['two pairs', 'app=portal,region=eu', { app: 'portal', region: 'eu' }],
    ['empty value', 'canary=', { canary: '' }],
  ])('%s', (_n, raw, expected) => expect(SelectorQuery.parse(raw)).toEqual(expected));
  it('refuses a pair without =', () => expect(SelectorQuery.safeParse('app').success).toBe(false));
});
