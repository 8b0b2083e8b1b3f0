import {
  confirmedAfterPass,
  DEFAULT_ROLLBACK,
  holdStarts,
  namedTargets,
  onRunError,
  rollbackBackoffMs,
  rollbackStep,
  regressionResponse,
  rolledBackStage,
  rolledBackStageState,
  type RollbackStep,
} from '../../domain/rollback-plan';
import type { StageState } from '../../domain/lifecycle';

describe('rollbackBackoffMs', () => {
  const cases: [string, number, { attempts: number; maxBackoffSeconds: number }, number][] = [
    ['after the first pass: 1 s', 1, DEFAULT_ROLLBACK, 1_000],
    ['after the second: doubled', 2, DEFAULT_ROLLBACK, 2_000],
    ['after the fourth: 8 s', 4, DEFAULT_ROLLBACK, 8_000],
    ['after the fifth: capped at 15 s', 5, DEFAULT_ROLLBACK, 15_000],
    ['far along: still capped', 30, DEFAULT_ROLLBACK, 15_000],
    ['a cap under a second caps the first wait too', 1, { attempts: 3, maxBackoffSeconds: 0.1 }, 100],
  ];
  it.each(cases)('%s', (_name, attempt, policy, expected) => expect(rollbackBackoffMs(attempt, policy)).toBe(expected));

  it('the default policy tries for about a minute and a half', () => {
    let total = 0;
    for (let attempt = 1; attempt < DEFAULT_ROLLBACK.attempts; attempt++) total += rollbackBackoffMs(attempt, DEFAULT_ROLLBACK);
    expect(total).toBe(1_000 + 2_000 + 4_000 + 8_000 + 5 * 15_000);
  });
});

describe('rollbackStep', () => {
  const policy = { attempts: 3, maxBackoffSeconds: 15 };
  const cases: [string, number, number, RollbackStep][] = [
    ['nothing left after the first pass', 1, 0, { kind: 'restored' }],
    ['nothing left on the last pass', 3, 0, { kind: 'restored' }],
    ['targets left, passes left: wait and retry', 1, 4, { kind: 'retry', backoffMs: 1_000 }],
    ['targets left on the second pass: a longer wait', 2, 4, { kind: 'retry', backoffMs: 2_000 }],
    ['targets left on the last pass: give up', 3, 1, { kind: 'give_up' }],
  ];
  it.each(cases)('%s', (_name, attempt, remaining, expected) => expect(rollbackStep(attempt, remaining, policy)).toEqual(expected));
});

describe('rolledBackStageState', () => {
  const cases: [StageState, StageState][] = [
    ['applying', 'rolled_back'],
    ['baking', 'rolled_back'],
    ['completed', 'rolled_back'],
    ['pending', 'pending'],
    ['skipped', 'skipped'],
    ['rolled_back', 'rolled_back'],
  ];
  it.each(cases)('%s → %s', (state, expected) => expect(rolledBackStageState(state)).toBe(expected));
});

describe('rolledBackStage', () => {
  const AT = '2026-12-01T10:05:00.000Z';
  const STARTED = '2026-12-01T10:00:00.000Z';
  const DONE = '2026-12-01T10:02:00.000Z';
  type Stage = Parameters<typeof rolledBackStage>[0];
  const cases: [string, Stage, ReturnType<typeof rolledBackStage>][] = [
    [
      'a baking stage ends when the rollback starts',
      { state: 'baking', startedAt: STARTED, finishedAt: null },
      { state: 'rolled_back', finishedAt: AT },
    ],
    [
      'an applying stage ends then too',
      { state: 'applying', startedAt: STARTED, finishedAt: null },
      { state: 'rolled_back', finishedAt: AT },
    ],
    [
      'a completed stage keeps its own end',
      { state: 'completed', startedAt: STARTED, finishedAt: DONE },
      { state: 'rolled_back', finishedAt: DONE },
    ],
    [
      'a pending stage never started: no end',
      { state: 'pending', startedAt: null, finishedAt: null },
      { state: 'pending', finishedAt: null },
    ],
    ['a skipped stage keeps its record', { state: 'skipped', startedAt: null, finishedAt: null }, { state: 'skipped', finishedAt: null }],
    [
      'a stage already rolled back keeps its end',
      { state: 'rolled_back', startedAt: STARTED, finishedAt: DONE },
      { state: 'rolled_back', finishedAt: DONE },
    ],
  ];
  it.each(cases)('%s', (_name, stage, expected) => expect(rolledBackStage(stage, AT)).toEqual(expected));
});

describe('onRunError', () => {
  const cases: [string, number, string, 'fail' | 'roll_back'][] = [
    ['while preparing, nothing touched: fail', 0, 'prepare', 'fail'],
    ['at a gate with nothing touched yet: restore (the plan exists)', 0, 'gate', 'roll_back'],
    ['after targets were updated: restore them', 5, 'bake', 'roll_back'],
  ];
  it.each(cases)('%s', (_name, updated, phase, expected) => expect(onRunError(updated, phase)).toBe(expected));
});

describe('namedTargets', () => {
  const cases: [string, string[], number, string][] = [
    ['all named', ['a', 'b'], 2, 'a, b'],
    ['more than named', ['a', 'b'], 40, 'a, b, …'],
    ['none', [], 0, ''],
  ];
  it.each(cases)('%s', (_name, ids, count, expected) => expect(namedTargets(ids, count)).toBe(expected));
});

describe('regressionResponse', () => {
  const cases: [string, 'rollback' | 'pause', boolean, string, ReturnType<typeof regressionResponse>][] = [
    ['policy rollback: roll back', 'rollback', false, 'running', 'roll_back'],
    ['policy pause: hold for a human', 'pause', false, 'running', 'hold'],
    ['already held on a regression and paused: nothing new', 'pause', true, 'paused', 'already_held'],
    ['held earlier but resumed since: a new regression holds again', 'pause', true, 'running', 'hold'],
    ['held on a regression, then rollback asked: still already held', 'rollback', true, 'paused', 'already_held'],
  ];
  it.each(cases)('%s', (_name, policy, held, state, expected) => expect(regressionResponse(policy, held, state)).toBe(expected));
});

describe('holdStarts', () => {
  const cases: [string, boolean | undefined, boolean, boolean][] = [
    ['Given no hold and no rollback, then a hold starts', false, false, true],
    ['Given a run from before the field, then a hold starts', undefined, false, true],
    ['Given a hold already, then no second one (said once per hold)', true, false, false],
    ['Given a rollback on its way, then it outranks the hold', false, true, false],
  ];
  it.each(cases)('%s', (_name, held, rollbackRequested, expected) => expect(holdStarts(held, rollbackRequested)).toBe(expected));
});

describe('confirmedAfterPass', () => {
  const cases: [string, number | undefined, number | undefined, number | undefined][] = [
    ['Given no count yet, when the pass counts 3, then 3', undefined, 3, 3],
    ['Given 3 counted, when the next pass counts 2, then 5', 3, 2, 5],
    ['Given 3 counted, when a pass counts none, then still 3', 3, 0, 3],
    ['Given a run from before the count, then none is claimed', undefined, undefined, undefined],
    ['Given 3 counted, when a pass does not count, then still 3', 3, undefined, 3],
  ];
  it.each(cases)('%s', (_name, sofar, pass, expected) => expect(confirmedAfterPass(sofar, pass)).toBe(expected));
});
