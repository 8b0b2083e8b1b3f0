import { bakedMs, bakeTimeUp, probeWaitMs, verdictSettled, watchStep, type WatchInput, type WatchStep } from '../../domain/bake';

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
