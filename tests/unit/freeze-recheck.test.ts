import { FREEZE_RECHECK_MIN_MS, freezeRecheckMs, sameHolds } from '../../domain/freeze-holds';

describe('freezeRecheckMs', () => {
  const nowMs = Date.parse('2026-12-04T15:59:58.000Z');
  const cases: [string, { turnStartedMs: number; intervalMs: number; nextChangeAt: string | null }, number][] = [
    ['stop-the-line (no end): the rest of the interval', { turnStartedMs: nowMs - 1_000, intervalMs: 5_000, nextChangeAt: null }, 4_000],
    [
      'a window ends sooner than the interval: at its end',
      { turnStartedMs: nowMs, intervalMs: 5_000, nextChangeAt: '2026-12-04T16:00:00.000Z' },
      2_000,
    ],
    [
      'a window ends later: the rest of the interval',
      { turnStartedMs: nowMs, intervalMs: 5_000, nextChangeAt: '2026-12-05T08:00:00.000Z' },
      5_000,
    ],
    [
      'a change already due (clocks apart): the floor',
      { turnStartedMs: nowMs, intervalMs: 5_000, nextChangeAt: '2026-12-04T15:59:00.000Z' },
      FREEZE_RECHECK_MIN_MS,
    ],
    [
      'a slow check used the interval up: the floor',
      { turnStartedMs: nowMs - 9_000, intervalMs: 5_000, nextChangeAt: null },
      FREEZE_RECHECK_MIN_MS,
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => expect(freezeRecheckMs({ nowMs, ...input })).toBe(expected));
});

describe('sameHolds', () => {
  const cases: [string, { id: string }[], { id: string }[], boolean][] = [
    ['both empty', [], [], true],
    ['the same ids', [{ id: 'a' }, { id: 'b' }], [{ id: 'a' }, { id: 'b' }], true],
    ['one more', [{ id: 'a' }, { id: 'b' }], [{ id: 'a' }], false],
    ['another window', [{ id: 'window:1' }], [{ id: 'window:2' }], false],
  ];
  it.each(cases)('%s → %s', (_name, a, b, expected) => expect(sameHolds(a, b)).toBe(expected));
});
