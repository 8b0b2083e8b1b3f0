import { batches, stageTargetCounts } from '../../domain/planning';
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
