import type { CanaryAnalysisResult } from '../../domain/analysis-schemas';
import { INITIAL_STAGE_STATE } from '../../domain/judge';
import type { FreezeHold } from '../../domain/policy';
import {
  activityErrorMessage,
  alertEvent,
  analysisEvent,
  appliedDetail,
  approvalRequestedEvent,
  controlDetail,
  errorMessage,
  fastRollbackReason,
  freezeOverriddenEvent,
  frozenEvent,
  gateWaiting,
  reviewRecord,
  reviewRequestedEvent,
  rollbackAttemptEvent,
  rollbackGaveUp,
  rolledBackDetail,
  rolloutStartedEvent,
  stageCompletedMessage,
  stageSkippedMessage,
  stageStartedEvent,
  startedThroughFreezeEvent,
  unfrozenMessage,
  type StartedRollout,
} from '../../domain/rollout-events';

const stop: FreezeHold = { source: 'stop_the_line', id: 'stop:k:t1', reason: 'incident 4711', endsAt: null, by: 'ops', scope: 'k' };

describe('errorMessage and activityErrorMessage', () => {
  const wrapped = new Error('Activity task failed', { cause: new Error('receiver answered 503') });
  const cases: [string, () => string, string][] = [
    ['Given an Error, then its message', () => errorMessage(new Error('boom')), 'boom'],
    ['Given something else thrown, then its string', () => errorMessage('plain'), 'plain'],
    ["Given an activity failure, then its cause's message", () => activityErrorMessage(wrapped), 'receiver answered 503'],
    ['Given an Error without a cause, then its own message', () => activityErrorMessage(new Error('timeout')), 'timeout'],
    ['Given something else thrown by an activity, then its string', () => activityErrorMessage(42), '42'],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toBe(expected));
});

describe('rolloutStartedEvent', () => {
  const rollout: StartedRollout = { version: 4, configKey: 'checkout', totalTargets: 20, previousStableVersion: 3 };
  const cases: [string, Partial<StartedRollout>, { message: string; detail: Record<string, unknown> }][] = [
    [
      'Given a plain rollout, then version, key, targets and plan',
      {},
      {
        message: 'version 4 of checkout to 20 targets',
        detail: { version: 4, totalTargets: 20, stageTargets: [1, 5, 20], previousStableVersion: 3 },
      },
    ],
    [
      'Given an emergency by sam, then it says EMERGENCY and why',
      { emergency: true, emergencyReason: 'outage', submittedBy: 'sam' },
      {
        message: 'version 4 of checkout to 20 targets (EMERGENCY)',
        detail: {
          version: 4,
          totalTargets: 20,
          stageTargets: [1, 5, 20],
          previousStableVersion: 3,
          submittedBy: 'sam',
          emergency: true,
          emergencyReason: 'outage',
        },
      },
    ],
    [
      'Given an override, then the override and its reason',
      { override: true, overrideReason: 'hotfix' },
      {
        message: 'version 4 of checkout to 20 targets',
        detail: {
          version: 4,
          totalTargets: 20,
          stageTargets: [1, 5, 20],
          previousStableVersion: 3,
          override: true,
          overrideReason: 'hotfix',
        },
      },
    ],
  ];
  it.each(cases)('%s', (_name, overrides, expected) =>
    expect(rolloutStartedEvent({ ...rollout, ...overrides }, [1, 5, 20])).toEqual(expected),
  );
});

describe('startedThroughFreezeEvent', () => {
  const cases: [string, Parameters<typeof startedThroughFreezeEvent>[0], ReturnType<typeof startedThroughFreezeEvent>][] = [
    ['Given no override, then nothing is said', undefined, null],
    ['Given an override that went through no freeze, then nothing is said', { by: 'ada', reason: 'fix', freezes: [] }, null],
    [
      'Given an override through a freeze, then who, why and which',
      { by: 'ada', reason: 'fix', freezes: ['stop:k:t1'] },
      { message: 'ada started it through a freeze: fix', detail: { actor: 'ada', reason: 'fix', freezes: ['stop:k:t1'] } },
    ],
  ];
  it.each(cases)('%s', (_name, override, expected) => expect(startedThroughFreezeEvent(override)).toEqual(expected));
});

describe('review words', () => {
  const cases: [string, () => unknown, unknown][] = [
    [
      'Given a review awaited for two approvals, then the request says so',
      () => reviewRequestedEvent({ version: 4, configKey: 'checkout', totalTargets: 20, required: 2, submittedBy: 'sam' }),
      {
        message: 'version 4 of checkout waits for 2 approvals before it starts',
        detail: { version: 4, totalTargets: 20, required: 2, submittedBy: 'sam' },
      },
    ],
    [
      'Given a review with a comment, then the entry and the detail keep it',
      () => reviewRecord({ by: 'ann', decision: 'approve', comment: 'lgtm' }, '2026-12-03T10:00:00.000Z'),
      {
        entry: { by: 'ann', decision: 'approve', comment: 'lgtm', at: '2026-12-03T10:00:00.000Z' },
        detail: { actor: 'ann', decision: 'approve', comment: 'lgtm' },
      },
    ],
    [
      'Given a review without a comment, then no empty comment',
      () => reviewRecord({ by: 'ann', decision: 'reject', comment: '' }, '2026-12-03T10:00:00.000Z'),
      { entry: { by: 'ann', decision: 'reject', at: '2026-12-03T10:00:00.000Z' }, detail: { actor: 'ann', decision: 'reject' } },
    ],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});

describe('control and gate words', () => {
  const cases: [string, () => unknown, unknown][] = [
    [
      'Given an actor and a reason, then both',
      () => controlDetail({ actor: 'ann', reason: 'dashboards' }),
      { actor: 'ann', reason: 'dashboards' },
    ],
    ['Given neither, then an unknown actor and no reason', () => controlDetail({}), { actor: 'unknown' }],
    [
      'Given one of two approvals, then it waits for one more',
      () => gateWaiting('ann', 1, 2, 'partial'),
      {
        message: 'approved by ann (1 of 2); waiting for more',
        detail: { actor: 'ann', approvals: 1, required: 2 },
        reason: 'stage partial needs 1 more approval',
      },
    ],
    [
      'Given a gate, then the request names the stage and its targets',
      () => approvalRequestedEvent('full', 15),
      { reason: 'stage full needs approval', message: 'stage full waits for approval', detail: { targets: 15 } },
    ],
    [
      'Given an override through a stop-the-line, then it names it',
      () => freezeOverriddenEvent('ada', 'hotfix', [stop]),
      {
        message: 'ada resumed through the freeze (stop-the-line by ops: incident 4711 (until lifted)): hotfix',
        detail: { actor: 'ada', reason: 'hotfix', holds: [stop] },
      },
    ],
    [
      'Given an override with nothing holding, then it says so',
      () => freezeOverriddenEvent('ada', 'hotfix', []),
      { message: 'ada resumed through the freeze (no freeze holds it now): hotfix', detail: { actor: 'ada', reason: 'hotfix', holds: [] } },
    ],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});

describe('stage and freeze words', () => {
  const failures = [{ targetId: 't3', reason: 'unreachable', message: 'connect ECONNREFUSED' }];
  const cases: [string, () => unknown, unknown][] = [
    [
      'Given a stage adding no target, then skipped',
      () => stageSkippedMessage('partial', 1, 1),
      'stage partial adds no target (1 of 1 already updated)',
    ],
    [
      'Given a stage from 1 to 5 of 20, then 4 more',
      () => stageStartedEvent('partial', 1, 5, 20),
      { message: 'stage partial: 4 more targets (5 of 20)', detail: { from: 1, to: 5 } },
    ],
    [
      'Given a baked stage, then healthy after its bake',
      () => stageCompletedMessage('canary', 300),
      'stage canary healthy after 300 s bake',
    ],
    [
      'Given a clean batch, then no failures key',
      () => appliedDetail({ from: 0, to: 2 }, { applied: 2, pushed: 1, failed: 0, failures: [] }),
      { from: 0, to: 2, applied: 2, pushed: 1, failed: 0 },
    ],
    [
      'Given a batch with failures, then they are listed',
      () => appliedDetail({ from: 0, to: 2 }, { applied: 2, pushed: 1, failed: 1, failures }),
      { from: 0, to: 2, applied: 2, pushed: 1, failed: 1, failures },
    ],
    ['Given a lifted freeze, then the stage may go on', () => unfrozenMessage('partial'), 'the freeze lifted: stage partial may go on'],
    [
      'Given a stop-the-line, then the hold and the frozen reason',
      () => frozenEvent('partial', [stop]),
      {
        message: 'holding before stage partial: stop-the-line by ops: incident 4711 (until lifted)',
        detail: { holds: [stop] },
        reason: 'frozen: stop-the-line by ops: incident 4711 (until lifted)',
      },
    ],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});

describe('analysisEvent', () => {
  it('Given an interval judged fail, then its number, verdict, score and what the limits made of it', () => {
    const result: CanaryAnalysisResult = { verdict: 'fail', score: 25, message: 'latency up', metrics: [] };
    const state = { ...INITIAL_STAGE_STATE, intervals: 2, failures: 1, lastVerdict: 'fail' as const };
    const limits = { failureLimit: 0, inconclusiveLimit: 2 };
    expect(analysisEvent({ state, decision: 'rollback' }, { canaryTargets: 5, baselineTargets: 5, excluded: 1, result }, limits)).toEqual({
      message: 'interval 2: fail (score 25): latency up',
      detail: {
        verdict: 'fail',
        score: 25,
        decision: 'rollback',
        canaryTargets: 5,
        baselineTargets: 5,
        excluded: 1,
        stageState: state,
        limits,
        metrics: [],
      },
    });
  });
});

describe('rollback and alert words', () => {
  const failures = [
    { targetId: 't1', reason: 'unreachable', message: 'connect ECONNREFUSED' },
    { targetId: 't2', reason: 'unreachable', message: 'connect ECONNREFUSED' },
  ];
  const cases: [string, () => unknown, unknown][] = [
    [
      'Given a rollback confirmed on delivery, then the count is in the detail',
      () => rolledBackDetail(10, 4, 2, 900),
      { restored: 10, confirmedOnDelivery: 4, attempts: 2, durationMs: 900 },
    ],
    [
      'Given a run from before the count, then no count claimed',
      () => rolledBackDetail(10, undefined, 1, 900),
      { restored: 10, attempts: 1, durationMs: 900 },
    ],
    [
      'Given the attempts spent with 3 left and 2 named, then the reason and message name them',
      () => rollbackGaveUp(10, 3, failures),
      {
        reason: 'rollback could not restore 3 targets: t1, t2, …',
        message: 'rollback gave up after 10 attempts: 3 targets not restored (t1, t2, …)',
        detail: { remaining: 3, unrestored: failures, attempts: 10 },
      },
    ],
    [
      'Given a pass that left 2 of 10, then the attempt says so',
      () => rollbackAttemptEvent(1, { touched: 10, remaining: 2, failures }),
      { message: 'attempt 1: 2 of 10 targets not restored yet', detail: { attempt: 1, remaining: 2, failures } },
    ],
    [
      'Given a fast-track rollback without a reason, then who asked',
      () => fastRollbackReason(4, 'ann'),
      'fast-track rollback of completed version 4 requested by ann',
    ],
    [
      'Given an alert delivered by webhook, then where it went',
      () => alertEvent({ channel: 'webhook', status: 200 }, '', 'failed', ['t1']),
      { message: 'alert sent (webhook): rollout failed', detail: { channel: 'webhook', status: 200, unrestored: ['t1'] } },
    ],
    [
      'Given an alert that could not be delivered, then why',
      () => alertEvent(null, 'receiver answered 503', 'failed', []),
      {
        message: 'alert could not be delivered: receiver answered 503',
        detail: { delivered: false, error: 'receiver answered 503', unrestored: [] },
      },
    ],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toEqual(expected));
});
