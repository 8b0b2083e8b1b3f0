import { addsNoTarget, stageSpan, waveOpenedBy } from '../../domain/planning';

describe('stageSpan', () => {
  const counts = [1, 5, 5, 20];
  const cases: [string, number, { from: number; to: number }][] = [
    ['the first stage starts at 0', 0, { from: 0, to: 1 }],
    ['a later stage starts where the one before ended', 1, { from: 1, to: 5 }],
    ['a stage with the same count as its predecessor is empty', 2, { from: 5, to: 5 }],
    ['the last stage ends at the fleet', 3, { from: 5, to: 20 }],
    ['past the plan: empty', 4, { from: 20, to: 0 }],
  ];
  it.each(cases)('%s', (_name, index, expected) => expect(stageSpan(counts, index)).toEqual(expected));
});

describe('addsNoTarget', () => {
  const cases: [string, { from: number; to: number }, boolean][] = [
    ['adds targets', { from: 1, to: 5 }, false],
    ['same count as before', { from: 5, to: 5 }, true],
    ['fewer (a plan past its end)', { from: 20, to: 0 }, true],
  ];
  it.each(cases)('%s → %s', (_name, span, expected) => expect(addsNoTarget(span)).toBe(expected));
});

describe('waveOpenedBy', () => {
  const stages = [{ wave: 'eu' }, { wave: 'eu' }, { wave: 'us' }, {}];
  const cases: [string, number, number, string | null][] = [
    ['the first stage opens no gate (nothing before it)', 0, 0, null],
    ['a stage in the same wave as the one before', 1, 1, null],
    ['the first stage of the next wave', 2, 5, 'us'],
    ['the next wave with nothing applied yet', 2, 0, null],
    ['a stage without a wave', 3, 10, null],
  ];
  it.each(cases)('%s', (_name, index, from, expected) => expect(waveOpenedBy(stages, index, from)).toBe(expected));
});
