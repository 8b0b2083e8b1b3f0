import fc from 'fast-check';
import type { Wave } from '../../domain/policy';
import { assignWaves, planRollout, selects, type WaveStage, type WaveTarget } from '../../domain/waves';

const waves: Wave[] = [
  { name: 'staging', selector: { env: 'staging' } },
  { name: 'prod-eu', selector: { env: 'prod', region: 'eu' } },
  { name: 'prod', selector: { env: 'prod' } },
];
const target = (id: string, labels: Record<string, string>): WaveTarget => ({ id, labels });
const staging = (id: string) => target(id, { env: 'staging', region: 'eu' });
const eu = (id: string) => target(id, { env: 'prod', region: 'eu' });
const us = (id: string) => target(id, { env: 'prod', region: 'us' });
const stage = (name: string, percent: number, wave?: string): WaveStage => ({ name, percent, wave });
// Interleaved, as stableOrder would leave them: the plan keeps this order within each wave.
const fleet = [us('u1'), eu('e1'), staging('s1'), us('u2'), eu('e2'), staging('s2'), us('u3'), eu('e3'), us('u4'), eu('e4')];
const wavedStages = [
  stage('staging-half', 50, 'staging'),
  stage('staging', 100, 'staging'),
  stage('eu-canary', 25, 'prod-eu'),
  stage('eu', 100, 'prod-eu'),
  stage('prod-half', 50, 'prod'),
  stage('prod', 100, 'prod'),
];

/** "stage: ids" per stage, or the violation messages. */
function planned(targets: WaveTarget[], policyWaves: Wave[], stages: WaveStage[]): string[] {
  const result = planRollout(targets, policyWaves, stages);
  if (!result.ok) return result.violations.map((v) => `${v.rule}: ${v.message}`);
  return result.plan.stages.map((s) => `${s.name}: ${s.targets.join(' ')}`);
}

describe('selects', () => {
  const cases: [string, Record<string, string>, Record<string, string>, boolean][] = [
    ['every label matches', { env: 'prod', region: 'eu' }, { env: 'prod', region: 'eu', tier: 'web' }, true],
    ['one label differs', { env: 'prod', region: 'eu' }, { env: 'prod', region: 'us' }, false],
    ['a label is missing', { env: 'prod', region: 'eu' }, { env: 'prod' }, false],
    ['the empty selector selects all', {}, { env: 'dev' }, true],
  ];
  it.each(cases)('%s', (_name, selector, labels, expected) => expect(selects(selector, labels)).toBe(expected));
});

describe('assignWaves', () => {
  it('puts a target in the first wave that selects it, keeping the given order', () => {
    expect(assignWaves([...fleet, target('d1', { env: 'dev' })], waves)).toEqual({
      byWave: [
        ['s1', 's2'],
        ['e1', 'e2', 'e3', 'e4'],
        ['u1', 'u2', 'u3', 'u4'],
      ],
      outside: ['d1'],
    });
  });
});

describe('planRollout', () => {
  const cases: [string, WaveTarget[], Wave[], WaveStage[], string[]][] = [
    [
      'no waves: the given order, counts as planning.ts',
      fleet,
      [],
      [stage('canary', 10), stage('partial', 50), stage('full', 100)],
      ['canary: u1', 'partial: e1 s1 u2 e2', 'full: s2 u3 e3 u4 e4'],
    ],
    [
      'waves: earlier waves first, percents within each wave',
      fleet,
      waves,
      wavedStages,
      ['staging-half: s1', 'staging: s2', 'eu-canary: e1', 'eu: e2 e3 e4', 'prod-half: u1 u2', 'prod: u3 u4'],
    ],
    [
      'a wave without targets: its stages add none (skipped)',
      fleet.filter((t) => t.labels.env !== 'staging'),
      waves,
      wavedStages,
      ['staging-half: ', 'staging: ', 'eu-canary: e1', 'eu: e2 e3 e4', 'prod-half: u1 u2', 'prod: u3 u4'],
    ],
    [
      'a wave without targets needs no stage',
      fleet.filter((t) => t.labels.env !== 'staging'),
      waves,
      wavedStages.filter((s) => s.wave !== 'staging'),
      ['eu-canary: e1', 'eu: e2 e3 e4', 'prod-half: u1 u2', 'prod: u3 u4'],
    ],
    [
      'a catch-all last wave takes everything else',
      [...fleet, target('d1', { env: 'dev' })],
      [...waves, { name: 'rest', selector: {} }],
      [...wavedStages, stage('rest', 100, 'rest')],
      ['staging-half: s1', 'staging: s2', 'eu-canary: e1', 'eu: e2 e3 e4', 'prod-half: u1 u2', 'prod: u3 u4', 'rest: d1'],
    ],
    [
      'a target outside every wave is refused',
      [...fleet, target('d1', { env: 'dev' })],
      waves,
      wavedStages,
      ['waves: target "d1" is in no wave of the policy: no wave\'s selector matches'],
    ],
    [
      'many outside: five named, the rest counted',
      [...fleet, ...['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7'].map((id) => target(id, { env: 'dev' }))],
      waves,
      wavedStages,
      ['waves: 7 targets ("d1", "d2", "d3", "d4", "d5" and 2 more) are in no wave of the policy: no wave\'s selector matches'],
    ],
    [
      'a wave with targets and no stage',
      fleet,
      waves,
      wavedStages.filter((s) => s.wave !== 'prod-eu'),
      ['waves: wave "prod-eu" has 4 of the rollout\'s targets, but no stage covers it'],
    ],
    [
      'waves out of the policy order',
      fleet,
      waves,
      [stage('eu', 100, 'prod-eu'), stage('staging', 100, 'staging'), stage('prod', 100, 'prod')],
      ['waves: stage "staging" covers wave "staging" after wave "prod-eu": the policy orders it before'],
    ],
    [
      'a wave the policy does not define',
      fleet,
      waves,
      [...wavedStages, stage('moon', 100, 'moon')],
      ['waves: stage "moon" names wave "moon", which the policy does not define'],
    ],
    [
      'stages name waves under a policy without waves',
      fleet,
      [],
      wavedStages.slice(0, 2),
      [
        'waves: stage "staging-half" names wave "staging", but the policy defines no waves',
        'waves: stage "staging" names wave "staging", but the policy defines no waves',
      ],
    ],
    [
      'a wave left unfinished before the next starts',
      fleet,
      waves,
      wavedStages.filter((s) => s.name !== 'staging'),
      ['waves: stage "staging-half" is the last of wave "staging" and covers 50% of it: a wave must be whole before the next starts'],
    ],
  ];
  it.each(cases)('%s', (_name, targets, policyWaves, stages, expected) => {
    expect(planned(targets, policyWaves, stages)).toEqual(expected);
  });

  it('keeps the cumulative counts of planning.ts: stage i covers order[0, stageTargets[i])', () => {
    const result = planRollout(fleet, waves, wavedStages);
    expect(result.ok && result.plan.order).toEqual(['s1', 's2', 'e1', 'e2', 'e3', 'e4', 'u1', 'u2', 'u3', 'u4']);
    expect(result.ok && result.plan.stageTargets).toEqual([1, 2, 3, 6, 8, 10]);
  });

  describe('properties', () => {
    const allWaves: Wave[] = [...waves, { name: 'rest', selector: {} }];
    const labels = fc.record({ env: fc.constantFrom('staging', 'prod', 'dev'), region: fc.constantFrom('eu', 'us') });
    const targets = fc
      .uniqueArray(fc.integer({ min: 0, max: 9999 }), { maxLength: 60 })
      .chain((ids) => fc.tuple(...ids.map((id) => labels.map((l) => target(`t${id}`, l)))));
    // Per wave, one to three increasing percents ending at 100.
    const waveStages = fc.tuple(
      ...allWaves.map((wave) =>
        fc
          .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 2 })
          .map((percents) => [...percents.sort((a, b) => a - b), 100].map((p, i) => stage(`${wave.name}-${i}`, p, wave.name))),
      ),
    );

    it('never touches a later wave before the earlier ones are whole, and covers every target once', () => {
      fc.assert(
        fc.property(targets, waveStages, (fleetTargets, perWave) => {
          const stages = perWave.flat();
          const result = planRollout(fleetTargets, allWaves, stages);
          if (!result.ok) throw new Error(result.violations.map((v) => v.message).join('; '));
          const { order, stageTargets } = result.plan;
          expect([...order].sort()).toEqual(fleetTargets.map((t) => t.id).sort());
          const { byWave } = assignWaves(fleetTargets, allWaves);
          const waveOf = new Map(byWave.flatMap((ids, w) => ids.map((id): [string, number] => [id, w])));
          stages.forEach((s, i) => {
            const w = allWaves.findIndex((wave) => wave.name === s.wave);
            const covered = order.slice(0, stageTargets[i]);
            // Every target of an earlier wave, none of a later one.
            expect(covered.filter((id) => waveOf.get(id)! < w)).toHaveLength(byWave.slice(0, w).flat().length);
            expect(covered.some((id) => waveOf.get(id)! > w)).toBe(false);
          });
          expect(stageTargets[stageTargets.length - 1]).toBe(order.length);
          expect(result.plan.stages.flatMap((s) => s.targets)).toEqual(order);
        }),
        { numRuns: 200 },
      );
    });
  });
});
