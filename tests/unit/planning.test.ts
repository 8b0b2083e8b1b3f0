import {
  APPLY_BATCH_SIZE,
  APPLY_BATCH_SIZE_BEFORE_PATCH,
  applyBatchSize,
  applyRegression,
  applyStartsAt,
  batches,
  stageTargetCounts,
} from '../../domain/planning';
import { stableOrder } from '../../domain/ordering';

describe('stageTargetCounts', () => {
  const cases: [string, number, number[], number[]][] = [
    ['default 5/25/100 over 100', 100, [5, 25, 100], [5, 25, 100]],
    ['default over 20: canary of one', 20, [5, 25, 100], [1, 5, 20]],
    ['tiny fleet: canary still gets one target', 3, [5, 25, 100], [1, 1, 3]],
    ['one target: later stages add nothing', 1, [5, 25, 100], [1, 1, 1]],
    ['rounds up', 7, [10, 50, 100], [1, 4, 7]],
    ['float noise does not add a target', 100, [7, 100], [7, 100]],
    ['fractional percents', 1000, [0.5, 10, 100], [5, 100, 1000]],
    ['no targets', 0, [5, 100], [0, 0]],
    ['10,000 targets', 10_000, [1, 10, 50, 100], [100, 1_000, 5_000, 10_000]],
  ];
  it.each(cases)('%s', (_name, total, percents, expected) => {
    expect(stageTargetCounts(total, percents)).toEqual(expected);
  });
});

describe('batches', () => {
  const cases: [string, number, number, number, [number, number][]][] = [
    [
      'exact',
      0,
      6,
      3,
      [
        [0, 3],
        [3, 6],
      ],
    ],
    [
      'remainder',
      2,
      9,
      4,
      [
        [2, 6],
        [6, 9],
      ],
    ],
    ['empty range', 5, 5, 10, []],
    ['one batch', 0, 3, 250, [[0, 3]]],
  ];
  it.each(cases)('%s', (_name, from, to, size, expected) => {
    expect(batches(from, to, size).map((b) => [b.from, b.to])).toEqual(expected);
  });
  it('refuses a batch size below one', () => expect(() => batches(0, 1, 0)).toThrow(RangeError));
});

describe('stableOrder', () => {
  const ids = Array.from({ length: 50 }, (_, i) => `host-${i}`);
  it('is the same for the same config key whatever the input order', () => {
    expect(stableOrder('db', ids)).toEqual(stableOrder('db', [...ids].reverse()));
  });
  it('differs between config keys, spreading canaries over the fleet', () => {
    expect(stableOrder('db', ids)[0]).not.toEqual(stableOrder('cache', ids)[0]);
  });
  it('keeps every id exactly once', () => {
    expect([...stableOrder('db', ids)].sort()).toEqual([...ids].sort());
  });
});

describe('applyBatchSize', () => {
  const cases: [string, boolean, number][] = [
    ['Given a run under larger-apply-batches, then 2,000 targets a batch', true, APPLY_BATCH_SIZE],
    ['Given a run from before it, then 250', false, APPLY_BATCH_SIZE_BEFORE_PATCH],
  ];
  it.each(cases)('%s', (_name, larger, expected) => expect(applyBatchSize(larger)).toBe(expected));
});

describe('applyStartsAt', () => {
  const cases: [string, number, number, number][] = [
    ["Given nothing applied past the stage's start, then its first target", 5, 5, 5],
    ['Given a fresh rollout, then target 0', 0, 0, 0],
    ['Given a run that got further before continuing as new, then where it got to', 12, 5, 12],
  ];
  it.each(cases)('%s', (_name, appliedUpTo, from, expected) => expect(applyStartsAt(appliedUpTo, from)).toBe(expected));
});

describe('applyRegression', () => {
  const failures = [{ targetId: 't3', reason: 'unreachable' }];
  const cases: [string, { applied: number; failed: number; failures: unknown[] }, ReturnType<typeof applyRegression>][] = [
    ['Given every target applied, then no regression', { applied: 10, failed: 0, failures: [] }, null],
    [
      'Given a target that failed to apply, then a regression naming the count',
      { applied: 10, failed: 1, failures },
      { message: '1 of 10 targets failed to apply', evidence: { source: 'apply', failures } },
    ],
  ];
  it.each(cases)('%s', (_name, result, expected) => expect(applyRegression(result)).toEqual(expected));
});
