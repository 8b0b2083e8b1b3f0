import {
  ALL_KEYS,
  describeHold,
  freezeGateStep,
  freezeHolds,
  overriddenAfter,
  uncoveredHolds,
  type FreezeGateStep,
  type FreezeStanding,
} from '../../domain/freeze-holds';
import type { FreezeHold, FreezeWindow, StopTheLine } from '../../domain/policy';
import { actionsFor, isFrozenHold } from '../../domain/lifecycle';

const NOW = new Date('2026-12-02T10:00:00Z');
const stop = (scope: string, at = '2026-12-02T09:00:00.000Z'): StopTheLine => ({ scope, reason: 'incident 4711', by: 'ann', at });
const window = (from: string, to: string, reason = 'release freeze'): FreezeWindow => ({ from, to, reason });

describe('freezeHolds', () => {
  const cases: [string, StopTheLine[], FreezeWindow[], { ids: string[]; next: string | null }][] = [
    ['nothing holds', [], [], { ids: [], next: null }],
    ['stop-the-line for every key', [stop(ALL_KEYS)], [], { ids: ['stop:*:2026-12-02T09:00:00.000Z'], next: null }],
    ['stop-the-line for this key', [stop('portal-db')], [], { ids: ['stop:portal-db:2026-12-02T09:00:00.000Z'], next: null }],
    ['stop-the-line for another key only', [stop('billing')], [], { ids: [], next: null }],
    [
      'a window that holds now',
      [],
      [window('2026-12-02T09:30:00Z', '2026-12-02T11:00:00Z')],
      { ids: ['window:2026-12-02T11:00:00.000Z'], next: '2026-12-02T11:00:00.000Z' },
    ],
    ['a window still to come', [], [window('2026-12-02T12:00:00Z', '2026-12-02T13:00:00Z')], { ids: [], next: '2026-12-02T12:00:00.000Z' }],
    ['a window that ended', [], [window('2026-12-02T08:00:00Z', '2026-12-02T09:00:00Z')], { ids: [], next: null }],
    [
      'both: stop-the-line first',
      [stop(ALL_KEYS)],
      [window('2026-12-02T09:30:00Z', '2026-12-02T11:00:00Z')],
      { ids: ['stop:*:2026-12-02T09:00:00.000Z', 'window:2026-12-02T11:00:00.000Z'], next: '2026-12-02T11:00:00.000Z' },
    ],
  ];
  it.each(cases)('%s', (_name, stops, windows, want) => {
    const check = freezeHolds('portal-db', stops, windows, NOW);
    expect({ ids: check.holds.map((hold) => hold.id), next: check.nextChangeAt }).toEqual(want);
  });

  it('gives a new stop-the-line of the same scope a new id, so an older override does not cover it', () => {
    const first = freezeHolds('k', [stop(ALL_KEYS, '2026-12-02T09:00:00.000Z')], [], NOW).holds;
    const second = freezeHolds('k', [stop(ALL_KEYS, '2026-12-02T09:30:00.000Z')], [], NOW).holds;
    expect(
      uncoveredHolds(
        second,
        first.map((hold) => hold.id),
      ),
    ).toEqual(second);
  });
});

describe('uncoveredHolds', () => {
  const a: FreezeHold = { source: 'stop_the_line', id: 'stop:*:t1', reason: 'r', endsAt: null };
  const b: FreezeHold = { source: 'window', id: 'window:t2', reason: 'r', endsAt: '2026-12-02T11:00:00.000Z' };
  it.each([
    ['no override', [], ['stop:*:t1', 'window:t2']],
    ['one covered', ['window:t2'], ['stop:*:t1']],
    ['all covered', ['stop:*:t1', 'window:t2'], []],
  ])('%s', (_name, overridden, want) => expect(uncoveredHolds([a, b], overridden).map((hold) => hold.id)).toEqual(want));
});

describe('describeHold', () => {
  it.each([
    [
      { source: 'stop_the_line', id: 'x', reason: 'incident', endsAt: null, by: 'ann', scope: '*' },
      'stop-the-line for every key by ann: incident (until lifted)',
    ],
    [
      { source: 'stop_the_line', id: 'x', reason: 'incident', endsAt: null, by: 'ann', scope: 'k' },
      'stop-the-line by ann: incident (until lifted)',
    ],
    [
      { source: 'window', id: 'x', reason: 'year-end', endsAt: '2027-01-04T07:00:00.000Z' },
      'freeze window "year-end" until 2027-01-04T07:00:00.000Z',
    ],
  ] as [FreezeHold, string][])('%j', (hold, want) => expect(describeHold(hold)).toBe(want));
});

describe('actions while a freeze holds', () => {
  it.each([
    ['paused', 'frozen: stop-the-line', true, ['pause', 'resume', 'rollback']],
    ['paused', 'paused by a human', false, ['resume', 'approve', 'rollback']],
    ['paused', null, false, ['resume', 'approve', 'rollback']],
    ['running', 'frozen: x', false, ['pause', 'rollback']],
  ] as const)('%s (%s)', (state, reason, frozen, actions) => {
    expect(isFrozenHold(state, reason)).toBe(frozen);
    expect([...actionsFor(state, reason)]).toEqual(actions);
  });
});

describe('freezeGateStep', () => {
  const stopHold: FreezeHold = { source: 'stop_the_line', id: 'stop:*:t1', reason: 'incident', endsAt: null, by: 'ann', scope: '*' };
  const windowHold: FreezeHold = { source: 'window', id: 'window:t2', reason: 'year-end', endsAt: '2026-12-02T11:00:00.000Z' };
  const standing: FreezeStanding = { overridden: [], announced: [], state: 'running', reason: null };
  const cases: [string, FreezeHold[], Partial<FreezeStanding>, FreezeGateStep][] = [
    ['Given nothing held and nothing holds, then the gate is clear', [], {}, { kind: 'clear' }],
    [
      'Given a running rollout, when a stop-the-line holds, then it is announced and the rollout pauses',
      [stopHold],
      {},
      { kind: 'held', holds: [stopHold], announce: true, pauses: true },
    ],
    [
      'Given the same holds announced, when they still hold, then nothing new is said',
      [stopHold],
      { announced: [stopHold], state: 'paused', reason: 'frozen: x' },
      { kind: 'held', holds: [stopHold], announce: false, pauses: false },
    ],
    [
      'Given a frozen hold, when a window joins it, then the change is announced and the reason follows',
      [stopHold, windowHold],
      { announced: [stopHold], state: 'paused', reason: 'frozen: x' },
      { kind: 'held', holds: [stopHold, windowHold], announce: true, pauses: true },
    ],
    [
      'Given a human paused it, when a freeze holds, then it is announced but the human pause stays',
      [stopHold],
      { state: 'paused', reason: 'paused by a human' },
      { kind: 'held', holds: [stopHold], announce: true, pauses: false },
    ],
    [
      'Given a frozen hold, when the freeze lifts, then "unfrozen" is said and the rollout runs again',
      [],
      { announced: [stopHold], state: 'paused', reason: 'frozen: x' },
      { kind: 'lifted', announce: true, resumes: true },
    ],
    [
      'Given a frozen hold, when an override covers it, then it goes on without claiming the freeze lifted',
      [stopHold],
      { overridden: [stopHold.id], announced: [stopHold], state: 'running' },
      { kind: 'lifted', announce: false, resumes: false },
    ],
    [
      'Given a human paused it under a freeze, when the freeze lifts, then it stays paused',
      [],
      { announced: [stopHold], state: 'paused', reason: 'paused by a human' },
      { kind: 'lifted', announce: true, resumes: false },
    ],
    [
      'Given an override of the holds at its start, when only those hold, then the gate is clear',
      [stopHold],
      { overridden: [stopHold.id] },
      { kind: 'clear' },
    ],
  ];
  it.each(cases)('%s', (_name, checked, overrides, expected) =>
    expect(freezeGateStep(checked, { ...standing, ...overrides })).toEqual(expected),
  );
});

describe('overriddenAfter', () => {
  const hold = (id: string): FreezeHold => ({ source: 'window', id, reason: 'r', endsAt: '2026-12-02T11:00:00.000Z' });
  const cases: [string, string[], FreezeHold[], string[]][] = [
    ['Given no override before, when one freeze holds, then it is covered', [], [hold('w1')], ['w1']],
    ['Given an earlier override, when another freeze holds, then both are covered', ['s1'], [hold('w1')], ['s1', 'w1']],
    ['Given no freeze holds now, then the override covers nothing new', ['s1'], [], ['s1']],
  ];
  it.each(cases)('%s', (_name, before, holds, expected) => expect(overriddenAfter(before, holds)).toEqual(expected));
});
