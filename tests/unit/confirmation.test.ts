import { CONFIRM_WITHIN_MS, confirmationOverdue } from '../../domain/confirmation';

describe('confirmationOverdue', () => {
  const since = Date.parse('2026-12-02T10:00:00.000Z');
  const cases: [string, number, number, boolean][] = [
    ['just started', since, CONFIRM_WITHIN_MS, false],
    ['a millisecond before the deadline', since + CONFIRM_WITHIN_MS - 1, CONFIRM_WITHIN_MS, false],
    ['at the deadline', since + CONFIRM_WITHIN_MS, CONFIRM_WITHIN_MS, true],
    ['long past it', since + 10 * 60_000, CONFIRM_WITHIN_MS, true],
    ['a zero wait is over at once', since, 0, true],
  ];
  it.each(cases)('%s → %s', (_name, nowMs, withinMs, expected) => expect(confirmationOverdue(nowMs, since, withinMs)).toBe(expected));
});
