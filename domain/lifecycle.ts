/**
 * Rollout lifecycle: the closed set of states and which human actions each allows.
 * Pure and free of imports so the workflow bundle, the API and the CLI share one definition.
 */

export const ROLLOUT_STATES = [
  'pending_review',
  'running',
  'paused',
  'awaiting_approval',
  'rolling_back',
  'rolled_back',
  'completed',
  'failed',
  'rejected',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const STAGE_STATES = ['pending', 'applying', 'baking', 'completed', 'skipped', 'rolled_back'] as const;
export type StageState = (typeof STAGE_STATES)[number];

export const ROLLOUT_ACTIONS = ['pause', 'resume', 'approve', 'rollback'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

const TERMINAL: ReadonlySet<RolloutState> = new Set(['rolled_back', 'completed', 'failed', 'rejected']);

export function isTerminal(state: RolloutState): boolean {
  return TERMINAL.has(state);
}

/**
 * Which actions a state accepts while the rollout's workflow is running.
 * `approve` also resumes a rollout held for a human (a held rollout that ignores "promote" is a
 * known trap), but `resume` does not open an approval gate: approving takes the approver role,
 * and under a policy with approvals, someone other than the submitter.
 * A rollout pending review takes reviews (`POST .../review`), not actions.
 * Rollback of a completed rollout is a separate fast track, decided by `canFastRollback`.
 */
const ALLOWED: Record<RolloutState, readonly RolloutAction[]> = {
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

export function allowedActions(state: RolloutState): readonly RolloutAction[] {
  return ALLOWED[state];
}

export function canAct(state: RolloutState, action: RolloutAction): boolean {
  return ALLOWED[state].includes(action);
}

/** The reason of a rollout held before its next stage by a freeze window or stop-the-line starts with this. */
export const FROZEN_REASON_PREFIX = 'frozen';

export function isFrozenHold(state: RolloutState, reason: string | null): boolean {
  return state === 'paused' && (reason ?? '').startsWith(FROZEN_REASON_PREFIX);
}

/**
 * A freeze holds a rollout (paused) without a human having paused it: a human may still pause it,
 * so that it stays paused when the freeze lifts; resume goes through the freeze, which takes an
 * admin's override; rollback is always there. Approve is not: a freeze is no approval gate.
 */
const FROZEN_ACTIONS: readonly RolloutAction[] = ['pause', 'resume', 'rollback'];

/** The actions a rollout takes in its state, knowing why it is in it (a freeze hold differs from a human pause). */
export function actionsFor(state: RolloutState, reason: string | null): readonly RolloutAction[] {
  return isFrozenHold(state, reason) ? FROZEN_ACTIONS : ALLOWED[state];
}

/** A completed rollout can be rolled back at once while its version is still its config's newest. */
export function canFastRollback(state: RolloutState, version: number | null, latestVersion: number | null): boolean {
  return state === 'completed' && version !== null && version === latestVersion;
}

/**
 * Where a prepared rollout goes: to review when its policy asks for reviewers (it is still
 * `pending_review`), else to the gate of its first stage.
 */
export function phaseAfterPrepare(state: RolloutState): 'review' | 'gate' {
  return state === 'pending_review' ? 'review' : 'gate';
}

/** Reviews decided it: rejected ends the rollout (no target touched), approved opens the first stage's gate. */
export function phaseAfterReview(state: RolloutState): 'done' | 'gate' {
  return state === 'rejected' ? 'done' : 'gate';
}
