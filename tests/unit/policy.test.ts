import { fieldName } from '../../api/http';
import { effectivePolicy, RolloutPolicy, RolloutPolicyDocument, SHIPPED_DEFAULT_POLICY } from '../../domain/policy';

function firstIssue(input: unknown): string {
  const r = RolloutPolicy.safeParse(input);
  if (r.success) return 'ok';
  const i = r.error.issues[0]!;
  return `${fieldName(i.path)}: ${i.message}`;
}

const weekend = { cron: '0 16 * * 5', durationMinutes: 3840, timezone: 'Europe/Amsterdam', reason: 'weekend' };

describe('RolloutPolicy', () => {
  const cases: [string, unknown, string | RegExp][] = [
    ['empty: the shipped default', {}, 'ok'],
    [
      'everything set',
      {
        approvals: 2,
        minStages: 3,
        maxFirstStagePercent: 10,
        minBakeSeconds: 600,
        onRegression: ['rollback'],
        approvalGates: ['prod'],
        waves: [
          { name: 'staging', selector: { env: 'staging' } },
          { name: 'prod', selector: { env: 'prod' } },
        ],
        freeze: [weekend, { from: '2026-12-23T00:00:00Z', to: '2027-01-04T08:00:00+01:00', reason: 'year end' }],
      },
      'ok',
    ],
    ['unknown field', { colour: 'red' }, /Unrecognized key: "colour"/],
    ['minStages below 1', { minStages: 0 }, /^minStages: /],
    ['maxFirstStagePercent of 0', { maxFirstStagePercent: 0 }, /^maxFirstStagePercent: /],
    ['maxFirstStagePercent over 100', { maxFirstStagePercent: 101 }, /^maxFirstStagePercent: /],
    ['negative minBakeSeconds', { minBakeSeconds: -1 }, /^minBakeSeconds: /],
    ['no onRegression allowed at all', { onRegression: [] }, /^onRegression: /],
    ['unknown onRegression', { onRegression: ['ignore'] }, /^onRegression\[0\]: /],
    ['duplicate onRegression', { onRegression: ['pause', 'pause'] }, 'onRegression: onRegression values must be unique'],
    ['duplicate approval gates', { approvalGates: ['prod', 'prod'] }, 'approvalGates: approval gates must be unique'],
    [
      'duplicate wave names',
      {
        waves: [
          { name: 'a', selector: { env: 'x' } },
          { name: 'a', selector: { env: 'y' } },
        ],
      },
      'waves[1].name: duplicate wave name "a"',
    ],
    [
      'a wave an earlier one shadows',
      {
        waves: [
          { name: 'prod', selector: { env: 'prod' } },
          { name: 'prod-eu', selector: { env: 'prod', region: 'eu' } },
        ],
      },
      'waves[1].selector: wave "prod-eu" can never select a target: the earlier wave "prod" selects every target it would',
    ],
    [
      'a wave after a catch-all',
      {
        waves: [
          { name: 'all', selector: {} },
          { name: 'prod', selector: { env: 'prod' } },
        ],
      },
      /^waves\[1\]\.selector: wave "prod" can never/,
    ],
    ['too many waves', { waves: Array.from({ length: 21 }, (_, i) => ({ name: `w${i}`, selector: { n: `${i}` } })) }, /^waves: /],
    [
      'too many labels in a selector',
      { waves: [{ name: 'a', selector: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }] },
      /^waves\[0\]\.selector: a wave selector has at most 16 labels/,
    ],
    ['a bad cron', { freeze: [{ ...weekend, cron: '0 25 * * 5' }] }, /^freeze\[0\]\.cron: not a five-field cron pattern/],
    ['a cron that never matches', { freeze: [{ ...weekend, cron: '0 0 31 2 *' }] }, 'freeze[0].cron: the pattern never matches a date'],
    [
      'an unknown time zone',
      { freeze: [{ ...weekend, timezone: 'Europe/Atlantis' }] },
      'freeze[0].timezone: unknown time zone "Europe/Atlantis"',
    ],
    ['a zero duration', { freeze: [{ ...weekend, durationMinutes: 0 }] }, /^freeze\[0\]\.durationMinutes: /],
    ['a duration over 31 days', { freeze: [{ ...weekend, durationMinutes: 31 * 24 * 60 + 1 }] }, /^freeze\[0\]\.durationMinutes: /],
    ['dates the wrong way round', { freeze: [{ from: '2026-12-24T00:00:00Z', to: '2026-12-23T00:00:00Z', reason: 'x' }] }, /^freeze\[0\]/],
    ['dates without an offset', { freeze: [{ from: '2026-12-23T00:00:00', to: '2026-12-24T00:00:00', reason: 'x' }] }, /^freeze\[0\]/],
    ['a window without a reason', { freeze: [{ ...weekend, reason: '' }] }, /^freeze\[0\]/],
    ['too many windows', { freeze: Array.from({ length: 51 }, () => weekend) }, /^freeze: /],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    const got = firstIssue(input);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });

  it('ships a default that stages: two stages, a first stage of at most half, both regression answers', () => {
    expect(SHIPPED_DEFAULT_POLICY).toEqual({
      approvals: 0,
      minStages: 2,
      maxFirstStagePercent: 50,
      onRegression: ['rollback', 'pause'],
      approvalGates: [],
      waves: [],
      freeze: [],
    });
  });
});

describe('RolloutPolicyDocument', () => {
  it('keeps only what the admin set: no defaults filled in', () => {
    expect(RolloutPolicyDocument.parse({ approvals: 2 })).toEqual({ approvals: 2 });
  });
  it('validates what is set as RolloutPolicy does', () => {
    expect(RolloutPolicyDocument.safeParse({ freeze: [{ ...weekend, timezone: 'Nowhere' }] }).success).toBe(false);
  });
});

describe('effectivePolicy', () => {
  const orgFreeze = [weekend];
  const cases: [string, Partial<RolloutPolicy> | null, Partial<RolloutPolicy> | null, Partial<RolloutPolicy>][] = [
    ['nothing set: the shipped default', null, null, SHIPPED_DEFAULT_POLICY],
    ['the default over the shipped one', { minStages: 3 }, null, { minStages: 3, maxFirstStagePercent: 50 }],
    ["a key's own field over the default's", { minStages: 3 }, { minStages: 4 }, { minStages: 4 }],
    [
      'fields the key leaves out come from the default',
      { minStages: 3, freeze: orgFreeze },
      { approvals: 1 },
      { minStages: 3, approvals: 1, freeze: orgFreeze },
    ],
    [
      "a key's own list replaces the default's",
      { onRegression: ['rollback', 'pause'] },
      { onRegression: ['rollback'] },
      { onRegression: ['rollback'] },
    ],
    ['an empty list clears it', { freeze: orgFreeze }, { freeze: [] }, { freeze: [] }],
    ['a field set to undefined keeps the default', { minBakeSeconds: 600 }, { minBakeSeconds: undefined }, { minBakeSeconds: 600 }],
  ];
  it.each(cases)('%s', (_name, defaults, own, expected) => {
    expect(effectivePolicy(defaults, own)).toMatchObject(expected);
  });
});
