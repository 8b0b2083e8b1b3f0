import {
  approvalCount,
  awaitsApproval,
  controlPlan,
  gateApproval,
  refuseControl,
  refuseReview,
  resumed,
  reviewOutcome,
  rollbackTakenUp,
  type ControlAsk,
  type ControlPlan,
  type ControlStanding,
  type ControlContext,
  type HoldState,
  type ReviewOutcome,
} from '../../domain/controls';
import { INITIAL_STAGE_STATE } from '../../domain/judge';
import type { RolloutState } from '../../domain/lifecycle';
import type { FreezeHold } from '../../domain/policy';
import { Reason } from '../../domain/reasons';

const freeze: FreezeHold = { source: 'stop_the_line', id: 'stop:*:1', reason: 'incident', endsAt: null, by: 'ops', scope: '*' };

describe('refuseControl', () => {
  const ctx: ControlContext = {
    rolloutId: 'r1',
    state: 'paused',
    reason: 'paused by a human',
    submittedBy: 'sam',
    requiredApprovals: 0,
    awaitingApproval: false,
    rollbackRequested: false,
    freezeHolds: [],
  };
  const ask: ControlAsk = { rolloutId: 'r1', action: 'resume', actor: 'ann' };
  const cases: [string, Partial<ControlContext>, Partial<ControlAsk>, string | null][] = [
    ['resume of a paused rollout is taken', {}, {}, null],
    ['another rollout id', {}, { rolloutId: 'r2' }, Reason.NotFound],
    ['resume of a running rollout', { state: 'running', reason: null }, {}, Reason.InvalidState],
    ['anything once a rollback is requested', {}, { action: 'rollback' }, null],
    ['a second rollback while one is requested', { rollbackRequested: true }, { action: 'rollback' }, Reason.InvalidState],
    ['resume while a freeze holds, no override', { freezeHolds: [freeze] }, {}, Reason.Frozen],
    ['resume while a freeze holds, with an override', { freezeHolds: [freeze] }, { override: { reason: 'fix' } }, null],
    ['rollback while a freeze holds', { freezeHolds: [freeze] }, { action: 'rollback' }, null],
    [
      'the submitter approving a gate under four eyes',
      { state: 'awaiting_approval', reason: null, awaitingApproval: true, requiredApprovals: 2 },
      { action: 'approve', actor: 'sam' },
      Reason.FourEyes,
    ],
    [
      'the submitter approving a gate without four eyes',
      { state: 'awaiting_approval', reason: null, awaitingApproval: true },
      { action: 'approve', actor: 'sam' },
      null,
    ],
    [
      'someone else approving a gate under four eyes',
      { state: 'awaiting_approval', reason: null, awaitingApproval: true, requiredApprovals: 2 },
      { action: 'approve', actor: 'ann' },
      null,
    ],
  ];
  it.each(cases)('%s → %s', (_name, c, a, expected) =>
    expect(refuseControl({ ...ctx, ...c }, { ...ask, ...a })?.reason ?? null).toBe(expected),
  );

  it('names the freeze and the way through it', () => {
    expect(refuseControl({ ...ctx, freezeHolds: [freeze] }, ask)?.message).toBe(
      'cannot resume: stop-the-line for every key by ops: incident (until lifted); an admin may resume through it with an override',
    );
  });
});

describe('refuseReview', () => {
  const cases: [string, { rolloutId: string; state: 'pending_review' | 'running'; submittedBy?: string }, string, string | null][] = [
    ['a reviewer of a rollout pending review', { rolloutId: 'r1', state: 'pending_review', submittedBy: 'sam' }, 'ann', null],
    ['the submitter', { rolloutId: 'r1', state: 'pending_review', submittedBy: 'sam' }, 'sam', Reason.FourEyes],
    ['a rollout already running', { rolloutId: 'r1', state: 'running', submittedBy: 'sam' }, 'ann', Reason.InvalidState],
    ['another rollout', { rolloutId: 'r9', state: 'pending_review' }, 'ann', Reason.NotFound],
  ];
  it.each(cases)('%s → %s', (_name, ctx, by, expected) =>
    expect(refuseReview(ctx, { rolloutId: 'r1', by })?.reason ?? null).toBe(expected),
  );
});

describe('approvalCount', () => {
  const cases: [string, { by: string; decision: string }[], number][] = [
    ['none', [], 0],
    [
      'two people',
      [
        { by: 'a', decision: 'approve' },
        { by: 'b', decision: 'approve' },
      ],
      2,
    ],
    [
      'the same person twice counts once',
      [
        { by: 'a', decision: 'approve' },
        { by: 'a', decision: 'approve' },
      ],
      1,
    ],
    ['a reject is no approval', [{ by: 'a', decision: 'reject' }], 0],
  ];
  it.each(cases)('%s → %d', (_name, reviews, expected) => expect(approvalCount(reviews)).toBe(expected));
});

describe('reviewOutcome', () => {
  const approvedByAnn = [{ by: 'ann', decision: 'approve' }];
  const cases: [
    string,
    { by: string; decision: string }[],
    { by: string; decision: 'approve' | 'reject'; comment?: string },
    number,
    ReviewOutcome,
  ][] = [
    [
      'a reject ends it, with the comment',
      [],
      { by: 'ann', decision: 'reject', comment: 'typo' },
      2,
      { kind: 'rejected', reason: 'rejected by ann: typo' },
    ],
    [
      'the first of two approvals',
      [],
      { by: 'ann', decision: 'approve' },
      2,
      { kind: 'counted', approvals: 1, required: 2, starts: false, waitingReason: 'waiting for 1 more approval' },
    ],
    [
      'the second approval starts it',
      approvedByAnn,
      { by: 'bob', decision: 'approve' },
      2,
      { kind: 'counted', approvals: 2, required: 2, starts: true, waitingReason: null },
    ],
    ['a repeated approval changes nothing', approvedByAnn, { by: 'ann', decision: 'approve' }, 2, { kind: 'repeat' }],
  ];
  it.each(cases)('%s', (_name, reviews, review, required, expected) => expect(reviewOutcome(reviews, review, required)).toEqual(expected));
});

describe('gateApproval', () => {
  const cases: [string, string[], string, number, { approvers: string[]; counted: boolean; passed: boolean }][] = [
    ['the first of two', [], 'ann', 2, { approvers: ['ann'], counted: true, passed: false }],
    ['the second passes the gate and clears it', ['ann'], 'bob', 2, { approvers: [], counted: true, passed: true }],
    ['the same person again counts once', ['ann'], 'ann', 2, { approvers: ['ann'], counted: false, passed: false }],
    ['one required: the first passes', [], 'ann', 1, { approvers: [], counted: true, passed: true }],
  ];
  it.each(cases)('%s', (_name, approvers, actor, required, expected) =>
    expect(gateApproval(approvers, actor, required)).toEqual({ ...expected, required }),
  );
});

describe('resumed', () => {
  const held: HoldState = {
    humanPaused: true,
    streak: 2,
    heldForRegression: true,
    inconclusive: 3,
    heldInconclusive: true,
    analysis: { upto: 5, state: { ...INITIAL_STAGE_STATE, intervals: 4, failures: 2, consecutiveFailures: 2, lastVerdict: 'fail' } },
  };
  it('clears the holds and the runs of evidence that led to them', () => {
    expect(resumed(held)).toEqual({
      humanPaused: false,
      streak: 0,
      heldForRegression: false,
      inconclusive: 0,
      heldInconclusive: false,
      analysis: { upto: 5, state: { ...INITIAL_STAGE_STATE, intervals: 4, failures: 0, consecutiveFailures: 0, lastVerdict: null } },
    });
  });
  it('keeps what it does not own', () => {
    const out = resumed({ streak: 1, heldForRegression: false, stageIndex: 3 });
    expect(out.stageIndex).toBe(3);
    expect(out).not.toHaveProperty('analysis');
  });
});

describe('controlPlan', () => {
  const standing: ControlStanding = { state: 'paused', awaitingApproval: false, requiredApprovals: 0 };
  const cases: [string, Parameters<typeof controlPlan>[0], Partial<ControlStanding>, ControlPlan][] = [
    [
      'Given a running rollout, when ann pauses it with no reason, then it is paused by a human',
      { action: 'pause', actor: 'ann' },
      { state: 'running' },
      { kind: 'pause', reason: 'paused by a human', message: 'paused by ann' },
    ],
    [
      'Given a running rollout, when ann pauses it saying why, then her reason is the state reason',
      { action: 'pause', actor: 'ann', reason: 'checking dashboards' },
      { state: 'running' },
      { kind: 'pause', reason: 'checking dashboards', message: 'paused by ann' },
    ],
    [
      'Given any rollout, when nobody named asks for a rollback, then the actor is unknown',
      { action: 'rollback' },
      {},
      { kind: 'rollback', reason: 'rollback requested by unknown', message: 'rollback requested by unknown' },
    ],
    [
      'Given a paused rollout, when ann resumes it, then it is resumed and no gate opens',
      { action: 'resume', actor: 'ann' },
      {},
      { kind: 'go_on', countsGateApproval: false, opensGate: null, resumes: 'resumed by ann' },
    ],
    [
      'Given a paused rollout, when ann approves it, then approve resumes it',
      { action: 'approve', actor: 'ann' },
      {},
      { kind: 'go_on', countsGateApproval: false, opensGate: null, resumes: 'approved by ann' },
    ],
    [
      'Given a gate without four eyes, when ann approves, then the gate opens',
      { action: 'approve', actor: 'ann' },
      { state: 'awaiting_approval', awaitingApproval: true },
      { kind: 'go_on', countsGateApproval: false, opensGate: 'approved by ann', resumes: null },
    ],
    [
      'Given a gate under four eyes, when ann approves, then her approval is counted first',
      { action: 'approve', actor: 'ann' },
      { state: 'awaiting_approval', awaitingApproval: true, requiredApprovals: 2 },
      { kind: 'go_on', countsGateApproval: true, opensGate: 'approved by ann', resumes: null },
    ],
    [
      'Given a paused rollout at a gate, when ann resumes it, then the resume counts as approval',
      { action: 'resume', actor: 'ann' },
      { awaitingApproval: true, requiredApprovals: 2 },
      { kind: 'go_on', countsGateApproval: false, opensGate: 'resumed (counts as approval) by ann', resumes: 'resumed by ann' },
    ],
  ];
  it.each(cases)('%s', (_name, req, overrides, expected) => expect(controlPlan(req, { ...standing, ...overrides })).toEqual(expected));
});

describe('rollbackTakenUp', () => {
  const cases: [string, RolloutState, boolean][] = [
    ['Given it still runs, then the rollback is not taken up yet', 'running', false],
    ['Given it is still paused, then not yet', 'paused', false],
    ['Given it still waits at a gate, then not yet', 'awaiting_approval', false],
    ['Given it is rolling back, then taken up', 'rolling_back', true],
    ['Given it already rolled back, then taken up', 'rolled_back', true],
    ['Given it ended failed, then taken up', 'failed', true],
  ];
  it.each(cases)('%s', (_name, state, expected) => expect(rollbackTakenUp(state)).toBe(expected));
});

describe('awaitsApproval', () => {
  const cases: [string, { approval?: boolean }, boolean, boolean][] = [
    ['Given a stage with a gate not yet approved, then it waits', { approval: true }, false, true],
    ['Given a stage with a gate approved already (a resume at it), then it goes on', { approval: true }, true, false],
    ['Given a stage without a gate, then it goes on', { approval: false }, false, false],
    ['Given a stage from before gates, then it goes on', {}, false, false],
  ];
  it.each(cases)('%s', (_name, stage, approved, expected) => expect(awaitsApproval(stage, approved)).toBe(expected));
});
