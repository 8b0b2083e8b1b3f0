import fc from 'fast-check';
import { activeFreeze, cronProblem, MAX_MERGED_WINDOWS, nextFreezeChange, timeZoneProblem } from '../../domain/freeze';
import type { FreezeWindow } from '../../domain/policy';

// Europe/Amsterdam in 2026: clocks go 02:00 → 03:00 on Sunday 29 March (01:00Z), and 03:00 → 02:00
// on Sunday 25 October (01:00Z). CET is UTC+1, CEST UTC+2.
const AMS = 'Europe/Amsterdam';
const weekend: FreezeWindow = { cron: '0 16 * * 5', durationMinutes: 3840, timezone: AMS, reason: 'weekend' };
const nightly = (cron: string, durationMinutes: number, timezone = AMS): FreezeWindow => ({
  cron,
  durationMinutes,
  timezone,
  reason: 'nightly',
});
const dates = (from: string, to: string, reason = 'dates'): FreezeWindow => ({ from, to, reason });

/** What activeFreeze says, as one comparable line: "frozen until <ISO> (<reason>)" or "open". */
function freezeAt(windows: FreezeWindow[], now: string): string {
  const freeze = activeFreeze(windows, new Date(now));
  return freeze ? `frozen until ${freeze.endsAt.toISOString()} (${freeze.reason})` : 'open';
}

describe('activeFreeze', () => {
  const cases: [string, FreezeWindow[], string, string][] = [
    ['no windows', [], '2026-06-05T14:00:00.000Z', 'open'],
    // Friday 16:00 to Monday 08:00, a summer weekend (CEST).
    ['weekend: a second before Friday 16:00', [weekend], '2026-06-05T13:59:59.000Z', 'open'],
    ['weekend: Friday 16:00 exactly', [weekend], '2026-06-05T14:00:00.000Z', 'frozen until 2026-06-08T06:00:00.000Z (weekend)'],
    ['weekend: Sunday noon', [weekend], '2026-06-07T10:00:00.000Z', 'frozen until 2026-06-08T06:00:00.000Z (weekend)'],
    ['weekend: Monday 08:00 exactly (the end is exclusive)', [weekend], '2026-06-08T06:00:00.000Z', 'open'],
    ['weekend: Wednesday', [weekend], '2026-06-10T10:00:00.000Z', 'open'],
    // The weekend the clocks spring forward: Friday 16:00 CET to Monday 08:00 CEST, 63 hours.
    ['spring-forward weekend: Friday 16:00 CET', [weekend], '2026-03-27T15:00:00.000Z', 'frozen until 2026-03-30T06:00:00.000Z (weekend)'],
    ['spring-forward weekend: Monday 07:30 CEST', [weekend], '2026-03-30T05:30:00.000Z', 'frozen until 2026-03-30T06:00:00.000Z (weekend)'],
    ['spring-forward weekend: Monday 08:00 CEST', [weekend], '2026-03-30T06:00:00.000Z', 'open'],
    // The weekend the clocks fall back: Friday 16:00 CEST to Monday 08:00 CET, 65 hours.
    ['fall-back weekend: Friday 16:00 CEST', [weekend], '2026-10-23T14:00:00.000Z', 'frozen until 2026-10-26T07:00:00.000Z (weekend)'],
    ['fall-back weekend: Monday 07:30 CET', [weekend], '2026-10-26T06:30:00.000Z', 'frozen until 2026-10-26T07:00:00.000Z (weekend)'],
    ['fall-back weekend: Monday 08:00 CET', [weekend], '2026-10-26T07:00:00.000Z', 'open'],
    // 02:30 does not exist on 29 March: the window starts when the clocks jump, at 03:00 CEST.
    [
      '02:30 for an hour, the day before spring forward',
      [nightly('30 2 * * *', 60)],
      '2026-03-28T01:45:00.000Z',
      'frozen until 2026-03-28T02:30:00.000Z (nightly)',
    ],
    ['02:30 on spring-forward night: 01:59 CET, just before the jump', [nightly('30 2 * * *', 60)], '2026-03-29T00:59:59.000Z', 'open'],
    [
      '02:30 on spring-forward night: starts at the jump, ends 03:30 CEST',
      [nightly('30 2 * * *', 60)],
      '2026-03-29T01:00:00.000Z',
      'frozen until 2026-03-29T01:30:00.000Z (nightly)',
    ],
    ['02:30 on spring-forward night: 03:30 CEST', [nightly('30 2 * * *', 60)], '2026-03-29T01:30:00.000Z', 'open'],
    [
      '02:15 for 30 min lies wholly in the skipped hour: no freeze that night',
      [nightly('15 2 * * *', 30)],
      '2026-03-29T01:00:00.000Z',
      'open',
    ],
    // 02:30 happens twice on 25 October: the window starts at the first and runs to 03:30 CET.
    [
      '02:30 on fall-back night: first 02:30 (CEST)',
      [nightly('30 2 * * *', 60)],
      '2026-10-25T00:30:00.000Z',
      'frozen until 2026-10-25T02:30:00.000Z (nightly)',
    ],
    [
      '02:30 on fall-back night: second 02:45 (CET)',
      [nightly('30 2 * * *', 60)],
      '2026-10-25T01:45:00.000Z',
      'frozen until 2026-10-25T02:30:00.000Z (nightly)',
    ],
    ['02:30 on fall-back night: first 02:29 (CEST)', [nightly('30 2 * * *', 60)], '2026-10-25T00:29:00.000Z', 'open'],
    [
      '01:00 to 04:00 spans the repeated hour: four real hours',
      [nightly('0 1 * * *', 180)],
      '2026-10-24T23:00:00.000Z',
      'frozen until 2026-10-25T03:00:00.000Z (nightly)',
    ],
    // Ending at 02:30 on fall-back night ends at the second 02:30, covering the first pass whole.
    [
      'ends in the repeated hour: at its second occurrence',
      [nightly('0 0 * * *', 150)],
      '2026-10-25T00:45:00.000Z',
      'frozen until 2026-10-25T01:30:00.000Z (nightly)',
    ],
    // Other zones: New York springs forward on 8 March 2026 at 02:00 EST (07:00Z).
    [
      'New York: 02:30 on spring-forward night starts at 03:00 EDT',
      [nightly('30 2 * * *', 60, 'America/New_York')],
      '2026-03-08T07:00:00.000Z',
      'frozen until 2026-03-08T07:30:00.000Z (nightly)',
    ],
    // Lord Howe moves its clocks by half an hour: 02:00 → 02:30 on 4 October 2026 (15:30Z).
    [
      'Lord Howe: 02:15 for 30 min keeps its last quarter, 02:30 to 02:45',
      [nightly('15 2 * * *', 30, 'Australia/Lord_Howe')],
      '2026-10-03T15:30:00.000Z',
      'frozen until 2026-10-03T15:45:00.000Z (nightly)',
    ],
    [
      'UTC never changes its clocks',
      [nightly('30 2 * * *', 60, 'UTC')],
      '2026-03-29T02:59:59.999Z',
      'frozen until 2026-03-29T03:30:00.000Z (nightly)',
    ],
    // Dates.
    [
      'dates: from is inclusive',
      [dates('2026-12-23T00:00:00Z', '2027-01-04T07:00:00Z')],
      '2026-12-23T00:00:00.000Z',
      'frozen until 2027-01-04T07:00:00.000Z (dates)',
    ],
    ['dates: to is exclusive', [dates('2026-12-23T00:00:00Z', '2027-01-04T07:00:00Z')], '2027-01-04T07:00:00.000Z', 'open'],
    [
      'dates: offsets are honoured',
      [dates('2026-12-23T00:00:00+01:00', '2026-12-24T00:00:00+01:00')],
      '2026-12-22T23:30:00.000Z',
      'frozen until 2026-12-23T23:00:00.000Z (dates)',
    ],
    // Overlapping and touching windows are one freeze.
    [
      'overlapping: year-end dates run into the New Year weekend',
      [weekend, dates('2026-12-23T00:00:00Z', '2027-01-02T00:00:00Z', 'year end')],
      '2026-12-24T12:00:00.000Z',
      'frozen until 2027-01-04T07:00:00.000Z (year end)',
    ],
    [
      'touching: one window starts as the other ends',
      [dates('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z', 'a'), dates('2026-05-01T11:00:00Z', '2026-05-01T12:00:00Z', 'b')],
      '2026-05-01T10:30:00.000Z',
      'frozen until 2026-05-01T12:00:00.000Z (a)',
    ],
    [
      'a millisecond apart: two freezes',
      [dates('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z', 'a'), dates('2026-05-01T11:00:00.001Z', '2026-05-01T12:00:00Z', 'b')],
      '2026-05-01T10:30:00.000Z',
      'frozen until 2026-05-01T11:00:00.000Z (a)',
    ],
    [
      'chained through a window that does not hold now',
      [
        dates('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z', 'a'),
        dates('2026-05-01T10:30:00Z', '2026-05-01T12:00:00Z', 'b'),
        dates('2026-05-01T11:30:00Z', '2026-05-01T13:00:00Z', 'c'),
      ],
      '2026-05-01T10:15:00.000Z',
      'frozen until 2026-05-01T13:00:00.000Z (a)',
    ],
    [
      'names the holding window that ends last',
      [dates('2026-05-01T10:00:00Z', '2026-05-01T11:00:00Z', 'short'), dates('2026-05-01T09:00:00Z', '2026-05-01T12:00:00Z', 'long')],
      '2026-05-01T10:30:00.000Z',
      'frozen until 2026-05-01T12:00:00.000Z (long)',
    ],
    [
      'a recurring window that overlaps itself',
      [nightly('0 0,6 * * *', 8 * 60, 'UTC')],
      '2026-05-01T03:00:00.000Z',
      'frozen until 2026-05-01T14:00:00.000Z (nightly)',
    ],
  ];
  it.each(cases)('%s', (_name, windows, now, expected) => {
    expect(freezeAt(windows, now)).toBe(expected);
  });

  it('names the window it reports, as given', () => {
    expect(activeFreeze([weekend], new Date('2026-06-06T12:00:00Z'))?.window).toBe(weekend);
  });

  it(`stops merging a freeze that never ends after ${MAX_MERGED_WINDOWS} windows; asking again then gives the rest`, () => {
    const always = [nightly('0 * * * *', 90, 'UTC')];
    const now = new Date('2026-05-01T10:15:00Z');
    const first = activeFreeze(always, now)!;
    expect(first.endsAt.getTime() - now.getTime()).toBeGreaterThanOrEqual(MAX_MERGED_WINDOWS * 3_600_000);
    expect(activeFreeze(always, first.endsAt)!.endsAt.getTime()).toBeGreaterThan(first.endsAt.getTime());
  });
});

describe('nextFreezeChange', () => {
  const cases: [string, FreezeWindow[], string, string | null][] = [
    ['no windows: never', [], '2026-06-05T10:00:00.000Z', null],
    ['before the weekend: when it starts', [weekend], '2026-06-03T10:00:00.000Z', '2026-06-05T14:00:00.000Z'],
    ['during the weekend: when it ends', [weekend], '2026-06-06T10:00:00.000Z', '2026-06-08T06:00:00.000Z'],
    ['as the weekend ends: the next one', [weekend], '2026-06-08T06:00:00.000Z', '2026-06-12T14:00:00.000Z'],
    ['into the spring-forward weekend: Friday 16:00 CET', [weekend], '2026-03-25T10:00:00.000Z', '2026-03-27T15:00:00.000Z'],
    [
      '02:30 on spring-forward night: when the clocks jump',
      [nightly('30 2 * * *', 60)],
      '2026-03-28T12:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
    ],
    [
      'a window wholly in the skipped hour is passed over',
      [nightly('15 2 * * *', 30)],
      '2026-03-28T12:00:00.000Z',
      '2026-03-30T00:15:00.000Z',
    ],
    ['02:30 on fall-back night: the first 02:30', [nightly('30 2 * * *', 60)], '2026-10-24T12:00:00.000Z', '2026-10-25T00:30:00.000Z'],
    [
      'after the first 02:30 on fall-back night: not the second one',
      [nightly('30 2 * * *', 60)],
      '2026-10-25T02:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ],
    ['dates ahead', [dates('2026-12-23T00:00:00Z', '2027-01-04T07:00:00Z')], '2026-12-01T00:00:00.000Z', '2026-12-23T00:00:00.000Z'],
    ['dates past: never', [dates('2026-12-23T00:00:00Z', '2027-01-04T07:00:00Z')], '2027-02-01T00:00:00.000Z', null],
    [
      'the soonest of several',
      [weekend, dates('2026-06-04T00:00:00Z', '2026-06-04T01:00:00Z')],
      '2026-06-03T10:00:00.000Z',
      '2026-06-04T00:00:00.000Z',
    ],
    [
      'the end of a merged freeze',
      [weekend, dates('2026-06-08T06:00:00Z', '2026-06-08T09:00:00Z')],
      '2026-06-07T00:00:00.000Z',
      '2026-06-08T09:00:00.000Z',
    ],
  ];
  it.each(cases)('%s', (_name, windows, now, expected) => {
    expect(nextFreezeChange(windows, new Date(now))?.toISOString() ?? null).toBe(expected);
  });
});

describe('cronProblem', () => {
  const cases: [string, string, RegExp | null][] = [
    ['Friday 16:00', '0 16 * * 5', null],
    ['names of days and lists', '30 22 * * MON-FRI', null],
    ['steps and ranges', '*/15 1-3 * * 0', null],
    ['minute out of range', '61 16 * * 5', /not a five-field cron pattern/],
    ['six fields (seconds) are not accepted', '0 0 16 * * 5', /not a five-field cron pattern/],
    ['garbage', 'every friday', /not a five-field cron pattern/],
    ['30 February never comes', '0 0 30 2 *', /never matches/],
  ];
  it.each(cases)('%s', (_name, pattern, expected) => {
    const problem = cronProblem(pattern);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('timeZoneProblem', () => {
  const cases: [string, string | null][] = [
    ['Europe/Amsterdam', null],
    ['America/Argentina/Buenos_Aires', null],
    ['UTC', null],
    ['Mars/Olympus_Mons', 'unknown time zone "Mars/Olympus_Mons"'],
    ['+01:00', 'must be an IANA time zone name, such as Europe/Amsterdam'],
    ['', 'must be an IANA time zone name, such as Europe/Amsterdam'],
  ];
  it.each(cases)('%s', (zone, expected) => expect(timeZoneProblem(zone)).toBe(expected));
});

describe('freeze properties', () => {
  const zones = ['Europe/Amsterdam', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];
  const crons = ['0 16 * * 5', '30 2 * * *', '15 2 * * *', '*/20 1-3 * * 0', '0 0 1 * *', '45 23 * * 6'];
  const YEAR_2026 = Date.parse('2026-01-01T00:00:00Z');
  const YEAR_MS = 365 * 24 * 3_600_000;
  const instant = fc.integer({ min: YEAR_2026, max: YEAR_2026 + YEAR_MS }).map((ms) => new Date(ms));
  const recurring = fc.record({
    cron: fc.constantFrom(...crons),
    // Four windows of five hours at most cannot cover every hour of a day, so no freeze goes on for
    // ever (those are capped, and tested above).
    durationMinutes: fc.integer({ min: 1, max: 5 * 60 }),
    timezone: fc.constantFrom(...zones),
    reason: fc.constant('recurring'),
  });
  const absolute = fc.tuple(instant, fc.integer({ min: 1, max: 30 * 24 * 60 })).map(([from, minutes]) => ({
    from: from.toISOString(),
    to: new Date(from.getTime() + minutes * 60_000).toISOString(),
    reason: 'dates',
  }));
  const windows = fc.array(fc.oneof(recurring, absolute), { maxLength: 4 });
  const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const between = (from: Date, to: Date, f: number) => new Date(from.getTime() + Math.floor((to.getTime() - from.getTime()) * f));

  it('a freeze holds from now until it ends, and not at its end', () => {
    fc.assert(
      fc.property(windows, instant, fraction, (ws, now, f) => {
        const freeze = activeFreeze(ws, now);
        fc.pre(freeze !== null);
        expect(freeze.endsAt.getTime()).toBeGreaterThan(now.getTime());
        expect(activeFreeze(ws, between(now, freeze.endsAt, f))).not.toBeNull();
        expect(activeFreeze(ws, freeze.endsAt)).toBeNull();
        expect(nextFreezeChange(ws, now)).toEqual(freeze.endsAt);
      }),
      { numRuns: 150 },
    );
  });

  it('when open, nothing holds until the next change, and a freeze holds from then', () => {
    fc.assert(
      fc.property(windows, instant, fraction, (ws, now, f) => {
        fc.pre(activeFreeze(ws, now) === null);
        const change = nextFreezeChange(ws, now);
        if (change === null) return;
        expect(change.getTime()).toBeGreaterThan(now.getTime());
        expect(activeFreeze(ws, between(now, change, f))).toBeNull();
        expect(activeFreeze(ws, change)).not.toBeNull();
      }),
      { numRuns: 150 },
    );
  });
});
