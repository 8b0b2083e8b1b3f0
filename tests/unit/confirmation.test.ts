import {
  appliedMessage,
  completedMessage,
  CONFIRM_WITHIN_MS,
  confirmationFields,
  confirmationOverdue,
  confirmationStep,
  rolledBackMessage,
  stageConfirmationWaitMs,
  stageUnconfirmed,
  waveUnconfirmed,
  type ConfirmationStep,
  type KnownTargets,
  type RegressionFinding,
} from '../../domain/confirmation';

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

describe('completedMessage', () => {
  const cases: [string, KnownTargets, string][] = [
    ['every target confirmed', { assigned: 20, confirmed: 20 }, 'version 3 confirmed running on all 20 targets'],
    [
      'pull targets that never reported',
      { assigned: 20, confirmed: 10 },
      'version 3 assigned to all 20 targets: 10 confirmed running it, 10 assigned but not confirmed (no report of the version yet)',
    ],
    ['not counted (a run from before the count)', { assigned: 20 }, 'version 3 assigned to all 20 targets'],
  ];
  it.each(cases)('%s', (_name, known, expected) => expect(completedMessage(3, known)).toBe(expected));
});

describe('confirmationFields', () => {
  const cases: [string, KnownTargets, Record<string, number>][] = [
    ['some unconfirmed', { assigned: 20, confirmed: 12 }, { confirmedTargets: 12, unconfirmedTargets: 8 }],
    ['all confirmed', { assigned: 5, confirmed: 5 }, { confirmedTargets: 5, unconfirmedTargets: 0 }],
    ['not counted: no fields, never a guess', { assigned: 5 }, {}],
  ];
  it.each(cases)('%s', (_name, known, expected) => expect(confirmationFields(known)).toEqual(expected));
});

describe('appliedMessage', () => {
  const batch = { from: 0, to: 5 };
  const cases: [string, { failed: number; confirmed?: number }, string][] = [
    ['all pushed and confirmed', { failed: 0, confirmed: 5 }, 'assigned to targets 1-5 of 20 (5 confirmed on delivery)'],
    [
      'pull targets wait for a report',
      { failed: 0, confirmed: 2 },
      'assigned to targets 1-5 of 20 (2 confirmed on delivery, 3 assigned but not confirmed yet)',
    ],
    ['a failed delivery', { failed: 1, confirmed: 4 }, 'assigned to targets 1-5 of 20 (4 confirmed on delivery, 1 failed)'],
    ['not counted (a run from before the count)', { failed: 0 }, 'assigned to targets 1-5 of 20'],
  ];
  it.each(cases)('%s', (_name, result, expected) => expect(appliedMessage(batch, 20, result)).toBe(expected));
});

describe('rolledBackMessage', () => {
  const cases: [string, number, number | undefined, string][] = [
    ['all push targets confirmed', 4, 4, 'restored 4 targets to their previous versions in 120 ms: 4 confirmed on delivery'],
    [
      'pull targets reassigned',
      4,
      1,
      'restored 4 targets to their previous versions in 120 ms: 1 confirmed on delivery, 3 reassigned but not confirmed yet',
    ],
    ['not counted', 4, undefined, 'restored 4 targets to their previous versions in 120 ms'],
  ];
  it.each(cases)('%s', (_name, restored, confirmed, expected) => expect(rolledBackMessage(restored, confirmed, 120)).toBe(expected));
});

describe('stageConfirmationWaitMs', () => {
  const cases: [string, { confirmWithinSeconds?: number } | undefined, number | null][] = [
    ['no policy (rollouts from before policies)', undefined, null],
    ['a policy without the option: assigned is applied', {}, null],
    ['required within 90 s', { confirmWithinSeconds: 90 }, 90_000],
  ];
  it.each(cases)('%s', (_name, policy, expected) => expect(stageConfirmationWaitMs(policy)).toBe(expected));
});

describe('confirmationStep', () => {
  const cases: [string, number, number, ConfirmationStep][] = [
    ['Given every target confirmed, then the wait is over', 0, 1_000, 'confirmed'],
    ['Given every target confirmed past the deadline, then still confirmed', 0, 60_000, 'confirmed'],
    ['Given targets left within the wait, then probe and look again', 3, 29_999, 'wait'],
    ['Given targets left as the wait runs out, then overdue', 3, 30_000, 'overdue'],
    ['Given targets left past the wait, then overdue', 1, 45_000, 'overdue'],
  ];
  it.each(cases)('%s', (_name, unconfirmed, elapsedMs, expected) =>
    expect(confirmationStep(unconfirmed, 100_000 + elapsedMs, 100_000, 30_000)).toBe(expected),
  );
});

describe('waveUnconfirmed and stageUnconfirmed', () => {
  const few = { count: 2, targetIds: ['t1', 't2'] };
  const many = { count: 7, targetIds: ['t1', 't2', 't3'] };
  const cases: [string, () => RegressionFinding, RegressionFinding][] = [
    [
      'Given two targets of earlier waves unconfirmed, then the wave gate names them',
      () => waveUnconfirmed(few, 'eu', 4),
      {
        message: `2 targets of the waves before "eu" have not confirmed version 4 within ${CONFIRM_WITHIN_MS / 1000} s: t1, t2`,
        evidence: { source: 'wave', wave: 'eu', unconfirmed: few },
      },
    ],
    [
      'Given more unconfirmed than named, then the message ends with an ellipsis',
      () => waveUnconfirmed(many, 'us', 4),
      {
        message: `7 targets of the waves before "us" have not confirmed version 4 within ${CONFIRM_WITHIN_MS / 1000} s: t1, t2, t3, …`,
        evidence: { source: 'wave', wave: 'us', unconfirmed: many },
      },
    ],
    [
      "Given a stage's targets unconfirmed after the policy's wait, then the stage's regression says so",
      () => stageUnconfirmed(few, 10, 'canary', 4, 90_000),
      {
        message: '2 of the 10 targets on version 4 have not confirmed it within 90 s of stage canary: t1, t2',
        evidence: { source: 'confirmation', stage: 'canary', withinSeconds: 90, unconfirmed: few },
      },
    ],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});
