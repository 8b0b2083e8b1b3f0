import {
  allowedActions,
  canAct,
  canFastRollback,
  isTerminal,
  phaseAfterPrepare,
  phaseAfterReview,
  ROLLOUT_ACTIONS,
  ROLLOUT_STATES,
  type RolloutAction,
  type RolloutState,
} from '../../domain/lifecycle';

describe('canAct', () => {
  const allowed: Record<RolloutState, RolloutAction[]> = {
    pending_review: [],
    running: ['pause', 'rollback'],
    paused: ['resume', 'approve', 'rollback'],
    awaiting_approval: ['approve', 'rollback'],
    rolling_back: [],
    rolled_back: [],
    completed: [],
    failed: [],
    rejected: [],
  };
  const cases = ROLLOUT_STATES.flatMap((state) =>
    ROLLOUT_ACTIONS.map((action) => [state, action, allowed[state].includes(action)] as const),
  );
  it.each(cases)('%s + %s → %s', (state, action, expected) => expect(canAct(state, action)).toBe(expected));
  it('lists the same actions', () => {
    for (const s of ROLLOUT_STATES) expect([...allowedActions(s)].sort()).toEqual([...allowed[s]].sort());
  });
});

describe('isTerminal', () => {
  it.each(ROLLOUT_STATES.map((s) => [s, ['completed', 'rolled_back', 'failed', 'rejected'].includes(s)] as const))('%s → %s', (s, t) =>
    expect(isTerminal(s)).toBe(t),
  );
});

describe('canFastRollback', () => {
  const cases: [string, RolloutState, number | null, number | null, boolean][] = [
    ['completed and newest', 'completed', 3, 3, true],
    ['completed but superseded', 'completed', 3, 4, false],
    ['rolled back already', 'rolled_back', 3, 3, false],
    ['still running (handled by the workflow)', 'running', 3, 3, false],
    ['never got a version', 'completed', null, null, false],
  ];
  it.each(cases)('%s', (_n, state, v, latest, expected) => expect(canFastRollback(state, v, latest)).toBe(expected));
});

describe('phaseAfterPrepare and phaseAfterReview', () => {
  const cases: [string, () => string, string][] = [
    [
      'Given a rollout whose policy asks for review, when prepared, then it waits in review',
      () => phaseAfterPrepare('pending_review'),
      'review',
    ],
    ['Given a rollout without review, when prepared, then its first gate', () => phaseAfterPrepare('running'), 'gate'],
    ['Given a rollout rejected in review, then done (no target touched)', () => phaseAfterReview('rejected'), 'done'],
    ['Given a rollout approved in review, then its first gate', () => phaseAfterReview('running'), 'gate'],
  ];
  it.each(cases)('%s', (_name, actual, expected) => expect(actual()).toBe(expected));
});
