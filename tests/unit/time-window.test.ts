import { timeWindow } from '../../web/src/time-window';

describe('timeWindow (the health chart x axis)', () => {
  const T = 1_796_000_000; // seconds, December 2026
  const cases: [string, number[], number, [number | null, number | null]][] = [
    ['no samples: nothing to show', [], 10, [null, null]],
    ['one sample: a minute around it, not years', [T], 10, [T - 30, T + 30]],
    ['one sample of a slow probe: six intervals around it', [T], 60, [T - 180, T + 180]],
    ['two close samples: centred on them', [T, T + 10], 10, [T - 25, T + 35]],
    ['samples wider than the narrowest window: exactly their span', [T, T + 30, T + 600], 10, [T, T + 600]],
  ];
  it.each(cases)('%s', (_name, xs, interval, expected) => expect(timeWindow(xs, interval)).toEqual(expected));
});
