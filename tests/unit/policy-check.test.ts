import { checkRolloutAgainstPolicy, minimumBake, type PolicyCheckOptions } from '../../domain/policy-check';
import { RolloutPolicy, SHIPPED_DEFAULT_POLICY, type PolicyRule } from '../../domain/policy';
import type { z } from 'zod';
import { CreateRolloutRequest, type Stage } from '../../domain/schemas';
import type { WaveTarget } from '../../domain/waves';

/** A rollout request as the API has parsed it: the defaults filled in. */
function makeRequest(overrides: Record<string, unknown> = {}): CreateRolloutRequest {
  return CreateRolloutRequest.parse({ configKey: 'db', content: { a: 1 }, targets: { ids: ['h1'] }, ...overrides });
}
function makePolicy(overrides: Record<string, unknown> = {}): RolloutPolicy {
  return RolloutPolicy.parse(overrides);
}
const stage = (name: string, percent: number, bakeSeconds: number, more: Partial<z.input<typeof Stage>> = {}): z.input<typeof Stage> => ({
  name,
  percent,
  bakeSeconds,
  ...more,
});

const waves = [
  { name: 'staging', selector: { env: 'staging' } },
  { name: 'prod-eu', selector: { env: 'prod', region: 'eu' } },
  { name: 'prod', selector: { env: 'prod' } },
];
const wavedStages = [
  stage('staging-canary', 50, 60, { wave: 'staging' }),
  stage('staging', 100, 60, { wave: 'staging' }),
  stage('eu-canary', 10, 60, { wave: 'prod-eu' }),
  stage('eu', 100, 60, { wave: 'prod-eu' }),
  stage('prod-canary', 5, 60, { wave: 'prod' }),
  stage('prod', 100, 0, { wave: 'prod' }),
];
const fleet: WaveTarget[] = [
  { id: 's1', labels: { env: 'staging' } },
  { id: 'e1', labels: { env: 'prod', region: 'eu' } },
  { id: 'u1', labels: { env: 'prod', region: 'us' } },
];

describe('checkRolloutAgainstPolicy under the shipped default policy', () => {
  // The three ways around staging that the default policy must refuse.
  const bypasses: [string, Record<string, unknown>, PolicyRule[]][] = [
    ['a 0.0001% canary with no bake', { stages: [stage('canary', 0.0001, 0), stage('full', 100, 0)] }, ['minBake']],
    ['a 99% first stage', { stages: [stage('first', 99, 300), stage('full', 100, 0)] }, ['maxFirstStagePercent']],
    ['a canary that bakes 0 s', { stages: [stage('canary', 5, 0), stage('partial', 25, 300), stage('full', 100, 300)] }, ['minBake']],
  ];
  it.each(bypasses)('refuses %s', (_name, overrides, rules) => {
    expect(checkRolloutAgainstPolicy(makeRequest(overrides), SHIPPED_DEFAULT_POLICY).map((v) => v.rule)).toEqual(rules);
  });

  it('accepts the default stages', () => {
    expect(checkRolloutAgainstPolicy(makeRequest(), SHIPPED_DEFAULT_POLICY)).toEqual([]);
  });
});

describe('checkRolloutAgainstPolicy', () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, PolicyCheckOptions, string[]][] = [
    // minStages
    [
      'two stages where three are required',
      { stages: [stage('a', 10, 60), stage('b', 100, 0)] },
      { minStages: 3 },
      {},
      ['minStages: the rollout has 2 stages; the policy requires at least 3'],
    ],
    ['three stages where three are required', {}, { minStages: 3 }, {}, []],
    // maxFirstStagePercent
    ['first stage at the limit', { stages: [stage('a', 50, 60), stage('b', 100, 0)] }, {}, {}, []],
    [
      'first stage over a stricter limit',
      {},
      { maxFirstStagePercent: 1 },
      {},
      ['maxFirstStagePercent: the first stage of the targets, "canary", covers 5% of it; the policy allows at most 1%'],
    ],
    ['later stages may be large', { stages: [stage('a', 1, 60), stage('b', 99, 60), stage('c', 100, 0)] }, {}, {}, []],
    // minBake
    ['bake of exactly failureThreshold × interval', { stages: [stage('a', 10, 20), stage('b', 100, 0)] }, {}, {}, []],
    [
      'bake a second short of it',
      { stages: [stage('a', 10, 19), stage('b', 100, 0)] },
      {},
      {},
      [
        'minBake: stage "a" bakes 19 s; every stage before the last must bake at least 20 s (health.failureThreshold 2 × health.intervalSeconds 10 s, so that a regression is detected before the next stage starts)',
      ],
    ],
    ['a slower detector needs a longer bake', { health: { intervalSeconds: 30, failureThreshold: 3 } }, {}, {}, []],
    [
      '… which the default stages do not give under a stricter detector',
      { health: { intervalSeconds: 60, failureThreshold: 6 } },
      {},
      {},
      [
        'minBake: stage "canary" bakes 300 s; every stage before the last must bake at least 360 s (health.failureThreshold 6 × health.intervalSeconds 60 s, so that a regression is detected before the next stage starts)',
        'minBake: stage "partial" bakes 300 s; every stage before the last must bake at least 360 s (health.failureThreshold 6 × health.intervalSeconds 60 s, so that a regression is detected before the next stage starts)',
      ],
    ],
    [
      'float noise: 3 × 0.1 s is 0.3 s',
      { stages: [stage('a', 10, 0.3), stage('b', 100, 0)], health: { intervalSeconds: 0.1, failureThreshold: 3 } },
      {},
      {},
      [],
    ],
    [
      "the policy's minBakeSeconds raises the minimum",
      {},
      { minBakeSeconds: 600 },
      {},
      [
        'minBake: stage "canary" bakes 300 s; every stage before the last must bake at least 600 s (the policy\'s minBakeSeconds)',
        'minBake: stage "partial" bakes 300 s; every stage before the last must bake at least 600 s (the policy\'s minBakeSeconds)',
      ],
    ],
    [
      'minBakeSeconds below the detector changes nothing',
      { stages: [stage('a', 10, 19), stage('b', 100, 0)] },
      { minBakeSeconds: 5 },
      {},
      [
        'minBake: stage "a" bakes 19 s; every stage before the last must bake at least 20 s (health.failureThreshold 2 × health.intervalSeconds 10 s, so that a regression is detected before the next stage starts)',
      ],
    ],
    ['the last stage need not bake', { stages: [stage('a', 10, 20), stage('b', 100, 0)] }, { minBakeSeconds: 20 }, {}, []],
    // onRegression
    [
      'pause where only rollback is allowed',
      { onRegression: 'pause' },
      { onRegression: ['rollback'] },
      {},
      ['onRegression: onRegression "pause" is not allowed by the policy (allowed: "rollback")'],
    ],
    ['rollback where only rollback is allowed', { onRegression: 'rollback' }, { onRegression: ['rollback'] }, {}, []],
    // approvalGates
    [
      'a gated stage that holds',
      { stages: [stage('canary', 5, 300), stage('full', 100, 0, { approval: true })] },
      { approvalGates: ['full'] },
      {},
      [],
    ],
    [
      'a gated stage that does not hold',
      {},
      { approvalGates: ['full'] },
      {},
      ['approvalGates: stage "full" must hold for approval (approval: true)'],
    ],
    [
      'a gated stage the rollout does not have (renamed away)',
      {},
      { approvalGates: ['prod'] },
      {},
      ['approvalGates: the policy requires stage "prod" to hold for approval, and the rollout has no stage of that name'],
    ],
    [
      'a gated wave: its first stage must hold',
      { stages: wavedStages },
      { waves, approvalGates: ['prod-eu'] },
      {},
      ['approvalGates: stage "eu-canary", the first of wave "prod-eu", must hold for approval (approval: true)'],
    ],
    [
      'a gated wave that holds',
      { stages: wavedStages.map((s) => (s.name === 'eu-canary' ? { ...s, approval: true } : s)) },
      { waves, approvalGates: ['prod-eu'] },
      {},
      [],
    ],
    [
      'a gated wave the rollout has no stage for (no target in it)',
      { stages: wavedStages.filter((s) => s.wave !== 'prod-eu') },
      { waves, approvalGates: ['prod-eu'] },
      { targets: fleet.filter((t) => t.id !== 'e1') },
      [],
    ],
    // waves
    ['waves: in order, every wave covered', { stages: wavedStages }, { waves }, { targets: fleet }, []],
    [
      'waves: a wave with targets and no stage',
      { stages: wavedStages.filter((s) => s.wave !== 'prod-eu') },
      { waves },
      { targets: fleet },
      ['waves: wave "prod-eu" has 1 of the rollout\'s targets, but no stage covers it'],
    ],
    ['waves: without targets only the stages are checked', { stages: wavedStages.filter((s) => s.wave !== 'prod-eu') }, { waves }, {}, []],
    [
      'waves: stages that name no wave',
      {},
      { waves },
      {},
      ['waves: the policy rolls out in waves ("staging", "prod-eu", "prod"): every stage must name the wave it covers'],
    ],
    [
      'waves: the first stage of each wave is a first stage',
      { stages: wavedStages.map((s) => (s.name === 'eu-canary' ? { ...s, percent: 90 } : s)) },
      { waves },
      {},
      ['maxFirstStagePercent: the first stage of wave "prod-eu", "eu-canary", covers 90% of it; the policy allows at most 50%'],
    ],
    [
      'waves: the last stage of each wave but the last bakes',
      { stages: wavedStages.map((s) => (s.name === 'staging' ? { ...s, bakeSeconds: 0 } : s)) },
      { waves },
      {},
      [
        'minBake: stage "staging" bakes 0 s; every stage before the last must bake at least 20 s (health.failureThreshold 2 × health.intervalSeconds 10 s, so that a regression is detected before the next stage starts)',
      ],
    ],
    // emergency
    [
      'emergency: the staging minimums do not apply',
      { stages: [stage('all-but-one', 99, 0), stage('full', 100, 0)] },
      { minStages: 5 },
      { emergency: true },
      [],
    ],
    [
      'emergency: the rest still does',
      { onRegression: 'pause', stages: [stage('a', 99, 0), stage('b', 100, 0)] },
      { onRegression: ['rollback'], approvalGates: ['b'] },
      { emergency: true },
      [
        'onRegression: onRegression "pause" is not allowed by the policy (allowed: "rollback")',
        'approvalGates: stage "b" must hold for approval (approval: true)',
      ],
    ],
  ];
  it.each(cases)('%s', (_name, request, policy, options, expected) => {
    const got = checkRolloutAgainstPolicy(makeRequest(request), makePolicy(policy), options);
    expect(got.map((v) => `${v.rule}: ${v.message}`)).toEqual(expected);
  });

  it('lists every rule broken, not only the first', () => {
    const request = makeRequest({ onRegression: 'pause', stages: [stage('canary', 99, 0), stage('full', 100, 0)] });
    const policy = makePolicy({ minStages: 3, onRegression: ['rollback'], approvalGates: ['release'], waves });
    const outsider = { id: 'x1', labels: { env: 'dev' } };
    expect(checkRolloutAgainstPolicy(request, policy, { targets: [...fleet, outsider] }).map((v) => v.rule)).toEqual([
      'minStages',
      'maxFirstStagePercent',
      'minBake',
      'onRegression',
      'approvalGates',
      'waves',
      'waves',
    ]);
  });
});

describe('minimumBake', () => {
  const cases: [string, { failureThreshold: number; intervalSeconds: number }, number | undefined, number][] = [
    ['the detector', { failureThreshold: 2, intervalSeconds: 10 }, undefined, 20],
    ['a policy minimum above it', { failureThreshold: 2, intervalSeconds: 10 }, 300, 300],
    ['a policy minimum below it', { failureThreshold: 5, intervalSeconds: 60 }, 60, 300],
  ];
  it.each(cases)('%s', (_name, health, minBakeSeconds, expected) => {
    expect(minimumBake(health, { minBakeSeconds }).seconds).toBe(expected);
  });
});
