import {
  bakeClockRuns,
  bakedMs,
  bakeEndsNow,
  bakeLeftAfterTurn,
  bakeOvertime,
  bakeTimeUp,
  newVersionLive,
  probeIntervalMs,
  probeWaitMs,
  stageBakeMs,
  verdictSettled,
  watchStep,
  watchWait,
  type BakeTurnInput,
  type OvertimeInput,
  type VerdictRuns,
  type WatchInput,
  type WatchStep,
  type WatchWait,
  type WatchWaitInput,
} from '../../domain/bake';

describe('verdictSettled', () => {
  const cases: [string, Parameters<typeof verdictSettled>[0], boolean][] = [
    ['nothing under way', { streak: 0, inconclusive: 0, pending: 0 }, true],
    ['fields absent (runs from before them)', { streak: 0 }, true],
    ['a run of unhealthy intervals', { streak: 1 }, false],
    ['a run of inconclusive intervals', { streak: 0, inconclusive: 2 }, false],
    ['a target has not confirmed yet', { streak: 0, pending: 3 }, false],
  ];
  it.each(cases)('%s → %s', (_name, runs, expected) => expect(verdictSettled(runs)).toBe(expected));
});

describe('bakeTimeUp', () => {
  const cases: [string, number, boolean][] = [
    ['time left', 1, false],
    ['exactly run out', 0, true],
    ['overrun', -250, true],
  ];
  it.each(cases)('%s (%d ms) → %s', (_name, remaining, expected) => expect(bakeTimeUp(remaining)).toBe(expected));
});

describe('watchStep', () => {
  const base: WatchInput = { kind: 'bake', running: true, awaitingApproval: false, bakeRemainingMs: 0, probed: true };
  const cases: [string, Partial<WatchInput>, WatchStep][] = [
    ['bake: time up after a probe → the verdict decides', {}, 'judge'],
    ['bake: time up but no probe yet → probe first', { probed: false }, 'watch'],
    ['bake: time left → keep watching', { bakeRemainingMs: 5_000 }, 'watch'],
    ['bake: paused → the clock stops, keep watching', { running: false }, 'watch'],
    ['gate: approved and running → over', { kind: 'gate' }, 'over'],
    ['gate: still awaiting approval → keep watching', { kind: 'gate', awaitingApproval: true }, 'watch'],
    ['gate: approved but paused → keep watching', { kind: 'gate', running: false }, 'watch'],
    ['hold: running again → over', { kind: 'hold' }, 'over'],
    ['hold: still paused → keep watching', { kind: 'hold', running: false }, 'watch'],
  ];
  it.each(cases)('%s', (_name, overrides, expected) => expect(watchStep({ ...base, ...overrides })).toBe(expected));
});

describe('probeWaitMs', () => {
  const cases: [string, Parameters<typeof probeWaitMs>[0], number][] = [
    ['gate or hold: the rest of the interval', { intervalMs: 5_000, elapsedMs: 1_200, bakeRemainingMs: null }, 3_800],
    [
      'bake with more than an interval left: the rest of the interval',
      { intervalMs: 5_000, elapsedMs: 1_000, bakeRemainingMs: 60_000 },
      4_000,
    ],
    ['bake ending within the interval: cut short at its end', { intervalMs: 5_000, elapsedMs: 1_000, bakeRemainingMs: 2_000 }, 1_000],
    ['probe slower than the interval: at once (≤ 0)', { intervalMs: 1_000, elapsedMs: 1_500, bakeRemainingMs: null }, -500],
    ['overtime bake (null clock): the plain interval', { intervalMs: 2_000, elapsedMs: 0, bakeRemainingMs: null }, 2_000],
  ];
  it.each(cases)('%s', (_name, input, expected) => expect(probeWaitMs(input)).toBe(expected));
});

describe('bakedMs', () => {
  const cases: [string, Parameters<typeof bakedMs>[0], number][] = [
    ['a quick probe: the whole turn counts', { elapsedMs: 5_000, probeMs: 40, intervalMs: 5_000, probeTimeoutMs: 2_000 }, 5_000],
    [
      'a probe up to one interval long: still counts',
      { elapsedMs: 5_000, probeMs: 5_000, intervalMs: 5_000, probeTimeoutMs: 2_000 },
      5_000,
    ],
    [
      'stuck 25 s behind an outage: only the interval counts',
      { elapsedMs: 30_000, probeMs: 30_000, intervalMs: 5_000, probeTimeoutMs: 2_000 },
      5_000,
    ],
    [
      'a probe timeout longer than the interval is its budget',
      { elapsedMs: 12_000, probeMs: 12_000, intervalMs: 5_000, probeTimeoutMs: 10_000 },
      10_000,
    ],
    ['stuck, then a wait: the wait counts too', { elapsedMs: 9_000, probeMs: 8_000, intervalMs: 5_000, probeTimeoutMs: 1_000 }, 6_000],
  ];
  it.each(cases)('%s', (_name, input, expected) => expect(bakedMs(input)).toBe(expected));
});

describe('probeIntervalMs and stageBakeMs', () => {
  const cases: [string, () => number, number][] = [
    ['Given a 5 s health interval, then probes are 5,000 ms apart', () => probeIntervalMs({ intervalSeconds: 5 }), 5_000],
    ['Given a sub-second interval, then it keeps its fraction', () => probeIntervalMs({ intervalSeconds: 0.25 }), 250],
    ['Given a 300 s bake, then the clock starts at 300,000 ms', () => stageBakeMs(300), 300_000],
    ['Given no bake, then the clock starts run out', () => stageBakeMs(0), 0],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toBe(expected));
});

describe('bakeClockRuns and newVersionLive', () => {
  const cases: [string, () => boolean, boolean][] = [
    ['Given a bake, when the rollout runs, then the clock runs', () => bakeClockRuns('bake', true), true],
    ['Given a bake, when it is paused, then the clock stops', () => bakeClockRuns('bake', false), false],
    ['Given an approval gate, when the rollout runs, then no bake clock runs', () => bakeClockRuns('gate', true), false],
    ['Given a hold, then no bake clock runs', () => bakeClockRuns('hold', true), false],
    ['Given no target applied yet, then nothing is live', () => newVersionLive(0), false],
    ['Given one target applied, then the new version is live', () => newVersionLive(1), true],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toBe(expected));
});

describe('bakeEndsNow', () => {
  const cases: [string, VerdictRuns, boolean, boolean, boolean][] = [
    ['Given a settled verdict, then the bake ends (and the patch is not asked)', { streak: 0 }, true, true, false],
    ['Given a run of unhealthy intervals under the patch, then the bake goes on', { streak: 1 }, true, false, true],
    ['Given a run of unhealthy intervals before the patch, then the bake ends', { streak: 1 }, false, true, true],
    ['Given unconfirmed targets under the patch, then the bake goes on', { streak: 0, pending: 2 }, true, false, true],
  ];
  it.each(cases)('%s', (_name, runs, patchedIn, expected, asked) => {
    const endsSettled = jest.fn(() => patchedIn);
    expect(bakeEndsNow(runs, endsSettled)).toBe(expected);
    expect(endsSettled).toHaveBeenCalledTimes(asked ? 1 : 0);
  });
});

describe('bakeOvertime', () => {
  const base: OvertimeInput = { baking: true, bakeRemainingMs: 0, analyzed: false, runs: { streak: 1 } };
  const cases: [string, Partial<OvertimeInput>, boolean, boolean, boolean][] = [
    ['Given time up and an unsettled verdict under the patch, then overtime', {}, true, true, true],
    ['Given time up and an unsettled verdict before the patch, then no overtime', {}, false, false, true],
    ['Given time up and a settled verdict, then no overtime (patch not asked)', { runs: { streak: 0 } }, true, false, false],
    ['Given time up under analysis, then overtime (patch not asked)', { analyzed: true }, true, true, false],
    ['Given time left, then no overtime (patch not asked)', { bakeRemainingMs: 1 }, true, false, false],
    ['Given the clock stopped (paused), then no overtime (patch not asked)', { baking: false }, true, false, false],
  ];
  it.each(cases)('%s', (_name, overrides, patchedIn, expected, asked) => {
    const endsSettled = jest.fn(() => patchedIn);
    expect(bakeOvertime({ ...base, ...overrides }, endsSettled)).toBe(expected);
    expect(endsSettled).toHaveBeenCalledTimes(asked ? 1 : 0);
  });
});

describe('watchWait', () => {
  const base: WatchWaitInput = { live: true, baking: true, overtime: false, intervalMs: 5_000, elapsedMs: 1_000, bakeRemainingMs: 60_000 };
  const cases: [string, Partial<WatchWaitInput>, WatchWait][] = [
    ['Given a bake with time left, then the rest of the interval', {}, { kind: 'timer', ms: 4_000 }],
    ['Given a bake near its end, then the wait is cut at the end', { bakeRemainingMs: 2_000 }, { kind: 'timer', ms: 1_000 }],
    ['Given a bake in overtime, then the plain interval', { bakeRemainingMs: -3_000, overtime: true }, { kind: 'timer', ms: 4_000 }],
    [
      'Given a gate with the new version live, then the rest of the interval',
      { baking: false, bakeRemainingMs: 0 },
      { kind: 'timer', ms: 4_000 },
    ],
    ['Given nothing live and no bake clock, then only a nudge ends the wait', { live: false, baking: false }, { kind: 'until_nudged' }],
    ['Given nothing live but the bake clock running, then the clock is waited out', { live: false }, { kind: 'timer', ms: 4_000 }],
    ['Given a probe that took the whole interval, then no wait', { elapsedMs: 5_000 }, { kind: 'none' }],
    ['Given a probe longer than the interval, then no wait', { elapsedMs: 9_000 }, { kind: 'none' }],
  ];
  it.each(cases)('%s', (_name, overrides, expected) => expect(watchWait({ ...base, ...overrides })).toEqual(expected));
});

describe('bakeLeftAfterTurn', () => {
  const base: BakeTurnInput = {
    bakeRemainingMs: 60_000,
    baking: true,
    runningNow: true,
    elapsedMs: 5_000,
    probeMs: 200,
    intervalMs: 5_000,
    probeTimeoutMs: 2_000,
  };
  const cases: [string, Partial<BakeTurnInput>, boolean, number, boolean][] = [
    ['Given a plain turn under the patch, then the whole turn counts', {}, true, 55_000, true],
    ['Given a probe stuck 30 s under the patch, then only its budget counts', { elapsedMs: 30_000, probeMs: 30_000 }, true, 55_000, true],
    ['Given a probe stuck 30 s before the patch, then the whole turn counts', { elapsedMs: 30_000, probeMs: 30_000 }, false, 30_000, true],
    ['Given a turn that ended paused, then nothing counts (patch not asked)', { runningNow: false }, true, 60_000, false],
    ['Given no bake clock this turn, then nothing counts (patch not asked)', { baking: false }, true, 60_000, false],
    ['Given a turn past the end, then the clock goes below zero', { bakeRemainingMs: 1_000 }, true, -4_000, true],
  ];
  it.each(cases)('%s', (_name, overrides, patchedIn, expected, asked) => {
    const countsObservedTime = jest.fn(() => patchedIn);
    expect(bakeLeftAfterTurn({ ...base, ...overrides }, countsObservedTime)).toBe(expected);
    expect(countsObservedTime).toHaveBeenCalledTimes(asked ? 1 : 0);
  });
});
